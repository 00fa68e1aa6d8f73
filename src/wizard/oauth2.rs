//! The link wizard's OAuth 2.0 path as a pure state machine, shared by the TUI and tests: after
//! Target has probed the version, [`offered_kinds`] says which link kinds exist (OAuth 2.0 from
//! DC 8.22 and the default from Jira 9; OAuth 1.0a always), then Settings (redirect URL, scopes)
//! → Register (by hand: menu path and values; or Create through REST with an admin connection,
//! falling back to pasting the client id and secret on 404) → Authorize (PKCE S256 and a random
//! `state`; the user pastes the address-bar URL or the code) → Verify (`/myself`, granted scopes).
//!
//! Nothing here does I/O: [`OAuth2Flow::apply`] returns [`O2Effect`]s for a driver
//! (`crate::link::run_oauth2_effect`) whose results come back as inputs. Effects carry no
//! secrets; the driver reads the client secret and PKCE verifier from the flow.

use super::{ExportFormat, Field, Step, StepView};
use crate::jira::diagnose::{Code, Diagnosis};
use crate::jira::oauth2::{self, CreatedClient, Pasted, Pkce, Tokens};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

/// The two kinds of incoming link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// OAuth 2.0 "External application" link (DC 8.22+).
    OAuth2,
    /// OAuth 1.0a application link (legacy, still supported).
    OAuth1,
}

impl LinkKind {
    /// How the wizard names the kind.
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::OAuth2 => "OAuth 2.0 (External application)",
            LinkKind::OAuth1 => "OAuth 1.0a (legacy application link)",
        }
    }
}

/// The kinds this Jira offers, the default first: OAuth 2.0 first from Jira 9, OAuth 1.0a first
/// on 8.22–8.x, OAuth 1.0a only before 8.22 (or when the version is unknown).
pub fn offered_kinds(version: Option<(u32, u32, u32)>) -> Vec<LinkKind> {
    match oauth2::supported(version) {
        Some(true) if oauth2::default_is_oauth2(version) => {
            vec![LinkKind::OAuth2, LinkKind::OAuth1]
        }
        Some(true) => vec![LinkKind::OAuth1, LinkKind::OAuth2],
        _ => vec![LinkKind::OAuth1],
    }
}

/// Steps of the OAuth 2.0 path (after Target).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum O2Step {
    /// Redirect URL and scopes.
    Settings,
    /// Register the link: by hand, or create it through REST.
    Register,
    /// Open the authorize URL, paste the redirect URL or the code.
    Authorize,
    /// Who the token acts as.
    Verify,
}

impl O2Step {
    /// Title for the step.
    pub fn title(self) -> &'static str {
        match self {
            O2Step::Settings => "Redirect URL and scopes",
            O2Step::Register => "Register the OAuth 2.0 link in Jira",
            O2Step::Authorize => "Authorize (PKCE)",
            O2Step::Verify => "Verify and export",
        }
    }

    /// The OAuth 1.0a step in the same place of the wizard (what [`crate::wizard::Wizard::step`]
    /// reports on this path: Settings sits where Keys does).
    pub fn as_step(self) -> Step {
        match self {
            O2Step::Settings => Step::Keys,
            O2Step::Register => Step::Register,
            O2Step::Authorize => Step::Authorize,
            O2Step::Verify => Step::Verify,
        }
    }

    /// 1-based position counting Target, for "step 3 of 5".
    pub fn number(self) -> usize {
        self as usize + 2
    }

    /// Steps of the path, Target included.
    pub const TOTAL: usize = 5;
}

/// Who the tokens act as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct O2Verify {
    /// Login name.
    pub user: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Granted scopes.
    pub scopes: String,
}

/// Everything that can happen to the OAuth 2.0 path.
#[derive(Debug, Clone)]
pub enum O2Input {
    /// The redirect URL as typed (empty = the default).
    SetRedirect(String),
    /// Scopes as typed (`READ,WRITE`).
    SetScopes(String),
    /// The admin connection for Create.
    SetAdmin(Option<String>),
    /// Create the link through REST with the admin connection.
    Create,
    /// Result of [`O2Effect::CreateClient`]; `Ok(None)` = Jira has no such endpoint (404).
    CreateResult(Result<Option<CreatedClient>, Diagnosis>),
    /// Client id pasted from Jira's UI.
    SetClientId(String),
    /// Client secret pasted from Jira's UI.
    SetClientSecret(SecretString),
    /// Use the pasted client id and secret.
    UseCredentials,
    /// Start a new authorization (fresh PKCE pair and state).
    NewAttempt,
    /// What the user pasted after Allow.
    SetPasted(String),
    /// Read the pasted text and exchange the code.
    SubmitPasted,
    /// Result of [`O2Effect::Exchange`].
    ExchangeResult(Result<Tokens, Diagnosis>),
    /// Result of [`O2Effect::Verify`].
    VerifyResult(Result<O2Verify, Diagnosis>),
    /// Write the export (client id, secret, tokens, token endpoint) of the saved connection in
    /// `format` to `path` (mode 0600).
    Export { format: ExportFormat, path: PathBuf },
    /// Result of [`O2Effect::Export`]: the path written, or why not.
    ExportResult(Result<PathBuf, String>),
    /// Next step.
    Next,
    /// Previous step; nothing entered is lost.
    Back,
}

/// Work for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum O2Effect {
    /// `POST /rest/oauth2/latest/client` with the admin connection.
    CreateClient {
        admin: String,
        name: String,
        redirect_uri: String,
        scope: String,
    },
    /// Exchange `code` (client secret and PKCE verifier read from the flow), then save the
    /// connection with its tokens → [`O2Input::ExchangeResult`].
    Exchange { code: String },
    /// `/myself` with the saved connection → [`O2Input::VerifyResult`].
    Verify,
    /// Export the saved connection to `path` (0600) → [`O2Input::ExportResult`].
    Export { format: ExportFormat, path: PathBuf },
}

impl O2Effect {
    /// The input reporting that this effect failed with `d` (never started, or no answer).
    pub fn failed(&self, d: Diagnosis) -> O2Input {
        match self {
            O2Effect::CreateClient { .. } => O2Input::CreateResult(Err(d)),
            O2Effect::Exchange { .. } => O2Input::ExchangeResult(Err(d)),
            O2Effect::Verify => O2Input::VerifyResult(Err(d)),
            O2Effect::Export { .. } => O2Input::ExportResult(Err(d.to_string())),
        }
    }
}

#[derive(Debug, Clone)]
struct Attempt {
    state: String,
    pkce: Pkce,
}

/// The OAuth 2.0 path's state.
#[derive(Debug, Clone)]
pub struct OAuth2Flow {
    step: O2Step,
    base_url: String,
    version: Option<(u32, u32, u32)>,
    connection_name: String,
    redirect_text: String,
    scopes_text: String,
    admin: Option<String>,
    creating: bool,
    create_unavailable: bool,
    client: Option<(String, SecretString)>,
    manual_id: String,
    manual_secret: SecretString,
    attempt: Option<Attempt>,
    pasted: String,
    exchanging: bool,
    tokens: Option<Tokens>,
    verifying: bool,
    verify: Option<O2Verify>,
    exporting: bool,
    exported: Option<Result<PathBuf, String>>,
    failure: Option<Diagnosis>,
    error: Option<String>,
}

impl OAuth2Flow {
    /// A flow for the probed Jira at `base_url`, saving into connection `connection_name`.
    pub fn new(base_url: &str, version: Option<(u32, u32, u32)>, connection_name: &str) -> Self {
        Self {
            step: O2Step::Settings,
            base_url: base_url.trim_end_matches('/').to_owned(),
            version,
            connection_name: connection_name.to_owned(),
            redirect_text: String::new(),
            scopes_text: String::new(),
            admin: None,
            creating: false,
            create_unavailable: false,
            client: None,
            manual_id: String::new(),
            manual_secret: SecretString::from(String::new()),
            attempt: None,
            pasted: String::new(),
            exchanging: false,
            tokens: None,
            verifying: false,
            verify: None,
            exporting: false,
            exported: None,
            failure: None,
            error: None,
        }
    }

    /// The redirect URL as typed (empty = the default).
    pub fn redirect_text(&self) -> &str {
        &self.redirect_text
    }

    /// The scopes as typed (empty = READ).
    pub fn scopes_text(&self) -> &str {
        &self.scopes_text
    }

    /// Where the export went, or why not.
    pub fn exported(&self) -> Option<&Result<PathBuf, String>> {
        self.exported.as_ref()
    }

    /// Current step.
    pub fn step(&self) -> O2Step {
        self.step
    }

    /// The Jira base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The connection the result is saved as.
    pub fn connection_name(&self) -> &str {
        &self.connection_name
    }

    /// The redirect URL in effect.
    pub fn redirect_uri(&self) -> String {
        match self.redirect_text.trim() {
            "" => oauth2::DEFAULT_REDIRECT_URI.to_owned(),
            t => t.to_owned(),
        }
    }

    /// The scopes in effect (READ by default: least privilege).
    pub fn scopes(&self) -> Vec<String> {
        match oauth2::split_scopes(&self.scopes_text) {
            v if v.is_empty() => vec!["READ".to_owned()],
            v => v,
        }
    }

    /// The highest scope (what the link is created with).
    pub fn link_scope(&self) -> String {
        self.scopes()
            .into_iter()
            .max_by_key(|s| oauth2::KNOWN_SCOPES.iter().position(|k| k == s))
            .unwrap_or_else(|| "READ".into())
    }

    /// The admin connection chosen for Create.
    pub fn admin(&self) -> Option<&str> {
        self.admin.as_deref()
    }

    /// True once Jira answered 404 to Create: paste the credentials instead.
    pub fn create_unavailable(&self) -> bool {
        self.create_unavailable
    }

    /// The client id and secret, once known.
    pub fn client(&self) -> Option<(&str, &SecretString)> {
        self.client.as_ref().map(|(i, s)| (i.as_str(), s))
    }

    /// The PKCE verifier of the current attempt (the driver sends it with the exchange).
    pub fn verifier(&self) -> Option<&SecretString> {
        self.attempt.as_ref().map(|a| &a.pkce.verifier)
    }

    /// The tokens, once exchanged.
    pub fn tokens(&self) -> Option<&Tokens> {
        self.tokens.as_ref()
    }

    /// Who the token acts as, once verified.
    pub fn verify_info(&self) -> Option<&O2Verify> {
        self.verify.as_ref()
    }

    /// The last failure of an effect, with its diagnosis.
    pub fn failure(&self) -> Option<&Diagnosis> {
        self.failure.as_ref()
    }

    /// Why the last input was refused.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether an effect is running.
    pub fn busy(&self) -> bool {
        self.creating || self.exchanging || self.verifying || self.exporting
    }

    /// The pasted text as typed.
    pub fn pasted(&self) -> &str {
        &self.pasted
    }

    /// The URL to open in a browser (once Authorize has started an attempt).
    pub fn authorize_url(&self) -> Option<String> {
        let a = self.attempt.as_ref()?;
        let (id, _) = self.client.as_ref()?;
        Some(oauth2::authorize_url(
            &self.base_url,
            id,
            &self.redirect_uri(),
            &self.scopes(),
            &a.state,
            &a.pkce.challenge,
        ))
    }

    /// The values for Jira's form (by-hand registration).
    pub fn register_lines(&self) -> Vec<String> {
        let mut lines = vec![
            "Administration (cog) > Applications > Application links > Create link".into(),
            "> External application > Incoming, then enter:".into(),
            format!("  Name          jiralink-{}", self.connection_name),
            format!("  Redirect URL  {}", self.redirect_uri()),
            format!("  Permission    {}", self.link_scope()),
            "Then paste the Client ID and Client secret from the Credentials tab.".into(),
        ];
        if self.version.is_some_and(|(a, _, _)| a < 9) {
            // Before Jira 9 "Create link" asks for a URL first; External application is the
            // OAuth 2.0 choice there too ("Configure an incoming link", 8.22).
            lines.push(
                "(Jira 8.x: after Create link, choose External application, not the URL form.)"
                    .into(),
            );
        }
        lines
    }

    /// Whether Next is accepted now, and if not why.
    pub fn can_advance(&self) -> Result<(), String> {
        match self.step {
            O2Step::Settings => {
                oauth2::check_redirect_uri(&self.redirect_uri())?;
                oauth2::validate_scopes(&self.scopes(), false)
            }
            O2Step::Register => match self.client {
                Some(_) => Ok(()),
                None => Err(
                    "Create the link with an admin connection, or paste the client id and secret from Jira."
                        .into(),
                ),
            },
            O2Step::Authorize => match self.tokens {
                Some(_) => Ok(()),
                None => Err("Open the URL, click Allow, and paste the address-bar URL or the code.".into()),
            },
            O2Step::Verify => Err("This is the last step.".into()),
        }
    }

    fn start_attempt(&mut self) {
        self.attempt = Some(Attempt {
            state: oauth2::new_state(),
            pkce: Pkce::generate(),
        });
    }

    /// Apply one input; the effects to run next.
    pub fn apply(&mut self, input: O2Input) -> Vec<O2Effect> {
        self.error = None;
        let mut out = Vec::new();
        match input {
            O2Input::SetRedirect(t) => self.redirect_text = t,
            O2Input::SetScopes(t) => self.scopes_text = t,
            O2Input::SetAdmin(a) => self.admin = a,
            O2Input::Create => match (&self.admin, self.creating) {
                (_, true) => self.error = Some("Already creating the link.".into()),
                (None, _) => self.error = Some("Choose an admin connection first.".into()),
                (Some(admin), false) => {
                    self.creating = true;
                    self.failure = None;
                    out.push(O2Effect::CreateClient {
                        admin: admin.clone(),
                        name: format!("jiralink-{}", self.connection_name),
                        redirect_uri: self.redirect_uri(),
                        scope: self.link_scope(),
                    });
                }
            },
            O2Input::CreateResult(r) => {
                self.creating = false;
                match r {
                    Ok(Some(c)) => {
                        self.client = Some((c.client_id, c.client_secret));
                        self.step = O2Step::Authorize;
                        self.start_attempt();
                    }
                    Ok(None) => self.create_unavailable = true,
                    Err(d) => self.failure = Some(d),
                }
            }
            O2Input::SetClientId(t) => self.manual_id = t.trim().to_owned(),
            O2Input::SetClientSecret(s) => self.manual_secret = s,
            O2Input::UseCredentials => {
                let secret = self.manual_secret.expose_secret().trim().to_owned();
                if self.manual_id.is_empty() || secret.is_empty() {
                    self.error = Some("Paste both the Client ID and the Client secret.".into());
                } else {
                    self.client = Some((self.manual_id.clone(), SecretString::from(secret)));
                    self.step = O2Step::Authorize;
                    self.start_attempt();
                }
            }
            O2Input::NewAttempt => self.start_attempt(),
            O2Input::SetPasted(t) => self.pasted = t,
            O2Input::SubmitPasted => {
                if self.exchanging {
                    self.error = Some("Already exchanging the code.".into());
                    return out;
                }
                let Some(a) = &self.attempt else {
                    self.error = Some("Start an authorization first.".into());
                    return out;
                };
                match oauth2::read_pasted(&self.pasted) {
                    Pasted::Code { code, state } => {
                        match oauth2::check_state(&a.state, state.as_deref()) {
                            Ok(()) => {
                                self.exchanging = true;
                                self.failure = None;
                                out.push(O2Effect::Exchange { code });
                            }
                            Err(d) => self.failure = Some(for_wizard(d)),
                        }
                    }
                    Pasted::Error {
                        error, description, ..
                    } => {
                        self.failure = Some(for_wizard(if error == "access_denied" {
                            oauth2::access_denied(description.as_deref())
                        } else {
                            Diagnosis::error(
                                Code::Oauth2InvalidGrant,
                                format!("Jira answered the authorization with {error}"),
                                description.unwrap_or_default(),
                                "Start a new authorization.",
                            )
                        }));
                        // The attempt is over: a new one needs a new state and verifier.
                        self.start_attempt();
                    }
                    Pasted::UrlWithoutCode => {
                        self.error = Some(
                            "That URL has no code; paste the URL the browser went to after Allow."
                                .into(),
                        )
                    }
                    Pasted::Empty => {
                        self.error = Some("Paste the address-bar URL or the code first.".into())
                    }
                }
            }
            O2Input::ExchangeResult(r) => {
                self.exchanging = false;
                match r {
                    Ok(t) => {
                        self.tokens = Some(t);
                        self.step = O2Step::Verify;
                        self.verifying = true;
                        out.push(O2Effect::Verify);
                    }
                    Err(d) => {
                        // A spent or dead code needs a new attempt.
                        self.start_attempt();
                        self.failure = Some(for_wizard(d));
                    }
                }
            }
            O2Input::VerifyResult(r) => {
                self.verifying = false;
                match r {
                    Ok(v) => self.verify = Some(v),
                    Err(d) => self.failure = Some(d),
                }
            }
            O2Input::Export { format, path } => {
                if self.tokens.is_none() {
                    self.error = Some("No tokens yet: finish the Authorize step first.".into());
                } else if path.as_os_str().is_empty() {
                    self.error = Some("Enter the file to write the export to.".into());
                } else if !self.exporting {
                    self.exporting = true;
                    self.exported = None;
                    out.push(O2Effect::Export { format, path });
                }
            }
            O2Input::ExportResult(r) => {
                self.exporting = false;
                self.exported = Some(r);
            }
            O2Input::Next => match self.can_advance() {
                Ok(()) => {
                    self.step = match self.step {
                        O2Step::Settings => O2Step::Register,
                        O2Step::Register => {
                            self.start_attempt();
                            O2Step::Authorize
                        }
                        O2Step::Authorize => O2Step::Verify,
                        O2Step::Verify => O2Step::Verify,
                    }
                }
                Err(e) => self.error = Some(e),
            },
            O2Input::Back => {
                self.step = match self.step {
                    O2Step::Settings | O2Step::Register => O2Step::Settings,
                    O2Step::Authorize => O2Step::Register,
                    O2Step::Verify => O2Step::Authorize,
                }
            }
        }
        out
    }
}

/// A diagnosis of the Authorize step with the fix worded for the wizard (the diagnoses name the
/// `jiralink link …` commands; here a new attempt has already been made, nothing was saved).
fn for_wizard(mut d: Diagnosis) -> Diagnosis {
    let fix = match d.code {
        Code::Oauth2InvalidClient => "Go back to Register (Esc) and paste the Client ID and Client secret again from the link's Credentials in Jira (or create the link with an admin connection).",
        Code::Oauth2AccessDenied => "Open the new authorize URL above, log in as the user jiralink should act as, click Allow, and paste the address-bar URL.",
        Code::Oauth2StateMismatch => "Open the authorize URL shown above (not an older tab), click Allow, and paste the address-bar URL it leads to.",
        Code::Oauth2InvalidGrant | Code::Oauth2InsufficientScope => "A new attempt was made: open the new authorize URL above, click Allow, and paste the address-bar URL right away (codes live 10 seconds by default).",
        _ => return d,
    };
    d.fix = fix.to_owned();
    d
}

impl OAuth2Flow {
    /// What to show for the current step (the TUI renders it like the OAuth 1.0a steps).
    pub fn view(&self) -> StepView {
        let mut v = StepView {
            step: self.step.as_step(),
            number: self.step.number(),
            total: O2Step::TOTAL,
            title: self.step.title().to_owned(),
            fields: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            errors: Vec::new(),
            diagnosis: None,
            busy: None,
            can_advance: self.can_advance(),
        };
        match self.step {
            O2Step::Settings => self.settings_view(&mut v),
            O2Step::Register => self.register_view(&mut v),
            O2Step::Authorize => self.authorize_view(&mut v),
            O2Step::Verify => self.verify_view(&mut v),
        }
        if let Some(d) = &self.failure {
            v.errors.push(d.to_string());
            v.diagnosis = Some(d.clone());
        }
        if let Some(e) = &self.error {
            super::view::push_once(&mut v.errors, e);
        }
        v
    }

    fn settings_view(&self, v: &mut StepView) {
        // "Configure an incoming link": the admin enters a Redirect URL and picks permissions.
        v.notes.push("An OAuth 2.0 incoming link (External application) needs a Redirect URL and permissions. The redirect target need not load: after Allow you paste the browser's address-bar URL here, so no browser or listener is needed on this machine.".into());
        v.notes.push("Jira requires HTTPS redirect URLs in production (http only to localhost). Scopes: READ, WRITE, ADMIN, SYSTEM_ADMIN (10.3+: READ_ALL); a token never gets more than the user who authorizes it has.".into());
        v.fields.push(Field::new(
            "redirect_uri",
            "Redirect URL",
            self.redirect_uri(),
        ));
        v.fields
            .push(Field::new("scopes", "Scopes", self.scopes().join(",")));
        match oauth2::check_redirect_uri(&self.redirect_uri()) {
            Ok(()) => {}
            Err(e) => v.errors.push(e),
        }
        if let Err(e) = oauth2::validate_scopes(&self.scopes(), false) {
            v.errors.push(e);
        }
        if self
            .scopes()
            .iter()
            .any(|s| s == "ADMIN" || s == "SYSTEM_ADMIN")
        {
            v.warnings.push("ADMIN and SYSTEM_ADMIN let the integration change Jira's configuration; ask only for what it needs (an audit needs READ).".into());
        }
    }

    fn register_view(&self, v: &mut StepView) {
        v.notes.extend(self.register_lines());
        v.notes.push("Or create it here with an admin connection: POST /rest/oauth2/latest/client (if Jira answers 404, register it by hand and paste the credentials).".into());
        v.fields.push(
            Field::new(
                "link_name",
                "Name",
                format!("jiralink-{}", self.connection_name),
            )
            .copyable(),
        );
        v.fields
            .push(Field::new("redirect_uri", "Redirect URL", self.redirect_uri()).copyable());
        v.fields
            .push(Field::new("permission", "Permission", self.link_scope()));
        if self.creating {
            v.busy = Some(format!(
                "Creating the OAuth 2.0 link with {}",
                self.admin.as_deref().unwrap_or("the admin connection")
            ));
        }
        if self.create_unavailable {
            v.warnings.push("Jira answered 404 to POST /rest/oauth2/latest/client: create the link in Jira's UI (above) and paste its Client ID and Client secret.".into());
        }
        if let Some((id, _)) = &self.client {
            v.fields
                .push(Field::new("client_id", "Client ID", id.clone()));
        }
    }

    fn authorize_view(&self, v: &mut StepView) {
        v.notes.push("Open this URL in any browser logged in to Jira as the user the integration acts as, and click Allow. The browser then goes to the Redirect URL (it need not load): paste its address-bar URL, or just the code, below.".into());
        // "OAuth 2.0 provider system properties": codes live 10 s by default, 600 s at most.
        v.notes.push("Jira keeps an authorization code 10 seconds by default (600 at most): paste right after Allow. A new attempt (fresh PKCE verifier and state) is made after a failure.".into());
        if let Some(url) = self.authorize_url() {
            v.fields
                .push(Field::new("authorize_url", "Authorize URL", url).copyable());
        }
        if self.exchanging {
            v.busy = Some("Exchanging the code for tokens".into());
        }
    }

    fn verify_view(&self, v: &mut StepView) {
        if self.verifying {
            v.busy = Some("Checking who the token acts as".into());
        }
        if let Some(i) = &self.verify {
            let who = match &i.display_name {
                Some(d) => format!("{} ({d})", i.user),
                None => i.user.clone(),
            };
            v.fields.push(Field::new("acts_as", "Acts as", who));
            v.fields.push(Field::new(
                "granted_scopes",
                "Granted scopes",
                i.scopes.clone(),
            ));
        }
        if let Some((id, _)) = &self.client {
            v.fields
                .push(Field::new("client_id", "Client ID", id.clone()));
        }
        v.fields.push(Field::new(
            "token_endpoint",
            "Token endpoint",
            format!("{}{}", self.base_url, oauth2::TOKEN_PATH),
        ));
        if let Some(t) = &self.tokens {
            v.fields.push(Field::new(
                "access_token",
                "Access token",
                "(hidden; in the export, refreshed automatically)",
            ));
            if let Some(e) = t.expires_at_rfc3339() {
                v.fields
                    .push(Field::new("token_expires_at", "Access token expires", e));
            }
        }
        if self.exporting {
            v.busy = Some("Writing the export".into());
        }
        match &self.exported {
            Some(Ok(p)) => v.notes.push(format!(
                "Export written to {} (mode 0600): it holds the client secret and tokens.",
                p.display()
            )),
            Some(Err(e)) => v.errors.push(format!("Export not written: {e}")),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_version() {
        assert_eq!(offered_kinds(Some((8, 21, 0))), [LinkKind::OAuth1]);
        assert_eq!(offered_kinds(None), [LinkKind::OAuth1]);
        assert_eq!(
            offered_kinds(Some((8, 22, 0))),
            [LinkKind::OAuth1, LinkKind::OAuth2]
        );
        assert_eq!(
            offered_kinds(Some((9, 12, 3))),
            [LinkKind::OAuth2, LinkKind::OAuth1]
        );
    }

    #[test]
    fn settings_refuse_http_redirects_and_unknown_scopes() {
        let mut f = OAuth2Flow::new("https://j.example", Some((10, 3, 0)), "app");
        f.apply(O2Input::SetRedirect("http://app.example.com/cb".into()));
        f.apply(O2Input::Next);
        assert!(f.error().unwrap().contains("HTTPS"), "{:?}", f.error());
        f.apply(O2Input::SetRedirect(String::new()));
        f.apply(O2Input::SetScopes("READ,EVERYTHING".into()));
        f.apply(O2Input::Next);
        assert_eq!(f.step(), O2Step::Settings);
        f.apply(O2Input::SetScopes("read".into()));
        f.apply(O2Input::Next);
        assert_eq!(f.step(), O2Step::Register);
    }

    #[test]
    fn create_404_falls_back_to_pasting_and_state_is_checked() {
        let mut f = OAuth2Flow::new("https://j.example", Some((10, 3, 0)), "app");
        f.apply(O2Input::Next);
        assert!(f.apply(O2Input::Create).is_empty());
        f.apply(O2Input::SetAdmin(Some("admin".into())));
        let e = f.apply(O2Input::Create);
        assert!(matches!(&e[..], [O2Effect::CreateClient { scope, .. }] if scope == "READ"));
        f.apply(O2Input::CreateResult(Ok(None)));
        assert!(f.create_unavailable());
        f.apply(O2Input::SetClientId("cid".into()));
        f.apply(O2Input::SetClientSecret(SecretString::from(
            "s".to_string(),
        )));
        f.apply(O2Input::UseCredentials);
        assert_eq!(f.step(), O2Step::Authorize);
        let url = f.authorize_url().unwrap();
        assert!(url.contains("client_id=cid") && url.contains("code_challenge="));
        f.apply(O2Input::SetPasted(
            "https://jiralink.invalid/oauth2/callback?code=c&state=other".into(),
        ));
        assert!(f.apply(O2Input::SubmitPasted).is_empty());
        assert_eq!(f.failure().unwrap().code, Code::Oauth2StateMismatch);
        let state = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        f.apply(O2Input::SetPasted(format!(
            "https://jiralink.invalid/oauth2/callback?code=c&state={state}"
        )));
        assert_eq!(
            f.apply(O2Input::SubmitPasted),
            [O2Effect::Exchange { code: "c".into() }]
        );
    }
}
