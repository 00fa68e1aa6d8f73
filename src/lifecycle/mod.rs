//! Living with links and credentials over time: which application links exist and whether they
//! work (`links`), when each connection's credential expires (`check`'s `credential_expiring`),
//! and replacing a credential without an outage (`connections rotate`).

pub mod expiry;
pub mod links;
pub mod reauth;
pub mod reauth_oauth2;
pub mod rotate;
pub mod scoped;
