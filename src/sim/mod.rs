//! The Jira simulator. SKELETON: filled by the simulator helpers.
pub mod oauth;
