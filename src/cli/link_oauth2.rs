//! `jiralink link …` for OAuth 2.0 incoming links (DC 8.22+): `new --oauth2`, `fields`, `create`
//! (REST with an admin connection, or paste the client id and secret from Jira's UI), `authorize`
//! (PKCE; paste the address-bar URL or the code; `--code` for a second run; `--listen PORT` for a
//! one-shot loopback listener) and `export`. Exit codes as for OAuth 1.0a: 0 done, 1 an
//! OAuth/Jira problem (diagnosis printed), 2 usage or config error.

use super::{EXIT_OK, EXIT_PROBLEM, EXIT_USAGE};
use crate::config::{AuthKind, ConfigFile, Connection};
use crate::jira::diagnose::{Code, Diagnosis};
use crate::jira::oauth2::{self, Pasted, Pkce};
use crate::jira::{Auth, JiraClient};
use crate::link::{self, LinkContext, PendingAuthorization, Transport};
use crate::wizard::ExportFormat;
use secrecy::{ExposeSecret, SecretString};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

/// Print a diagnosis with the connection's name filled into the suggested commands.
fn print_diagnosis(d: &Diagnosis, name: &str) {
    eprintln!("{}", d.to_string().replace(" NAME", &format!(" {name}")));
}

fn exit_for(d: &Diagnosis) -> u8 {
    match d.code {
        Code::ConfigError | Code::KeyError | Code::SecretUnavailable => EXIT_USAGE,
        _ => EXIT_PROBLEM,
    }
}

/// `link new NAME --url URL --oauth2 [--redirect-uri URI] [--scope READ,…]`.
pub async fn new(
    ctx: LinkContext,
    name: &str,
    url: &str,
    redirect_uri: Option<String>,
    scopes: Vec<String>,
    force: bool,
) -> anyhow::Result<u8> {
    let mut file = ConfigFile::open(&ctx.paths.config_file)?;
    if file.has_connection(name) && !force {
        eprintln!("jiralink: connection \"{name}\" already exists; pass --force to replace it");
        return Ok(EXIT_USAGE);
    }
    let redirect = redirect_uri.unwrap_or_else(|| oauth2::DEFAULT_REDIRECT_URI.to_string());
    if let Err(m) = oauth2::check_redirect_uri(&redirect) {
        print_diagnosis(&https_required_redirect(&m), name);
        return Ok(EXIT_USAGE);
    }
    let scopes: Vec<String> = if scopes.is_empty() {
        // Least privilege: an audit only reads.
        vec!["READ".to_string()]
    } else {
        scopes
            .iter()
            .flat_map(|s| oauth2::split_scopes(s))
            .collect()
    };
    if let Err(m) = oauth2::validate_scopes(&scopes, false) {
        eprintln!("jiralink: --scope: {m}");
        return Ok(EXIT_USAGE);
    }
    let mut c = Connection::new(name, url.trim(), AuthKind::Oauth2);
    c.redirect_uri = Some(redirect.clone());
    c.scopes = scopes.clone();
    let c = match c.normalized() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("jiralink: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    // Target: the version decides whether OAuth 2.0 exists here.
    let probe = match ctx.client(&c.url, Auth::None) {
        Ok(client) => client.server_info().await.map_err(|e| e.diagnose()),
        Err(d) => Err(d),
    };
    let version = match probe {
        Ok(si) => {
            if let Some(false) = oauth2::supported(si.version_tuple()) {
                print_diagnosis(&oauth2::not_supported(si.version.as_deref()), name);
                return Ok(EXIT_PROBLEM);
            }
            si.version
        }
        Err(d) => {
            print_diagnosis(&d, name);
            return Ok(exit_for(&d));
        }
    };
    let loopback = url::Url::parse(&c.url)
        .ok()
        .is_some_and(|u| matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")));
    if c.url.starts_with("http://") && !loopback {
        eprintln!("warning: {} is plain http: Jira enforces HTTPS for its base URL in production and keeps the OAuth 2.0 provider off otherwise; tokens would also travel unencrypted.", c.url);
    }
    file.upsert_connection(&c)?;
    file.save()?;
    println!(
        "Added OAuth 2.0 connection \"{name}\" for {} (Jira {})",
        c.url,
        version.as_deref().unwrap_or("?")
    );
    println!("Redirect URL:   {redirect}");
    println!("Scopes:         {}", scopes.join(" "));
    println!();
    println!("Next: register the incoming link with an admin connection (`jiralink link create {name} --admin ADMIN`) or by hand (`jiralink link fields {name}`), then `jiralink link authorize {name}`.");
    Ok(EXIT_OK)
}

fn https_required_redirect(message: &str) -> Diagnosis {
    Diagnosis::error(
        Code::Oauth2HttpsRequired,
        "Jira will not accept this redirect URL",
        format!("{message}. Jira enforces HTTPS for redirect URLs in production (\"Jira OAuth 2.0 provider API\")."),
        format!(
            "Use an https:// redirect URL (the default {} never loads: you paste the address bar), or http://localhost:PORT/… with `jiralink link authorize NAME --listen PORT`.",
            oauth2::DEFAULT_REDIRECT_URI
        ),
    )
}

/// The values to enter in Jira's "Create link → External application → Incoming" form.
pub fn fields_text(c: &Connection, version: Option<(u32, u32, u32)>) -> String {
    let base = c.url.trim_end_matches('/');
    let mut out = format!("Register jiralink as an incoming OAuth 2.0 link in Jira at {base}\n\n");
    // Jira 9+: Administration (cog) > Applications > Application links > Create link > External
    // application > Incoming ("Configure an incoming link").
    out.push_str("Go to: Administration (cog) > Applications > Application links\n");
    out.push_str(&format!(
        "   or: {base}/plugins/servlet/applinks/listApplicationLinks\n\n"
    ));
    out.push_str("1. Select Create link.\n");
    out.push_str("2. Select External application, then Incoming as the direction, and Continue.\n");
    out.push_str("3. Enter the values below and Save.\n");
    out.push_str("4. Copy the Client ID and Client secret Jira shows on the Credentials tab.\n\n");
    let highest = c
        .scopes
        .iter()
        .max_by_key(|s| oauth2::KNOWN_SCOPES.iter().position(|k| k == s))
        .cloned()
        .unwrap_or_else(|| "READ".into());
    out.push_str(&format!("Name          jiralink-{}\n", c.name));
    out.push_str(&format!(
        "Redirect URL  {}\n",
        c.redirect_uri
            .as_deref()
            .unwrap_or(oauth2::DEFAULT_REDIRECT_URI)
    ));
    out.push_str(&format!(
        "Permission    {highest}  (never more than the authorizing user has)\n"
    ));
    if version.is_some_and(|v| (v.0, v.1) < (9, 0)) {
        out.push_str("\nNote: on Jira 8.22–8.x the form is the same, under Administration > Applications > Application links.\n");
    }
    out.push_str(&format!(
        "\nThen store the credentials: `jiralink link create {} --manual` (reads the Client ID and secret on stdin).\n",
        c.name
    ));
    out
}

/// `link fields NAME` for an OAuth 2.0 connection.
pub async fn fields(ctx: &LinkContext, c: &Connection) -> anyhow::Result<u8> {
    let version = match ctx.client(&c.url, Auth::None) {
        Ok(client) => client
            .server_info()
            .await
            .ok()
            .and_then(|s| s.version_tuple()),
        Err(_) => None,
    };
    print!("{}", fields_text(c, version));
    Ok(EXIT_OK)
}

fn read_line(input: &mut dyn BufRead, prompt: &str) -> std::io::Result<String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    input.read_line(&mut line)?;
    Ok(line.trim().to_string())
}

/// Read a client id and secret pasted from Jira's UI and store them.
fn paste_credentials(ctx: &LinkContext, name: &str, input: &mut dyn BufRead) -> anyhow::Result<u8> {
    let id = read_line(input, "Client ID: ")?;
    let secret = read_line(input, "Client secret: ")?;
    if id.is_empty() || secret.is_empty() {
        eprintln!("jiralink: no client id or secret given; nothing was changed. Run `jiralink link create {name} --manual` again and paste both.");
        return Ok(EXIT_USAGE);
    }
    let path = link::save_client_credentials(&ctx.paths, name, &id, &SecretString::from(secret))?;
    println!(
        "Stored client id {id} for \"{name}\"; the secret is in {} (mode 0600).",
        path.display()
    );
    println!("Next: `jiralink link authorize {name}`.");
    Ok(EXIT_OK)
}

/// `link create NAME --admin ADMIN [--yes]` / `--manual`.
pub async fn create(
    ctx: &LinkContext,
    c: &Connection,
    admin: Option<&str>,
    yes: bool,
    input: &mut dyn BufRead,
) -> anyhow::Result<u8> {
    let name = c.name.as_str();
    let Some(admin) = admin else {
        print!("{}", fields_text(c, None));
        return paste_credentials(ctx, name, input);
    };
    let admin_conn = match ctx.config.require_connection(admin) {
        Ok(a) => a.clone(),
        Err(e) => {
            eprintln!("jiralink: admin connection: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    let opts = match admin_conn.client_options_async(&ctx.config.defaults).await {
        Ok(o) => o,
        Err(e) => {
            print_diagnosis(&e.diagnosis(), admin);
            return Ok(EXIT_USAGE);
        }
    };
    // The admin's credentials only ever go to the admin connection's own URL.
    let admin_client = match JiraClient::new(opts) {
        Ok(a) => a,
        Err(e) => {
            print_diagnosis(&e.diagnose(), admin);
            return Ok(EXIT_USAGE);
        }
    };
    let redirect = c
        .redirect_uri
        .clone()
        .unwrap_or_else(|| oauth2::DEFAULT_REDIRECT_URI.into());
    let scope = c
        .scopes
        .iter()
        .max_by_key(|s| oauth2::KNOWN_SCOPES.iter().position(|k| k == s))
        .cloned()
        .unwrap_or_else(|| "READ".into());
    let link_name = format!("jiralink-{name}");
    println!(
        "This creates an incoming OAuth 2.0 link in Jira at {}:\n",
        admin_conn.url
    );
    println!(
        "  POST {}{}\n  {}\n",
        admin_conn.url.trim_end_matches('/'),
        oauth2::CLIENT_PATH,
        serde_json::json!({"name": link_name, "redirects": [redirect], "scope": scope})
    );
    println!(
        "Undo: delete the link \"{link_name}\" under Administration > Applications > Application links."
    );
    if !yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("jiralink: refusing to change Jira without confirmation: stdin is not a terminal; pass --yes to create the link");
            return Ok(EXIT_USAGE);
        }
        eprint!("Create this incoming link? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        input.read_line(&mut line)?;
        if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            eprintln!("Nothing was changed.");
            return Ok(EXIT_USAGE);
        }
    }
    match oauth2::create_client(&admin_client, &link_name, &redirect, &scope).await {
        Ok(Some(created)) => {
            let path = link::save_client_credentials(
                &ctx.paths,
                name,
                &created.client_id,
                &created.client_secret,
            )?;
            println!(
                "\nCreated the incoming link \"{link_name}\"; client id {} saved, secret in {} (mode 0600).",
                created.client_id,
                path.display()
            );
            println!("Next: `jiralink link authorize {name}`.");
            Ok(EXIT_OK)
        }
        Ok(None) => {
            eprintln!("\nThis Jira has no REST endpoint for creating OAuth 2.0 clients (404). Register the link in Jira's UI instead:\n");
            eprint!("{}", fields_text(c, None));
            paste_credentials(ctx, name, input)
        }
        Err(e) => {
            print_diagnosis(&e.diagnose(), name);
            Ok(exit_for(&e.diagnose()))
        }
    }
}

/// Wait for one request on `127.0.0.1:port` (an `ssh -L PORT:localhost:PORT` tunnel ends
/// here), answer it with a short page, and return the URL it asked for.
async fn listen_once(port: u16, wait: Duration) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    eprintln!("Listening on http://localhost:{port}/ for the redirect (one request)…");
    let accept = async {
        loop {
            let (mut sock, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let mut buf = vec![0u8; 8192];
            let n = sock.read(&mut buf).await.map_err(|e| e.to_string())?;
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let Some(target) = head
                .lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .map(str::to_owned)
            else {
                continue;
            };
            if target.starts_with("/favicon") {
                let _ = sock
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    )
                    .await;
                continue;
            }
            let body = "<!DOCTYPE html><html><head><title>jiralink</title></head><body><p>jiralink received the answer. You can close this tab.</p></body></html>";
            let resp = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\ncache-control: no-store\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
            return Ok::<String, String>(format!("http://localhost:{port}{target}"));
        }
    };
    tokio::time::timeout(wait, accept)
        .await
        .map_err(|_| format!("no redirect arrived within {} s", wait.as_secs()))?
}

/// `link authorize NAME [--code CODE] [--listen PORT]` for an OAuth 2.0 connection.
pub async fn authorize(
    mut ctx: LinkContext,
    c: &Connection,
    code: Option<String>,
    listen: Option<u16>,
    input: &mut dyn BufRead,
) -> anyhow::Result<u8> {
    let name = c.name.as_str();
    ctx.transport = Transport::from_connection(c);
    let (Some(client_id), Some(_)) = (c.client_id.clone(), c.client_secret.as_ref()) else {
        eprintln!("jiralink: connection \"{name}\" has no client id and secret yet. Register the link first: `jiralink link create {name} --admin ADMIN`, or by hand with `jiralink link fields {name}` and `jiralink link create {name} --manual`.");
        return Ok(EXIT_USAGE);
    };
    let secret = match c.client_secret.as_ref().map(|s| s.resolve()) {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            eprintln!("jiralink: client_secret: {e}");
            return Ok(EXIT_USAGE);
        }
        None => unreachable!("checked above"),
    };
    let redirect = c
        .redirect_uri
        .clone()
        .unwrap_or_else(|| oauth2::DEFAULT_REDIRECT_URI.into());
    let base = c.url.trim_end_matches('/').to_string();
    let now = time::OffsetDateTime::now_utc();
    let (pending, text) = match code {
        Some(code) => {
            let pending = link::load_pending_authorization(&ctx.paths, name)
                .filter(|p| p.base_url == base && p.client_id == client_id);
            let Some(pending) = pending else {
                eprintln!("jiralink: no authorization of \"{name}\" is waiting for a code. Run `jiralink link authorize {name}` first: it prints the URL to open; then give the code (or the URL your browser went to) with --code.");
                return Ok(EXIT_USAGE);
            };
            (pending, code)
        }
        None => {
            if let Some(port) = listen {
                let port_ok = url::Url::parse(&redirect).ok().is_some_and(|u| {
                    matches!(u.host_str(), Some("localhost" | "127.0.0.1"))
                        && u.port_or_known_default() == Some(port)
                });
                if !port_ok {
                    eprintln!("jiralink: --listen {port} needs the connection's redirect_uri to be http://localhost:{port}/… (it is {redirect}); create the connection with `--redirect-uri http://localhost:{port}/callback` and register that URL in Jira.");
                    return Ok(EXIT_USAGE);
                }
            }
            let pkce = Pkce::generate();
            let pending = PendingAuthorization {
                base_url: base.clone(),
                client_id: client_id.clone(),
                state: oauth2::new_state(),
                verifier: pkce.verifier.expose_secret().to_string(),
                issued_at: crate::jira::oauth_dance::rfc3339(now).unwrap_or_default(),
            };
            if let Err(e) = link::save_pending_authorization(&ctx.paths, name, &pending) {
                eprintln!(
                    "warning: could not remember this authorization ({e}); finish it in this run"
                );
            }
            println!(
                "{}",
                oauth2::authorize_url(
                    &base,
                    &client_id,
                    &redirect,
                    &c.scopes,
                    &pending.state,
                    &pkce.challenge
                )
            );
            let _ = std::io::stdout().flush();
            eprintln!("Open the URL above in any browser, log in as the user jiralink should act as, and click Allow.");
            let text = match listen {
                Some(port) => match listen_once(port, Duration::from_secs(600)).await {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("jiralink: {e}; finish with `jiralink link authorize {name} --code URL_OR_CODE`.");
                        return Ok(EXIT_PROBLEM);
                    }
                },
                None => {
                    eprintln!("The browser is then sent to {redirect}; that page need not load. Paste the whole address-bar URL (or just the code).");
                    read_line(input, "Redirect URL or code: ")?
                }
            };
            (pending, text)
        }
    };
    let (code, state) = match oauth2::read_pasted(&text) {
        Pasted::Code { code, state } => (code, state),
        Pasted::Error {
            error, description, ..
        } => {
            link::clear_pending_authorization(&ctx.paths, name);
            let d = if error == "access_denied" {
                oauth2::access_denied(description.as_deref())
            } else {
                oauth2::token_error(
                    &error,
                    description.as_deref(),
                    oauth2::During::Exchange,
                    &url::Url::parse(&format!("{base}{}", oauth2::AUTHORIZE_PATH))?,
                )
            };
            print_diagnosis(&d, name);
            return Ok(EXIT_PROBLEM);
        }
        Pasted::UrlWithoutCode => {
            eprintln!("jiralink: that URL has no code; paste the URL your browser went to after you clicked Allow.");
            return Ok(EXIT_USAGE);
        }
        Pasted::Empty => {
            eprintln!("jiralink: nothing pasted. Finish later with `jiralink link authorize {name} --code URL_OR_CODE` (the code is short-lived).");
            return Ok(EXIT_USAGE);
        }
    };
    if let Err(d) = oauth2::check_state(&pending.state, state.as_deref()) {
        print_diagnosis(&d, name);
        return Ok(EXIT_PROBLEM);
    }
    let client = match ctx.client(&base, Auth::None) {
        Ok(c) => c,
        Err(d) => {
            print_diagnosis(&d, name);
            return Ok(exit_for(&d));
        }
    };
    let verifier = Pkce::from_verifier(pending.verifier.clone()).verifier;
    let tokens = match oauth2::exchange_code(
        &client, &client_id, &secret, &code, &redirect, &verifier,
    )
    .await
    {
        Ok(t) => t,
        Err(e) => {
            let d = e.diagnose();
            if d.code == Code::Oauth2InvalidGrant {
                // The code is spent or dead either way: a new authorization is needed.
                link::clear_pending_authorization(&ctx.paths, name);
            }
            print_diagnosis(&d, name);
            return Ok(exit_for(&d));
        }
    };
    link::clear_pending_authorization(&ctx.paths, name);
    let saved = link::save_oauth2_tokens(&ctx.paths, name, &tokens)?;
    eprintln!(
        "Tokens saved to {} (mode 0600); {}.",
        saved.access_token_file.display(),
        match &saved.expires_at {
            Some(t) => format!("the access token expires at {t} and is refreshed automatically"),
            None => "Jira did not say when the access token expires".into(),
        }
    );
    // Verify with the connection exactly as saved (the same path `check` takes).
    let cfg = crate::config::Config::load(&ctx.paths.config_file)?;
    let conn = cfg.require_connection(name)?.clone();
    let client = match conn
        .client_options_async(&cfg.defaults)
        .await
        .map_err(|e| e.diagnosis())
        .and_then(|o| JiraClient::new(o).map_err(|e| e.diagnose()))
    {
        Ok(c) => c,
        Err(d) => {
            print_diagnosis(&d, name);
            return Ok(exit_for(&d));
        }
    };
    match client.myself().await {
        Ok(me) => {
            println!(
                "Authorized: connection \"{name}\" acts as {}{} with scopes {}.",
                me.login(),
                me.display_name
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default(),
                tokens.scope.as_deref().unwrap_or(&c.scopes.join(" "))
            );
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("jiralink: the tokens were saved but could not be verified:");
            print_diagnosis(&e.diagnose(), name);
            Ok(EXIT_PROBLEM)
        }
    }
}

/// `link export NAME` for an OAuth 2.0 connection.
pub fn export(c: &Connection, format: ExportFormat) -> Result<SecretString, String> {
    link::export_oauth2(c, format)
}
