//! The add / edit connection form: fields, inline validation, and turning the fields into a
//! `config::Connection` (secrets referenced from env / command / file, or typed and kept masked).

use crate::config::{AuthKind, Connection};
use crate::secret::{ExposeSecret, SecretRef, SecretString};
use crate::tui::action::RequestId;
use crate::tui::keymap::{Binding, Cmd, Key};
use crate::tui::panes::ViewCx;
use crate::tui::widgets::help::wrap_words;
use crate::tui::widgets::popup::centered;
use crate::tui::widgets::text_field::TextField;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use std::path::PathBuf;

/// Keys while the form is open (everything else is typed into the focused field).
pub const FORM_KEYS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Tab), Key::plain(KeyCode::Down)],
        cmd: Cmd::NextField,
        hint: "next field",
        help: "next field",
    },
    Binding {
        keys: &[Key::plain(KeyCode::BackTab), Key::plain(KeyCode::Up)],
        cmd: Cmd::PrevField,
        hint: "",
        help: "previous field",
    },
    Binding {
        keys: &[
            Key::ch(' '),
            Key::plain(KeyCode::Left),
            Key::plain(KeyCode::Right),
        ],
        cmd: Cmd::Cycle,
        hint: "change choice",
        help: "change a choice field (auth kind, secret source)",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Enter), Key::ctrl('s')],
        cmd: Cmd::Save,
        hint: "save",
        help: "validate and save to the config file",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Esc)],
        cmd: Cmd::Back,
        hint: "cancel",
        help: "close the form without saving",
    },
];

/// The form's fields (which are shown depends on the auth kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    /// Connection name.
    Name,
    /// Auth kind (choice).
    Auth,
    /// Base URL.
    Url,
    /// Username / email / consumer key.
    User,
    /// Where the secret comes from (choice).
    SecretSource,
    /// The secret reference or typed value.
    Secret,
    /// OAuth private key file.
    PrivateKey,
    /// Extra CA file.
    CaFile,
    /// HTTP proxy.
    Proxy,
}

/// Where the password / token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable.
    Env,
    /// A command's stdout.
    Cmd,
    /// A 0600 file.
    File,
    /// Typed here, stored in the 0600 config file.
    Typed,
}

impl SecretSource {
    fn next(self) -> Self {
        match self {
            Self::Env => Self::Cmd,
            Self::Cmd => Self::File,
            Self::File => Self::Typed,
            Self::Typed => Self::Env,
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::Env => "environment variable",
            Self::Cmd => "command",
            Self::File => "file",
            Self::Typed => "typed here (stored in the config file)",
        }
    }
}

fn next_auth(a: AuthKind) -> AuthKind {
    match a {
        AuthKind::Basic => AuthKind::Pat,
        AuthKind::Pat => AuthKind::CloudToken,
        AuthKind::CloudToken => AuthKind::Oauth1,
        AuthKind::Oauth1 => AuthKind::Basic,
        // OAuth 2.0 connections come from `jiralink link` / `connections add`; the form edits
        // their client id and secret but does not cycle into them.
        AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => AuthKind::Basic,
    }
}

/// The auth kind as the config file spells it.
pub fn auth_label(a: AuthKind) -> &'static str {
    match a {
        AuthKind::Basic => "basic",
        AuthKind::Pat => "pat",
        AuthKind::CloudToken => "cloud-token",
        AuthKind::Oauth1 => "oauth1",
        AuthKind::Oauth2 => "oauth2",
        AuthKind::Oauth2ClientCredentials => "oauth2-client-credentials",
    }
}

/// The add / edit form.
#[derive(Debug, Clone)]
pub struct ConnectionForm {
    /// The name of the connection being edited (None = adding).
    pub replaces: Option<String>,
    /// The edited connection, so fields the form does not show (OAuth tokens…) survive an edit.
    base: Option<Connection>,
    auth: AuthKind,
    source: SecretSource,
    name: TextField,
    url: TextField,
    user: TextField,
    secret: TextField,
    private_key: TextField,
    ca_file: TextField,
    proxy: TextField,
    focus: usize,
    errors: Vec<(FormField, String)>,
    /// The save in flight, if any.
    pub saving: Option<RequestId>,
    /// Why the last save failed (the form stays open with everything typed).
    pub save_error: Option<String>,
}

impl ConnectionForm {
    /// An empty form for a new connection.
    pub fn new() -> Self {
        Self {
            replaces: None,
            base: None,
            auth: AuthKind::Basic,
            source: SecretSource::Env,
            name: TextField::new(""),
            url: TextField::new(""),
            user: TextField::new(""),
            secret: TextField::new(""),
            private_key: TextField::new(""),
            ca_file: TextField::new(""),
            proxy: TextField::new(""),
            focus: 0,
            errors: Vec::new(),
            saving: None,
            save_error: None,
        }
    }

    /// A form to edit `c`.
    pub fn edit(c: &Connection) -> Self {
        let mut f = Self::new();
        f.replaces = Some(c.name.clone());
        f.base = Some(c.clone());
        f.auth = c.auth;
        f.name.set_value(c.name.clone());
        f.url.set_value(c.url.clone());
        let user = match c.auth {
            AuthKind::Basic => c.username.clone(),
            AuthKind::CloudToken => c.email.clone(),
            AuthKind::Oauth1 => c.consumer_key.clone(),
            AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => c.client_id.clone(),
            AuthKind::Pat => None,
        };
        f.user.set_value(user.unwrap_or_default());
        let secret = match c.auth {
            AuthKind::Basic => c.password.as_ref(),
            AuthKind::Pat | AuthKind::CloudToken => c.token.as_ref(),
            AuthKind::Oauth1 => None,
            AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => c.client_secret.as_ref(),
        };
        if let Some(s) = secret {
            let (source, value) = match s {
                SecretRef::Env(v) => (SecretSource::Env, v.clone()),
                SecretRef::Cmd(v) => (SecretSource::Cmd, v.clone()),
                SecretRef::File(p) => (SecretSource::File, p.display().to_string()),
                SecretRef::Plain(v) => (SecretSource::Typed, v.expose_secret().to_string()),
            };
            f.source = source;
            f.secret.set_value(value);
        }
        f.secret.set_masked(f.source == SecretSource::Typed);
        f.private_key.set_value(
            c.private_key
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        );
        f.ca_file.set_value(
            c.ca_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        );
        f.proxy.set_value(c.proxy.clone().unwrap_or_default());
        f
    }

    /// The fields shown for the current auth kind, in order.
    pub fn fields(&self) -> Vec<FormField> {
        use FormField::*;
        let mut v = vec![Name, Auth, Url];
        match self.auth {
            AuthKind::Basic | AuthKind::CloudToken => v.extend([User, SecretSource, Secret]),
            AuthKind::Pat => v.extend([SecretSource, Secret]),
            AuthKind::Oauth1 => v.extend([User, PrivateKey]),
            AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => {
                v.extend([User, SecretSource, Secret])
            }
        }
        v.extend([CaFile, Proxy]);
        v
    }

    /// The connection name as typed (trimmed).
    pub fn name_value(&self) -> String {
        self.name.value().trim().to_string()
    }

    /// The focused field.
    pub fn focused(&self) -> FormField {
        let fields = self.fields();
        fields[self.focus.min(fields.len() - 1)]
    }

    /// Inline validation messages from the last save attempt.
    pub fn errors(&self) -> &[(FormField, String)] {
        &self.errors
    }

    fn field_mut(&mut self, id: FormField) -> Option<&mut TextField> {
        match id {
            FormField::Name => Some(&mut self.name),
            FormField::Url => Some(&mut self.url),
            FormField::User => Some(&mut self.user),
            FormField::Secret => Some(&mut self.secret),
            FormField::PrivateKey => Some(&mut self.private_key),
            FormField::CaFile => Some(&mut self.ca_file),
            FormField::Proxy => Some(&mut self.proxy),
            FormField::Auth | FormField::SecretSource => None,
        }
    }

    fn field(&self, id: FormField) -> Option<&TextField> {
        match id {
            FormField::Name => Some(&self.name),
            FormField::Url => Some(&self.url),
            FormField::User => Some(&self.user),
            FormField::Secret => Some(&self.secret),
            FormField::PrivateKey => Some(&self.private_key),
            FormField::CaFile => Some(&self.ca_file),
            FormField::Proxy => Some(&self.proxy),
            FormField::Auth | FormField::SecretSource => None,
        }
    }

    /// Handle a form command; false when it does not apply (e.g. Space on a text field: type it).
    pub fn on_cmd(&mut self, cmd: Cmd) -> bool {
        let n = self.fields().len();
        match cmd {
            Cmd::NextField => self.focus = (self.focus + 1) % n,
            Cmd::PrevField => self.focus = (self.focus + n - 1) % n,
            Cmd::Cycle => match self.focused() {
                FormField::Auth => {
                    self.auth = next_auth(self.auth);
                    self.focus = self.focus.min(self.fields().len() - 1);
                }
                FormField::SecretSource => {
                    self.source = self.source.next();
                    // A reference (variable name, command, path) is not secret; a typed value is.
                    // Clearing on every switch means a typed secret is never shown unmasked
                    // and a variable name never becomes a password.
                    self.secret.wipe();
                    self.secret.set_masked(self.source == SecretSource::Typed);
                }
                _ => return false,
            },
            _ => return false,
        }
        true
    }

    /// Type a key into the focused text field.
    pub fn on_text_key(&mut self, key: KeyEvent) -> bool {
        let id = self.focused();
        self.field_mut(id).is_some_and(|f| f.handle_key(key))
    }

    /// Paste into the focused text field.
    pub fn on_paste(&mut self, text: &str) -> bool {
        let id = self.focused();
        match self.field_mut(id) {
            Some(f) => {
                f.paste(text);
                true
            }
            None => false,
        }
    }

    /// Check every field; on success the connection to save, else the messages are kept for display.
    pub fn validate(&mut self, taken_names: &[String]) -> Option<Connection> {
        let mut errors = Vec::new();
        let name = self.name.value().trim().to_string();
        if name.is_empty() {
            errors.push((FormField::Name, "a name is required".to_string()));
        } else if name.chars().any(char::is_whitespace) {
            errors.push((
                FormField::Name,
                "no spaces: the name is used on the command line".into(),
            ));
        } else if self.replaces.as_deref() != Some(name.as_str()) && taken_names.contains(&name) {
            errors.push((
                FormField::Name,
                format!("a connection named {name} already exists"),
            ));
        }

        let url = self.url.value().trim().trim_end_matches('/').to_string();
        match url::Url::parse(&url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            Ok(_) => errors.push((
                FormField::Url,
                "must be an http:// or https:// URL with a host".into(),
            )),
            Err(e) => errors.push((
                FormField::Url,
                format!("not a URL ({e}), e.g. https://jira.example.com/jira"),
            )),
        }

        let user = self.user.value().trim().to_string();
        let fields = self.fields();
        if fields.contains(&FormField::User) && user.is_empty() {
            let what = match self.auth {
                AuthKind::CloudToken => "the Atlassian account email is required",
                AuthKind::Oauth1 => "the consumer key is required",
                _ => "a username is required",
            };
            errors.push((FormField::User, what.into()));
        } else if self.auth == AuthKind::CloudToken && !user.contains('@') {
            errors.push((
                FormField::User,
                "an email address, e.g. me@example.com".into(),
            ));
        }

        let secret_value = self.secret.value().to_string();
        let secret = if fields.contains(&FormField::Secret) {
            let v = secret_value.trim();
            if v.is_empty() {
                errors.push((
                    FormField::Secret,
                    "required (where the secret comes from)".into(),
                ));
                None
            } else {
                Some(match self.source {
                    SecretSource::Env => {
                        if v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                            SecretRef::Env(v.to_string())
                        } else {
                            errors.push((
                                FormField::Secret,
                                "a variable name: ASCII letters, digits and _".into(),
                            ));
                            SecretRef::Env(String::new())
                        }
                    }
                    SecretSource::Cmd => SecretRef::Cmd(v.to_string()),
                    SecretSource::File => SecretRef::File(PathBuf::from(v)),
                    // Typed secrets keep their exact bytes (no trim): spaces can be part of a password.
                    SecretSource::Typed => {
                        SecretRef::Plain(SecretString::from(secret_value.clone()))
                    }
                })
            }
        } else {
            None
        };

        let private_key = self.private_key.value().trim().to_string();
        if fields.contains(&FormField::PrivateKey) && private_key.is_empty() {
            errors.push((
                FormField::PrivateKey,
                "the PEM private key file is required".into(),
            ));
        }
        let proxy = self.proxy.value().trim().to_string();
        if !proxy.is_empty() && url::Url::parse(&proxy).is_err() {
            errors.push((
                FormField::Proxy,
                "a proxy URL, e.g. http://proxy:3128".into(),
            ));
        }
        let ca_file = self.ca_file.value().trim().to_string();

        self.errors = errors;
        if !self.errors.is_empty() {
            return None;
        }
        let mut c = self
            .base
            .clone()
            .unwrap_or_else(|| blank_connection(self.auth));
        c.name = name;
        c.url = url;
        c.auth = self.auth;
        c.username = None;
        c.email = None;
        c.password = None;
        c.token = None;
        match self.auth {
            AuthKind::Basic => {
                c.username = Some(user);
                c.password = secret;
            }
            AuthKind::Pat => c.token = secret,
            AuthKind::CloudToken => {
                c.email = Some(user);
                c.token = secret;
            }
            AuthKind::Oauth1 => {
                c.consumer_key = Some(user);
                c.private_key = Some(PathBuf::from(private_key));
            }
            AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => {
                c.client_id = Some(user);
                c.client_secret = secret;
            }
        }
        c.ca_file = (!ca_file.is_empty()).then(|| PathBuf::from(ca_file));
        c.proxy = (!proxy.is_empty()).then_some(proxy);
        Some(c)
    }

    fn label(&self, id: FormField) -> &'static str {
        match (id, self.auth) {
            (FormField::Name, _) => "Name",
            (FormField::Auth, _) => "Auth",
            (FormField::Url, _) => "Base URL",
            (FormField::User, AuthKind::CloudToken) => "Email",
            (FormField::User, AuthKind::Oauth1) => "Consumer key",
            (FormField::User, AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials) => "Client id",
            (FormField::User, _) => "Username",
            (FormField::SecretSource, AuthKind::Basic) => "Password from",
            (FormField::SecretSource, _) => "Token from",
            (FormField::Secret, _) => match self.source {
                SecretSource::Env => "Variable",
                SecretSource::Cmd => "Command",
                SecretSource::File => "File",
                SecretSource::Typed if self.auth == AuthKind::Basic => "Password",
                SecretSource::Typed => "Token",
            },
            (FormField::PrivateKey, _) => "Private key",
            (FormField::CaFile, _) => "CA file",
            (FormField::Proxy, _) => "Proxy",
        }
    }

    /// Draw the form as a popup over `area`. Typed secrets are drawn as mask characters only.
    pub fn draw(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        const LABEL_W: usize = 15;
        let theme = cx.theme;
        let fields = self.fields();
        let focused = self.focused();
        // As wide as the terminal allows (76 at most); as tall as its lines, errors wrapped.
        let popup_w = area.width.min(76);
        let value_w = (popup_w as usize).saturating_sub(LABEL_W + 4);
        let mut lines = Vec::new();
        let mut cursor = None;
        for id in &fields {
            let label = format!("{:>w$}: ", self.label(*id), w = LABEL_W - 2);
            let is_focused = *id == focused;
            let style = if is_focused {
                theme.selected()
            } else {
                ratatui::style::Style::new()
            };
            let value = match id {
                FormField::Auth => format!("< {} >", auth_label(self.auth)),
                FormField::SecretSource => format!("< {} >", self.source.label()),
                other => match self.field(*other) {
                    Some(f) => {
                        let (shown, cur) = f.render(value_w, theme.mask_char());
                        if is_focused {
                            cursor = Some((lines.len(), cur));
                        }
                        shown
                    }
                    None => String::new(),
                },
            };
            let pad = value_w.saturating_sub(value.chars().count());
            lines.push(Line::from(vec![
                Span::styled(label, theme.accent()),
                Span::styled(format!("{value}{}", " ".repeat(pad)), style),
            ]));
            for (_, msg) in self.errors.iter().filter(|(f, _)| f == id) {
                let text = format!("{} {msg}", theme.sym_fail());
                for part in wrap_words(&text, value_w.max(10)) {
                    lines.push(Line::from(vec![
                        Span::raw(" ".repeat(LABEL_W)),
                        Span::styled(part, theme.error()),
                    ]));
                }
            }
        }
        lines.push(Line::raw(""));
        if self.saving.is_some() {
            lines.push(Line::styled(
                theme.text(&format!("{} saving…", theme.spinner(cx.spinner))),
                theme.busy(),
            ));
        } else if let Some(e) = &self.save_error {
            let text = format!("{} not saved: {e}", theme.sym_fail());
            for part in wrap_words(&text, (popup_w as usize).saturating_sub(2).max(10)) {
                lines.push(Line::styled(part, theme.error()));
            }
        }
        let popup = centered(
            area,
            popup_w,
            u16::try_from(lines.len() + 2).unwrap_or(u16::MAX),
        );
        let title = match &self.replaces {
            Some(n) => format!(" Edit connection {n} "),
            None => " Add connection ".to_string(),
        };
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).block(theme.block().title(title)),
            popup,
        );
        if let Some((row, col)) = cursor {
            let x = popup.x + 1 + LABEL_W as u16 + col as u16;
            let y = popup.y + 1 + row as u16;
            if x < popup.right().saturating_sub(1) && y < popup.bottom().saturating_sub(1) {
                frame.set_cursor_position(Position { x, y });
            }
        }
    }
}

impl Default for ConnectionForm {
    fn default() -> Self {
        Self::new()
    }
}

fn blank_connection(auth: AuthKind) -> Connection {
    Connection::new("", "", auth)
}
