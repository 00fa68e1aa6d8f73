//! A tiny scriptable HTTP server on loopback for the client tests: every request is recorded and
//! answered by a closure, so each test states exactly what "Jira" sends back.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Router;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use url::Url;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body as this many chunks without Content-Length.
    pub chunked: Option<usize>,
}

impl Canned {
    pub fn json(status: u16, body: &str) -> Self {
        Self::new(status, body).header("content-type", "application/json;charset=UTF-8")
    }
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            chunked: None,
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
    pub fn chunked(mut self, n: usize) -> Self {
        self.chunked = Some(n);
        self
    }
}

type Handler = dyn Fn(&Seen, usize) -> Canned + Send + Sync;

/// A running server: its base URL (with `/jira` context path) and what it saw.
pub struct Server {
    pub base: Url,
    pub root: Url,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Start a server whose answers come from `f(request, index_of_request)`.
pub async fn serve(f: impl Fn(&Seen, usize) -> Canned + Send + Sync + 'static) -> Server {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let counter = Arc::new(AtomicUsize::new(0));
    let handler: Arc<Handler> = Arc::new(f);
    let s2 = seen.clone();
    let app = Router::new().fallback(move |req: Request| {
        let seen = s2.clone();
        let counter = counter.clone();
        let handler = handler.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let s = Seen {
                method: parts.method.to_string(),
                path: parts.uri.path().to_string(),
                query: parts.uri.query().map(str::to_string),
                headers: parts.headers.clone(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
                at: Instant::now(),
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let c = handler(&s, n);
            seen.lock().unwrap().push(s);
            let mut b = Response::builder().status(StatusCode::from_u16(c.status).unwrap());
            for (k, v) in &c.headers {
                b = b.header(k, v);
            }
            let body = match c.chunked {
                Some(n) => {
                    let size = c.body.len().div_ceil(n.max(1)).max(1);
                    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = c
                        .body
                        .chunks(size)
                        .map(|ch| Ok(bytes::Bytes::copy_from_slice(ch)))
                        .collect();
                    Body::from_stream(futures::stream::iter(chunks))
                }
                None => Body::from(c.body),
            };
            b.body(body).unwrap()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server {
        base: Url::parse(&format!("http://{addr}/jira")).unwrap(),
        root: Url::parse(&format!("http://{addr}/")).unwrap(),
        seen,
    }
}

/// A minimal `myself` answer.
pub const MYSELF: &str = r#"{"name":"svc-link","key":"JIRAUSER10100","displayName":"Link Service","active":true,"groups":{"size":1,"items":[{"name":"jira-software-users"}]}}"#;
