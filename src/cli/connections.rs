//! `jiralink connections list|add|remove`: manage `[[connection]]` entries without ever taking a
//! secret as a command-line value.

use super::style::{paint, use_color, Tone};
use super::{csv_record, print_out, Format, Global, EXIT_OK, EXIT_USAGE};
use crate::config::{AuthKind, Config, ConfigFile, Connection};
use crate::paths::Paths;
use crate::secret::{SecretRef, SecretString};
use std::io::BufRead;
use std::path::PathBuf;

/// `connections` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ConnectionsCommand {
    /// List configured connections (secret sources only, never values).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Add a connection (or replace one with --force).
    Add(Box<AddArgs>),
    /// Remove a connection.
    Remove {
        /// The connection's name.
        name: String,
    },
    /// Replace a PAT (new token, check, switch, revoke the old) or re-authorize an OAuth 1.0a or
    /// OAuth 2.0 connection, without an outage: the old credential works until the new one is
    /// checked. OAuth 2.0 client credentials: verify the secret as its source now reads.
    Rotate(super::rotate::RotateArgs),
}

/// `--auth` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthArg {
    Basic,
    Pat,
    CloudToken,
    Oauth1,
    /// OAuth 2.0 incoming link made in Jira's UI (client id, secret, redirect URI).
    Oauth2,
    /// OAuth 2.0 client credentials of a Jira 11 service account.
    Oauth2ClientCredentials,
}

impl From<AuthArg> for AuthKind {
    fn from(a: AuthArg) -> AuthKind {
        match a {
            AuthArg::Basic => AuthKind::Basic,
            AuthArg::Pat => AuthKind::Pat,
            AuthArg::CloudToken => AuthKind::CloudToken,
            AuthArg::Oauth1 => AuthKind::Oauth1,
            AuthArg::Oauth2 => AuthKind::Oauth2,
            AuthArg::Oauth2ClientCredentials => AuthKind::Oauth2ClientCredentials,
        }
    }
}

/// `connections add`: secrets come from an env var, a command, a 0600 file or stdin, never argv.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Unique name, used on the command line (letters, digits, '-', '_', '.').
    pub name: String,
    /// Jira base URL, context path included (e.g. https://jira.example.com/jira).
    #[arg(long)]
    pub url: String,
    /// How to authenticate.
    #[arg(long, value_enum)]
    pub auth: AuthArg,
    /// User name (basic).
    #[arg(long)]
    pub username: Option<String>,
    /// Account email (cloud-token).
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from this environment variable at run time.
    #[arg(long, value_name = "VAR", group = "password_source")]
    pub password_env: Option<String>,
    /// Run this command (sh -c) at run time; its stdout is the password.
    #[arg(long, value_name = "CMD", group = "password_source")]
    pub password_cmd: Option<String>,
    /// Read the password from this file (must be mode 0600) at run time.
    #[arg(long, value_name = "PATH", group = "password_source")]
    pub password_file: Option<PathBuf>,
    /// Read the password from one line of stdin and store it in the 0600 config file.
    #[arg(long, group = "password_source")]
    pub password_stdin: bool,
    /// Read the token (PAT or Cloud API token) from this environment variable at run time.
    #[arg(long, value_name = "VAR", group = "token_source")]
    pub token_env: Option<String>,
    /// Run this command (sh -c) at run time; its stdout is the token.
    #[arg(long, value_name = "CMD", group = "token_source")]
    pub token_cmd: Option<String>,
    /// Read the token from this file (must be mode 0600) at run time.
    #[arg(long, value_name = "PATH", group = "token_source")]
    pub token_file: Option<PathBuf>,
    /// Read the token from one line of stdin and store it in the 0600 config file.
    #[arg(long, group = "token_source", conflicts_with = "password_stdin")]
    pub token_stdin: bool,
    /// OAuth consumer key (oauth1).
    #[arg(long)]
    pub consumer_key: Option<String>,
    /// OAuth consumer name shown in Jira (oauth1).
    #[arg(long)]
    pub consumer_name: Option<String>,
    /// OAuth private key PEM (oauth1).
    #[arg(long, value_name = "PATH")]
    pub private_key: Option<PathBuf>,
    /// OAuth 2.0 client id (oauth2, oauth2-client-credentials).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Read the OAuth 2.0 client secret from this environment variable at run time.
    #[arg(long, value_name = "VAR", group = "client_secret_source")]
    pub client_secret_env: Option<String>,
    /// Run this command (sh -c) at run time; its stdout is the client secret.
    #[arg(long, value_name = "CMD", group = "client_secret_source")]
    pub client_secret_cmd: Option<String>,
    /// Read the client secret from this file (must be mode 0600) at run time.
    #[arg(long, value_name = "PATH", group = "client_secret_source")]
    pub client_secret_file: Option<PathBuf>,
    /// Read the client secret from one line of stdin and store it in the 0600 config file.
    #[arg(long, group = "client_secret_source", conflicts_with_all = ["password_stdin", "token_stdin"])]
    pub client_secret_stdin: bool,
    /// OAuth 2.0 redirect URL registered in Jira's incoming link (oauth2).
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// OAuth 2.0 scopes, comma-separated (READ, WRITE, ADMIN, SYSTEM_ADMIN; service accounts:
    /// READ, WRITE).
    #[arg(long, value_name = "SCOPES", value_delimiter = ',')]
    pub scope: Vec<String>,
    /// Extra CA certificate (PEM) trusted on top of the system roots.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify TLS certificates (dangerous; for a lab only).
    #[arg(long)]
    pub insecure: bool,
    /// Proxy URL for this connection (HTTPS_PROXY/NO_PROXY are honoured without it).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Request timeout in seconds for this connection.
    #[arg(long, value_name = "SECS")]
    pub timeout_secs: Option<u64>,
    /// When the PAT or Cloud API token expires (YYYY-MM-DD), so `check` can warn in time.
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// Client certificate (PEM) for a Jira behind a proxy that demands one (mTLS).
    #[arg(long, value_name = "PATH", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM, mode 0600).
    #[arg(long, value_name = "PATH", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Replace an existing connection with the same name.
    #[arg(long)]
    pub force: bool,
}

/// Run `connections`.
pub async fn run(g: &Global, a: ConnectionsCommand) -> anyhow::Result<u8> {
    let paths = Paths::resolve(g.config.as_deref())?;
    match a {
        ConnectionsCommand::List { format } => list(&paths, format, use_color(g.color)),
        ConnectionsCommand::Add(args) => {
            let stdin = std::io::stdin();
            add(&paths, *args, &mut stdin.lock())
        }
        ConnectionsCommand::Remove { name } => remove(&paths, &name),
        ConnectionsCommand::Rotate(a) => super::rotate::run(&paths, a).await,
    }
}

fn list(paths: &Paths, format: Format, color: bool) -> anyhow::Result<u8> {
    let cfg = Config::load_or_default(&paths.config_file)?;
    for w in &cfg.warnings {
        eprintln!("warning: {w}");
    }
    match format {
        Format::Json => print_out(&(serde_json::to_string_pretty(&list_json(&cfg))? + "\n"))?,
        Format::Csv => super::print_csv(&list_csv(&cfg))?,
        Format::Table => super::print_table(&list_table(&cfg, paths, color), color)?,
    }
    if cfg.connection_errors.is_empty() {
        Ok(EXIT_OK)
    } else {
        for (_, e) in &cfg.connection_errors {
            eprintln!("error: {e}");
        }
        Ok(EXIT_USAGE)
    }
}

fn secret_sources(c: &Connection) -> String {
    let s: Vec<String> = c
        .secrets()
        .into_iter()
        .map(|(k, v)| format!("{k}={}", v.source()))
        .collect();
    if s.is_empty() {
        "-".into()
    } else {
        s.join(", ")
    }
}

/// Marks an entry that failed validation; the word carries the meaning, colour only repeats it.
const INVALID: &str = "INVALID (see below)";

fn list_table(cfg: &Config, paths: &Paths, color: bool) -> String {
    if cfg.connections.is_empty() && cfg.connection_errors.is_empty() {
        return format!(
            "No connections in {}. Add one with `jiralink connections add NAME --url URL --auth KIND`.\n",
            paths.config_file.display()
        );
    }
    let mut rows: Vec<[String; 5]> = vec![[
        "NAME".into(),
        "URL".into(),
        "AUTH".into(),
        "USER".into(),
        "SECRETS".into(),
    ]];
    for c in &cfg.connections {
        rows.push([
            c.name.clone(),
            c.url.clone(),
            c.auth.as_str().into(),
            c.claimed_user().unwrap_or("-").into(),
            secret_sources(c),
        ]);
    }
    for (name, _) in &cfg.connection_errors {
        rows.push([
            name.clone(),
            "-".into(),
            "-".into(),
            "-".into(),
            INVALID.into(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let line = line.join("  ");
        let line = line.trim_end();
        // Colour after padding so escape codes never count towards column widths.
        if line.ends_with(INVALID) {
            out.push_str(&paint(line, Tone::Fail, color));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Column names of `connections list --format csv`, in order.
pub const CSV_HEADER: [&str; 8] = [
    "name", "url", "auth", "user", "flavor", "secrets", "valid", "error",
];

/// One row per connection; `secrets` lists `field=source` pairs separated by `; ` (sources such
/// as `cmd:pass show jira` contain spaces and commas).
fn list_csv(cfg: &Config) -> String {
    let mut out = csv_record(&CSV_HEADER);
    for c in &cfg.connections {
        let secrets: Vec<String> = c
            .secrets()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", v.source()))
            .collect();
        out += &csv_record(&[
            c.name.clone(),
            c.url.clone(),
            c.auth.as_str().to_owned(),
            c.claimed_user().unwrap_or_default().to_owned(),
            flavor(c).to_owned(),
            secrets.join("; "),
            "true".to_owned(),
            String::new(),
        ]);
    }
    for (name, e) in &cfg.connection_errors {
        out += &csv_record(&[
            name.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "false".to_owned(),
            e.to_string(),
        ]);
    }
    out
}

fn flavor(c: &Connection) -> &'static str {
    match c.flavor() {
        crate::jira::Flavor::Cloud => "cloud",
        crate::jira::Flavor::Server => "server",
    }
}

fn list_json(cfg: &Config) -> serde_json::Value {
    let mut items: Vec<serde_json::Value> = cfg
        .connections
        .iter()
        .map(|c| {
            let secrets: serde_json::Map<String, serde_json::Value> = c
                .secrets()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.source().into()))
                .collect();
            serde_json::json!({
                "name": c.name,
                "url": c.url,
                "auth": c.auth.as_str(),
                "user": c.claimed_user(),
                "flavor": flavor(c),
                "secrets": secrets,
                "valid": true,
                "error": null,
            })
        })
        .collect();
    // Invalid entries carry every field too (null), so consumers can rely on stable names.
    items.extend(cfg.connection_errors.iter().map(|(name, e)| {
        serde_json::json!({
            "name": name,
            "url": null,
            "auth": null,
            "user": null,
            "flavor": null,
            "secrets": {},
            "valid": false,
            "error": e.to_string(),
        })
    }));
    serde_json::Value::Array(items)
}

/// Read one line for a `--*-stdin` option.
fn read_stdin_secret(input: &mut dyn BufRead, what: &str) -> anyhow::Result<SecretRef> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let value = line.trim_end_matches(['\r', '\n']).to_owned();
    zeroize::Zeroize::zeroize(&mut line);
    if value.is_empty() {
        anyhow::bail!("no {what} on stdin (expected one line)");
    }
    Ok(SecretRef::Plain(SecretString::from(value)))
}

fn pick_secret(
    env: Option<String>,
    cmd: Option<String>,
    file: Option<PathBuf>,
    stdin: bool,
    input: &mut dyn BufRead,
    what: &str,
) -> anyhow::Result<Option<SecretRef>> {
    Ok(if let Some(v) = env {
        Some(SecretRef::Env(v))
    } else if let Some(c) = cmd {
        Some(SecretRef::Cmd(c))
    } else if let Some(f) = file {
        Some(SecretRef::File(absolute(f)?))
    } else if stdin {
        Some(read_stdin_secret(input, what)?)
    } else {
        None
    })
}

/// Relative paths would be resolved against whatever directory jiralink later runs in; pin them
/// to the directory the user typed them in. `~/…` is kept as written (expanded at use).
fn absolute(p: PathBuf) -> anyhow::Result<PathBuf> {
    if p.is_absolute() || p.starts_with("~") {
        return Ok(p);
    }
    Ok(std::path::absolute(&p)?)
}

/// `connections add`, with stdin injectable for tests.
pub fn add(paths: &Paths, a: AddArgs, input: &mut dyn BufRead) -> anyhow::Result<u8> {
    let mut file = ConfigFile::open(&paths.config_file)?;
    if file.has_connection(&a.name) && !a.force {
        eprintln!(
            "jiralink: a connection named \"{}\" already exists in {}; use --force to replace it",
            a.name,
            paths.config_file.display()
        );
        return Ok(EXIT_USAGE);
    }
    let mut c = Connection::new(a.name, a.url.trim(), a.auth.into());
    c.username = a.username;
    c.email = a.email;
    c.password = pick_secret(
        a.password_env,
        a.password_cmd,
        a.password_file,
        a.password_stdin,
        input,
        "password",
    )?;
    c.token = pick_secret(
        a.token_env,
        a.token_cmd,
        a.token_file,
        a.token_stdin,
        input,
        "token",
    )?;
    c.client_id = a.client_id;
    c.client_secret = pick_secret(
        a.client_secret_env,
        a.client_secret_cmd,
        a.client_secret_file,
        a.client_secret_stdin,
        input,
        "client secret",
    )?;
    c.redirect_uri = a.redirect_uri;
    c.scopes = a
        .scope
        .iter()
        .flat_map(|s| crate::jira::oauth2::split_scopes(s))
        .collect();
    c.consumer_key = a.consumer_key;
    c.consumer_name = a.consumer_name;
    c.private_key = a.private_key.map(absolute).transpose()?;
    c.ca_file = a.ca_file.map(absolute).transpose()?;
    c.insecure = a.insecure;
    c.proxy = a.proxy;
    c.timeout_secs = a.timeout_secs;
    c.expires_at = a.expires;
    c.client_cert = a.client_cert.map(absolute).transpose()?;
    c.client_key = a.client_key.map(absolute).transpose()?;
    file.upsert_connection(&c)?;
    file.save()?;
    let stored_plain = c
        .secrets()
        .iter()
        .any(|(_, s)| matches!(s, SecretRef::Plain(_)));
    println!(
        "Saved connection \"{}\" to {}.",
        c.name,
        paths.config_file.display()
    );
    if stored_plain {
        eprintln!(
            "note: the secret read from stdin is stored as plain text in {} (mode 0600); \
             an env var, a command (e.g. `pass show …`) or a 0600 file keeps it out of the config",
            paths.config_file.display()
        );
    }
    if c.insecure {
        eprintln!(
            "warning: insecure = true turns off TLS certificate verification for this connection"
        );
    }
    if c.auth == AuthKind::CloudToken {
        let max = crate::lifecycle::expiry::CLOUD_TOKEN_MAX_DAYS;
        match c.expires_at.as_deref().and_then(crate::config::parse_expiry) {
            None => eprintln!(
                "note: Cloud API tokens created since 15 Dec 2024 expire within {max} days; record the date shown at id.atlassian.com > Security > API tokens with --expires YYYY-MM-DD so `jiralink check` warns before it stops working"
            ),
            Some(e) if e - time::OffsetDateTime::now_utc() > time::Duration::days(max) => eprintln!(
                "warning: {} is more than {max} days away; Cloud API tokens live at most a year, check the date",
                c.expires_at.as_deref().unwrap_or_default()
            ),
            Some(_) => {}
        }
    }
    Ok(EXIT_OK)
}

fn remove(paths: &Paths, name: &str) -> anyhow::Result<u8> {
    if !paths.config_file.exists() {
        eprintln!(
            "jiralink: no connection named \"{name}\" (no config file at {})",
            paths.config_file.display()
        );
        return Ok(EXIT_USAGE);
    }
    let mut file = ConfigFile::open(&paths.config_file)?;
    if !file.remove_connection(name) {
        eprintln!(
            "jiralink: no connection named \"{name}\" in {}",
            paths.config_file.display()
        );
        return Ok(EXIT_USAGE);
    }
    file.save()?;
    println!(
        "Removed connection \"{name}\" from {}.",
        paths.config_file.display()
    );
    Ok(EXIT_OK)
}
