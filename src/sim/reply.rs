//! Responses as the simulator builds them, and their conversion into HTTP with Jira's headers.
use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// Jira's JSON content type (note: no space before `charset`; `Content-Type: application/json;charset=
/// UTF-8` in the DC capture of go-jira/jira#8 and in MrRefactoring/jira.js#418).
pub const JSON: &str = "application/json;charset=UTF-8";
/// Jira's HTML content type, spelled like its JSON one (no space before `charset`; the exact
/// spelling for pages is *unconfirmed*, clients match the `text/html` prefix).
pub const HTML: &str = "text/html;charset=UTF-8";
/// XML (applinks manifest and the applinks plugin's XML entities, which Jersey's JAXB provider
/// writes as `application/xml`; the charset parameter is *unconfirmed*).
pub const XML: &str = "application/xml;charset=UTF-8";

/// A response before the common headers are added.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Content type.
    pub content_type: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: bytes::Bytes,
    /// Whether to add Jira's `X-A*` headers (false for the not-Jira scenario).
    pub jira: bool,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, v: &Value) -> Reply {
        Reply::raw(status, JSON, v.to_string())
    }

    /// A reply with a pre-serialised body.
    pub fn raw(status: u16, content_type: &str, body: impl Into<bytes::Bytes>) -> Reply {
        Reply {
            status,
            content_type: content_type.to_owned(),
            headers: Vec::new(),
            body: body.into(),
            jira: true,
        }
    }

    /// An HTML page.
    pub fn html(status: u16, body: String) -> Reply {
        Reply::raw(status, HTML, body)
    }

    /// Add a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Jira's `{"errorMessages":[…],"errors":{}}` error body (fixtures `error.*.go-jira.json`).
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, &json!({"errorMessages": [message], "errors": {}}))
    }

    /// The 401 DC sends for anonymous calls (fixture `error.401-not-authenticated.dc-10.3.19`).
    pub fn not_authenticated() -> Reply {
        Reply::json(
            401,
            &json!({"message": "Client must be authenticated to access this resource.", "status-code": 401}),
        )
    }

    /// A 302 redirect (RFC 9110 §15.4.3; Seraph's login redirects and SSO front ends use 302).
    pub fn redirect(location: &str) -> Reply {
        Reply::raw(302, HTML, "").header("Location", location)
    }

    /// Convert, adding the given common headers.
    pub fn into_response(self, common: &[(&'static str, String)]) -> Response {
        let mut resp = Response::new(Body::from(self.body));
        *resp.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let h = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.content_type) {
            h.insert(header::CONTENT_TYPE, v);
        }
        for (k, v) in common {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(HeaderName::from_static(k), v);
            }
        }
        for (k, v) in self.headers {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                h.append(k, v);
            }
        }
        resp
    }
}

/// Turn the OAuth provider's reply into ours.
impl From<super::oauth::HttpReply> for Reply {
    fn from(r: super::oauth::HttpReply) -> Reply {
        Reply {
            status: r.status,
            content_type: r.content_type,
            headers: r.headers,
            body: r.body.into(),
            jira: true,
        }
    }
}
