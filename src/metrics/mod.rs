//! Output for monitoring systems.

pub mod prometheus;
