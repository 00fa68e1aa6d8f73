//! The Jira simulator. SKELETON: filled by the simulator helper.
