//! Reading the config: walk the span-carrying `toml_edit` tree so every error can point at the
//! exact file:line:column, connection and key; one bad connection never hides the others.

use super::error::{ConfigError, Location};
use super::{AuthKind, Config, Connection, Defaults};
use crate::secret::{SecretRef, SecretString};
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml_edit::{Item, TableLike};

/// Keys a `[[connection]]` table may hold.
pub const CONNECTION_KEYS: &[&str] = &[
    "name",
    "url",
    "auth",
    "username",
    "password",
    "token",
    "email",
    "consumer_key",
    "consumer_name",
    "private_key",
    "access_token",
    "token_secret",
    "token_expires_at",
    "ca_file",
    "insecure",
    "proxy",
    "timeout_secs",
    "expires_at",
    "token_id",
    "client_cert",
    "client_key",
    "client_id",
    "client_secret",
    "redirect_uri",
    "scopes",
    "refresh_token",
];

/// Keys `[defaults]` may hold.
pub const DEFAULTS_KEYS: &[&str] = &[
    "timeout_secs",
    "concurrency",
    "required_permissions",
    "warn_expiry_days",
];

/// Top-level keys jiralink understands (others are kept on save and warned about).
pub const TOP_LEVEL_KEYS: &[&str] = &["defaults", "connection", "fix"];

/// Keys `[fix]` may hold.
pub const FIX_KEYS: &[&str] = &["role_name", "create_roles"];

const SECRET_KEYS: &[&str] = &["env", "cmd", "file"];

const AUTH_CHOICES: &str =
    "one of basic, pat, cloud-token, oauth1, oauth2, oauth2-client-credentials";

/// Keys that only make sense for some auth kinds; the rest are common to all.
fn keys_for(kind: AuthKind) -> &'static [&'static str] {
    match kind {
        AuthKind::Basic => &["username", "password"],
        AuthKind::Pat => &["token", "expires_at", "token_id"],
        AuthKind::CloudToken => &["email", "token", "expires_at"],
        AuthKind::Oauth1 => &[
            "consumer_key",
            "consumer_name",
            "private_key",
            "access_token",
            "token_secret",
            "token_expires_at",
        ],
        AuthKind::Oauth2 => &[
            "client_id",
            "client_secret",
            "redirect_uri",
            "scopes",
            "access_token",
            "refresh_token",
            "token_expires_at",
        ],
        AuthKind::Oauth2ClientCredentials => &[
            "client_id",
            "client_secret",
            "scopes",
            "access_token",
            "token_expires_at",
        ],
    }
}

fn required_for(kind: AuthKind) -> &'static [&'static str] {
    match kind {
        AuthKind::Basic => &["username", "password"],
        AuthKind::Pat => &["token"],
        AuthKind::CloudToken => &["email", "token"],
        AuthKind::Oauth1 => &["consumer_key", "private_key"],
        // The client id and secret arrive after `link new`, from `link create` or Jira's UI.
        AuthKind::Oauth2 => &["redirect_uri"],
        AuthKind::Oauth2ClientCredentials => &["client_id", "client_secret"],
    }
}

const AUTH_SPECIFIC_KEYS: &[&str] = &[
    "username",
    "password",
    "token",
    "email",
    "consumer_key",
    "consumer_name",
    "private_key",
    "access_token",
    "token_secret",
    "token_expires_at",
    "expires_at",
    "token_id",
    "client_id",
    "client_secret",
    "redirect_uri",
    "scopes",
    "refresh_token",
];

/// The text being read, so spans can become line/column.
pub(super) struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    fn at(&self, span: Option<Range<usize>>) -> Option<Location> {
        span.map(|s| Location::from_offset(self.path.to_owned(), self.text, s.start))
    }
}

/// Parse and validate a whole config file.
pub(super) fn parse_config(path: &Path, text: &str) -> Result<Config, ConfigError> {
    // toml_edit 0.23.10 panics (an `expect` in `descend_path`) on some malformed dotted keys
    // (found by fuzz/fuzz_targets/config_parse.rs); the `toml` crate's parser rejects those inputs
    // cleanly, so it reads the text first and toml_edit only ever sees valid TOML.
    if let Err(e) = text.parse::<toml::Table>() {
        return Err(located_syntax_error(
            path,
            text,
            e.span().map(|s| s.start).unwrap_or(0),
            e.message(),
        ));
    }
    let doc = toml_edit::Document::parse(text).map_err(|e| syntax_error(path, text, &e))?;
    let src = Source { path, text };
    let root = doc.as_table();
    let mut cfg = Config {
        path: Some(path.to_owned()),
        ..Config::default()
    };
    for (key, _) in root.iter() {
        if !TOP_LEVEL_KEYS.contains(&key) {
            let at = src
                .at(root.key(key).and_then(|k| k.span()))
                .map(|l| format!("{l}: "))
                .unwrap_or_default();
            cfg.warnings.push(format!(
                "{at}unknown top-level key `{key}` is ignored{}",
                suggestion(key, TOP_LEVEL_KEYS)
            ));
        }
    }
    if let Some(item) = root.get("defaults") {
        let ctx = Ctx {
            src: &src,
            connection: None,
        };
        let table = item
            .as_table_like()
            .ok_or_else(|| ctx.err(item.span(), Some("defaults"), "must be a table"))?;
        cfg.defaults = parse_defaults(&ctx, table)?;
    }
    if let Some(item) = root.get("fix") {
        let ctx = Ctx {
            src: &src,
            connection: None,
        };
        let table = item
            .as_table_like()
            .ok_or_else(|| ctx.err(item.span(), Some("fix"), "must be a table"))?;
        cfg.fix = parse_fix(&ctx, table)?;
    }
    if let Some(item) = root.get("connection") {
        let Some(tables) = item.as_array_of_tables() else {
            return Err(ConfigError::Invalid {
                at: src.at(root.key("connection").and_then(|k| k.span())),
                connection: None,
                key: Some("connection".into()),
                message: "write connections as [[connection]] tables".into(),
            });
        };
        // Names are tracked even for invalid connections so a broken first "prod" still makes a
        // second "prod" a duplicate instead of silently taking its place.
        // Spans, not locations: turning a span into a line scans the text from its start, so
        // doing it for every table made reading 8,000 connections quadratic (issue 14 §7).
        let mut seen: HashMap<String, Option<Range<usize>>> = HashMap::new();
        for (i, table) in tables.iter().enumerate() {
            let label = table
                .get("name")
                .and_then(Item::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("#{}", i + 1));
            if let Some(first) = seen.get(&label) {
                let at = src.at(table.span());
                let first = src
                    .at(first.clone())
                    .map(|l| format!(" (first defined at line {})", l.line))
                    .unwrap_or_default();
                let name_span = table.get("name").and_then(Item::span);
                cfg.connection_errors.push((
                    label.clone(),
                    ConfigError::Invalid {
                        at: src.at(name_span).or(at),
                        connection: Some(label),
                        key: Some("name".into()),
                        message: format!("duplicate connection name{first}"),
                    },
                ));
                continue;
            }
            seen.insert(label.clone(), table.span());
            match parse_connection(&src, table, table.span()) {
                Ok(mut c) => {
                    c.config_file = Some(path.to_owned());
                    cfg.connections.push(c)
                }
                Err(e) => cfg.connection_errors.push((label, e)),
            }
        }
    }
    Ok(cfg)
}

/// A TOML syntax error at file:line:column, naming the key or table header on that line (the
/// parser's own message often does not, e.g. "duplicate key").
pub(super) fn syntax_error(path: &Path, text: &str, e: &toml_edit::TomlError) -> ConfigError {
    located_syntax_error(
        path,
        text,
        e.span().map(|s| s.start).unwrap_or(0),
        e.message(),
    )
}

/// A syntax error at byte `offset`, with the key of that line when there is one.
fn located_syntax_error(path: &Path, text: &str, offset: usize, message: &str) -> ConfigError {
    let at = Location::from_offset(path.to_owned(), text, offset);
    let line = text.lines().nth(at.line - 1).unwrap_or("").trim();
    let key = if line.starts_with('[') {
        Some(line.split('#').next().unwrap_or(line).trim())
    } else {
        line.split_once('=')
            .map(|(k, _)| k.trim())
            .filter(|k| !k.is_empty() && !k.contains(['{', '"', '\'']) || k.starts_with('"'))
    };
    let message = message.trim();
    ConfigError::Parse {
        message: match key {
            Some(k) => format!("{message} (at `{k}`)"),
            None => message.to_owned(),
        },
        at,
    }
}

/// Error-building context: the source and the connection being read.
struct Ctx<'a> {
    src: &'a Source<'a>,
    connection: Option<String>,
}

impl Ctx<'_> {
    fn err(
        &self,
        span: Option<Range<usize>>,
        key: Option<&str>,
        msg: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            at: self.src.at(span),
            connection: self.connection.clone(),
            key: key.map(str::to_owned),
            message: msg.into(),
        }
    }

    /// Span of a key's value, falling back to the key itself.
    fn span_of(&self, t: &dyn TableLike, key: &str) -> Option<Range<usize>> {
        t.get(key)
            .and_then(Item::span)
            .or_else(|| t.key(key).and_then(|k| k.span()))
    }

    fn reject_unknown(
        &self,
        t: &dyn TableLike,
        known: &[&str],
        what: &str,
    ) -> Result<(), ConfigError> {
        for (key, _) in t.iter() {
            if !known.contains(&key) {
                return Err(self.err(
                    t.key(key).and_then(|k| k.span()),
                    Some(key),
                    format!("unknown key in {what}{}", suggestion(key, known)),
                ));
            }
        }
        Ok(())
    }

    fn string(&self, t: &dyn TableLike, key: &str) -> Result<Option<String>, ConfigError> {
        let Some(item) = t.get(key) else {
            return Ok(None);
        };
        let s = item.as_str().ok_or_else(|| {
            self.err(
                self.span_of(t, key),
                Some(key),
                format!("expected a string, found {}", item.type_name()),
            )
        })?;
        if s.trim().is_empty() {
            return Err(self.err(self.span_of(t, key), Some(key), "must not be empty"));
        }
        Ok(Some(s.to_owned()))
    }

    fn path(&self, t: &dyn TableLike, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        Ok(self.string(t, key)?.map(PathBuf::from))
    }

    fn boolean(&self, t: &dyn TableLike, key: &str) -> Result<Option<bool>, ConfigError> {
        let Some(item) = t.get(key) else {
            return Ok(None);
        };
        item.as_bool().map(Some).ok_or_else(|| {
            self.err(
                self.span_of(t, key),
                Some(key),
                format!("expected true or false, found {}", item.type_name()),
            )
        })
    }

    fn integer(
        &self,
        t: &dyn TableLike,
        key: &str,
        range: Range<i64>,
    ) -> Result<Option<u64>, ConfigError> {
        let Some(item) = t.get(key) else {
            return Ok(None);
        };
        let bad = || {
            self.err(
                self.span_of(t, key),
                Some(key),
                format!(
                    "expected a whole number from {} to {}, found {}",
                    range.start,
                    range.end - 1,
                    item.as_value()
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| item.type_name().into())
                        .trim()
                ),
            )
        };
        let n = item.as_integer().ok_or_else(bad)?;
        if !range.contains(&n) {
            return Err(bad());
        }
        u64::try_from(n).map(Some).map_err(|_| bad())
    }

    fn secret(&self, t: &dyn TableLike, key: &str) -> Result<Option<SecretRef>, ConfigError> {
        let Some(item) = t.get(key) else {
            return Ok(None);
        };
        let span = self.span_of(t, key);
        if let Some(s) = item.as_str() {
            if s.is_empty() {
                return Err(self.err(span, Some(key), "must not be empty"));
            }
            return Ok(Some(SecretRef::Plain(SecretString::from(s.to_owned()))));
        }
        let Some(table) = item.as_table_like() else {
            return Err(self.err(
                span,
                Some(key),
                format!(
                    "expected a string or a table with one of env, cmd, file; found {}",
                    item.type_name()
                ),
            ));
        };
        for (k, _) in table.iter() {
            if !SECRET_KEYS.contains(&k) {
                return Err(self.err(
                    table.key(k).and_then(|k| k.span()).or(span),
                    Some(&format!("{key}.{k}")),
                    format!(
                        "unknown secret source{} (use exactly one of env, cmd, file)",
                        suggestion(k, SECRET_KEYS)
                    ),
                ));
            }
        }
        let sources: Vec<&str> = SECRET_KEYS
            .iter()
            .copied()
            .filter(|k| table.contains_key(k))
            .collect();
        let source = match sources.as_slice() {
            [one] => *one,
            [] => {
                return Err(self.err(
                    span,
                    Some(key),
                    "secret table has no source; use exactly one of env, cmd, file",
                ))
            }
            many => {
                return Err(self.err(
                    span,
                    Some(key),
                    format!(
                        "secret table has {} sources ({}); use exactly one of env, cmd, file",
                        many.len(),
                        many.join(", ")
                    ),
                ))
            }
        };
        let sub = Ctx {
            src: self.src,
            connection: self.connection.clone(),
        };
        let value = sub
            .string(table, source)
            .map_err(|e| rename_key(e, &format!("{key}.{source}")))?
            .unwrap_or_default();
        Ok(Some(match source {
            "env" => SecretRef::Env(value),
            "cmd" => SecretRef::Cmd(value),
            _ => SecretRef::File(PathBuf::from(value)),
        }))
    }
}

fn rename_key(e: ConfigError, new_key: &str) -> ConfigError {
    match e {
        ConfigError::Invalid {
            at,
            connection,
            message,
            ..
        } => ConfigError::Invalid {
            at,
            connection,
            key: Some(new_key.to_owned()),
            message,
        },
        other => other,
    }
}

fn parse_defaults(ctx: &Ctx<'_>, t: &dyn TableLike) -> Result<Defaults, ConfigError> {
    ctx.reject_unknown(t, DEFAULTS_KEYS, "[defaults]")?;
    let mut d = Defaults::default();
    if let Some(n) = ctx.integer(t, "timeout_secs", 1..3601)? {
        d.timeout_secs = n;
    }
    if let Some(n) = ctx.integer(t, "concurrency", 1..65)? {
        d.concurrency = n as usize;
    }
    if let Some(n) = ctx.integer(t, "warn_expiry_days", 0..3651)? {
        d.warn_expiry_days = n;
    }
    if let Some(item) = t.get("required_permissions") {
        let span = ctx.span_of(t, "required_permissions");
        let key = Some("required_permissions");
        let arr = item
            .as_array()
            .ok_or_else(|| ctx.err(span.clone(), key, "expected an array of permission keys"))?;
        let mut perms = Vec::new();
        for v in arr.iter() {
            let p = v.as_str().ok_or_else(|| {
                ctx.err(
                    v.span().or(span.clone()),
                    key,
                    "expected permission keys as strings",
                )
            })?;
            let valid = !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(ctx.err(
                    v.span().or(span.clone()),
                    key,
                    format!("`{p}` is not a permission key (like BROWSE_PROJECTS)"),
                ));
            }
            perms.push(p.to_owned());
        }
        if perms.is_empty() {
            return Err(ctx.err(span, key, "must name at least one permission"));
        }
        d.required_permissions = perms;
    }
    Ok(d)
}

/// `[fix]`: the dedicated role's name (Jira refuses names that start or end with whitespace) and
/// whether the planner may create it.
fn parse_fix(ctx: &Ctx<'_>, t: &dyn TableLike) -> Result<super::FixSettings, ConfigError> {
    ctx.reject_unknown(t, FIX_KEYS, "[fix]")?;
    let mut f = super::FixSettings::default();
    if let Some(name) = ctx.string(t, "role_name")? {
        if name.trim() != name {
            return Err(ctx.err(
                ctx.span_of(t, "role_name"),
                Some("role_name"),
                "must not start or end with whitespace (Jira refuses such role names)",
            ));
        }
        f.role_name = name;
    }
    if let Some(b) = ctx.boolean(t, "create_roles")? {
        f.create_roles = b;
    }
    Ok(f)
}

/// Validate one `[[connection]]` table. `span` is the table's own (its header) for "missing" errors.
pub(super) fn parse_connection(
    src: &Source<'_>,
    t: &dyn TableLike,
    span: Option<Range<usize>>,
) -> Result<Connection, ConfigError> {
    let mut ctx = Ctx {
        src,
        connection: None,
    };
    let name = ctx.string(t, "name")?.ok_or_else(|| {
        ctx.err(
            span.clone(),
            Some("name"),
            "missing; every connection needs a unique name",
        )
    })?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ctx.err(
            ctx.span_of(t, "name"),
            Some("name"),
            "use only ASCII letters, digits, '-', '_' and '.' (it is typed on the command line)",
        ));
    }
    if name.starts_with('.') {
        // `..` and `...` would name the data dir's parent or hidden files (`<name>.pem`).
        return Err(ctx.err(
            ctx.span_of(t, "name"),
            Some("name"),
            "must not start with '.' (the name also names files under the data dir)",
        ));
    }
    ctx.connection = Some(name.clone());
    ctx.reject_unknown(t, CONNECTION_KEYS, "[[connection]]")?;
    let missing =
        |key: &str, why: &str| ctx.err(span.clone(), Some(key), format!("missing; {why}"));

    let auth_text = ctx
        .string(t, "auth")?
        .ok_or_else(|| missing("auth", AUTH_CHOICES))?;
    let auth = AuthKind::parse(&auth_text).ok_or_else(|| {
        ctx.err(
            ctx.span_of(t, "auth"),
            Some("auth"),
            format!("unknown auth kind \"{auth_text}\"; use {AUTH_CHOICES}"),
        )
    })?;
    let url_text = ctx
        .string(t, "url")?
        .ok_or_else(|| missing("url", "the Jira base URL, context path included"))?;
    let url =
        normalize_url(&url_text).map_err(|m| ctx.err(ctx.span_of(t, "url"), Some("url"), m))?;

    for key in AUTH_SPECIFIC_KEYS {
        if t.contains_key(key) && !keys_for(auth).contains(key) {
            return Err(ctx.err(
                t.key(key).and_then(|k| k.span()),
                Some(key),
                format!("not used with auth = \"{}\"; remove it", auth.as_str()),
            ));
        }
    }
    for key in required_for(auth) {
        if !t.contains_key(key) {
            return Err(missing(
                key,
                &format!("required with auth = \"{}\"", auth.as_str()),
            ));
        }
    }

    let token_expires_at = ctx.string(t, "token_expires_at")?;
    if let Some(ts) = &token_expires_at {
        let fmt = time::format_description::well_known::Rfc3339;
        if time::OffsetDateTime::parse(ts, &fmt).is_err() {
            return Err(ctx.err(
                ctx.span_of(t, "token_expires_at"),
                Some("token_expires_at"),
                "expected an RFC 3339 time like 2027-01-31T12:00:00Z",
            ));
        }
    }
    let expires_at = ctx.string(t, "expires_at")?;
    if let Some(ts) = &expires_at {
        if super::parse_expiry(ts).is_none() {
            return Err(ctx.err(
                ctx.span_of(t, "expires_at"),
                Some("expires_at"),
                "expected a date like 2027-01-31 or an RFC 3339 time like 2027-01-31T12:00:00Z",
            ));
        }
    }
    let client_cert = ctx.path(t, "client_cert")?;
    let client_key = ctx.path(t, "client_key")?;
    if client_cert.is_some() != client_key.is_some() {
        let (have, missing) = if client_cert.is_some() {
            ("client_cert", "client_key")
        } else {
            ("client_key", "client_cert")
        };
        return Err(ctx.err(
            ctx.span_of(t, have),
            Some(have),
            format!("given without {missing}; a client certificate needs both (PEM files)"),
        ));
    }
    let access_token = ctx.secret(t, "access_token")?;
    let token_secret = ctx.secret(t, "token_secret")?;
    if token_secret.is_some() && access_token.is_none() {
        return Err(ctx.err(
            ctx.span_of(t, "token_secret"),
            Some("token_secret"),
            "given without access_token",
        ));
    }
    let proxy = ctx.string(t, "proxy")?;
    if let Some(p) = &proxy {
        check_proxy(p).map_err(|m| ctx.err(ctx.span_of(t, "proxy"), Some("proxy"), m))?;
    }
    let email = ctx.string(t, "email")?;
    if let Some(e) = &email {
        if !e.contains('@') {
            return Err(ctx.err(
                ctx.span_of(t, "email"),
                Some("email"),
                "not an email address",
            ));
        }
    }

    let scopes = oauth2_scopes(&ctx, t, auth)?;
    let redirect_uri = ctx.string(t, "redirect_uri")?;
    if let Some(r) = &redirect_uri {
        crate::jira::oauth2::check_redirect_uri(r)
            .map_err(|m| ctx.err(ctx.span_of(t, "redirect_uri"), Some("redirect_uri"), m))?;
    }
    Ok(Connection {
        client_id: ctx.string(t, "client_id")?,
        client_secret: ctx.secret(t, "client_secret")?,
        redirect_uri,
        scopes,
        refresh_token: ctx.secret(t, "refresh_token")?,
        config_file: None,
        name,
        url,
        auth,
        username: ctx.string(t, "username")?,
        password: ctx.secret(t, "password")?,
        token: ctx.secret(t, "token")?,
        email,
        consumer_key: ctx.string(t, "consumer_key")?,
        consumer_name: ctx.string(t, "consumer_name")?,
        private_key: ctx.path(t, "private_key")?,
        access_token,
        token_secret,
        token_expires_at,
        ca_file: ctx.path(t, "ca_file")?,
        insecure: ctx.boolean(t, "insecure")?.unwrap_or(false),
        proxy,
        timeout_secs: ctx.integer(t, "timeout_secs", 1..3601)?,
        expires_at,
        token_id: ctx.integer(t, "token_id", 0..i64::MAX)?,
        client_cert,
        client_key,
    })
}

/// `scopes = ["READ", …]` (or one space- or comma-separated string): known OAuth 2.0 scopes;
/// service accounts may hold READ and WRITE only ("How service accounts work in Data Center").
fn oauth2_scopes(
    ctx: &Ctx<'_>,
    t: &dyn TableLike,
    auth: AuthKind,
) -> Result<Vec<String>, ConfigError> {
    let Some(item) = t.get("scopes") else {
        return Ok(Vec::new());
    };
    let span = ctx.span_of(t, "scopes");
    let key = Some("scopes");
    let words: Vec<String> = if let Some(s) = item.as_str() {
        crate::jira::oauth2::split_scopes(s)
    } else if let Some(a) = item.as_array() {
        let mut v = Vec::new();
        for x in a.iter() {
            let s = x
                .as_str()
                .ok_or_else(|| ctx.err(span.clone(), key, "expected scope names as strings"))?;
            v.extend(crate::jira::oauth2::split_scopes(s));
        }
        v
    } else {
        return Err(ctx.err(span, key, "expected an array like [\"READ\"]"));
    };
    crate::jira::oauth2::validate_scopes(&words, auth == AuthKind::Oauth2ClientCredentials)
        .map_err(|m| ctx.err(span, key, m))?;
    Ok(words)
}

/// Check a Jira base URL and return it without a trailing slash.
pub fn normalize_url(text: &str) -> Result<String, String> {
    // The WHATWG parser `url` follows reads `http:///jira` and `http:/jira` as host `jira`;
    // an admin who typed that forgot the host, so say so instead of guessing one.
    let url = url::Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "scheme must be http or https, not {}",
            url.scheme()
        ));
    }
    let after_scheme = text.trim().split_once(':').map(|(_, r)| r).unwrap_or("");
    if !after_scheme.starts_with("//") || after_scheme.starts_with("///") {
        return Err("the URL has no host: write it as https://host/context-path".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        // A password in the URL would end up in listings and logs.
        return Err("do not put credentials in the URL; use username/password".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the base URL must not have a query or fragment".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn check_proxy(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
        return Err(format!(
            "scheme must be http, https, socks5 or socks5h, not {}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the proxy URL has no host".into());
    }
    Ok(())
}

/// ` (did you mean `x`?)` for the closest known key, or nothing when none is close.
pub fn suggestion(key: &str, known: &[&str]) -> String {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

/// Levenshtein distance over chars (the one copy: key suggestions here and in `audit`).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_closest_key() {
        assert_eq!(
            suggestion("pasword", CONNECTION_KEYS),
            " (did you mean `password`?)"
        );
        assert_eq!(suggestion("zzzzzzzz", CONNECTION_KEYS), "");
    }

    #[test]
    fn urls_are_normalized() {
        assert_eq!(
            normalize_url("https://jira.example.com/jira/").unwrap(),
            "https://jira.example.com/jira"
        );
        assert!(normalize_url("ftp://x").is_err());
        assert!(normalize_url("jira.example.com").is_err());
        assert!(normalize_url("https://u:p@x.example").is_err());
        // Issue 14 §7: a missing host is not guessed from the path.
        for typo in ["http:///jira", "https:/jira", "http:jira"] {
            let e = normalize_url(typo).unwrap_err();
            assert!(e.contains("no host"), "{typo}: {e}");
        }
    }

    /// Issue 14 §7: reading grows linearly with the number of connections (8,000 took 1.8 s
    /// and grew quadratically when every table's line number was computed from the file start).
    #[test]
    fn parsing_many_connections_is_linear() {
        let text = |n: usize| {
            (0..n)
                .map(|i| format!("[[connection]]\nname = \"c{i}\"\nurl = \"https://j{i}.example\"\nauth = \"pat\"\ntoken = {{ env = \"T\" }}\n\n"))
                .collect::<String>()
        };
        let time = |n: usize| {
            let t = text(n);
            let start = std::time::Instant::now();
            let cfg = parse_config(Path::new("c.toml"), &t).unwrap();
            assert_eq!(cfg.connections.len(), n);
            start.elapsed()
        };
        let _ = time(500); // warm up
        let small = time(2_000);
        let large = time(16_000);
        // 8x the connections: linear is ~8x, quadratic ~64x; allow noise on a shared machine.
        let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
        assert!(
            ratio < 24.0,
            "2,000: {small:?}, 16,000: {large:?} (x{ratio:.1})"
        );
    }

    #[test]
    fn dot_names_are_refused() {
        for name in ["..", "...", ".", ".hidden"] {
            let text = format!(
                "[[connection]]\nname = \"{name}\"\nurl = \"https://j.example\"\nauth = \"pat\"\ntoken = {{ env = \"T\" }}\n"
            );
            let cfg = parse_config(Path::new("c.toml"), &text).unwrap();
            assert!(cfg.connections.is_empty(), "{name} accepted");
            let e = cfg.connection_errors[0].1.to_string();
            assert!(e.contains("must not start with '.'"), "{name}: {e}");
        }
    }
}
