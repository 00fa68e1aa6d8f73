//! The Link wizard pane: a thin front end over the pure state machine [`crate::wizard::Wizard`].
//! It turns keys into wizard inputs, runs the wizard's effects as TUI effects (request ids drop
//! stale answers), debounces the URL probe, and renders [`crate::wizard::StepView`].

mod keys;
mod view;

pub use keys::*;

use super::{Pane, PaneCx, ViewCx};
use crate::config::Config;
use crate::tui::action::{Effect, RequestId};
use crate::tui::effects::WizardCtx;
use crate::tui::keymap::{Binding, Cmd, WizardCmd};
use crate::tui::widgets::progress_rail::progress_rail;
use crate::tui::widgets::text_field::TextField;
use crate::wizard::{
    self, ExportFormat, Field, Input, O2Effect, O2Input, O2Step, Step, StepView, Wizard,
};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Lines one PgDn/PgUp scrolls.
const PAGE: u16 = 10;

/// How long the URL must stay unchanged before it is probed.
pub const PROBE_DEBOUNCE: Duration = Duration::from_millis(400);

pub use crate::wizard::LinkPreset;

/// The editable text fields of the wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WizardField {
    /// Jira base URL (step 1).
    Url,
    /// Name of the connection saved at the end (step 1).
    ConnectionName,
    /// Consumer key (step 2).
    ConsumerKey,
    /// Consumer name (step 2).
    ConsumerName,
    /// Where a generated key is written (step 2).
    KeyPath,
    /// An existing private key to use instead (step 2).
    ImportPath,
    /// Application URL for Jira's form (step 3).
    AppUrl,
    /// The verification code (step 5).
    Verifier,
    /// Where the export is written (step 6).
    ExportPath,
    /// OAuth 2.0: the Redirect URL.
    RedirectUri,
    /// OAuth 2.0: scopes (`READ,WRITE`).
    Scopes,
    /// OAuth 2.0: client id pasted from Jira.
    ClientId,
    /// OAuth 2.0: client secret pasted from Jira (masked).
    ClientSecret,
    /// OAuth 2.0: the address-bar URL after Allow, or the code.
    Pasted,
}

impl WizardField {
    fn label(self) -> &'static str {
        match self {
            WizardField::Url => "Jira base URL",
            WizardField::ConnectionName => "Save as connection",
            WizardField::ConsumerKey => "Consumer key",
            WizardField::ConsumerName => "Consumer name",
            WizardField::KeyPath => "New key file",
            WizardField::ImportPath => "Or existing key",
            WizardField::AppUrl => "Application URL",
            WizardField::Verifier => "Verification code",
            WizardField::ExportPath => "Export to",
            WizardField::RedirectUri => "Redirect URL",
            WizardField::Scopes => "Scopes",
            WizardField::ClientId => "Client ID",
            WizardField::ClientSecret => "Client secret",
            WizardField::Pasted => "Redirected URL/code",
        }
    }

    /// An empty field for `id` (the client secret is masked).
    fn empty(self) -> TextField {
        match self {
            WizardField::ClientSecret => TextField::masked(""),
            _ => TextField::default(),
        }
    }

    /// The view field this input replaces on screen (shown once, as the editable field).
    fn view_id(self) -> Option<&'static str> {
        match self {
            WizardField::Url => Some("base_url"),
            WizardField::ConsumerKey => Some("consumer_key"),
            WizardField::ConsumerName => Some("consumer_name"),
            WizardField::AppUrl => Some("application_url"),
            WizardField::Verifier => Some("verifier"),
            WizardField::RedirectUri => Some("redirect_uri"),
            WizardField::Scopes => Some("scopes"),
            _ => None,
        }
    }
}

/// One focusable row of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A text field.
    Text(WizardField),
    /// Key size (cycle 2048 / 3072 / 4096).
    Bits,
    /// Admin connection (cycle through the config's connections).
    Admin,
    /// Export format (cycle toml / json / env).
    Format,
    /// Kind of link (cycle the kinds this Jira offers).
    Kind,
    /// A button.
    Action(WizardCmd),
    /// A copyable value of the step's view, by field id.
    Copy(&'static str),
}

/// Which wizard effect a request belongs to; a newer request of the same kind replaces an older one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Probe,
    Key,
    Create,
    RequestToken,
    Exchange,
    Verify,
    Export,
    O2Create,
    O2Exchange,
    O2Verify,
    O2Export,
}

fn kind_of(e: &wizard::WizardEffect) -> Kind {
    match e {
        wizard::WizardEffect::Probe { .. } => Kind::Probe,
        wizard::WizardEffect::GenerateKey { .. } | wizard::WizardEffect::LoadKey { .. } => {
            Kind::Key
        }
        wizard::WizardEffect::CreateLink { .. } => Kind::Create,
        wizard::WizardEffect::RequestToken { .. } => Kind::RequestToken,
        wizard::WizardEffect::ExchangeVerifier { .. } => Kind::Exchange,
        wizard::WizardEffect::Verify { .. } => Kind::Verify,
        wizard::WizardEffect::Export { .. } => Kind::Export,
        wizard::WizardEffect::OAuth2(e) => match e {
            O2Effect::CreateClient { .. } => Kind::O2Create,
            O2Effect::Exchange { .. } => Kind::O2Exchange,
            O2Effect::Verify => Kind::O2Verify,
            O2Effect::Export { .. } => Kind::O2Export,
        },
    }
}

/// The Link wizard pane's messages: the results of its work, nested in
/// [`crate::tui::action::Action::Wizard`].
#[derive(Debug)]
pub enum WizardMsg {
    /// A link-wizard effect finished; the input goes to the wizard if `req` is still current.
    Done {
        req: RequestId,
        input: Box<crate::wizard::Input>,
    },
    /// A link-wizard effect could not finish (timed out, task died).
    Failed { req: RequestId, message: String },
    /// The linked connection was saved (or why not); carries the config as saved.
    LinkedSaved {
        req: RequestId,
        result: Result<Config, String>,
    },
    /// A pasted private key was stored (its path), or why not.
    KeyImported {
        req: RequestId,
        result: Result<PathBuf, String>,
    },
    /// The app's browser approved the request token: the verification code Jira showed, or why not.
    Approved {
        req: RequestId,
        result: Result<String, String>,
    },
}

/// The Link wizard pane.
#[derive(Debug)]
pub struct WizardPane {
    wizard: Wizard,
    ctx: WizardCtx,
    texts: BTreeMap<WizardField, TextField>,
    export_format: ExportFormat,
    focus: usize,
    /// True while the focused text field takes the keys.
    editing: bool,
    /// Lines scrolled by hand (PgDn/PgUp) beyond what keeps the focused row visible.
    scroll: u16,
    /// The step `focus` belongs to; focus restarts at the top when the step changes.
    focus_step: Step,
    confirming: bool,
    /// Connection names from the config (admin choices).
    connections: Vec<String>,
    inflight: BTreeMap<Kind, RequestId>,
    probe_due: Option<Instant>,
    /// Next was asked for on the first step before the probe answered: advance once it succeeds.
    advance_after_probe: bool,
    has_browser: bool,
    allow_req: Option<RequestId>,
    /// The authorize URL the app's browser was last sent to.
    allow_for: Option<String>,
    /// What the simulated Jira showed after Allow (OAuth 1.0a: the verification code; OAuth
    /// 2.0: the address the browser was sent to).
    allow_page: Option<Result<String, String>>,
    save_req: Option<RequestId>,
    /// A pasted PEM key being stored.
    import_req: Option<RequestId>,
    /// The connection saved at the end, or why not.
    saved: Option<Result<String, String>>,
}

impl WizardPane {
    /// A fresh wizard; keys and tokens go under `ctx.data_dir`.
    pub fn new(ctx: WizardCtx, preset: Option<&LinkPreset>, has_browser: bool) -> Self {
        let mut pane = Self {
            // The user picks the kind on Target; a preset kind (the demo's OAuth 1.0a) is only
            // the first choice.
            wizard: Wizard::offering_kinds(ctx.data_dir.clone()),
            ctx,
            texts: BTreeMap::new(),
            export_format: ExportFormat::Toml,
            focus: 0,
            editing: false,
            scroll: 0,
            focus_step: Step::Target,
            confirming: false,
            connections: Vec::new(),
            inflight: BTreeMap::new(),
            probe_due: None,
            advance_after_probe: false,
            has_browser,
            allow_req: None,
            allow_for: None,
            allow_page: None,
            save_req: None,
            import_req: None,
            saved: None,
        };
        if let Some(p) = preset {
            for (id, v) in [
                (WizardField::Url, &p.url),
                (WizardField::ConnectionName, &p.connection_name),
                (WizardField::ConsumerKey, &p.consumer_key),
            ] {
                pane.texts.insert(id, TextField::new(v.clone()));
                pane.sync_text(id);
            }
            pane.wizard.apply(Input::SetAdmin(p.admin.clone()));
            if let Some(k) = p.kind {
                pane.wizard.apply(Input::SetKind(k));
            }
            if pane.wizard.base_url().is_ok() {
                pane.probe_due = Some(Instant::now());
            }
        }
        pane
    }

    /// The state machine (tests and the status line read it).
    pub fn wizard(&self) -> &Wizard {
        &self.wizard
    }

    /// The focused row.
    pub fn focused(&self) -> Option<Item> {
        self.items().get(self.focus).copied()
    }

    /// True while the focused text field takes the keys (Enter starts, Esc ends editing).
    pub fn editing(&self) -> bool {
        self.editing && !self.confirming && matches!(self.focused(), Some(Item::Text(_)))
    }

    /// The text typed into `id`.
    pub fn text(&self, id: WizardField) -> &str {
        self.texts.get(&id).map(TextField::value).unwrap_or("")
    }

    /// The verification code the simulated Jira showed (demo; OAuth 2.0: the address the
    /// simulated browser was sent to after Allow), for the current authorize URL.
    pub fn simulated_code(&self) -> Option<&str> {
        match self.allow_page_now() {
            Some(Ok(code)) => Some(code),
            _ => None,
        }
    }

    /// What the app's browser brought back for the authorize URL shown now (none once a new
    /// request token or attempt replaced it).
    pub(crate) fn allow_page_now(&self) -> Option<&Result<String, String>> {
        let now = self.authorize_url();
        self.allow_page
            .as_ref()
            .filter(|_| now.is_some() && self.allow_for == now)
    }

    /// The authorize URL of the current attempt, on either path.
    fn authorize_url(&self) -> Option<String> {
        match self.wizard.oauth2() {
            Some(f) => f.authorize_url(),
            None => self.wizard.authorize_url(),
        }
    }

    /// The connection saved at the end, once saved.
    pub fn saved_connection(&self) -> Option<&str> {
        match &self.saved {
            Some(Ok(name)) => Some(name),
            _ => None,
        }
    }

    /// The config's connections changed: they are the admin choices.
    pub fn set_connections(&mut self, config: Option<&Config>) {
        // Likely admin connections first: the picker's first choice is the usual one.
        self.connections = config.map(Config::admin_choices).unwrap_or_default();
    }

    /// The rows of the current step, in focus order.
    pub fn items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        match self.wizard.step() {
            _ if self.wizard.oauth2().is_some() => items = self.oauth2_items(),
            Step::Target => {
                items.push(Item::Text(WizardField::Url));
                items.push(Item::Text(WizardField::ConnectionName));
                if self.wizard.chooses_kind() && self.wizard.offered_kinds().len() > 1 {
                    items.push(Item::Kind);
                }
            }
            Step::Keys => {
                items.extend([
                    Item::Text(WizardField::ConsumerKey),
                    Item::Text(WizardField::ConsumerName),
                    Item::Text(WizardField::KeyPath),
                    Item::Bits,
                    Item::Action(WizardCmd::Generate),
                    Item::Text(WizardField::ImportPath),
                    Item::Action(WizardCmd::LoadKey),
                ]);
                if self.wizard.key_info().is_some() {
                    items.push(Item::Action(WizardCmd::NextStep));
                }
            }
            Step::Register => {
                items.push(Item::Action(WizardCmd::NextStep));
                items.push(Item::Action(WizardCmd::Skip));
                items.push(Item::Text(WizardField::AppUrl));
            }
            Step::Create => {
                items.push(Item::Admin);
                if self.wizard.link_created() {
                    items.push(Item::Action(WizardCmd::NextStep));
                } else {
                    items.push(Item::Action(WizardCmd::Create));
                    items.push(Item::Action(WizardCmd::Skip));
                }
            }
            Step::Authorize => {
                if self.has_browser && self.wizard.request_token().is_some() {
                    items.push(Item::Action(WizardCmd::Approve));
                }
                items.push(Item::Text(WizardField::Verifier));
                items.push(Item::Action(WizardCmd::NewToken));
            }
            Step::Verify => {
                items.push(Item::Format);
                items.push(Item::Text(WizardField::ExportPath));
                items.push(Item::Action(WizardCmd::Export));
            }
        }
        let view = self.wizard.view();
        items.extend(
            view.fields
                .iter()
                .filter(|f| f.copyable && !f.value.is_empty())
                .filter(|f| !self.shown_as_input(f))
                .map(|f| Item::Copy(f.id)),
        );
        items
    }

    fn shown_as_input(&self, f: &Field) -> bool {
        self.input_ids().any(|id| id.view_id() == Some(f.id))
    }

    fn input_ids(&self) -> impl Iterator<Item = WizardField> + '_ {
        let step = self.wizard.step();
        let oauth2 = self.wizard.oauth2().is_some();
        let o2: &[(Step, WizardField)] = &[
            (Step::Keys, WizardField::RedirectUri),
            (Step::Keys, WizardField::Scopes),
        ];
        let o1: &[(Step, WizardField)] = &[
            (Step::Target, WizardField::Url),
            (Step::Keys, WizardField::ConsumerKey),
            (Step::Keys, WizardField::ConsumerName),
            (Step::Register, WizardField::AppUrl),
            (Step::Authorize, WizardField::Verifier),
        ];
        (if oauth2 { o2 } else { o1 })
            .iter()
            .filter(move |(s, _)| *s == step)
            .map(|(_, id)| *id)
    }

    /// The rows of the OAuth 2.0 path's current step.
    fn oauth2_items(&self) -> Vec<Item> {
        let Some(f) = self.wizard.oauth2() else {
            return Vec::new();
        };
        match f.step() {
            O2Step::Settings => vec![
                Item::Text(WizardField::RedirectUri),
                Item::Text(WizardField::Scopes),
                Item::Action(WizardCmd::NextStep),
            ],
            O2Step::Register => {
                let mut v = vec![Item::Admin, Item::Action(WizardCmd::Create)];
                v.extend([
                    Item::Text(WizardField::ClientId),
                    Item::Text(WizardField::ClientSecret),
                    Item::Action(WizardCmd::UseCredentials),
                ]);
                if f.client().is_some() {
                    v.push(Item::Action(WizardCmd::NextStep));
                }
                v
            }
            O2Step::Authorize => {
                let mut v = Vec::new();
                if self.has_browser && f.authorize_url().is_some() {
                    v.push(Item::Action(WizardCmd::Approve));
                }
                v.extend([
                    Item::Text(WizardField::Pasted),
                    Item::Action(WizardCmd::NewToken),
                ]);
                v
            }
            O2Step::Verify => vec![
                Item::Format,
                Item::Text(WizardField::ExportPath),
                Item::Action(WizardCmd::Export),
            ],
        }
    }

    fn mode_keys(&self) -> &'static [Binding] {
        if self.confirming {
            CONFIRM_KEYS
        } else if self.editing() {
            TEXT_KEYS
        } else {
            NAV_KEYS
        }
    }

    /// The default shown (dimmed) in an empty field, and used when it stays empty.
    fn placeholder(&self, id: WizardField) -> String {
        let w = &self.wizard;
        match id {
            WizardField::Url => "https://jira.example.com/jira".into(),
            WizardField::ConnectionName => w.connection_name(),
            WizardField::ConsumerKey => w.consumer_key(),
            WizardField::ConsumerName => w.consumer_name(),
            WizardField::KeyPath => w.key_path().display().to_string(),
            WizardField::ImportPath => "path of a PEM private key file".into(),
            WizardField::AppUrl => w.app_url(),
            WizardField::Verifier => "the code Jira shows after Allow".into(),
            WizardField::ExportPath => self.default_export_path().display().to_string(),
            WizardField::RedirectUri => crate::jira::oauth2::DEFAULT_REDIRECT_URI.into(),
            WizardField::Scopes => "READ (or READ,WRITE …)".into(),
            WizardField::ClientId => "from the link's Credentials in Jira".into(),
            WizardField::ClientSecret => "from the link's Credentials in Jira".into(),
            WizardField::Pasted => "the browser's address-bar URL after Allow, or the code".into(),
        }
    }

    fn default_export_path(&self) -> PathBuf {
        self.ctx.data_dir.join(format!(
            "{}-export.{}",
            self.wizard.connection_name(),
            self.export_format.extension()
        ))
    }

    /// Tell the wizard what `id` now holds.
    fn sync_text(&mut self, id: WizardField) {
        let v = self.text(id).to_string();
        let input = match id {
            WizardField::Url => Input::SetUrl(v),
            WizardField::ConnectionName => Input::SetConnectionName(v),
            WizardField::ConsumerKey => Input::SetConsumerKey(v),
            WizardField::ConsumerName => Input::SetConsumerName(v),
            WizardField::KeyPath => Input::SetKeyPath(PathBuf::from(v)),
            WizardField::AppUrl => Input::SetAppUrl(v),
            WizardField::Verifier => Input::SetVerifier(v),
            WizardField::RedirectUri => Input::OAuth2(O2Input::SetRedirect(v)),
            WizardField::Scopes => Input::OAuth2(O2Input::SetScopes(v)),
            WizardField::ClientId => Input::OAuth2(O2Input::SetClientId(v)),
            WizardField::ClientSecret => {
                Input::OAuth2(O2Input::SetClientSecret(secrecy::SecretString::from(v)))
            }
            WizardField::Pasted => Input::OAuth2(O2Input::SetPasted(v)),
            WizardField::ImportPath | WizardField::ExportPath => return,
        };
        // Validation messages while typing come from the view; a refusal here only means
        // "not valid yet", which the view already explains.
        let effects = self.wizard.apply(input);
        debug_assert!(effects.is_empty(), "setters never start work");
    }

    /// Apply an input and start the work it asks for.
    fn apply(&mut self, input: Input, cx: &mut PaneCx<'_>) {
        let effects = self.wizard.apply(input);
        self.spawn(effects, cx);
        self.after_change();
    }

    fn spawn(&mut self, effects: Vec<wizard::WizardEffect>, cx: &mut PaneCx<'_>) {
        for effect in effects {
            let kind = kind_of(&effect);
            let req = cx.ids.next_id();
            if let Some(old) = self.inflight.insert(kind, req) {
                cx.effects.push(Effect::Cancel(old));
            }
            if kind == Kind::RequestToken {
                self.allow_page = None;
            }
            cx.effects.push(Effect::Wizard {
                req,
                ctx: self.ctx.clone(),
                wizard: Box::new(self.wizard.clone()),
                effect,
            });
        }
    }

    /// Keep the focus on the current step's rows.
    fn after_change(&mut self) {
        let step = self.wizard.step();
        if step != self.focus_step {
            self.focus_step = step;
            self.focus = 0;
            self.confirming = false;
            self.editing = false;
            self.scroll = 0;
        }
        let n = self.items().len();
        self.focus = self.focus.min(n.saturating_sub(1));
    }

    /// A wizard effect finished: stale answers (an older request of the same kind) are dropped.
    /// Apply one of the pane's messages; true when it was for this pane's current work.
    pub fn update(&mut self, msg: WizardMsg, cx: &mut PaneCx<'_>) -> bool {
        match msg {
            WizardMsg::Done { req, input } => self.on_result(req, *input, cx),
            WizardMsg::Failed { req, message } => self.on_failed(req, message, cx),
            WizardMsg::LinkedSaved { req, result } => self.on_saved(req, &result, cx),
            WizardMsg::KeyImported { req, result } => self.on_key_imported(req, result, cx),
            WizardMsg::Approved { req, result } => self.on_allow(req, result, cx),
        }
    }

    pub fn on_result(&mut self, req: RequestId, input: Input, cx: &mut PaneCx<'_>) -> bool {
        let Some((&kind, _)) = self.inflight.iter().find(|(_, r)| **r == req) else {
            return false;
        };
        self.inflight.remove(&kind);
        let verified = matches!(
            input,
            Input::VerifyResult(Ok(_)) | Input::OAuth2(O2Input::VerifyResult(Ok(_)))
        );
        self.apply(input, cx);
        let o2_verified = self
            .wizard
            .oauth2()
            .is_some_and(|f| f.verify_info().is_some());
        if verified && (self.wizard.verify_info().is_some() || o2_verified) {
            // OAuth 2.0: saved with its tokens at the exchange; this reports and reloads it.
            self.save(cx);
        }
        if kind == Kind::Probe
            && std::mem::take(&mut self.advance_after_probe)
            && self.wizard.step() == Step::Target
            && self.wizard.can_advance().is_ok()
        {
            self.apply(Input::Next, cx);
        }
        true
    }

    /// Next: on the first step it waits for the probe (starting it if needed) and then advances,
    /// so "Next" typed before the probe answered still means Next.
    fn next_step(&mut self, cx: &mut PaneCx<'_>) {
        let target = self.wizard.step() == Step::Target;
        if target && self.wizard.base_url().is_ok() && self.wizard.can_advance().is_err() {
            self.probe_due = None;
            self.advance_after_probe = true;
            if self.inflight.contains_key(&Kind::Probe) {
                return; // on its way
            }
        }
        self.apply(Input::Next, cx)
    }

    /// A wizard effect never answered.
    pub fn on_failed(&mut self, req: RequestId, message: String, cx: &mut PaneCx<'_>) -> bool {
        let Some((&kind, _)) = self.inflight.iter().find(|(_, r)| **r == req) else {
            return false;
        };
        self.inflight.remove(&kind);
        self.advance_after_probe &= kind != Kind::Probe;
        cx.status.error = Some(format!("link wizard: {message}"));
        // The wizard still waits for an answer: give it a failure so it can be retried.
        let d = crate::jira::Diagnosis::error(
            crate::jira::Code::Other,
            "No answer",
            message.clone(),
            "Try again.",
        );
        let input = match kind {
            Kind::Probe => Input::ProbeResult(Err(d)),
            Kind::Key => Input::KeyReady(Err(message)),
            Kind::Create => Input::CreateResult(Err(d)),
            Kind::RequestToken => Input::RequestTokenResult(Err(d)),
            Kind::Exchange => Input::AccessTokenResult(Err(d)),
            Kind::Verify => Input::VerifyResult(Err(d)),
            Kind::Export => Input::ExportResult(Err(message)),
            Kind::O2Create => Input::OAuth2(O2Input::CreateResult(Err(d))),
            Kind::O2Exchange => Input::OAuth2(O2Input::ExchangeResult(Err(d))),
            Kind::O2Verify => Input::OAuth2(O2Input::VerifyResult(Err(d))),
            Kind::O2Export => Input::OAuth2(O2Input::ExportResult(Err(message))),
        };
        self.apply(input, cx);
        true
    }

    fn save(&mut self, cx: &mut PaneCx<'_>) {
        let req = cx.ids.next_id();
        if let Some(old) = self.save_req.replace(req) {
            cx.effects.push(Effect::Cancel(old));
        }
        self.saved = None;
        cx.effects.push(Effect::SaveLinked {
            req,
            ctx: self.ctx.clone(),
            wizard: Box::new(self.wizard.clone()),
        });
    }

    /// The linked connection was saved (or not). True when it was ours.
    pub fn on_saved(
        &mut self,
        req: RequestId,
        result: &Result<Config, String>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        if self.save_req != Some(req) {
            return false;
        }
        self.save_req = None;
        let name = self.wizard.connection_name();
        match result {
            Ok(config) => {
                cx.status.error = None;
                cx.status.notice = Some(format!("saved connection {name}"));
                self.saved = Some(Ok(name));
                self.set_connections(Some(config));
            }
            Err(e) => {
                cx.status.error = Some(format!("connection not saved: {e}"));
                self.saved = Some(Err(e.clone()));
            }
        }
        true
    }

    /// A pasted private key was stored: use it like an existing key file.
    pub fn on_key_imported(
        &mut self,
        req: RequestId,
        result: Result<PathBuf, String>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        if self.import_req != Some(req) {
            return false;
        }
        self.import_req = None;
        match result {
            Ok(path) => {
                self.texts.insert(
                    WizardField::ImportPath,
                    TextField::new(path.display().to_string()),
                );
                cx.status.notice = Some(format!("pasted key stored at {}", path.display()));
                self.apply(Input::UseExistingKey(path), cx);
            }
            Err(e) => cx.status.error = Some(format!("pasted key not usable: {e}")),
        }
        true
    }

    /// Pasted text: a PEM private key on the Keys step is imported, anything else goes into the
    /// focused field.
    fn paste_into_field(&mut self, text: &str) -> bool {
        let Some(Item::Text(id)) = self.focused() else {
            return false;
        };
        // Pasting into the focused field starts editing it (a code, a URL, a path).
        self.editing = true;
        self.texts
            .entry(id)
            .or_insert_with(|| id.empty())
            .paste(text.trim());
        self.sync_text(id);
        if id == WizardField::Url {
            self.schedule_probe(Instant::now());
        }
        self.after_change();
        true
    }

    /// Bracketed paste of a PEM private key on the Keys step: store it (0600) at the key path.
    fn paste_private_key(&mut self, text: &str, cx: &mut PaneCx<'_>) {
        let req = cx.ids.next_id();
        if let Some(old) = self.import_req.replace(req) {
            cx.effects.push(Effect::Cancel(old));
        }
        cx.effects.push(Effect::ImportKeyPem {
            req,
            path: self.wizard.key_path(),
            pem: secrecy::SecretString::from(text.to_string()),
        });
    }

    /// Send the app's browser (the demo's) to the current authorize URL to log in and click
    /// Allow, on either path. False when there is no browser or no URL yet.
    fn send_browser(&mut self, cx: &mut PaneCx<'_>) -> bool {
        let Some(url) = self.authorize_url().filter(|_| self.has_browser) else {
            return false;
        };
        let req = cx.ids.next_id();
        if let Some(old) = self.allow_req.replace(req) {
            cx.effects.push(Effect::Cancel(old));
        }
        self.allow_for = Some(url.clone());
        self.allow_page = None;
        cx.effects.push(Effect::Approve { req, url });
        true
    }

    /// The simulated "Allow" finished (demo). On the OAuth 2.0 path the address the browser
    /// was sent to goes into the paste field, focused, as if the user had pasted it: Enter
    /// submits it.
    pub fn on_allow(
        &mut self,
        req: RequestId,
        result: Result<String, String>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        if self.allow_req != Some(req) {
            return false;
        }
        self.allow_req = None;
        if let Err(e) = &result {
            cx.status.error = Some(format!("simulated Allow failed: {e}"));
        }
        self.allow_page = Some(result);
        let at_authorize = self
            .wizard
            .oauth2()
            .is_some_and(|f| f.step() == O2Step::Authorize);
        if let (true, Some(Ok(address))) = (at_authorize, self.allow_page_now().cloned()) {
            self.texts
                .insert(WizardField::Pasted, TextField::new(address));
            self.sync_text(WizardField::Pasted);
            let pasted = Item::Text(WizardField::Pasted);
            if let Some(i) = self.items().iter().position(|it| *it == pasted) {
                self.focus = i;
                self.editing = true;
            }
            cx.status.notice = Some(
                "the simulated browser's address after Allow is filled in: Enter submits it".into(),
            );
        }
        true
    }

    fn copy(&mut self, cx: &mut PaneCx<'_>) -> bool {
        let Some(Item::Copy(id)) = self.focused() else {
            return false;
        };
        let view = self.wizard.view();
        let Some(f) = view.fields.iter().find(|f| f.id == id) else {
            return false;
        };
        cx.effects.push(Effect::Copy(f.value.clone()));
        cx.status.notice = Some(format!(
            "copied {} ({} chars) via OSC 52; if your terminal ignores OSC 52, select it on screen",
            f.label,
            f.value.chars().count()
        ));
        true
    }

    fn run_wizard_cmd(&mut self, cmd: WizardCmd, cx: &mut PaneCx<'_>) -> bool {
        if let Some(step) = self.wizard.oauth2().map(|f| f.step()) {
            return self.run_oauth2_cmd(cmd, step, cx);
        }
        let step = self.wizard.step();
        match cmd {
            WizardCmd::NextStep => self.next_step(cx),
            WizardCmd::Generate if step == Step::Keys => {
                self.apply(Input::GenerateKey { overwrite: false }, cx)
            }
            WizardCmd::LoadKey if step == Step::Keys => {
                let p = PathBuf::from(self.text(WizardField::ImportPath).trim());
                self.apply(Input::UseExistingKey(p), cx)
            }
            WizardCmd::Skip if matches!(step, Step::Register | Step::Create) => {
                self.apply(Input::SkipCreate, cx)
            }
            WizardCmd::Create if step == Step::Create => {
                if self.wizard.admin().is_none() {
                    self.apply(Input::ConfirmCreate, cx); // records why it is refused
                } else {
                    self.confirming = true;
                }
            }
            WizardCmd::NewToken if step == Step::Authorize => self.apply(Input::RequestToken, cx),
            WizardCmd::Approve if step == Step::Authorize => return self.send_browser(cx),
            WizardCmd::Export if step == Step::Verify => {
                let typed = self.text(WizardField::ExportPath).trim().to_string();
                let path = if typed.is_empty() {
                    self.default_export_path()
                } else {
                    PathBuf::from(typed)
                };
                self.apply(
                    Input::Export {
                        format: self.export_format,
                        path,
                    },
                    cx,
                );
            }
            _ => return false,
        }
        true
    }

    /// The OAuth 2.0 path's buttons.
    fn run_oauth2_cmd(&mut self, cmd: WizardCmd, step: O2Step, cx: &mut PaneCx<'_>) -> bool {
        let o2 = |i| Input::OAuth2(i);
        match cmd {
            WizardCmd::NextStep => self.apply(Input::Next, cx),
            WizardCmd::Create if step == O2Step::Register => {
                if self.wizard.admin().is_none() {
                    self.apply(o2(O2Input::Create), cx); // records why it is refused
                } else {
                    self.confirming = true;
                }
            }
            WizardCmd::UseCredentials if step == O2Step::Register => {
                self.apply(o2(O2Input::UseCredentials), cx)
            }
            WizardCmd::NewToken if step == O2Step::Authorize => {
                self.texts.remove(&WizardField::Pasted);
                self.apply(o2(O2Input::NewAttempt), cx)
            }
            WizardCmd::Approve if step == O2Step::Authorize => return self.send_browser(cx),
            WizardCmd::Export if step == O2Step::Verify => {
                let typed = self.text(WizardField::ExportPath).trim().to_string();
                let path = if typed.is_empty() {
                    self.default_export_path()
                } else {
                    PathBuf::from(typed)
                };
                let format = self.export_format;
                self.apply(o2(O2Input::Export { format, path }), cx);
            }
            _ => return false,
        }
        true
    }

    fn cycle(&mut self) -> bool {
        match self.focused() {
            Some(Item::Kind) => {
                let all = self.wizard.offered_kinds();
                let i = all
                    .iter()
                    .position(|k| *k == self.wizard.link_kind())
                    .unwrap_or(0);
                if let Some(next) = all.get((i + 1) % all.len().max(1)) {
                    self.wizard.apply(Input::SetKind(*next));
                }
            }
            Some(Item::Bits) => {
                let all = crate::keys::ALLOWED_BITS;
                let i = all
                    .iter()
                    .position(|b| *b == self.wizard.key_bits())
                    .unwrap_or(0);
                self.wizard
                    .apply(Input::SetKeyBits(all[(i + 1) % all.len()]));
            }
            Some(Item::Admin) => {
                let names: Vec<&String> = self.connections.iter().collect();
                let next = match self
                    .wizard
                    .admin()
                    .and_then(|a| names.iter().position(|n| n.as_str() == a))
                {
                    Some(i) if i + 1 < names.len() => Some(names[i + 1].clone()),
                    Some(_) => None,
                    None => names.first().map(|n| (*n).clone()),
                };
                self.wizard.apply(Input::SetAdmin(next));
            }
            Some(Item::Format) => {
                let all = ExportFormat::ALL;
                let i = all
                    .iter()
                    .position(|f| *f == self.export_format)
                    .unwrap_or(0);
                self.export_format = all[(i + 1) % all.len()];
            }
            _ => return false,
        }
        true
    }

    fn activate(&mut self, cx: &mut PaneCx<'_>) -> bool {
        if matches!(self.focused(), Some(Item::Text(_))) && !self.editing {
            self.editing = true;
            return true;
        }
        self.editing = false;
        match self.focused() {
            Some(Item::Text(WizardField::Verifier)) => self.apply(Input::SubmitVerifier, cx),
            Some(Item::Text(WizardField::Pasted)) => {
                self.apply(Input::OAuth2(O2Input::SubmitPasted), cx)
            }
            Some(Item::Text(WizardField::Url)) => {
                // On to "Save as connection", still typing, like any form: the step's other rows
                // (name, link kind) are seen before Next. The URL is probed now, not after the pause.
                self.probe_now(cx);
                self.move_focus(true);
                self.editing = true;
            }
            Some(Item::Text(WizardField::ClientId)) => {
                // On to the secret, still typing.
                self.move_focus(true);
                self.editing = true;
            }
            Some(Item::Text(WizardField::ClientSecret)) => {
                return self.run_wizard_cmd(WizardCmd::UseCredentials, cx)
            }
            Some(Item::Text(WizardField::ImportPath)) => {
                return self.run_wizard_cmd(WizardCmd::LoadKey, cx)
            }
            Some(Item::Text(WizardField::ExportPath)) => {
                return self.run_wizard_cmd(WizardCmd::Export, cx)
            }
            Some(Item::Text(_)) => self.next_step(cx),
            Some(Item::Bits | Item::Admin | Item::Format | Item::Kind) => return self.cycle(),
            Some(Item::Action(cmd)) => return self.run_wizard_cmd(cmd, cx),
            Some(Item::Copy(_)) => return self.copy(cx),
            None => self.next_step(cx),
        }
        true
    }

    fn back(&mut self) -> bool {
        if self.confirming {
            self.confirming = false;
            return true;
        }
        if self.editing() {
            self.editing = false;
            return true;
        }
        // Everything typed stays in the text fields and the wizard.
        self.wizard.apply(Input::Back);
        self.after_change();
        true
    }

    fn move_focus(&mut self, down: bool) -> bool {
        let n = self.items().len();
        if n == 0 {
            return false;
        }
        self.focus = if down {
            (self.focus + 1) % n
        } else {
            (self.focus + n - 1) % n
        };
        self.scroll = 0;
        // Moving between text fields keeps editing; landing on anything else ends it.
        self.editing &= matches!(self.focused(), Some(Item::Text(_)));
        true
    }
}

impl Pane for WizardPane {
    fn title(&self) -> &'static str {
        "Link wizard"
    }

    fn short_title(&self) -> &'static str {
        "Link"
    }

    fn keys(&self) -> &'static [Binding] {
        self.mode_keys()
    }

    fn captures_text(&self) -> bool {
        self.editing()
    }

    fn on_cmd(&mut self, cmd: Cmd, cx: &mut PaneCx<'_>) -> bool {
        if self.confirming {
            return match cmd {
                Cmd::Confirm => {
                    self.confirming = false;
                    let input = match self.wizard.oauth2() {
                        Some(_) => Input::OAuth2(O2Input::Create),
                        None => Input::ConfirmCreate,
                    };
                    self.apply(input, cx);
                    true
                }
                Cmd::Back => self.back(),
                _ => false,
            };
        }
        match cmd {
            Cmd::Open => self.activate(cx),
            Cmd::NextField => self.move_focus(true),
            Cmd::PrevField => self.move_focus(false),
            Cmd::Back => self.back(),
            Cmd::Copy => self.copy(cx),
            Cmd::Cycle => self.cycle(),
            Cmd::PageDown => {
                self.scroll = self.scroll.saturating_add(PAGE);
                true
            }
            Cmd::PageUp => {
                let before = self.scroll;
                self.scroll = self.scroll.saturating_sub(PAGE);
                before != self.scroll
            }
            Cmd::Wizard(w) => self.run_wizard_cmd(w, cx),
            _ => false,
        }
    }

    fn on_text_key(&mut self, key: KeyEvent) -> bool {
        let Some(Item::Text(id)) = self.focused() else {
            return false;
        };
        if key.code == KeyCode::Backspace && self.text(id).is_empty() {
            // Back a step; the field and everything else keep their text.
            self.editing = false;
            return self.back();
        }
        let field = self.texts.entry(id).or_insert_with(|| id.empty());
        if !field.handle_key(key) {
            return false;
        }
        self.sync_text(id);
        if id == WizardField::Url {
            self.schedule_probe(Instant::now());
        }
        self.after_change();
        true
    }

    fn on_paste(&mut self, text: &str, cx: &mut PaneCx<'_>) -> bool {
        // A PEM private key pasted on the Keys step starts work: store it (0600).
        if self.wizard.step() == Step::Keys
            && self.wizard.oauth2().is_none()
            && text.contains("PRIVATE KEY-----")
        {
            self.paste_private_key(text, cx);
            return true;
        }
        self.paste_into_field(text)
    }

    fn on_tick(&mut self, cx: &mut PaneCx<'_>) -> bool {
        match self.probe_due {
            Some(due) if cx.now >= due => {
                self.probe_due = None;
                if self.wizard.step() == Step::Target && self.wizard.base_url().is_ok() {
                    self.apply(Input::Probe, cx);
                    return true;
                }
                false
            }
            _ => false,
        }
    }

    fn busy(&self) -> usize {
        self.inflight.len()
            + usize::from(self.allow_req.is_some())
            + usize::from(self.import_req.is_some())
            + usize::from(self.save_req.is_some())
    }

    fn holds_input(&self) -> bool {
        // Keys typed into the field being edited never wait. A probe the pane started on its own
        // (the URL settled) does not hold keys either; one the user is waiting on to go Next does,
        // like every other piece of work a key started.
        let started_by_a_key = self.inflight.keys().any(|k| *k != Kind::Probe)
            || (self.advance_after_probe && self.inflight.contains_key(&Kind::Probe))
            || self.allow_req.is_some()
            || self.import_req.is_some()
            || self.save_req.is_some();
        started_by_a_key && !self.editing()
    }

    fn busy_label(&self) -> Option<String> {
        if self.busy() == 0 {
            return None;
        }
        Some(
            self.wizard
                .view()
                .busy
                .unwrap_or_else(|| "link wizard working".into()),
        )
    }

    fn next_due(&self) -> Option<Instant> {
        self.probe_due
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        self.draw_pane(frame, area, cx)
    }
}

impl WizardPane {
    fn schedule_probe(&mut self, now: Instant) {
        self.probe_due = self.wizard.base_url().ok().map(|_| now + PROBE_DEBOUNCE);
    }

    /// Probe the URL now unless it was probed or is being probed (a failed probe is retried).
    fn probe_now(&mut self, cx: &mut PaneCx<'_>) {
        self.probe_due = None;
        if self.wizard.step() == Step::Target
            && self.wizard.base_url().is_ok()
            && self.wizard.probe_info().is_none()
            && !self.inflight.contains_key(&Kind::Probe)
        {
            self.apply(Input::Probe, cx);
        }
    }
}
