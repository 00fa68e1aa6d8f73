//! `jiralink link …`: the application-link wizard without a screen. Each subcommand drives the
//! same `wizard` state machine as the TUI pane through `crate::link`'s effect driver.
//! Exit codes: 0 done, 1 an OAuth/Jira problem (diagnosis printed), 2 usage or config error.

use super::{Global, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE};
use crate::config::{AuthKind, Config, ConfigFile, Connection};
use crate::jira::diagnose::{Code, Diagnosis};
use crate::jira::oauth_dance::{self, PendingRequestToken, VerifierText};
use crate::link::{self, LinkContext, Stop, Transport};
use crate::paths::Paths;
use crate::shown;
use crate::wizard::{ExportFormat, Input, RequestTokenInfo, Step, Wizard};
use secrecy::{ExposeSecret, SecretString};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

/// `link` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LinkCommand {
    /// Start here: add an OAuth 1.0a connection with a fresh RSA key pair.
    New(NewArgs),
    /// Generate an RSA key pair for an OAuth consumer and print the public key for Jira's form.
    Keygen(KeygenArgs),
    /// Print the values to paste into Jira's application link form, and where that form is.
    Fields {
        /// The connection to register.
        name: String,
    },
    /// Create the application link through Jira's REST API with an admin connection.
    Create {
        /// The connection to register.
        name: String,
        /// A configured connection that logs in as a Jira administrator.
        #[arg(long, value_name = "ADMIN_NAME", required_unless_present = "manual")]
        admin: Option<String>,
        /// OAuth 2.0: the link was made in Jira's UI; read its Client ID and secret on stdin.
        #[arg(long, conflicts_with = "admin")]
        manual: bool,
        /// Do not ask for confirmation (required when stdin is not a terminal).
        #[arg(long)]
        yes: bool,
        /// When Jira already has a link with this consumer key but another public key, put this
        /// connection's public key on it (tokens issued under the old key stop working).
        #[arg(long)]
        replace: bool,
    },
    /// Authorize: print the URL to approve, read the verification code, save the access token.
    Authorize {
        /// The connection to authorize.
        name: String,
        /// Finish the authorization a previous run started with the verification code Jira
        /// showed. `--verifier -` reads it from stdin (preferred: a code typed into the command
        /// line is visible to other local users in `ps` and stays in the shell history).
        #[arg(long, value_name = "CODE|-")]
        verifier: Option<String>,
        /// OAuth 2.0: the code, or the URL the browser went to (finishes a previous run).
        #[arg(long, value_name = "URL_OR_CODE", conflicts_with = "verifier")]
        code: Option<String>,
        /// OAuth 2.0: wait for the browser's redirect on http://localhost:PORT (for `ssh -L`).
        #[arg(long, value_name = "PORT", conflicts_with_all = ["verifier", "code"])]
        listen: Option<u16>,
    },
    /// Write what the integrating application needs (keys, token, URL) as TOML, JSON or env lines.
    Export {
        /// The authorized connection.
        name: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: FormatArg,
        /// Write to this file (mode 0600). Without it the export goes to stdout, which must not be
        /// a terminal (it holds the access token).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
}

/// `link new` arguments.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Name of the new connection.
    pub name: String,
    /// Jira base URL, context path included (e.g. https://jira.example.com/jira).
    #[arg(long)]
    pub url: String,
    /// Consumer key to register in Jira (default: jiralink-<host>).
    #[arg(long)]
    pub consumer_key: Option<String>,
    /// Consumer name shown on Jira's "Allow access" page (default: jiralink).
    #[arg(long)]
    pub consumer_name: Option<String>,
    /// RSA key size for the new key.
    #[arg(long, default_value_t = crate::keys::DEFAULT_BITS)]
    pub bits: usize,
    /// Use this existing private key (PEM, mode 0600) instead of generating one.
    #[arg(long, value_name = "PATH")]
    pub key: Option<PathBuf>,
    /// Replace an existing connection and key file of the same name.
    #[arg(long)]
    pub force: bool,
    /// Make an OAuth 2.0 incoming link (Jira DC 8.22+) instead of OAuth 1.0a.
    #[arg(long, conflicts_with_all = ["consumer_key", "consumer_name", "key"])]
    pub oauth2: bool,
    /// OAuth 2.0 redirect URL to register (default: https://jiralink.invalid/oauth2/callback,
    /// which never loads: paste the browser's address bar).
    #[arg(long, value_name = "URI", requires = "oauth2")]
    pub redirect_uri: Option<String>,
    /// OAuth 2.0 scopes, comma-separated: READ, WRITE, ADMIN, SYSTEM_ADMIN (default READ).
    #[arg(
        long,
        value_name = "SCOPES",
        requires = "oauth2",
        value_delimiter = ','
    )]
    pub scope: Vec<String>,
}

/// `link keygen` arguments.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Connection the key is for: names the file and, if configured, points it at the new key.
    pub name: Option<String>,
    /// Key size: 2048, 3072 or 4096.
    #[arg(long, default_value_t = crate::keys::DEFAULT_BITS)]
    pub bits: usize,
    /// Where to write the private key (default: <data dir>/<name or jiralink>.pem).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Overwrite an existing key file (the old key stops working in Jira).
    #[arg(long)]
    pub force: bool,
}

/// `--format toml|json|env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Toml,
    Json,
    Env,
}

impl From<FormatArg> for ExportFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Toml => ExportFormat::Toml,
            FormatArg::Json => ExportFormat::Json,
            FormatArg::Env => ExportFormat::Env,
        }
    }
}

/// Run `link`.
pub async fn run(g: &Global, a: LinkCommand) -> anyhow::Result<u8> {
    let paths = Paths::resolve(g.config.as_deref())?;
    let config = Config::load_or_default(&paths.config_file)?;
    let ctx = LinkContext::new(paths, config);
    if let Some(code) = oauth2_command(&ctx, &a).await? {
        return Ok(code);
    }
    match a {
        LinkCommand::New(args) => new(ctx, args).await,
        LinkCommand::Keygen(args) => keygen(ctx, args).await,
        LinkCommand::Fields { name } => fields(ctx, &name).await,
        LinkCommand::Create {
            name,
            admin,
            yes,
            replace,
            ..
        } => match admin {
            Some(admin) => create(ctx, &name, &admin, yes, replace).await,
            None => {
                eprintln!("jiralink: --manual is for OAuth 2.0 connections; for OAuth 1.0a use `jiralink link fields {name}` or --admin");
                Ok(EXIT_USAGE)
            }
        },
        LinkCommand::Authorize { name, verifier, .. } => {
            let stdin = std::io::stdin();
            authorize(ctx, &name, verifier, &mut stdin.lock()).await
        }
        LinkCommand::Export { name, format, out } => export(ctx, &name, format.into(), out),
    }
}

/// The OAuth 2.0 paths: `new --oauth2`, and every other subcommand on an `auth = "oauth2"`
/// connection. `None` hands the command to the OAuth 1.0a code below.
async fn oauth2_command(ctx: &LinkContext, a: &LinkCommand) -> anyhow::Result<Option<u8>> {
    use super::link_oauth2 as o2;
    let stdin = std::io::stdin();
    if let LinkCommand::New(n) = a {
        if !n.oauth2 {
            return Ok(None);
        }
        return o2::new(
            ctx.clone(),
            &n.name,
            &n.url,
            n.redirect_uri.clone(),
            n.scope.clone(),
            n.force,
        )
        .await
        .map(Some);
    }
    let name = match a {
        LinkCommand::Fields { name }
        | LinkCommand::Create { name, .. }
        | LinkCommand::Authorize { name, .. }
        | LinkCommand::Export { name, .. } => name,
        _ => return Ok(None),
    };
    let Some(conn) = ctx
        .config
        .connection(name)
        .filter(|c| c.auth == AuthKind::Oauth2)
        .cloned()
    else {
        if let LinkCommand::Authorize { code: Some(_), .. }
        | LinkCommand::Authorize {
            listen: Some(_), ..
        } = a
        {
            eprintln!("jiralink: --code and --listen are for OAuth 2.0 connections (auth = \"oauth2\"); OAuth 1.0a uses --verifier");
            return Ok(Some(EXIT_USAGE));
        }
        return Ok(None);
    };
    Ok(Some(match a {
        LinkCommand::Fields { .. } => o2::fields(ctx, &conn).await?,
        LinkCommand::Create { admin, yes, .. } => {
            o2::create(ctx, &conn, admin.as_deref(), *yes, &mut stdin.lock()).await?
        }
        LinkCommand::Authorize { code, listen, .. } => {
            o2::authorize(ctx.clone(), &conn, code.clone(), *listen, &mut stdin.lock()).await?
        }
        // The same rule as OAuth 1.0a: the tokens and client secret never go to a terminal.
        LinkCommand::Export { out: None, .. } if std::io::stdout().is_terminal() => {
            eprintln!("jiralink: not printing \"{}\"'s client secret and tokens to the terminal; write them to a file with --out PATH (mode 0600), or pipe stdout to the program that needs them", conn.name);
            EXIT_USAGE
        }
        LinkCommand::Export { format, out, .. } => match o2::export(&conn, (*format).into()) {
            Ok(text) => write_export(&text, (*format).into(), out.clone())?,
            Err(e) => {
                eprintln!("jiralink: {e}");
                EXIT_USAGE
            }
        },
        _ => return Ok(None),
    }))
}

/// Print a diagnosis with the connection's name filled into the suggested commands.
fn print_diagnosis(d: &Diagnosis, name: &str) {
    let text = d.to_string().replace(" NAME`", &format!(" {name}`"));
    // What Jira said is part of the diagnosis: shown with its control characters escaped.
    eprintln!(
        "{}",
        crate::shown::terminal(&text, false, Some(crate::shown::MAX_LINE_CHARS))
    );
}

/// Exit code for a diagnosis: local configuration and key problems are config errors.
fn exit_for(d: &Diagnosis) -> u8 {
    match d.code {
        Code::ConfigError | Code::KeyError | Code::SecretUnavailable => EXIT_USAGE,
        _ => EXIT_PROBLEM,
    }
}

fn report_stop(stop: &Stop, name: &str) -> u8 {
    match stop {
        Stop::Refused(why) => {
            eprintln!("jiralink: {why}");
            EXIT_USAGE
        }
        Stop::Failed(d) => {
            print_diagnosis(d, name);
            exit_for(d)
        }
    }
}

/// The configured OAuth connection `name` and a context that reaches it with its TLS settings.
fn connection(ctx: &mut LinkContext, name: &str) -> Result<Connection, u8> {
    match ctx.config.require_connection(name) {
        Ok(c) => {
            ctx.transport = Transport::from_connection(c);
            Ok(c.clone())
        }
        Err(e) => {
            eprintln!("jiralink: {e}");
            if ctx.config.connection(name).is_none() {
                eprintln!("Create it with `jiralink link new {name} --url URL`.");
            }
            Err(EXIT_USAGE)
        }
    }
}

async fn wizard_for(ctx: &LinkContext, conn: &Connection) -> Result<Wizard, u8> {
    link::wizard_for_connection(ctx, conn)
        .await
        .map_err(|s| report_stop(&s, &conn.name))
}

/// Probe (on the Target step) and print what the probe warns about.
async fn probe(ctx: &LinkContext, w: &mut Wizard, name: &str) -> Result<(), u8> {
    let mut nothing = |_: &Wizard, _: &Input| Ok(());
    link::drive(ctx, w, Input::Next, &mut nothing)
        .await
        .map_err(|s| report_stop(&s, name))?;
    for warning in w.view().warnings {
        eprintln!("warning: {warning}");
    }
    Ok(())
}

async fn new(ctx: LinkContext, a: NewArgs) -> anyhow::Result<u8> {
    let mut file = ConfigFile::open(&ctx.paths.config_file)?;
    if file.has_connection(&a.name) && !a.force {
        eprintln!(
            "jiralink: connection \"{}\" already exists; pass --force to replace it",
            a.name
        );
        return Ok(EXIT_USAGE);
    }
    // The name also names the key file: check it with the config's own rules before anything
    // is written (the URL and key are checked by the wizard below).
    let mut name_check = Connection::new(&a.name, "https://jira.invalid", AuthKind::Oauth1);
    name_check.consumer_key = Some("jiralink".into());
    name_check.private_key = Some(PathBuf::from("jiralink.pem"));
    if let Err(e) = name_check.validate() {
        eprintln!("jiralink: {e}");
        return Ok(EXIT_USAGE);
    }
    let mut w = Wizard::new(&ctx.paths.data_dir);
    let key_input = match &a.key {
        Some(p) => Input::UseExistingKey(crate::paths::expand_tilde(p)),
        None => Input::GenerateKey { overwrite: a.force },
    };
    let mut nothing = |_: &Wizard, _: &Input| Ok(());
    for input in [
        Input::SetUrl(a.url.clone()),
        Input::SetConsumerKey(a.consumer_key.clone().unwrap_or_default()),
        Input::SetConsumerName(a.consumer_name.clone().unwrap_or_default()),
        Input::SetConnectionName(a.name.clone()),
        Input::SetKeyBits(a.bits),
        Input::SetKeyPath(ctx.paths.data_dir.join(format!("{}.pem", a.name))),
        key_input,
    ] {
        if let Err(s) = link::drive(&ctx, &mut w, input, &mut nothing).await {
            return Ok(report_stop(&s, &a.name));
        }
    }
    let (Ok(base), Some(key)) = (w.base_url(), w.key_info().cloned()) else {
        eprintln!("jiralink: the wizard has no usable URL or key");
        return Ok(EXIT_USAGE);
    };
    let mut c = Connection::new(&a.name, &base, AuthKind::Oauth1);
    c.consumer_key = Some(w.consumer_key());
    c.consumer_name = Some(w.consumer_name());
    c.private_key = Some(key.path.clone());
    file.upsert_connection(&c)?;
    file.save()?;
    println!("Added connection \"{}\" for {base}", a.name);
    println!("Consumer key:   {}", w.consumer_key());
    println!("Consumer name:  {}", w.consumer_name());
    println!(
        "Private key:    {} ({} bits, mode 0600)",
        key.path.display(),
        key.bits
    );
    println!("Fingerprint:    {}", key.fingerprint);
    println!();
    println!("Next: register it in Jira, by hand (`jiralink link fields {n}`) or with an admin connection (`jiralink link create {n} --admin ADMIN`), then `jiralink link authorize {n}`.", n = a.name);
    Ok(EXIT_OK)
}

async fn keygen(ctx: LinkContext, a: KeygenArgs) -> anyhow::Result<u8> {
    let stem = a.name.clone().unwrap_or_else(|| "jiralink".to_string());
    if stem.contains(['/', '\\']) || stem.starts_with('.') {
        eprintln!(
            "jiralink: {stem:?} is a name, not a path; use --out PATH to choose where the key goes"
        );
        return Ok(EXIT_USAGE);
    }
    let out = a
        .out
        .clone()
        .map(|p| crate::paths::expand_tilde(&p))
        .unwrap_or_else(|| ctx.paths.data_dir.join(format!("{stem}.pem")));
    let configured = match &a.name {
        Some(n) => ctx.config.connection(n).cloned(),
        None => None,
    };
    let mut w = Wizard::new(&ctx.paths.data_dir);
    let mut nothing = |_: &Wizard, _: &Input| Ok(());
    for input in [
        Input::SetKeyBits(a.bits),
        Input::SetKeyPath(out.clone()),
        Input::GenerateKey { overwrite: a.force },
    ] {
        if let Err(s) = link::drive(&ctx, &mut w, input, &mut nothing).await {
            return Ok(report_stop(&s, &stem));
        }
    }
    let Some(key) = w.key_info().cloned() else {
        eprintln!("jiralink: no key was generated");
        return Ok(EXIT_USAGE);
    };
    println!(
        "Private key:  {} ({} bits, mode 0600)",
        key.path.display(),
        key.bits
    );
    println!("Fingerprint:  {}", key.fingerprint);
    println!();
    println!("Public key for Jira's incoming link (Public Key field, paste as one line):");
    println!("{}", key.jira_form_key);
    println!();
    print!("{}", key.public_key_pem);
    if let Some(c) = configured.filter(|c| c.private_key.as_deref() != Some(key.path.as_path())) {
        let mut file = ConfigFile::open(&ctx.paths.config_file)?;
        file.set_connection_field(&c.name, "private_key", key.path.display().to_string())?;
        file.save()?;
        eprintln!(
            "Connection \"{}\" now uses this key. Put the new public key into Jira's incoming link (`jiralink link fields {}`) and authorize again.",
            c.name, c.name
        );
    }
    Ok(EXIT_OK)
}

async fn fields(mut ctx: LinkContext, name: &str) -> anyhow::Result<u8> {
    let conn = match connection(&mut ctx, name) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let mut w = match wizard_for(&ctx, &conn).await {
        Ok(w) => w,
        Err(code) => return Ok(code),
    };
    // The version only picks the menu path: without it the fields are still right.
    let mut nothing = |_: &Wizard, _: &Input| Ok(());
    match link::drive(&ctx, &mut w, Input::Next, &mut nothing).await {
        Ok(()) => {
            for warning in w.view().warnings {
                eprintln!("warning: {warning}");
            }
        }
        Err(Stop::Failed(d)) => {
            eprintln!("warning: could not read the Jira version, so the menu path below is the generic one:");
            print_diagnosis(&d, name);
            eprintln!();
        }
        Err(s) => return Ok(report_stop(&s, name)),
    }
    print!("{}", w.render_fields_text());
    println!();
    println!("Then run `jiralink link authorize {name}`.");
    Ok(EXIT_OK)
}

/// Ask "yes/no" on the terminal; anything but y/yes is no.
pub(super) fn confirm(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

async fn create(
    mut ctx: LinkContext,
    name: &str,
    admin: &str,
    yes: bool,
    replace: bool,
) -> anyhow::Result<u8> {
    ctx.replace_link = replace;
    let conn = match connection(&mut ctx, name) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let admin_conn = match ctx.config.require_connection(admin) {
        Ok(c) => c.clone(),
        Err(e) => {
            eprintln!("jiralink: admin connection: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    let mut w = match wizard_for(&ctx, &conn).await {
        Ok(w) => w,
        Err(code) => return Ok(code),
    };
    if let Err(code) = probe(&ctx, &mut w, name).await {
        return Ok(code);
    }
    if let Err(s) = link::advance_to(&ctx, &mut w, Step::Create).await {
        return Ok(report_stop(&s, name));
    }
    let mut nothing = |_: &Wizard, _: &Input| Ok(());
    if let Err(s) = link::drive(
        &ctx,
        &mut w,
        Input::SetAdmin(Some(admin.to_string())),
        &mut nothing,
    )
    .await
    {
        return Ok(report_stop(&s, name));
    }
    let plan = match w.create_plan() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("jiralink: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    println!(
        "This creates an incoming application link in Jira at {} (unless one with consumer key \"{}\" exists already):\n",
        admin_conn.url,
        w.consumer_key()
    );
    print!("{}", plan.render(&admin_conn.url));
    if !yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("jiralink: refusing to change Jira without confirmation: stdin is not a terminal; pass --yes to create the link");
            return Ok(EXIT_USAGE);
        }
        if !confirm("Create this application link?") {
            eprintln!("Nothing was changed.");
            return Ok(EXIT_USAGE);
        }
    }
    if let Err(s) = link::drive(&ctx, &mut w, Input::ConfirmCreate, &mut nothing).await {
        return Ok(report_stop(&s, name));
    }
    println!("\n{}", w.create_summary().unwrap_or("Done."));
    println!("Next: `jiralink link authorize {name}`.");
    Ok(EXIT_OK)
}

/// Does the saved request token belong to this connection as configured now?
fn pending_matches(p: &PendingRequestToken, w: &Wizard) -> bool {
    w.base_url().ok().as_deref() == Some(p.base_url.as_str()) && w.consumer_key() == p.consumer_key
}

/// Codes after which the request token can never be exchanged any more.
fn kills_request_token(code: Code) -> bool {
    matches!(
        code,
        Code::OauthTokenExpired
            | Code::OauthTokenRejected
            | Code::OauthPermissionDenied
            | Code::OauthVerifierInvalid
    )
}

async fn authorize(
    mut ctx: LinkContext,
    name: &str,
    verifier: Option<String>,
    stdin: &mut dyn BufRead,
) -> anyhow::Result<u8> {
    let conn = match connection(&mut ctx, name) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let mut w = match wizard_for(&ctx, &conn).await {
        Ok(w) => w,
        Err(code) => return Ok(code),
    };
    let now = time::OffsetDateTime::now_utc();
    // Any `--verifier` resumes the earlier run; `--verifier -` reads the code from stdin below.
    let resume = verifier.is_some();
    let verifier_arg = verifier.filter(|v| v != "-");
    if verifier_arg.is_some() {
        eprintln!("warning: a verification code on the command line is visible to other local users (ps) and stays in the shell history; next time use `jiralink link authorize {name} --verifier -` and type or pipe it.");
    }
    if resume {
        let pending =
            link::load_pending_request_token(&ctx.paths, name).filter(|p| pending_matches(p, &w));
        let Some(pending) = pending else {
            eprintln!("jiralink: no authorization of \"{name}\" is waiting for a code. Run `jiralink link authorize {name}` first: it prints the URL to open, then give the code it shows with `--verifier -` (or type it when asked).");
            return Ok(EXIT_USAGE);
        };
        if pending.is_expired(now) {
            link::clear_pending_request_token(&ctx.paths, name);
            print_diagnosis(&oauth_dance::request_token_expired(), name);
            return Ok(EXIT_PROBLEM);
        }
        ctx.resume_request_token = Some(RequestTokenInfo {
            token: pending.token,
        });
    }
    if let Err(code) = probe(&ctx, &mut w, name).await {
        return Ok(code);
    }
    if let Err(s) = link::advance_to(&ctx, &mut w, Step::Authorize).await {
        return Ok(report_stop(&s, name));
    }
    let (Some(url), Some(token)) = (w.authorize_url(), w.request_token().cloned()) else {
        eprintln!(
            "jiralink: no request token: {}",
            w.error().unwrap_or("unknown")
        );
        return Ok(EXIT_PROBLEM);
    };
    if ctx.resume_request_token.is_none() {
        let pending = PendingRequestToken {
            base_url: w.base_url().unwrap_or_default(),
            consumer_key: w.consumer_key(),
            token: token.token.clone(),
            issued_at: oauth_dance::rfc3339(now).unwrap_or_default(),
        };
        if let Err(e) = link::save_pending_request_token(&ctx.paths, name, &pending) {
            eprintln!("warning: could not remember the request token ({e}); finish in this run");
        }
    }
    println!("{url}");
    let _ = std::io::stdout().flush();
    let text = match verifier_arg {
        Some(v) => v,
        None => {
            eprintln!("Open the URL above in a browser, log in as the user jiralink should act as, and click Allow.");
            eprintln!("Jira then shows a verification code. If the browser is redirected instead, paste the URL it went to.");
            eprint!("Verification code: ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            stdin.read_line(&mut line)?;
            line
        }
    };
    let code = match oauth_dance::read_verifier(&text) {
        VerifierText::Code(c) => c,
        VerifierText::Redirect {
            verifier,
            token: redirect_token,
        } => {
            print_diagnosis(&oauth_dance::callback_set_diagnosis(), name);
            if redirect_token.is_some_and(|t| t != token.token) {
                eprintln!("jiralink: that redirect belongs to another authorization (its oauth_token differs); open the URL printed above.");
                return Ok(EXIT_USAGE);
            }
            verifier
        }
        VerifierText::UrlWithoutVerifier => {
            eprintln!("jiralink: that is a URL without a verification code; paste the code Jira shows after you click Allow.");
            return Ok(EXIT_USAGE);
        }
        VerifierText::Empty => {
            eprintln!("jiralink: no verification code given. The request token stays valid for 10 minutes: finish with `jiralink link authorize {name} --verifier -` and type the code.");
            return Ok(EXIT_USAGE);
        }
    };
    let mut nothing = |_: &Wizard, _: &Input| Ok(());
    if let Err(s) = link::drive(&ctx, &mut w, Input::SetVerifier(code), &mut nothing).await {
        return Ok(report_stop(&s, name));
    }
    let paths = ctx.paths.clone();
    let mut saved = None;
    let mut save = |_: &Wizard, input: &Input| {
        if let Input::AccessTokenResult(Ok(access)) = input {
            saved = Some(link::save_access_token(&paths, name, access).map_err(|e| e.diagnosis())?);
        }
        Ok(())
    };
    let outcome = link::drive(&ctx, &mut w, Input::SubmitVerifier, &mut save).await;
    if let Err(Stop::Failed(d)) = &outcome {
        if kills_request_token(d.code) {
            link::clear_pending_request_token(&ctx.paths, name);
        }
    }
    if let Some(s) = &saved {
        // The exchange worked: the request token is spent whatever verification says.
        link::clear_pending_request_token(&ctx.paths, name);
        eprintln!(
            "Access token saved to {} (mode 0600); {}.",
            s.access_token_file.display(),
            match &s.expires_at {
                Some(t) => format!("Jira says it expires at {t}"),
                None => "Jira did not say when it expires".to_string(),
            }
        );
    }
    if let Err(s) = outcome {
        return Ok(report_stop(&s, name));
    }
    match w.verify_info() {
        Some(v) => {
            let who = match &v.display_name {
                Some(d) => format!("{} ({})", shown::field(&v.user, 200), shown::field(d, 200)),
                None => shown::field(&v.user, 200).into_owned(),
            };
            println!(
                "Authorized: connection \"{name}\" acts as {who} and sees {}.",
                crate::text::count(v.project_count as u64, "project")
            );
            Ok(EXIT_OK)
        }
        None => {
            eprintln!("jiralink: the access token was saved but could not be verified");
            Ok(EXIT_PROBLEM)
        }
    }
}

fn export(
    mut ctx: LinkContext,
    name: &str,
    format: ExportFormat,
    out: Option<PathBuf>,
) -> anyhow::Result<u8> {
    let conn = match connection(&mut ctx, name) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    // The export holds the access token: on a terminal it would stay in the scrollback (and in
    // tmux/screen logs). Printing is for pipes; a terminal gets a file.
    if out.is_none() && std::io::stdout().is_terminal() {
        eprintln!("jiralink: not printing \"{name}\"'s access token to the terminal; write it to a file with --out PATH (mode 0600), or pipe stdout to the program that needs it");
        return Ok(EXIT_USAGE);
    }
    let text = match link::export_connection(&conn, format) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("jiralink: {e}");
            return Ok(EXIT_USAGE);
        }
    };
    write_export(&text, format, out)
}

/// Write an export to `out` (mode 0600) or stdout.
fn write_export(
    text: &SecretString,
    format: ExportFormat,
    out: Option<PathBuf>,
) -> anyhow::Result<u8> {
    match out {
        Some(path) => {
            let path = crate::paths::expand_tilde(&path);
            if let Err(e) = crate::paths::write_secret_file(&path, text.expose_secret().as_bytes())
            {
                eprintln!("jiralink: cannot write {}: {e}", path.display());
                return Ok(EXIT_USAGE);
            }
            eprintln!(
                "Wrote {} ({}, mode 0600). It contains the access token.",
                path.display(),
                format.as_str()
            );
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.expose_secret().as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(EXIT_OK)
}
