//! Reusable bits of the screen: status badges, text fields, the help overlay, popups.

pub mod badge;
pub mod help;
pub mod popup;
pub mod progress;
pub mod text_field;
