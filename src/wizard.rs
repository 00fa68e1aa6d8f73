//! The link wizard as a pure state machine. SKELETON: filled by a later change.
