//! RSA keys for OAuth 1.0a consumers. SKELETON: the config helper fills this in.
