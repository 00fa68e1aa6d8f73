//! Everything that talks to Jira: the HTTP client, authentication, the OAuth 1.0a dance, response
//! models and the diagnosis of failures.

pub mod admin_writes;
pub mod applinks;
pub mod applinks_status;
pub mod auth;
pub mod bulk;
pub mod client;
pub mod diagnose;
pub mod error;
pub mod model;
pub mod mtls;
pub mod oauth;
pub mod oauth2;
pub mod oauth_dance;
pub mod pace;
pub mod pat;
pub mod response;
pub mod transport;

pub use auth::{Auth, OAuth1Auth, OAuthToken};
pub use client::{ClientOptions, Flavor, JiraClient, RetryPolicy};
pub use diagnose::{Code, Diagnosis, Severity};
pub use error::{ErrorKind, JiraError};
