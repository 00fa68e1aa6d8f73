//! The Link wizard pane: a thin front end over the pure state machine [`crate::wizard::Wizard`].
//! It turns keys into wizard inputs, runs the wizard's effects as TUI effects (request ids drop
//! stale answers), debounces the URL probe, and renders [`crate::wizard::StepView`].

use super::{Pane, PaneCx, ViewCx};
use crate::config::Config;
use crate::tui::action::{Effect, RequestId};
use crate::tui::effects::WizardCtx;
use crate::tui::keymap::{Binding, Cmd, Key, WizardCmd};
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
pub enum FieldId {
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

impl FieldId {
    fn label(self) -> &'static str {
        match self {
            FieldId::Url => "Jira base URL",
            FieldId::ConnectionName => "Save as connection",
            FieldId::ConsumerKey => "Consumer key",
            FieldId::ConsumerName => "Consumer name",
            FieldId::KeyPath => "New key file",
            FieldId::ImportPath => "Or existing key",
            FieldId::AppUrl => "Application URL",
            FieldId::Verifier => "Verification code",
            FieldId::ExportPath => "Export to",
            FieldId::RedirectUri => "Redirect URL",
            FieldId::Scopes => "Scopes",
            FieldId::ClientId => "Client ID",
            FieldId::ClientSecret => "Client secret",
            FieldId::Pasted => "Redirected URL/code",
        }
    }

    /// An empty field for `id` (the client secret is masked).
    fn empty(self) -> TextField {
        match self {
            FieldId::ClientSecret => TextField::masked(""),
            _ => TextField::default(),
        }
    }

    /// The view field this input replaces on screen (shown once, as the editable field).
    fn view_id(self) -> Option<&'static str> {
        match self {
            FieldId::Url => Some("base_url"),
            FieldId::ConsumerKey => Some("consumer_key"),
            FieldId::ConsumerName => Some("consumer_name"),
            FieldId::AppUrl => Some("application_url"),
            FieldId::Verifier => Some("verifier"),
            FieldId::RedirectUri => Some("redirect_uri"),
            FieldId::Scopes => Some("scopes"),
            _ => None,
        }
    }
}

/// One focusable row of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A text field.
    Text(FieldId),
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

fn kind_of(e: &wizard::Effect) -> Kind {
    match e {
        wizard::Effect::Probe { .. } => Kind::Probe,
        wizard::Effect::GenerateKey { .. } | wizard::Effect::LoadKey { .. } => Kind::Key,
        wizard::Effect::CreateLink { .. } => Kind::Create,
        wizard::Effect::RequestToken { .. } => Kind::RequestToken,
        wizard::Effect::ExchangeVerifier { .. } => Kind::Exchange,
        wizard::Effect::Verify { .. } => Kind::Verify,
        wizard::Effect::Export { .. } => Kind::Export,
        wizard::Effect::OAuth2(e) => match e {
            O2Effect::CreateClient { .. } => Kind::O2Create,
            O2Effect::Exchange { .. } => Kind::O2Exchange,
            O2Effect::Verify => Kind::O2Verify,
            O2Effect::Export { .. } => Kind::O2Export,
        },
    }
}

/// Keys while a text field is being edited (letters are typed).
pub const TEXT_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::Open,
        hint: "submit",
        help: "submit the field (Next, probe, load, verify, export)",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Down), Key::plain(KeyCode::Tab)],
        cmd: Cmd::NextField,
        hint: "field",
        help: "next field",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Up), Key::plain(KeyCode::BackTab)],
        cmd: Cmd::PrevField,
        hint: "",
        help: "previous field",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "done",
        help: "stop editing (Backspace on an empty field: previous step); nothing typed is lost",
    },
];

/// Keys while a button, choice or value has the focus.
pub const NAV_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Enter)],
        cmd: Cmd::Open,
        hint: "edit/do",
        help: "edit the field / press the button / change the choice / copy the value",
    },
    Binding {
        keys: &[Key::ch('j'), Key::plain(KeyCode::Down)],
        cmd: Cmd::NextField,
        hint: "",
        help: "next row",
    },
    Binding {
        keys: &[Key::ch('k'), Key::plain(KeyCode::Up)],
        cmd: Cmd::PrevField,
        hint: "",
        help: "previous row",
    },
    Binding {
        keys: &[Key::ch('c')],
        cmd: Cmd::Copy,
        hint: "copy",
        help: "copy the selected value (OSC 52); it is also shown in full to select by hand",
    },
    Binding {
        keys: &[Key::ch('n'), Key::plain(KeyCode::Right)],
        cmd: Cmd::Wizard(WizardCmd::NextStep),
        hint: "next step",
        help: "next step",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc), Key::plain(KeyCode::Backspace)],
        cmd: Cmd::Back,
        hint: "back",
        help: "previous step; nothing entered is lost",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageDown)],
        cmd: Cmd::PageDown,
        hint: "",
        help: "scroll the step down (long keys, requests, notes)",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageUp)],
        cmd: Cmd::PageUp,
        hint: "",
        help: "scroll the step up",
    },
    Binding {
        keys: &[Key::ch(' ')],
        cmd: Cmd::Cycle,
        hint: "",
        help: "change the selected choice",
    },
    Binding {
        keys: &[Key::ch('g')],
        cmd: Cmd::Wizard(WizardCmd::Generate),
        hint: "",
        help: "Keys: generate a new key pair",
    },
    Binding {
        keys: &[Key::ch('s')],
        cmd: Cmd::Wizard(WizardCmd::Skip),
        hint: "",
        help: "Register/Create: registered by hand, skip to Authorize",
    },
    Binding {
        keys: &[Key::ch('A')],
        cmd: Cmd::Wizard(WizardCmd::Approve),
        hint: "",
        help: "Authorize (demo only): click Allow in the simulated Jira",
    },
    Binding {
        keys: &[Key::ch('r')],
        cmd: Cmd::Wizard(WizardCmd::NewToken),
        hint: "",
        help: "Authorize: request a new request token (OAuth 2.0: a new attempt)",
    },
    Binding {
        keys: &[Key::ch('x')],
        cmd: Cmd::Wizard(WizardCmd::Export),
        hint: "",
        help: "Verify: write the export file (mode 0600)",
    },
];

/// Keys of the "create the link now?" question.
pub const CONFIRM_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::ch('y'), Key::plain(KeyCode::Enter)],
        cmd: Cmd::Confirm,
        hint: "create it",
        help: "send the two requests with the admin connection",
    },
    Binding {
        keys: &[Key::ch('n'), Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "cancel",
        help: "do not create the link",
    },
];

/// The Link wizard pane.
#[derive(Debug)]
pub struct WizardPane {
    wizard: Wizard,
    ctx: WizardCtx,
    texts: BTreeMap<FieldId, TextField>,
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
    has_browser: bool,
    allow_req: Option<RequestId>,
    /// What the simulated Jira showed after Allow.
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
            // A preset kind (the demo's OAuth 1.0a) is fixed; otherwise the user picks on Target.
            wizard: match preset.and_then(|p| p.kind) {
                Some(_) => Wizard::new(ctx.data_dir.clone()),
                None => Wizard::offering_kinds(ctx.data_dir.clone()),
            },
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
            has_browser,
            allow_req: None,
            allow_page: None,
            save_req: None,
            import_req: None,
            saved: None,
        };
        if let Some(p) = preset {
            for (id, v) in [
                (FieldId::Url, &p.url),
                (FieldId::ConnectionName, &p.connection_name),
                (FieldId::ConsumerKey, &p.consumer_key),
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
    pub fn text(&self, id: FieldId) -> &str {
        self.texts.get(&id).map(TextField::value).unwrap_or("")
    }

    /// The verification code the simulated Jira showed (demo).
    pub fn simulated_code(&self) -> Option<&str> {
        match &self.allow_page {
            Some(Ok(code)) => Some(code),
            _ => None,
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
        self.connections = config
            .map(|c| c.connections.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default();
    }

    /// The rows of the current step, in focus order.
    pub fn items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        match self.wizard.step() {
            _ if self.wizard.oauth2().is_some() => items = self.oauth2_items(),
            Step::Target => {
                items.push(Item::Text(FieldId::Url));
                items.push(Item::Text(FieldId::ConnectionName));
                if self.wizard.chooses_kind() && self.wizard.offered_kinds().len() > 1 {
                    items.push(Item::Kind);
                }
            }
            Step::Keys => {
                items.extend([
                    Item::Text(FieldId::ConsumerKey),
                    Item::Text(FieldId::ConsumerName),
                    Item::Text(FieldId::KeyPath),
                    Item::Bits,
                    Item::Action(WizardCmd::Generate),
                    Item::Text(FieldId::ImportPath),
                    Item::Action(WizardCmd::LoadKey),
                ]);
                if self.wizard.key_info().is_some() {
                    items.push(Item::Action(WizardCmd::NextStep));
                }
            }
            Step::Register => {
                items.push(Item::Action(WizardCmd::NextStep));
                items.push(Item::Action(WizardCmd::Skip));
                items.push(Item::Text(FieldId::AppUrl));
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
                items.push(Item::Text(FieldId::Verifier));
                items.push(Item::Action(WizardCmd::NewToken));
            }
            Step::Verify => {
                items.push(Item::Format);
                items.push(Item::Text(FieldId::ExportPath));
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

    fn input_ids(&self) -> impl Iterator<Item = FieldId> + '_ {
        let step = self.wizard.step();
        let oauth2 = self.wizard.oauth2().is_some();
        let o2: &[(Step, FieldId)] = &[
            (Step::Keys, FieldId::RedirectUri),
            (Step::Keys, FieldId::Scopes),
        ];
        let o1: &[(Step, FieldId)] = &[
            (Step::Target, FieldId::Url),
            (Step::Keys, FieldId::ConsumerKey),
            (Step::Keys, FieldId::ConsumerName),
            (Step::Register, FieldId::AppUrl),
            (Step::Authorize, FieldId::Verifier),
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
                Item::Text(FieldId::RedirectUri),
                Item::Text(FieldId::Scopes),
                Item::Action(WizardCmd::NextStep),
            ],
            O2Step::Register => {
                let mut v = vec![Item::Admin, Item::Action(WizardCmd::Create)];
                v.extend([
                    Item::Text(FieldId::ClientId),
                    Item::Text(FieldId::ClientSecret),
                    Item::Action(WizardCmd::UseCredentials),
                ]);
                if f.client().is_some() {
                    v.push(Item::Action(WizardCmd::NextStep));
                }
                v
            }
            O2Step::Authorize => vec![
                Item::Text(FieldId::Pasted),
                Item::Action(WizardCmd::NewToken),
            ],
            O2Step::Verify => vec![
                Item::Format,
                Item::Text(FieldId::ExportPath),
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
    fn placeholder(&self, id: FieldId) -> String {
        let w = &self.wizard;
        match id {
            FieldId::Url => "https://jira.example.com/jira".into(),
            FieldId::ConnectionName => w.connection_name(),
            FieldId::ConsumerKey => w.consumer_key(),
            FieldId::ConsumerName => w.consumer_name(),
            FieldId::KeyPath => w.key_path().display().to_string(),
            FieldId::ImportPath => "path of a PEM private key file".into(),
            FieldId::AppUrl => w.app_url(),
            FieldId::Verifier => "the code Jira shows after Allow".into(),
            FieldId::ExportPath => self.default_export_path().display().to_string(),
            FieldId::RedirectUri => crate::jira::oauth2::DEFAULT_REDIRECT_URI.into(),
            FieldId::Scopes => "READ (or READ,WRITE …)".into(),
            FieldId::ClientId => "from the link's Credentials in Jira".into(),
            FieldId::ClientSecret => "from the link's Credentials in Jira".into(),
            FieldId::Pasted => "the browser's address-bar URL after Allow, or the code".into(),
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
    fn sync_text(&mut self, id: FieldId) {
        let v = self.text(id).to_string();
        let input = match id {
            FieldId::Url => Input::SetUrl(v),
            FieldId::ConnectionName => Input::SetConnectionName(v),
            FieldId::ConsumerKey => Input::SetConsumerKey(v),
            FieldId::ConsumerName => Input::SetConsumerName(v),
            FieldId::KeyPath => Input::SetKeyPath(PathBuf::from(v)),
            FieldId::AppUrl => Input::SetAppUrl(v),
            FieldId::Verifier => Input::SetVerifier(v),
            FieldId::RedirectUri => Input::OAuth2(O2Input::SetRedirect(v)),
            FieldId::Scopes => Input::OAuth2(O2Input::SetScopes(v)),
            FieldId::ClientId => Input::OAuth2(O2Input::SetClientId(v)),
            FieldId::ClientSecret => {
                Input::OAuth2(O2Input::SetClientSecret(secrecy::SecretString::from(v)))
            }
            FieldId::Pasted => Input::OAuth2(O2Input::SetPasted(v)),
            FieldId::ImportPath | FieldId::ExportPath => return,
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

    fn spawn(&mut self, effects: Vec<wizard::Effect>, cx: &mut PaneCx<'_>) {
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
        true
    }

    /// A wizard effect never answered.
    pub fn on_failed(&mut self, req: RequestId, message: String, cx: &mut PaneCx<'_>) -> bool {
        let Some((&kind, _)) = self.inflight.iter().find(|(_, r)| **r == req) else {
            return false;
        };
        self.inflight.remove(&kind);
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
                    FieldId::ImportPath,
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
    pub fn paste(&mut self, text: &str, cx: &mut PaneCx<'_>) -> bool {
        if self.wizard.step() == Step::Keys
            && self.wizard.oauth2().is_none()
            && text.contains("PRIVATE KEY-----")
        {
            self.paste_private_key(text, cx);
            return true;
        }
        self.on_paste(text)
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

    /// The simulated "Allow" finished (demo).
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
            WizardCmd::NextStep => self.apply(Input::Next, cx),
            WizardCmd::Generate if step == Step::Keys => {
                self.apply(Input::GenerateKey { overwrite: false }, cx)
            }
            WizardCmd::LoadKey if step == Step::Keys => {
                let p = PathBuf::from(self.text(FieldId::ImportPath).trim());
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
            WizardCmd::Approve if step == Step::Authorize && self.has_browser => {
                let Some(url) = self.wizard.authorize_url() else {
                    return false;
                };
                let req = cx.ids.next_id();
                if let Some(old) = self.allow_req.replace(req) {
                    cx.effects.push(Effect::Cancel(old));
                }
                cx.effects.push(Effect::Approve { req, url });
            }
            WizardCmd::Export if step == Step::Verify => {
                let typed = self.text(FieldId::ExportPath).trim().to_string();
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
                self.texts.remove(&FieldId::Pasted);
                self.apply(o2(O2Input::NewAttempt), cx)
            }
            WizardCmd::Export if step == O2Step::Verify => {
                let typed = self.text(FieldId::ExportPath).trim().to_string();
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
            Some(Item::Text(FieldId::Verifier)) => self.apply(Input::SubmitVerifier, cx),
            Some(Item::Text(FieldId::Pasted)) => {
                self.apply(Input::OAuth2(O2Input::SubmitPasted), cx)
            }
            Some(Item::Text(FieldId::ClientId)) => {
                // On to the secret, still typing.
                self.move_focus(true);
                self.editing = true;
            }
            Some(Item::Text(FieldId::ClientSecret)) => {
                return self.run_wizard_cmd(WizardCmd::UseCredentials, cx)
            }
            Some(Item::Text(FieldId::ImportPath)) => {
                return self.run_wizard_cmd(WizardCmd::LoadKey, cx)
            }
            Some(Item::Text(FieldId::ExportPath)) => {
                return self.run_wizard_cmd(WizardCmd::Export, cx)
            }
            Some(Item::Text(FieldId::Url)) => {
                self.probe_due = None;
                self.apply(Input::Next, cx)
            }
            Some(Item::Text(_)) => self.apply(Input::Next, cx),
            Some(Item::Bits | Item::Admin | Item::Format | Item::Kind) => return self.cycle(),
            Some(Item::Action(cmd)) => return self.run_wizard_cmd(cmd, cx),
            Some(Item::Copy(_)) => return self.copy(cx),
            None => self.apply(Input::Next, cx),
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
        if id == FieldId::Url {
            self.schedule_probe(Instant::now());
        }
        self.after_change();
        true
    }

    fn on_paste(&mut self, text: &str) -> bool {
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
        if id == FieldId::Url {
            self.schedule_probe(Instant::now());
        }
        self.after_change();
        true
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
        let block = cx.theme.block().title(" Link wizard ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height < 3 || inner.width < 10 {
            return;
        }
        let view = self.wizard.view();
        let [rail, title, body] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(inner);
        let step = self.wizard.step();
        let skipped = step >= Step::Authorize && !self.wizard.link_created();
        let rail_line = match self.wizard.oauth2() {
            Some(f) => oauth2_rail(f.step(), cx.theme),
            None => progress_rail(step, skipped, cx.theme, rail.width),
        };
        frame.render_widget(Paragraph::new(rail_line), rail);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("Step {} of {} · {}", view.number, view.total, view.title),
                cx.theme.accent(),
            )),
            title,
        );
        let (lines, focus_line, cursor) = self.body_lines(&view, cx, body.width);
        // Keep the focused row visible: scroll so it sits in the lower third at most.
        let height = body.height as usize;
        let focus_scroll = focus_line
            .map(|l| l.saturating_sub(height.saturating_sub(height / 3 + 1)))
            .unwrap_or(0);
        // Wrapped lines make the exact total unknown here; never scroll past the last line.
        let scroll = (focus_scroll + self.scroll as usize).min(lines.len().saturating_sub(1));
        let wrapped_ok = !lines.is_empty();
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
            body,
        );
        if let (Some((line, col)), true) = (cursor, wrapped_ok) {
            if line >= scroll && line - scroll < height {
                let y = body.y + u16::try_from(line - scroll).unwrap_or(0);
                let x = body.x + u16::try_from(col).unwrap_or(0);
                if x < body.right() {
                    frame.set_cursor_position(Position::new(x, y));
                }
            }
        }
    }
}

impl WizardPane {
    /// The body: input rows, state, values, notes. Returns the lines, the focused row's line and
    /// the text cursor (line, column) when a field is being edited. Rows before the focused one are
    /// single lines (long values are cut there, shown in full in the values section), so the line
    /// index is exact for scrolling.
    fn body_lines(
        &self,
        view: &StepView,
        cx: &ViewCx<'_>,
        width: u16,
    ) -> (Vec<Line<'static>>, Option<usize>, Option<(usize, usize)>) {
        let theme = cx.theme;
        let width = width as usize;
        let mut lines: Vec<Line<'static>> = Vec::new();
        let mut focus_line = None;
        let mut cursor = None;
        const LABEL: usize = 20;
        let items = self.items();
        let marker = |focused: bool| if focused { "› " } else { "  " };
        if let Some(b) = &view.busy {
            lines.push(Line::styled(
                format!("{} {b}", theme.spinner(cx.spinner)),
                theme.busy(),
            ));
        }
        for (i, item) in items.iter().enumerate() {
            let focused = i == self.focus && !self.confirming;
            let style = if focused {
                theme.selected()
            } else {
                Style::default()
            };
            let row = match item {
                Item::Text(id) => {
                    let label = format!("{}{:<LABEL$} ", marker(focused), id.label());
                    let room = width.saturating_sub(label.chars().count() + 1).max(1);
                    let field = self.texts.get(id).cloned().unwrap_or_default();
                    let (shown, col) = field.render(room, theme.mask_char());
                    if focused && self.editing() {
                        cursor = Some((lines.len(), label.chars().count() + col));
                    }
                    let value = if field.value().is_empty() {
                        Span::styled(truncate(&self.placeholder(*id), room), theme.dim())
                    } else {
                        Span::raw(shown)
                    };
                    Line::from(vec![Span::styled(label, style), value])
                }
                Item::Bits => choice_line(
                    marker(focused),
                    "Key size",
                    &format!("{} bits", self.wizard.key_bits()),
                    style,
                    theme,
                ),
                Item::Admin => choice_line(
                    marker(focused),
                    "Admin connection",
                    self.wizard.admin().unwrap_or("(none: Space to choose)"),
                    style,
                    theme,
                ),
                Item::Format => choice_line(
                    marker(focused),
                    "Export format",
                    self.export_format.as_str(),
                    style,
                    theme,
                ),
                Item::Kind => choice_line(
                    marker(focused),
                    "Link kind",
                    self.wizard.link_kind().label(),
                    style,
                    theme,
                ),
                Item::Action(cmd) => Line::styled(
                    format!(
                        "{}[ {} ]",
                        marker(focused),
                        action_label(*cmd, self.wizard.oauth2().is_some())
                    ),
                    if focused { style } else { theme.accent() },
                ),
                Item::Copy(id) => {
                    let f = view.fields.iter().find(|f| f.id == *id);
                    let label = f.map(|f| f.label.clone()).unwrap_or_default();
                    Line::styled(
                        format!("{}copy: {label}", marker(focused)),
                        if focused { style } else { theme.dim() },
                    )
                }
            };
            if focused {
                focus_line = Some(lines.len());
            }
            lines.push(row);
        }
        if self.confirming {
            lines.push(Line::raw(""));
            let admin = self.wizard.admin().unwrap_or_default();
            focus_line = Some(lines.len());
            lines.push(Line::styled(
                format!(
                    "Create this link in Jira now, with the credentials of \"{admin}\"? y = create, n = cancel"
                ),
                theme.warn(),
            ));
        }
        if let Some(page) = self.allow_page.as_ref().filter(|_| step_is_authorize(view)) {
            lines.push(Line::raw(""));
            match page {
                Ok(code) => {
                    lines.push(Line::styled(
                        "Simulated Jira page (demo) after clicking Allow:",
                        theme.accent(),
                    ));
                    lines.push(Line::raw(format!(
                        "  Access Approved. Your verification code is '{code}'. Enter it in the application."
                    )));
                }
                Err(e) => lines.push(Line::styled(
                    format!("Simulated Allow failed: {e}"),
                    theme.error(),
                )),
            }
        }
        if !view.errors.is_empty() || !view.warnings.is_empty() {
            lines.push(Line::raw(""));
        }
        for e in &view.errors {
            lines.push(Line::styled(
                format!("{} {e}", theme.sym_fail()),
                theme.error(),
            ));
        }
        for w in &view.warnings {
            lines.push(Line::styled(
                format!("{} {w}", theme.sym_warn()),
                theme.warn(),
            ));
        }
        if let Some(saved) = &self.saved {
            lines.push(match saved {
                Ok(name) => Line::styled(
                    format!(
                        "{} Saved as connection \"{name}\" in {} (check it on the Connections pane).",
                        theme.sym_ok(),
                        self.ctx.config_path.display()
                    ),
                    theme.ok(),
                ),
                Err(e) => Line::styled(
                    format!("{} Not saved: {e}", theme.sym_fail()),
                    theme.error(),
                ),
            });
        }
        // What to do (menu path, instructions) before the values, so it is on screen first.
        if !view.notes.is_empty() {
            lines.push(Line::raw(""));
            for n in &view.notes {
                lines.push(Line::styled(theme.text(n), theme.dim()));
            }
        }
        let values: Vec<&Field> = view
            .fields
            .iter()
            .filter(|f| !self.shown_as_input(f))
            .collect();
        if !values.is_empty() {
            lines.push(Line::raw(""));
            for f in values {
                let value = if f.value.is_empty() {
                    "(leave empty)".to_string()
                } else {
                    f.value.clone()
                };
                let copy = if f.copyable { "  [c]" } else { "" };
                let label = format!("{}:", f.label);
                let one_line = !value.contains('\n')
                    && label.chars().count() + 1 + value.chars().count() + copy.len() <= width;
                if one_line {
                    lines.push(Line::from(vec![
                        Span::styled(label, theme.accent()),
                        Span::raw(format!(" {value}")),
                        Span::styled(copy.to_string(), theme.dim()),
                    ]));
                } else {
                    // Shown in full (wrapped, never cut) so it can be selected by hand.
                    lines.push(Line::from(vec![
                        Span::styled(label, theme.accent()),
                        Span::styled(copy.to_string(), theme.dim()),
                    ]));
                    for l in value.lines() {
                        lines.push(Line::raw(format!("  {l}")));
                    }
                }
                if let Some(n) = &f.note {
                    lines.push(Line::styled(format!("  ({n})"), theme.dim()));
                }
            }
            if view.fields.iter().any(|f| f.copyable) {
                lines.push(Line::styled(
                    "Select a copy row and press c (OSC 52, works over SSH), or select the text with the mouse.",
                    theme.dim(),
                ));
            }
        }
        (lines, focus_line, cursor)
    }

    fn schedule_probe(&mut self, now: Instant) {
        self.probe_due = self.wizard.base_url().ok().map(|_| now + PROBE_DEBOUNCE);
    }
}

fn step_is_authorize(view: &StepView) -> bool {
    view.step == Step::Authorize
}

fn choice_line(
    marker: &str,
    label: &str,
    value: &str,
    style: Style,
    theme: &crate::tui::theme::Theme,
) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{marker}{label:<20} "), style),
        Span::raw(format!("‹ {value} ›")),
        Span::styled("  (Space changes)", theme.dim()),
    ])
}

/// The OAuth 2.0 path's rail: Target → Settings → Register → Authorize → Verify.
fn oauth2_rail(current: O2Step, theme: &crate::tui::theme::Theme) -> Line<'static> {
    let arrow = if theme.ascii { " > " } else { " → " };
    let mut spans = vec![
        Span::styled("Target", theme.ok()),
        Span::styled(arrow, theme.dim()),
    ];
    let all = [
        (O2Step::Settings, "Settings"),
        (O2Step::Register, "Register"),
        (O2Step::Authorize, "Authorize"),
        (O2Step::Verify, "Verify"),
    ];
    for (i, (s, label)) in all.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(arrow, theme.dim()));
        }
        spans.push(match s.cmp(&current) {
            std::cmp::Ordering::Equal => Span::styled(format!("[{label}]"), theme.selected()),
            std::cmp::Ordering::Less => Span::styled(label.to_string(), theme.ok()),
            std::cmp::Ordering::Greater => Span::styled(label.to_string(), theme.dim()),
        });
    }
    spans.push(Span::styled("  (OAuth 2.0)", theme.dim()));
    Line::from(spans)
}

fn action_label(cmd: WizardCmd, oauth2: bool) -> &'static str {
    match cmd {
        WizardCmd::NewToken if oauth2 => "New attempt: fresh URL, state and PKCE verifier (r)",
        WizardCmd::Create if oauth2 => "Create the OAuth 2.0 link in Jira now…",
        WizardCmd::UseCredentials => "Use this client id and secret",
        WizardCmd::NextStep => "Next step",
        WizardCmd::Generate => "Generate a new key pair (g)",
        WizardCmd::LoadKey => "Use that existing key",
        WizardCmd::Skip => "I registered it by hand: skip to Authorize (s)",
        WizardCmd::Create => "Create the link in Jira now…",
        WizardCmd::NewToken => "Request a new token (r)",
        WizardCmd::Approve => "Demo: click Allow in the simulated Jira (A)",
        WizardCmd::Export => "Write the export (x)",
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}
