//! The client's error type: everything needed to explain a failure, turned into a
//! [`Diagnosis`](super::Diagnosis) by `diagnose()`. SKELETON: the client helper fills this in.

use super::diagnose::{Code, Diagnosis};
use std::fmt;

/// A failed Jira call, with the facts needed to diagnose it.
#[derive(Debug, Clone)]
pub struct JiraError {
    /// The diagnosis this failure maps to.
    pub diagnosis: Diagnosis,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
}

impl JiraError {
    /// The explained diagnosis (what, why, fix).
    pub fn diagnose(&self) -> Diagnosis {
        self.diagnosis.clone()
    }

    /// The diagnosis code.
    pub fn code(&self) -> Code {
        self.diagnosis.code
    }

    /// HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
}

impl fmt::Display for JiraError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.diagnosis.code, self.diagnosis.summary)
    }
}

impl std::error::Error for JiraError {}
