//! The link wizard's effects run for real (client, keys, files) on behalf of the TUI, and saving
//! the linked connection. Interim: once `crate::link::run_effect` lands on main, [`run`] becomes a
//! single call to it and the OAuth/applinks helpers below go away; the TUI only sees [`run`].

use super::WizardCtx;
use crate::config::{AuthKind, ConfigFile, Connection};
use crate::jira::diagnose::{oauth_code, Code, Diagnosis};
use crate::jira::oauth::{authorization_header, parse_oauth_problem};
use crate::jira::{Auth, ClientOptions, JiraClient, OAuth1Auth, OAuthToken};
use crate::secret::SecretRef;
use crate::wizard::{
    AccessInfo, CreatePlan, Effect, Input, KeyInfo, ProbeInfo, RequestTokenInfo, VerifyInfo,
    Wizard, LINK_ID_PLACEHOLDER,
};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Timeout for the anonymous probe and the OAuth servlets (the user waits for them).
const TIMEOUT: Duration = Duration::from_secs(20);

/// Run one wizard effect; every failure is reported inside the returned input.
pub async fn run(ctx: WizardCtx, w: Wizard, effect: Effect) -> Input {
    match effect {
        Effect::Probe { url } => Input::ProbeResult(probe(&url).await),
        Effect::GenerateKey {
            bits,
            path,
            overwrite,
        } => Input::KeyReady(generate_key(bits, path, overwrite).await),
        Effect::LoadKey { path } => Input::KeyReady(
            load_key(&path)
                .await
                .map(|k| KeyInfo::from_public_key(&path, &k.to_public_key())),
        ),
        Effect::CreateLink { admin, plan } => {
            Input::CreateResult(create_link(&ctx, &admin, &plan).await)
        }
        Effect::RequestToken {
            base_url,
            consumer_key,
            private_key,
        } => Input::RequestTokenResult(
            oauth_servlet(
                &base_url,
                &consumer_key,
                &private_key,
                "request-token",
                None,
                None,
            )
            .await
            .and_then(|m| {
                m.get("oauth_token")
                    .map(|t| RequestTokenInfo { token: t.clone() })
                    .ok_or_else(|| missing("oauth_token"))
            }),
        ),
        Effect::ExchangeVerifier {
            base_url,
            consumer_key,
            private_key,
            request_token,
            verifier,
        } => Input::AccessTokenResult(
            oauth_servlet(
                &base_url,
                &consumer_key,
                &private_key,
                "access-token",
                Some(&request_token),
                Some(&verifier),
            )
            .await
            .and_then(access_info),
        ),
        Effect::Verify {
            base_url,
            consumer_key,
            private_key,
        } => Input::VerifyResult(verify(&w, &base_url, &consumer_key, &private_key).await),
        Effect::Export { format, path } => Input::ExportResult(
            w.export(format)
                .and_then(|text| {
                    crate::paths::write_secret_file(&path, text.expose_secret().as_bytes())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))
                })
                .map(|()| path),
        ),
    }
}

/// Save the linked connection: the access token and its secret go to 0600 files under the data
/// dir, the connection (replacing one of the same name, keeping its TLS/proxy settings) into the
/// config through `ConfigFile`, which writes atomically. Returns the config as saved.
pub fn save_connection(ctx: &WizardCtx, w: &Wizard) -> Result<crate::config::Config, String> {
    let access = w
        .access()
        .ok_or("there is no access token yet: finish the Authorize step")?;
    let key = w.key_info().ok_or("there is no key yet (step 2)")?;
    let base = w.base_url()?;
    let name = w.connection_name();
    let mut file = ConfigFile::open(&ctx.config_path).map_err(|e| e.to_string())?;
    let existing = file
        .config()
        .map_err(|e| e.to_string())?
        .connection(&name)
        .cloned();
    let stem: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let dir = ctx.data_dir.join("tokens");
    let token_file = dir.join(format!("{stem}.access_token"));
    let secret_file = dir.join(format!("{stem}.token_secret"));
    for (path, value) in [(&token_file, &access.token), (&secret_file, &access.secret)] {
        crate::paths::write_secret_file(path, value.expose_secret().as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let mut conn = existing.unwrap_or_else(|| Connection::new(&name, &base, AuthKind::Oauth1));
    conn.url = base;
    conn.auth = AuthKind::Oauth1;
    conn.username = None;
    conn.password = None;
    conn.token = None;
    conn.email = None;
    conn.consumer_key = Some(w.consumer_key());
    conn.consumer_name = Some(w.consumer_name());
    conn.private_key = Some(key.path.clone());
    conn.access_token = Some(SecretRef::File(token_file));
    conn.token_secret = Some(SecretRef::File(secret_file));
    conn.token_expires_at = access.expires_at.clone();
    file.upsert_connection(&conn).map_err(|e| e.to_string())?;
    file.save().map_err(|e| e.to_string())?;
    file.config().map_err(|e| e.to_string())
}

fn client(base_url: &str, auth: Auth) -> Result<JiraClient, Diagnosis> {
    let url = url::Url::parse(base_url).map_err(|e| {
        Diagnosis::error(
            Code::ConfigError,
            format!("{base_url:?} is not a URL"),
            e.to_string(),
            "Enter the Jira base URL, e.g. https://jira.example.com/jira.",
        )
    })?;
    let mut opts = ClientOptions::new(url, auth);
    opts.timeout = TIMEOUT;
    JiraClient::new(opts).map_err(|e| e.diagnose())
}

async fn probe(url: &str) -> Result<ProbeInfo, Diagnosis> {
    let info = client(url, Auth::None)?
        .server_info()
        .await
        .map_err(|e| e.diagnose())?;
    Ok(ProbeInfo::from_server_info(&info))
}

/// Key generation and file writes run on the blocking pool, so the event loop never waits.
async fn generate_key(bits: usize, path: PathBuf, overwrite: bool) -> Result<KeyInfo, String> {
    let key = crate::keys::generate_async(bits)
        .await
        .map_err(|e| e.to_string())?;
    let public = key.to_public_key();
    let p = path.clone();
    tokio::task::spawn_blocking(move || crate::keys::write_private_key(&p, &key, overwrite))
        .await
        .map_err(|e| format!("writing the key failed: {e}"))?
        .map_err(|e| e.to_string())?;
    Ok(KeyInfo::from_public_key(&path, &public))
}

async fn load_key(path: &Path) -> Result<rsa::RsaPrivateKey, String> {
    let p = crate::paths::expand_tilde(path);
    tokio::task::spawn_blocking(move || crate::keys::load_private_key(&p))
        .await
        .map_err(|e| format!("loading the key failed: {e}"))?
        .map_err(|e| e.to_string())
}

fn key_diagnosis(message: String) -> Diagnosis {
    Diagnosis::error(
        Code::KeyError,
        "The private key cannot be used",
        message,
        "Fix the key file as described, or generate a new key (step 2).",
    )
}

fn missing(param: &str) -> Diagnosis {
    Diagnosis::error(
        Code::InvalidResponse,
        format!("Jira's OAuth answer has no {param}"),
        "The answer was form-encoded but incomplete.",
        "Check that the URL points at Jira itself, not a proxy page.",
    )
}

/// POST to `{base}/plugins/servlet/oauth/{servlet}`, RSA-SHA1 signed, `oauth_callback=oob` for
/// request tokens. Jira answers form-encoded, and reports failures as `oauth_problem` in the
/// `WWW-Authenticate` header and/or the body (Atlassian OAuth plugin, RFC 5849 problem reporting).
async fn oauth_servlet(
    base_url: &str,
    consumer_key: &str,
    private_key: &Path,
    servlet: &str,
    token: Option<&str>,
    verifier: Option<&str>,
) -> Result<BTreeMap<String, String>, Diagnosis> {
    let key = load_key(private_key).await.map_err(key_diagnosis)?;
    let consumer = OAuth1Auth {
        consumer_key: consumer_key.to_string(),
        private_key: Arc::new(key),
        token: None,
    };
    let url = url::Url::parse(&format!(
        "{}/plugins/servlet/oauth/{servlet}",
        base_url.trim_end_matches('/')
    ))
    .map_err(|e| {
        Diagnosis::error(
            Code::ConfigError,
            "The base URL is not usable",
            e.to_string(),
            "Fix the URL (step 1).",
        )
    })?;
    let token = token.map(|t| OAuthToken {
        token: SecretString::from(t.to_string()),
        secret: SecretString::from(String::new()),
    });
    let callback = token.is_none().then_some("oob");
    let header = authorization_header(
        "POST",
        &url,
        &[],
        &consumer,
        token.as_ref(),
        callback,
        verifier,
    );
    let what = format!("POST {url}");
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| transport_failure(&what, &e))?;
    let resp = http
        .post(url.clone())
        .header(reqwest::header::AUTHORIZATION, header)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .send()
        .await
        .map_err(|e| transport_failure(&what, &e))?;
    let status = resp.status();
    let www = resp
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp
        .text()
        .await
        .map_err(|e| transport_failure(&what, &e))?;
    if let Some(p) = parse_oauth_problem(www.as_deref(), &body) {
        return Err(Diagnosis::error(
            oauth_code(&p.problem),
            format!("Jira refused the OAuth request: {}", p.problem),
            format!("{what} answered {status} with oauth_problem={}", p.problem),
            "See the step's hints; the consumer key, public key and base URL must match the incoming link.",
        ));
    }
    if !status.is_success() {
        return Err(Diagnosis::error(
            Code::Other,
            format!("Jira answered {status}"),
            format!("{what} answered {status}"),
            "Check that the base URL is Jira's and that the incoming link exists.",
        ));
    }
    let map: BTreeMap<String, String> = url::form_urlencoded::parse(body.trim().as_bytes())
        .into_owned()
        .collect();
    if map.is_empty() {
        return Err(missing("form-encoded answer"));
    }
    Ok(map)
}

fn transport_failure(what: &str, e: &reqwest::Error) -> Diagnosis {
    Diagnosis::error(
        Code::Other,
        "Jira could not be reached",
        format!("{what}: {e}"),
        "Check the URL and that Jira is running.",
    )
}

fn access_info(m: BTreeMap<String, String>) -> Result<AccessInfo, Diagnosis> {
    let token = m.get("oauth_token").ok_or_else(|| missing("oauth_token"))?;
    let secret = m.get("oauth_token_secret").cloned().unwrap_or_default();
    // Jira says how long the token lives (`oauth_expires_in`, seconds): store it, never assume.
    let expires_at = m
        .get("oauth_expires_in")
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|secs| {
            // Whole seconds: sub-second precision means nothing for a token that lives days.
            let now = time::OffsetDateTime::now_utc();
            let now = now.replace_nanosecond(0).unwrap_or(now);
            let at = now + time::Duration::seconds(secs);
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    Ok(AccessInfo {
        token: SecretString::from(token.clone()),
        secret: SecretString::from(secret),
        expires_at,
    })
}

async fn verify(
    w: &Wizard,
    base_url: &str,
    consumer_key: &str,
    private_key: &Path,
) -> Result<VerifyInfo, Diagnosis> {
    let access = w.access().ok_or_else(|| {
        Diagnosis::error(
            Code::Other,
            "There is no access token to verify",
            "The Authorize step has not finished.",
            "Finish the Authorize step first.",
        )
    })?;
    let key = load_key(private_key).await.map_err(key_diagnosis)?;
    let auth = Auth::OAuth1(OAuth1Auth {
        consumer_key: consumer_key.to_string(),
        private_key: Arc::new(key),
        token: Some(OAuthToken {
            token: access.token.clone(),
            secret: access.secret.clone(),
        }),
    });
    let client = client(base_url, auth)?;
    let me = client.myself().await.map_err(|e| e.diagnose())?;
    let projects = client.projects().await.map_err(|e| e.diagnose())?;
    Ok(VerifyInfo {
        user: me.login().to_string(),
        display_name: me.display_name.clone(),
        project_count: projects.len(),
    })
}

/// Send the two planned PUTs with the admin connection's own URL and credentials (never to a URL
/// those credentials were not configured for); the second path gets the id the first returned.
async fn create_link(ctx: &WizardCtx, admin: &str, plan: &CreatePlan) -> Result<(), Diagnosis> {
    let config_path = ctx.config_path.clone();
    let config =
        tokio::task::spawn_blocking(move || crate::config::Config::load_or_default(&config_path))
            .await
            .map_err(|e| {
                Diagnosis::error(
                    Code::ConfigError,
                    "The config could not be read",
                    e.to_string(),
                    "Try again.",
                )
            })?
            .map_err(|e| e.diagnosis())?;
    let conn = config
        .require_connection(admin)
        .map_err(|e| e.diagnosis())?;
    let opts = conn
        .client_options_async(&config.defaults)
        .await
        .map_err(|e| e.diagnosis())?;
    let admin_client = JiraClient::new(opts).map_err(|e| e.diagnose())?;
    let mut id: Option<String> = None;
    for r in &plan.requests {
        let method = reqwest::Method::from_bytes(r.method.as_bytes()).map_err(|e| {
            Diagnosis::error(
                Code::Other,
                "The planned request is malformed",
                format!("method {:?}: {e}", r.method),
                "Register the link by hand (skip this step).",
            )
        })?;
        let path = match &id {
            Some(id) => r.path.replace(LINK_ID_PLACEHOLDER, id),
            None => r.path.clone(),
        };
        let answer: serde_json::Value = admin_client
            .send_json(method, &path, &r.body)
            .await
            .map_err(|e| e.diagnose())?;
        if id.is_none() {
            id = answer
                .get("id")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            if id.is_none() {
                return Err(missing("application link id"));
            }
        }
    }
    Ok(())
}
