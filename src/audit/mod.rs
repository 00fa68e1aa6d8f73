//! The permission audit engine. SKELETON: filled by the audit helper.
pub mod explain;
