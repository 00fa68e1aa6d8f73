//! How a request proves who it is: Basic, PAT (Bearer), Cloud API token, or OAuth 1.0a RSA-SHA1.

use secrecy::SecretString;
use std::fmt;
use std::sync::Arc;

/// Credentials with every secret already resolved. `Debug` never shows a secret.
#[derive(Clone)]
pub enum Auth {
    /// No credentials (probing serverInfo and the applinks manifest).
    None,
    /// Server/DC username + password as HTTP Basic.
    Basic {
        username: String,
        password: SecretString,
    },
    /// Server/DC 8.14+ Personal Access Token as `Authorization: Bearer`.
    Pat { token: SecretString },
    /// Cloud: email + API token as HTTP Basic.
    CloudToken { email: String, token: SecretString },
    /// OAuth 1.0a with RSA-SHA1 (incoming application link).
    OAuth1(OAuth1Auth),
    /// OAuth 2.0 Bearer tokens (incoming link or service account), renewed as needed.
    OAuth2(Arc<super::oauth2::OAuth2Session>),
}

/// An OAuth 1.0a consumer, with its access token once the dance has produced one.
#[derive(Clone)]
pub struct OAuth1Auth {
    pub consumer_key: String,
    pub private_key: Arc<rsa::RsaPrivateKey>,
    pub token: Option<OAuthToken>,
}

/// An OAuth token and its secret (unused by RSA-SHA1 signing, but part of the credential).
#[derive(Clone)]
pub struct OAuthToken {
    pub token: SecretString,
    pub secret: SecretString,
}

impl Auth {
    /// The auth kind as the config spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Basic { .. } => "basic",
            Auth::Pat { .. } => "pat",
            Auth::CloudToken { .. } => "cloud-token",
            Auth::OAuth1(_) => "oauth1",
            Auth::OAuth2(s) => s.kind(),
        }
    }

    /// The user name the credentials claim, when they carry one.
    pub fn claimed_user(&self) -> Option<&str> {
        match self {
            Auth::Basic { username, .. } => Some(username),
            Auth::CloudToken { email, .. } => Some(email),
            _ => None,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Basic { username, .. } => {
                write!(f, "Auth::Basic({username}, password: [redacted])")
            }
            Auth::Pat { .. } => f.write_str("Auth::Pat([redacted])"),
            Auth::CloudToken { email, .. } => {
                write!(f, "Auth::CloudToken({email}, token: [redacted])")
            }
            Auth::OAuth1(o) => fmt::Debug::fmt(o, f),
            Auth::OAuth2(s) => fmt::Debug::fmt(s, f),
        }
    }
}

impl fmt::Debug for OAuth1Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Auth::OAuth1(consumer_key: {}, private_key: [redacted], token: {})",
            self.consumer_key,
            if self.token.is_some() {
                "[redacted]"
            } else {
                "none"
            }
        )
    }
}

impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OAuthToken([redacted])")
    }
}
