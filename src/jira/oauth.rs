//! OAuth 1.0a: RSA-SHA1 request signing and the dance (request token → authorize → access token).
//! SKELETON: the client helper implements signing; the link helper the dance.
