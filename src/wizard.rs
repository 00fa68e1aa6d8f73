//! The link wizard as a pure state machine (steps, validation, what to show), used by the TUI
//! wizard pane and the headless `jiralink link …` commands alike.
//!
//! Nothing in here does I/O. A driver feeds [`Input`]s to [`Wizard::apply`], runs the returned
//! [`WizardEffect`]s (probe, key generation, REST calls, file writes) and feeds their results back as
//! inputs. Everything entered stays in the [`Wizard`] when the user goes back or a call fails.

pub(crate) mod export;
pub mod oauth2;
mod register;
mod validate;
mod view;

pub use export::ExportFormat;
pub use oauth2::{LinkKind, O2Effect, O2Input, O2Step, O2Verify, OAuth2Flow};
pub use register::{
    menu_path, CreatePlan, Field, MenuPath, PlannedRequest, APPLINKS_ADMIN_PATH, CREATE_LINK_PATH,
    LINK_ID_PLACEHOLDER,
};
pub use validate::{
    check_verifier, default_consumer_key, normalize_base_url, validate_consumer_key,
    validate_consumer_name, DEFAULT_CONSUMER_NAME,
};
pub use view::StepView;

use crate::jira::diagnose::{Code, Diagnosis};
use crate::jira::model::ServerInfo;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::path::{Path, PathBuf};

/// Values to start the wizard with (a front end fills them in; the demo points them at its simulator).
#[derive(Debug, Clone, Default)]
pub struct LinkPreset {
    /// Jira base URL.
    pub url: String,
    /// Name of the connection to save (an existing one is replaced).
    pub connection_name: String,
    /// Consumer key; empty = derived from the host.
    pub consumer_key: String,
    /// Admin connection for automatic creation.
    pub admin: Option<String>,
    /// Kind of link chosen first (the user may still pick another the Jira offers); `None` =
    /// what the probed Jira offers first (OAuth 2.0 from Jira 9).
    pub kind: Option<LinkKind>,
}

/// The wizard's steps, in order. `Create` is optional (skipped when the admin registers by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Base URL and probe.
    Target,
    /// Consumer key/name and the RSA key pair.
    Keys,
    /// The values to paste into Jira's application link form.
    Register,
    /// Optional: create the link through the REST API with an admin connection.
    Create,
    /// Request token → browser approval → verifier → access token.
    Authorize,
    /// Who the token acts as, and the export.
    Verify,
}

impl Step {
    /// All steps in order.
    pub const ALL: [Step; 6] = [
        Step::Target,
        Step::Keys,
        Step::Register,
        Step::Create,
        Step::Authorize,
        Step::Verify,
    ];

    /// 1-based position, for "step 3 of 6".
    pub fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    /// The step's title.
    pub fn title(self) -> &'static str {
        match self {
            Step::Target => "Jira server",
            Step::Keys => "Consumer and keys",
            Step::Register => "Register the link in Jira",
            Step::Create => "Create the link automatically (optional)",
            Step::Authorize => "Authorize",
            Step::Verify => "Verify and export",
        }
    }

    fn next(self) -> Option<Step> {
        Step::ALL.get(self.number()).copied()
    }
}

/// What probing the URL found (from `GET /rest/api/2/serverInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProbeInfo {
    /// `version` as reported ("9.12.3").
    pub version: Option<String>,
    /// (major, minor, patch), used to pick the menu path.
    pub version_tuple: Option<(u32, u32, u32)>,
    /// "Server", "DataCenter" or "Cloud".
    pub deployment_type: Option<String>,
    /// Jira's own Base URL setting, as serverInfo reports it.
    pub base_url_reported: Option<String>,
    /// `serverTitle`.
    pub title: Option<String>,
}

impl ProbeInfo {
    /// Build from a parsed serverInfo response.
    pub fn from_server_info(info: &ServerInfo) -> Self {
        Self {
            version: info.version.clone(),
            version_tuple: info.version_tuple(),
            deployment_type: info.deployment_type.clone(),
            base_url_reported: info.base_url.clone(),
            title: info.server_title.clone(),
        }
    }
}

/// A usable key pair: where the private key is and what Jira needs of the public one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The private key file.
    pub path: PathBuf,
    /// Modulus size in bits.
    pub bits: usize,
    /// `SHA256:…` of the public key (see [`crate::keys::fingerprint_sha256`]).
    pub fingerprint: String,
    /// SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
    /// The text for Jira's Public Key field ([`crate::keys::public_key_for_jira_form`]).
    pub jira_form_key: String,
}

impl KeyInfo {
    /// Describe the public half of a key stored at `path`.
    pub fn from_public_key(path: &Path, key: &rsa::RsaPublicKey) -> Self {
        Self {
            path: path.to_path_buf(),
            bits: crate::keys::key_bits(key),
            fingerprint: crate::keys::fingerprint_sha256(key),
            public_key_pem: crate::keys::public_key_pem(key),
            jira_form_key: crate::keys::public_key_for_jira_form(key),
        }
    }
}

/// An unauthorized request token. Not secret: it is part of the authorize URL the user opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTokenInfo {
    /// `oauth_token` from the request-token response.
    pub token: String,
}

/// The access token and its secret. `Debug` never shows either.
#[derive(Clone)]
pub struct AccessInfo {
    /// `oauth_token` from the access-token response.
    pub token: SecretString,
    /// `oauth_token_secret` (unused by RSA-SHA1 signing, but part of the credential).
    pub secret: SecretString,
    /// When Jira says the token expires (RFC 3339), computed by the driver from `oauth_expires_in`.
    pub expires_at: Option<String>,
}

impl fmt::Debug for AccessInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AccessInfo(token: [redacted], secret: [redacted], expires_at: {:?})",
            self.expires_at
        )
    }
}

/// Who the access token acts as and what it can see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyInfo {
    /// Login name (`name`) of the user the token acts as.
    pub user: String,
    /// `displayName`, when Jira returns it.
    pub display_name: Option<String>,
    /// Projects visible to that user through the token.
    pub project_count: usize,
}

/// Everything that can happen to the wizard: user edits, navigation, and results of effects.
#[derive(Debug, Clone)]
pub enum Input {
    /// The base URL as typed.
    SetUrl(String),
    /// Probe the URL (also done by `Next` on the first step when not probed yet).
    Probe,
    /// Result of [`WizardEffect::Probe`].
    ProbeResult(Result<ProbeInfo, Diagnosis>),
    /// Empty means "use the default derived from the host".
    SetConsumerKey(String),
    /// Empty means "use the default" (`jiralink`).
    SetConsumerName(String),
    /// The Application URL shown in Jira's link list. Empty means the placeholder default.
    SetAppUrl(String),
    /// Name of the connection the export's TOML block gets. Empty means the host name.
    SetConnectionName(String),
    /// Where a generated key is written. Default: `<key dir>/<consumer key>.pem`.
    SetKeyPath(PathBuf),
    /// 2048, 3072 or 4096.
    SetKeyBits(usize),
    /// Generate a key at the key path; `overwrite` replaces an existing file.
    GenerateKey { overwrite: bool },
    /// Use an existing private key file instead of generating one.
    UseExistingKey(PathBuf),
    /// Result of [`WizardEffect::GenerateKey`] or [`WizardEffect::LoadKey`]; the error is the `KeyError` text.
    KeyReady(Result<KeyInfo, String>),
    /// The admin connection (from the config) used to create the link automatically.
    SetAdmin(Option<String>),
    /// Go ahead with the [`CreatePlan`] shown on the Create step.
    ConfirmCreate,
    /// Result of [`WizardEffect::CreateLink`]: what Jira now has, in one sentence (created, already
    /// there, consumer added or replaced).
    CreateResult(Result<String, Diagnosis>),
    /// Register by hand: go from Register (or Create) straight to Authorize.
    SkipCreate,
    /// Ask for a new request token (also done on entering Authorize).
    RequestToken,
    /// Result of [`WizardEffect::RequestToken`].
    RequestTokenResult(Result<RequestTokenInfo, Diagnosis>),
    /// The verification code Jira showed after "Allow", as typed.
    SetVerifier(String),
    /// Exchange the request token and verifier for an access token.
    SubmitVerifier,
    /// Result of [`WizardEffect::ExchangeVerifier`]; expired/rejected/denied tokens restart authorization.
    AccessTokenResult(Result<AccessInfo, Diagnosis>),
    /// Run the verification call again.
    Verify,
    /// Result of [`WizardEffect::Verify`].
    VerifyResult(Result<VerifyInfo, Diagnosis>),
    /// Write [`Wizard::export`] in `format` to `path` (mode 0600).
    Export { format: ExportFormat, path: PathBuf },
    /// Result of [`WizardEffect::Export`]: the path written, or why not.
    ExportResult(Result<PathBuf, String>),
    /// Choose the kind of link (Target step; refused when this Jira does not offer it).
    SetKind(LinkKind),
    /// An input for the OAuth 2.0 path (after Target, when the kind is OAuth 2.0).
    OAuth2(O2Input),
    /// Go to the next step (refused with the reason from [`Wizard::can_advance`]).
    Next,
    /// Go to the previous step; nothing entered is lost.
    Back,
}

/// Work for the driver. Effects carry no secrets; the driver reads tokens from the wizard.
#[derive(Debug, Clone, PartialEq)]
pub enum WizardEffect {
    /// `GET {url}/rest/api/2/serverInfo` anonymously → [`Input::ProbeResult`].
    Probe { url: String },
    /// `keys::generate_async` + `keys::write_private_key(path, force = overwrite)` → [`Input::KeyReady`].
    GenerateKey {
        bits: usize,
        path: PathBuf,
        overwrite: bool,
    },
    /// `keys::load_private_key(path)` → [`Input::KeyReady`].
    LoadKey { path: PathBuf },
    /// Send `plan` with the `admin` connection's credentials → [`Input::CreateResult`].
    CreateLink { admin: String, plan: CreatePlan },
    /// `POST {base_url}/plugins/servlet/oauth/request-token` signed with the key → [`Input::RequestTokenResult`].
    RequestToken {
        base_url: String,
        consumer_key: String,
        private_key: PathBuf,
    },
    /// `POST {base_url}/plugins/servlet/oauth/access-token` → [`Input::AccessTokenResult`].
    ExchangeVerifier {
        base_url: String,
        consumer_key: String,
        private_key: PathBuf,
        request_token: String,
        verifier: String,
    },
    /// `GET /rest/api/2/myself` and the visible projects with the access token from
    /// [`Wizard::access`] → [`Input::VerifyResult`].
    Verify {
        base_url: String,
        consumer_key: String,
        private_key: PathBuf,
    },
    /// Write [`Wizard::export`]`(format)` to `path` with mode 0600 → [`Input::ExportResult`].
    Export { format: ExportFormat, path: PathBuf },
    /// Work of the OAuth 2.0 path (`crate::link::run_oauth2_effect`) → [`Input::OAuth2`].
    OAuth2(O2Effect),
}

/// Progress of one effect the wizard waits for.
#[derive(Debug, Clone, Default)]
enum Pending<T> {
    #[default]
    Idle,
    Running,
    Done(T),
    Failed(Diagnosis),
}

impl<T> Pending<T> {
    fn done(&self) -> Option<&T> {
        match self {
            Pending::Done(t) => Some(t),
            _ => None,
        }
    }

    fn is_running(&self) -> bool {
        matches!(self, Pending::Running)
    }

    fn from_result(r: Result<T, Diagnosis>) -> Self {
        match r {
            Ok(t) => Pending::Done(t),
            Err(d) => Pending::Failed(d),
        }
    }
}

/// A key operation in progress or its failure; the last good key is kept separately so a failed
/// import never loses it.
#[derive(Debug, Clone, Default)]
enum KeyOp {
    #[default]
    Idle,
    Generating(PathBuf),
    Loading(PathBuf),
    Failed(String),
}

/// The whole wizard: every value entered plus the state of each effect. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Wizard {
    step: Step,
    url_text: String,
    probe: Pending<ProbeInfo>,
    consumer_key: String,
    consumer_name: String,
    app_url: String,
    connection_name: String,
    key_dir: PathBuf,
    key_path: Option<PathBuf>,
    bits: usize,
    key: Option<KeyInfo>,
    key_op: KeyOp,
    admin: Option<String>,
    create: Pending<String>,
    create_skipped: bool,
    request_token: Pending<RequestTokenInfo>,
    verifier: String,
    access: Pending<AccessInfo>,
    verify: Pending<VerifyInfo>,
    export: Pending<PathBuf>,
    /// Why the last input was refused (cleared by the next accepted input).
    error: Option<String>,
    /// A one-off explanation of something the wizard did on its own (e.g. restarting authorization).
    notice: Option<String>,
    /// The kind chosen (`None`: the probed Jira's default, see [`Wizard::offering_kinds`]).
    kind: Option<LinkKind>,
    /// True when the user picks the kind on Target ([`Wizard::offering_kinds`]).
    choose_kind: bool,
    /// The OAuth 2.0 path, once entered (kept when going back to Target).
    oauth2: Option<OAuth2Flow>,
    /// True while the steps after Target are the OAuth 2.0 path's.
    on_oauth2: bool,
}

impl Wizard {
    /// A fresh wizard; generated keys go to `key_dir/<consumer key>.pem` unless a path is set.
    pub fn new(key_dir: impl Into<PathBuf>) -> Self {
        Self {
            step: Step::Target,
            url_text: String::new(),
            probe: Pending::Idle,
            consumer_key: String::new(),
            consumer_name: String::new(),
            app_url: String::new(),
            connection_name: String::new(),
            key_dir: key_dir.into(),
            key_path: None,
            bits: crate::keys::DEFAULT_BITS,
            key: None,
            key_op: KeyOp::Idle,
            admin: None,
            create: Pending::Idle,
            create_skipped: false,
            request_token: Pending::Idle,
            verifier: String::new(),
            access: Pending::Idle,
            verify: Pending::Idle,
            export: Pending::Idle,
            error: None,
            notice: None,
            kind: Some(LinkKind::OAuth1),
            choose_kind: false,
            oauth2: None,
            on_oauth2: false,
        }
    }

    /// A wizard that offers both kinds of link and starts with the probed Jira's default
    /// (OAuth 2.0 from Jira 9, "Configure an incoming link"); [`Wizard::new`] makes OAuth 1.0a
    /// links unless [`Input::SetKind`] says otherwise.
    pub fn offering_kinds(key_dir: impl Into<PathBuf>) -> Self {
        Self {
            kind: None,
            choose_kind: true,
            ..Self::new(key_dir)
        }
    }

    /// The current step. On the OAuth 2.0 path it is the flow's step in the same place
    /// ([`O2Step::as_step`]); [`Wizard::oauth2`] tells the paths apart.
    pub fn step(&self) -> Step {
        match self.oauth2() {
            Some(f) => f.step().as_step(),
            None => self.step,
        }
    }

    /// True when the kind of link is chosen on Target (else it was fixed up front).
    pub fn chooses_kind(&self) -> bool {
        self.choose_kind
    }

    /// The kinds of link the probed Jira offers, its default first.
    pub fn offered_kinds(&self) -> Vec<LinkKind> {
        oauth2::offered_kinds(self.probe.done().and_then(|p| p.version_tuple))
    }

    /// The kind of link being made: the one chosen, else the probed Jira's default.
    pub fn link_kind(&self) -> LinkKind {
        match self.kind {
            Some(k) => k,
            None => self
                .offered_kinds()
                .first()
                .copied()
                .unwrap_or(LinkKind::OAuth1),
        }
    }

    /// The OAuth 2.0 path, while the wizard is on it (after Target).
    pub fn oauth2(&self) -> Option<&OAuth2Flow> {
        self.oauth2.as_ref().filter(|_| self.on_oauth2)
    }

    /// The validated base URL (scheme, host, port, context path; no trailing slash).
    pub fn base_url(&self) -> Result<String, String> {
        normalize_base_url(&self.url_text)
    }

    /// The URL exactly as typed.
    pub fn url_text(&self) -> &str {
        &self.url_text
    }

    /// The probe result, once it succeeded.
    pub fn probe_info(&self) -> Option<&ProbeInfo> {
        self.probe.done()
    }

    /// The consumer key in effect (typed, or derived from the host).
    pub fn consumer_key(&self) -> String {
        let typed = self.consumer_key.trim();
        if !typed.is_empty() {
            return typed.to_string();
        }
        self.base_url()
            .map(|u| default_consumer_key(&u))
            .unwrap_or_default()
    }

    /// The consumer name in effect (typed, or `jiralink`).
    pub fn consumer_name(&self) -> String {
        let typed = self.consumer_name.trim();
        if typed.is_empty() {
            DEFAULT_CONSUMER_NAME.to_string()
        } else {
            typed.to_string()
        }
    }

    /// The Application URL for Jira's link form: typed, or a placeholder under the reserved
    /// `.invalid` domain (RFC 2606) that can never resolve to someone else's server.
    pub fn app_url(&self) -> String {
        let typed = self.app_url.trim();
        if !typed.is_empty() {
            return typed.to_string();
        }
        let key: String =
            percent_encoding::utf8_percent_encode(&self.consumer_key(), OAUTH_ENCODE_SET)
                .to_string();
        format!("https://jiralink.invalid/{key}")
    }

    /// The connection name used in the TOML export (typed, or the Jira host).
    pub fn connection_name(&self) -> String {
        let typed = self.connection_name.trim();
        if !typed.is_empty() {
            return typed.to_string();
        }
        self.base_url()
            .ok()
            .and_then(|u| url::Url::parse(&u).ok())
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "jira".to_string())
    }

    /// Where a generated key will be written.
    pub fn key_path(&self) -> PathBuf {
        if let Some(p) = &self.key_path {
            return p.clone();
        }
        let key = self.consumer_key();
        // The consumer key may contain characters that are awkward in file names.
        let stem = crate::paths::file_stem(&key, "jiralink");
        self.key_dir.join(format!("{stem}.pem"))
    }

    /// The key size used for generation.
    pub fn key_bits(&self) -> usize {
        self.bits
    }

    /// The key pair once generated or loaded.
    pub fn key_info(&self) -> Option<&KeyInfo> {
        self.key.as_ref()
    }

    /// The admin connection chosen for automatic creation.
    pub fn admin(&self) -> Option<&str> {
        self.admin.as_deref()
    }

    /// True once the link was created through the REST API.
    pub fn link_created(&self) -> bool {
        self.create.done().is_some()
    }

    /// The current request token, once Jira issued one.
    pub fn request_token(&self) -> Option<&RequestTokenInfo> {
        self.request_token.done()
    }

    /// The verifier as typed.
    pub fn verifier_text(&self) -> &str {
        &self.verifier
    }

    /// The access token and secret, once the exchange succeeded.
    pub fn access(&self) -> Option<&AccessInfo> {
        self.access.done()
    }

    /// Who the token acts as, once verified.
    pub fn verify_info(&self) -> Option<&VerifyInfo> {
        self.verify.done()
    }

    /// Why the last input was refused, if it was.
    pub fn error(&self) -> Option<&str> {
        match self.oauth2() {
            Some(f) => f.error().or(self.error.as_deref()),
            None => self.error.as_deref(),
        }
    }

    /// The URL the user opens to approve the request token:
    /// `{base}/plugins/servlet/oauth/authorize?oauth_token=…`.
    pub fn authorize_url(&self) -> Option<String> {
        let base = self.base_url().ok()?;
        let token = &self.request_token.done()?.token;
        let enc = percent_encoding::utf8_percent_encode(token, OAUTH_ENCODE_SET);
        Some(format!(
            "{base}/plugins/servlet/oauth/authorize?oauth_token={enc}"
        ))
    }

    /// Whether `Next` would be accepted now, and if not, why.
    pub fn can_advance(&self) -> Result<(), String> {
        if let Some(f) = self.oauth2() {
            return f.can_advance();
        }
        match self.step {
            Step::Target => {
                self.base_url()?;
                match &self.probe {
                    Pending::Idle => Err("Probe the server first (Next runs the probe).".into()),
                    Pending::Running => Err("Waiting for the server to answer the probe.".into()),
                    Pending::Failed(d) => {
                        Err(format!("The probe failed: {} Fix: {}", d.summary, d.fix))
                    }
                    Pending::Done(_) => Ok(()),
                }
            }
            Step::Keys => {
                validate_consumer_key(&self.consumer_key())?;
                validate_consumer_name(&self.consumer_name())?;
                match (&self.key_op, &self.key) {
                    (KeyOp::Generating(_), _) => Err("Waiting for the key to be generated.".into()),
                    (KeyOp::Loading(_), _) => Err("Waiting for the key to be loaded.".into()),
                    (_, Some(_)) => Ok(()),
                    (KeyOp::Failed(e), None) => Err(format!("The key is not usable: {e}")),
                    (KeyOp::Idle, None) => {
                        Err("Generate a key pair or choose an existing private key first.".into())
                    }
                }
            }
            Step::Register => self.create_plan().map(|_| ()),
            Step::Create => match &self.create {
                Pending::Done(_) => Ok(()),
                Pending::Running => Err("Waiting for Jira to create the link.".into()),
                _ => Err(
                    "Confirm to create the link, or skip this step if you registered it by hand."
                        .into(),
                ),
            },
            Step::Authorize => match &self.access {
                Pending::Done(_) => Ok(()),
                Pending::Running => Err("Waiting for Jira to exchange the verifier.".into()),
                _ if self.request_token.done().is_none() => {
                    Err("Waiting for a request token from Jira.".into())
                }
                _ => Err(
                    "Open the authorize URL, click Allow, and enter the verification code.".into(),
                ),
            },
            Step::Verify => Err("This is the last step.".into()),
        }
    }

    /// The exact values to paste into Jira's application link form.
    ///
    /// Only the incoming side is filled: guides for API-only consumers tick "Create incoming link"
    /// and leave everything else empty (PyPI `jira-oauth` README: "Don't need to fill any other
    /// information"); the callback stays empty so Jira shows the verifier (out-of-band flow).
    pub fn register_fields(&self) -> Vec<Field> {
        let public_key = self
            .key_info()
            .map(|k| k.jira_form_key.clone())
            .unwrap_or_default();
        let mut pk = Field::new("public_key", "Public Key", public_key).copyable();
        pk = if self.key_info().is_some() {
            pk.note("X.509 SubjectPublicKeyInfo, base64 on one line; paste it whole")
        } else {
            pk.note("generate or choose a key first (step 2)")
        };
        vec![
            Field::new("application_url", "Application URL", self.app_url())
                .copyable()
                .note("only a label for a generic application; if Jira says \"No response was received\", click Continue"),
            Field::new("application_name", "Application Name", self.consumer_name()).copyable(),
            Field::new("application_type", "Application Type", "Generic Application"),
            Field::new("create_incoming_link", "Create incoming link", "ticked")
                .note("leave every outgoing field (Service Provider Name … Authorize URL) empty"),
            Field::new("consumer_key", "Consumer Key", self.consumer_key()).copyable(),
            Field::new("consumer_name", "Consumer Name", self.consumer_name()).copyable(),
            pk,
            Field::new("consumer_callback_url", "Consumer Callback URL", "")
                .note("leave EMPTY: with a callback Jira redirects the browser instead of showing the verification code"),
            Field::new("allow_2lo", "Allow 2-Legged OAuth", "off")
                .note("leave unticked: 2-legged OAuth lets the consumer act without any user's approval"),
        ]
    }

    /// The click path for the probed Jira version.
    pub fn menu_path(&self) -> MenuPath {
        menu_path(self.probe.done().and_then(|p| p.version_tuple))
    }

    /// Plain-text instructions and fields for `jiralink link fields`.
    pub fn render_fields_text(&self) -> String {
        let menu = self.menu_path();
        let mut out = String::new();
        let base = self.base_url().unwrap_or_else(|_| "<base URL>".to_string());
        out.push_str(&format!(
            "Register jiralink as an incoming OAuth 1.0a consumer in Jira at {base}\n\n"
        ));
        out.push_str(&format!("Go to: {}\n", menu.menu_text()));
        out.push_str(&format!("   or: {}\n\n", menu.direct_url(&base)));
        for (i, s) in menu.steps.iter().enumerate() {
            out.push_str(&format!("{}. {s}\n", i + 1));
        }
        out.push('\n');
        let width = self
            .register_fields()
            .iter()
            .map(|f| f.label.chars().count())
            .max()
            .unwrap_or(0);
        for f in self.register_fields() {
            let value = if f.value.is_empty() {
                "(leave empty)".to_string()
            } else {
                f.value.clone()
            };
            out.push_str(&format!("{:<width$}  {value}\n", f.label));
            if let Some(n) = &f.note {
                out.push_str(&format!("{:<width$}  ({n})\n", ""));
            }
        }
        if let Some(k) = self.key_info() {
            out.push_str(&format!(
                "\nKey fingerprint: {}  (private key: {})\n",
                k.fingerprint,
                k.path.display()
            ));
        }
        if !menu.notes.is_empty() {
            out.push('\n');
            for n in &menu.notes {
                out.push_str(&format!("Note: {n}\n"));
            }
        }
        out
    }

    /// What the Create step did in Jira, in one sentence, once it finished.
    pub fn create_summary(&self) -> Option<&str> {
        self.create.done().map(String::as_str)
    }

    /// The two REST requests that would create the link, for review before [`Input::ConfirmCreate`].
    pub fn create_plan(&self) -> Result<CreatePlan, String> {
        self.base_url()?;
        let key = self
            .key_info()
            .ok_or("Generate or choose a key first (step 2).")?;
        let consumer_key = self.consumer_key();
        validate_consumer_key(&consumer_key)?;
        let name = self.consumer_name();
        validate_consumer_name(&name)?;
        Ok(CreatePlan {
            admin: self.admin.clone(),
            requests: register::plan_requests(
                &name,
                &self.app_url(),
                &consumer_key,
                &name,
                &key.jira_form_key,
            ),
        })
    }

    /// What the integrating application needs (consumer key, private key path, access token, token
    /// secret, Jira base URL) in `format`. Holds secrets, hence `SecretString`.
    pub fn export(&self, format: ExportFormat) -> Result<SecretString, String> {
        let base = self.base_url()?;
        let key = self.key_info().ok_or("No key yet (step 2).")?;
        let access = self
            .access
            .done()
            .ok_or("No access token yet: finish the Authorize step first.")?;
        let key_path = key
            .path
            .to_str()
            .ok_or("The private key path is not valid UTF-8; choose a different path.")?;
        export::ExportData {
            connection_name: &self.connection_name(),
            base_url: &base,
            consumer_key: &self.consumer_key(),
            consumer_name: &self.consumer_name(),
            private_key_path: key_path,
            access_token: access.token.expose_secret(),
            token_secret: access.secret.expose_secret(),
            token_expires_at: access.expires_at.as_deref(),
        }
        .render(format)
    }

    /// What to show for the current step.
    pub fn view(&self) -> StepView {
        match self.oauth2() {
            Some(f) => f.view(),
            None => view::build(self),
        }
    }

    /// Apply one input; returns the effects the driver must run.
    pub fn apply(&mut self, input: Input) -> Vec<WizardEffect> {
        self.error = None;
        let result = self.apply_inner(input);
        match result {
            Ok(effects) => effects,
            Err(why) => {
                self.error = Some(why);
                Vec::new()
            }
        }
    }

    fn apply_inner(&mut self, input: Input) -> Result<Vec<WizardEffect>, String> {
        match input {
            Input::SetUrl(text) => {
                let before = self.base_url().ok();
                self.url_text = text.trim().to_string();
                let after = self.base_url();
                if after.as_ref().ok() != before.as_ref() {
                    // Results for another server are meaningless here; what the user typed stays.
                    self.probe = Pending::Idle;
                    self.reset_authorization();
                    self.create = Pending::Idle;
                }
                after.map(|_| Vec::new())
            }
            Input::Probe => self.start_probe(),
            Input::ProbeResult(r) => {
                if self.probe.is_running() {
                    self.probe = Pending::from_result(r);
                }
                Ok(Vec::new())
            }
            Input::SetConsumerKey(k) => {
                let before = self.consumer_key();
                self.consumer_key = k;
                if self.consumer_key() != before {
                    self.after_registration_change();
                }
                if self.consumer_key.trim().is_empty() {
                    Ok(Vec::new())
                } else {
                    validate_consumer_key(self.consumer_key.trim()).map(|_| Vec::new())
                }
            }
            Input::SetConsumerName(n) => {
                self.consumer_name = n;
                validate_consumer_name(&self.consumer_name()).map(|_| Vec::new())
            }
            Input::SetAppUrl(u) => {
                self.app_url = u;
                let u = self.app_url();
                url::Url::parse(&u)
                    .map_err(|e| format!("Application URL {u:?} is not a URL: {e}"))
                    .map(|_| Vec::new())
            }
            Input::SetConnectionName(n) => {
                self.connection_name = n;
                Ok(Vec::new())
            }
            Input::SetKeyPath(p) => {
                self.key_path = if p.as_os_str().is_empty() {
                    None
                } else {
                    Some(p)
                };
                Ok(Vec::new())
            }
            Input::SetKeyBits(bits) => {
                if !crate::keys::ALLOWED_BITS.contains(&bits) {
                    return Err(format!(
                        "{bits}-bit keys are not offered: use 2048 (default), 3072 or 4096."
                    ));
                }
                self.bits = bits;
                Ok(Vec::new())
            }
            Input::GenerateKey { overwrite } => {
                self.key_busy()?;
                let path = self.key_path();
                self.key_op = KeyOp::Generating(path.clone());
                Ok(vec![WizardEffect::GenerateKey {
                    bits: self.bits,
                    path,
                    overwrite,
                }])
            }
            Input::UseExistingKey(path) => {
                self.key_busy()?;
                if path.as_os_str().is_empty() {
                    return Err("Enter the path of the private key file.".into());
                }
                self.key_op = KeyOp::Loading(path.clone());
                Ok(vec![WizardEffect::LoadKey { path }])
            }
            Input::KeyReady(r) => {
                if !matches!(self.key_op, KeyOp::Generating(_) | KeyOp::Loading(_)) {
                    return Ok(Vec::new());
                }
                match r {
                    // The same floor `keygen` applies: a key jiralink would not generate is not
                    // accepted for a new link either (NIST SP 800-131A: RSA below 2048 bits is
                    // disallowed for signatures).
                    Ok(info) if info.bits < crate::keys::ALLOWED_BITS[0] => {
                        self.key_op = KeyOp::Failed(format!(
                            "{} is a {}-bit RSA key; jiralink needs 2048 bits or more (generate one with `jiralink link keygen`).",
                            info.path.display(),
                            info.bits
                        ));
                    }
                    Ok(info) => {
                        let previous = self.key.as_ref().map(|k| k.fingerprint.clone());
                        if previous.is_some_and(|p| p != info.fingerprint) {
                            self.after_registration_change();
                            self.notice = Some(format!(
                                "The key changed (now {}). If Jira already has the old public key, replace it in the link's incoming authentication (step 3).",
                                info.fingerprint
                            ));
                        }
                        // A loaded key's path becomes the key path, so the export points at it.
                        self.key_path = Some(info.path.clone());
                        self.key = Some(info);
                        self.key_op = KeyOp::Idle;
                    }
                    Err(e) => self.key_op = KeyOp::Failed(e),
                }
                Ok(Vec::new())
            }
            Input::SetAdmin(a) => {
                self.admin = a.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
                if let Some(f) = &mut self.oauth2 {
                    f.apply(O2Input::SetAdmin(self.admin.clone()));
                }
                Ok(Vec::new())
            }
            Input::ConfirmCreate => {
                if self.step != Step::Create {
                    return Err("Go to the Create step to review the requests first.".into());
                }
                if self.create.is_running() {
                    return Err("The link is already being created.".into());
                }
                if self.create.done().is_some() {
                    return Err("The link was already created; press Next.".into());
                }
                let admin = self.admin.clone().ok_or(
                    "Choose an admin connection (a Jira system administrator) to create the link with.",
                )?;
                let plan = self.create_plan()?;
                self.create = Pending::Running;
                Ok(vec![WizardEffect::CreateLink { admin, plan }])
            }
            Input::CreateResult(r) => {
                if self.create.is_running() {
                    self.create = Pending::from_result(r);
                }
                Ok(Vec::new())
            }
            Input::SkipCreate => {
                if !matches!(self.step, Step::Register | Step::Create) {
                    return Err("Skipping only applies to the Register and Create steps.".into());
                }
                self.can_advance_from(Step::Register)?;
                self.create_skipped = true;
                self.enter(Step::Authorize)
            }
            Input::RequestToken => self.start_request_token(),
            Input::RequestTokenResult(r) => {
                if self.request_token.is_running() {
                    self.request_token = Pending::from_result(r);
                }
                Ok(Vec::new())
            }
            Input::SetVerifier(v) => {
                self.verifier = v;
                Ok(Vec::new())
            }
            Input::SubmitVerifier => self.start_exchange(),
            Input::AccessTokenResult(r) => {
                if !self.access.is_running() {
                    return Ok(Vec::new());
                }
                match r {
                    Ok(access) => {
                        self.access = Pending::Done(access);
                        self.step = Step::Verify;
                        self.start_verify()
                    }
                    Err(d) if restarts_authorization(d.code) => {
                        self.notice = Some(restart_message(&d));
                        self.access = Pending::Idle;
                        self.verifier.clear();
                        self.request_token = Pending::Idle;
                        self.start_request_token()
                    }
                    Err(d) => {
                        self.access = Pending::Failed(d);
                        Ok(Vec::new())
                    }
                }
            }
            Input::Verify => self.start_verify(),
            Input::VerifyResult(r) => {
                if self.verify.is_running() {
                    self.verify = Pending::from_result(r);
                }
                Ok(Vec::new())
            }
            Input::Export { format, path } => {
                self.export(format)?;
                if path.as_os_str().is_empty() {
                    return Err("Enter the file to write the export to.".into());
                }
                self.export = Pending::Running;
                Ok(vec![WizardEffect::Export { format, path }])
            }
            Input::ExportResult(r) => {
                if self.export.is_running() {
                    self.export = match r {
                        Ok(p) => Pending::Done(p),
                        Err(e) => Pending::Failed(Diagnosis::error(
                            Code::Other,
                            "Could not write the export.",
                            e,
                            "Choose a writable path.",
                        )),
                    };
                }
                Ok(Vec::new())
            }
            Input::SetKind(k) => {
                self.kind = Some(k);
                match self.probe.done() {
                    Some(_) if !self.offered_kinds().contains(&k) => Err(self.kind_refused()),
                    _ => Ok(Vec::new()),
                }
            }
            Input::OAuth2(i) => {
                let Some(f) = self.oauth2.as_mut().filter(|_| self.on_oauth2) else {
                    // A late answer for a path the user left is dropped like other stale results.
                    return match i {
                        O2Input::CreateResult(_)
                        | O2Input::ExchangeResult(_)
                        | O2Input::VerifyResult(_)
                        | O2Input::ExportResult(_) => Ok(Vec::new()),
                        _ => Err("Choose OAuth 2.0 on the first step to use this.".into()),
                    };
                };
                Ok(f.apply(i).into_iter().map(WizardEffect::OAuth2).collect())
            }
            Input::Next if self.on_oauth2 => self.apply_inner(Input::OAuth2(O2Input::Next)),
            Input::Back if self.on_oauth2 => {
                match self.oauth2.as_mut() {
                    Some(f) if f.step() != O2Step::Settings => {
                        f.apply(O2Input::Back);
                    }
                    _ => self.on_oauth2 = false,
                }
                Ok(Vec::new())
            }
            Input::Next => self.next(),
            Input::Back => self.back(),
        }
    }

    /// Why the chosen kind cannot be made on this Jira (only OAuth 2.0 can be missing).
    fn kind_refused(&self) -> String {
        let version = self.probe.done().and_then(|p| p.version.clone());
        let d = crate::jira::oauth2::not_supported(version.as_deref());
        format!("{} {} Fix: {}", d.summary, d.detail, d.fix)
    }

    /// Leave Target for the OAuth 2.0 path; a flow for the same Jira and connection is resumed.
    fn enter_oauth2(&mut self) -> Result<Vec<WizardEffect>, String> {
        let base = self.base_url()?;
        let name = self.connection_name();
        let version = self.probe.done().and_then(|p| p.version_tuple);
        let same = self
            .oauth2
            .as_ref()
            .is_some_and(|f| f.base_url() == base && f.connection_name() == name);
        if !same {
            let mut f = OAuth2Flow::new(&base, version, &name);
            f.apply(O2Input::SetAdmin(self.admin.clone()));
            self.oauth2 = Some(f);
        }
        self.on_oauth2 = true;
        Ok(Vec::new())
    }

    fn next(&mut self) -> Result<Vec<WizardEffect>, String> {
        // On the first step Next doubles as "probe" (and "probe again" after a failure).
        if self.step == Step::Target && matches!(self.probe, Pending::Idle | Pending::Failed(_)) {
            return self.start_probe();
        }
        self.can_advance()?;
        if self.step == Step::Target && self.link_kind() == LinkKind::OAuth2 {
            if !self.offered_kinds().contains(&LinkKind::OAuth2) {
                return Err(self.kind_refused());
            }
            return self.enter_oauth2();
        }
        match self.step.next() {
            Some(next) => {
                if next == Step::Create {
                    self.create_skipped = false;
                }
                self.enter(next)
            }
            None => Err("This is the last step.".into()),
        }
    }

    fn back(&mut self) -> Result<Vec<WizardEffect>, String> {
        self.step = match self.step {
            Step::Target => return Err("This is the first step.".into()),
            Step::Keys => Step::Target,
            Step::Register => Step::Keys,
            Step::Create => Step::Register,
            Step::Authorize if self.create_skipped => Step::Register,
            Step::Authorize => Step::Create,
            Step::Verify => Step::Authorize,
        };
        Ok(Vec::new())
    }

    /// Move to `step`, starting what it needs: Authorize asks for a request token once.
    fn enter(&mut self, step: Step) -> Result<Vec<WizardEffect>, String> {
        self.step = step;
        if step == Step::Authorize
            && matches!(self.request_token, Pending::Idle | Pending::Failed(_))
            && self.access.done().is_none()
        {
            return self.start_request_token();
        }
        Ok(Vec::new())
    }

    fn can_advance_from(&self, step: Step) -> Result<(), String> {
        let mut probe = self.clone();
        probe.step = step;
        probe.can_advance()
    }

    fn start_probe(&mut self) -> Result<Vec<WizardEffect>, String> {
        let url = self.base_url()?;
        self.probe = Pending::Running;
        Ok(vec![WizardEffect::Probe { url }])
    }

    fn oauth_target(&self) -> Result<(String, String, PathBuf), String> {
        let base = self.base_url()?;
        let consumer_key = self.consumer_key();
        validate_consumer_key(&consumer_key)?;
        let key = self
            .key_info()
            .ok_or("Generate or choose a key first (step 2).")?;
        Ok((base, consumer_key, key.path.clone()))
    }

    fn start_request_token(&mut self) -> Result<Vec<WizardEffect>, String> {
        if !matches!(self.step, Step::Authorize) {
            return Err("Request tokens are requested on the Authorize step.".into());
        }
        if self.request_token.is_running() {
            return Err("A request token is already on its way.".into());
        }
        let (base_url, consumer_key, private_key) = self.oauth_target()?;
        self.request_token = Pending::Running;
        self.access = Pending::Idle;
        self.verify = Pending::Idle;
        Ok(vec![WizardEffect::RequestToken {
            base_url,
            consumer_key,
            private_key,
        }])
    }

    fn start_exchange(&mut self) -> Result<Vec<WizardEffect>, String> {
        if self.step != Step::Authorize {
            return Err("Enter the verifier on the Authorize step.".into());
        }
        if self.access.is_running() {
            return Err("The verifier is already being exchanged.".into());
        }
        let request_token = self
            .request_token
            .done()
            .ok_or("There is no request token yet; request one first.")?
            .token
            .clone();
        let (verifier, _) = check_verifier(&self.verifier)?;
        let (base_url, consumer_key, private_key) = self.oauth_target()?;
        self.access = Pending::Running;
        Ok(vec![WizardEffect::ExchangeVerifier {
            base_url,
            consumer_key,
            private_key,
            request_token,
            verifier,
        }])
    }

    fn start_verify(&mut self) -> Result<Vec<WizardEffect>, String> {
        if self.access.done().is_none() {
            return Err("No access token yet: finish the Authorize step first.".into());
        }
        if self.verify.is_running() {
            return Err("Verification is already running.".into());
        }
        let (base_url, consumer_key, private_key) = self.oauth_target()?;
        self.verify = Pending::Running;
        Ok(vec![WizardEffect::Verify {
            base_url,
            consumer_key,
            private_key,
        }])
    }

    fn key_busy(&self) -> Result<(), String> {
        match self.key_op {
            KeyOp::Generating(_) | KeyOp::Loading(_) => {
                Err("Wait for the current key operation to finish.".into())
            }
            _ => Ok(()),
        }
    }

    /// Tokens belong to one server + consumer + key; when any of those changes they are void.
    fn reset_authorization(&mut self) {
        self.request_token = Pending::Idle;
        self.access = Pending::Idle;
        self.verify = Pending::Idle;
        self.export = Pending::Idle;
    }

    /// The consumer registered in Jira no longer matches: the link must be registered again.
    fn after_registration_change(&mut self) {
        self.create = Pending::Idle;
        self.reset_authorization();
    }
}

/// Characters left unescaped in the authorize URL's token (RFC 3986 unreserved), as OAuth 1.0a
/// percent-encodes parameters (RFC 5849 §3.6).
const OAUTH_ENCODE_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Access-token failures after which only a fresh request token helps.
fn restarts_authorization(code: Code) -> bool {
    matches!(
        code,
        Code::OauthTokenExpired | Code::OauthTokenRejected | Code::OauthPermissionDenied
    )
}

fn restart_message(d: &Diagnosis) -> String {
    match d.code {
        Code::OauthTokenExpired => "The request token expired: Jira keeps an unapproved request token for 10 minutes. A new one is being requested; open the new authorize URL, click Allow, and enter the new verification code.".to_string(),
        Code::OauthPermissionDenied => "Access was denied in the browser (Deny was clicked). A new request token is being requested; open the new authorize URL and click Allow.".to_string(),
        _ => format!("Jira no longer accepts that request token ({}). A new one is being requested; open the new authorize URL, click Allow, and enter the new verification code.", d.summary),
    }
}
