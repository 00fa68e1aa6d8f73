//! jiralink: link Jira to other applications (incoming OAuth 2.0 or OAuth 1.0a links) and audit what the link can see.

pub mod audit;
pub mod check;
pub mod cli;
pub mod config;
pub mod connect;
pub mod filelock;
pub mod housekeeping;
pub mod jira;
pub mod keys;
pub mod lifecycle;
pub mod link;
pub mod logging;
pub mod metrics;
pub mod paths;
pub mod private_file;
pub mod secret;
pub mod shown;
#[cfg(feature = "sim")]
pub mod sim;
pub mod term;
pub mod text;
pub mod tui;
pub mod wizard;
