//! The checker's setup form: which connection is the subject, which (optional) admin connection,
//! which username through the admin, which permissions, how often live mode re-runs.

use crate::config::Config;
use crate::tui::effects::AuditJob;
use crate::tui::widgets::text_field::TextField;
use std::time::Duration;

/// Live mode's default interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// The shortest live interval accepted: each run reads every project.
pub const MIN_INTERVAL_SECS: u64 = 5;

/// A field of the setup form, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupField {
    /// The integration user's connection (or none).
    Subject,
    /// An admin connection (or none).
    Admin,
    /// The username to audit through the admin connection.
    Username,
    /// Required permission keys.
    Required,
    /// Live mode interval in seconds.
    Interval,
}

impl SetupField {
    /// Every field, in order.
    pub const ALL: [SetupField; 5] = [
        SetupField::Subject,
        SetupField::Admin,
        SetupField::Username,
        SetupField::Required,
        SetupField::Interval,
    ];

    /// The label shown before the value.
    pub fn label(self) -> &'static str {
        match self {
            SetupField::Subject => "Subject connection",
            SetupField::Admin => "Admin connection",
            SetupField::Username => "Username (via admin)",
            SetupField::Required => "Required permissions",
            SetupField::Interval => "Live interval (s)",
        }
    }

    /// A one-line hint under the form for the focused field.
    pub fn hint(self) -> &'static str {
        match self {
            SetupField::Subject => {
                "the integration user's own connection; none = audit by username through the admin"
            }
            SetupField::Admin => {
                "a Jira administrator: every project, read from the permission schemes"
            }
            SetupField::Username => "empty = the subject connection's user",
            SetupField::Required => {
                "comma-separated project permission keys, e.g. BROWSE_PROJECTS,CREATE_ISSUES"
            }
            SetupField::Interval => "how often live mode (w) re-runs the audit",
        }
    }

    /// Choice fields cycle; the others are typed.
    pub fn is_choice(self) -> bool {
        matches!(self, SetupField::Subject | SetupField::Admin)
    }
}

/// The form's state.
#[derive(Debug)]
pub struct Setup {
    /// Subject connection name.
    pub subject: Option<String>,
    /// Admin connection name.
    pub admin: Option<String>,
    /// A connection to make the subject once it is in the config (the one just linked).
    pub prefer: Option<String>,
    /// Username field.
    pub username: TextField,
    /// Required permissions field.
    pub required: TextField,
    /// Interval field.
    pub interval: TextField,
    /// The focused field.
    pub focus: SetupField,
    /// While a text field is being edited: its value before, restored by Esc.
    pub editing: Option<String>,
    /// Why the last "run" was refused.
    pub error: Option<String>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            subject: None,
            admin: None,
            prefer: None,
            username: TextField::default(),
            required: TextField::default(),
            interval: TextField::new(DEFAULT_INTERVAL.as_secs().to_string()),
            focus: SetupField::Subject,
            editing: None,
            error: None,
        }
    }
}

impl Setup {
    /// Adopt a (re)loaded config: keep choices that still exist, default the rest.
    pub fn adopt(&mut self, config: &Config) {
        let exists = |n: &Option<String>| {
            n.as_ref()
                .is_some_and(|n| config.connections.iter().any(|c| &c.name == n))
        };
        if exists(&self.prefer) {
            self.subject = self.prefer.take();
        }
        if !exists(&self.subject) {
            self.subject = config.connections.first().map(|c| c.name.clone());
        }
        if !exists(&self.admin) {
            self.admin = None;
        }
        if self.required.value().trim().is_empty() {
            self.required
                .set_value(config.defaults.required_permissions.join(","));
        }
    }

    /// The text field with the focus, if the focus is on one.
    pub fn text_field_mut(&mut self) -> Option<&mut TextField> {
        match self.focus {
            SetupField::Username => Some(&mut self.username),
            SetupField::Required => Some(&mut self.required),
            SetupField::Interval => Some(&mut self.interval),
            SetupField::Subject | SetupField::Admin => None,
        }
    }

    /// Move the focus by one field.
    pub fn move_focus(&mut self, forward: bool) {
        let i = SetupField::ALL
            .iter()
            .position(|f| *f == self.focus)
            .unwrap_or(0);
        let n = SetupField::ALL.len();
        self.focus = SetupField::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// Cycle the focused choice through "none" and every connection name.
    pub fn cycle(&mut self, names: &[String], forward: bool) -> bool {
        let slot = match self.focus {
            SetupField::Subject => &mut self.subject,
            SetupField::Admin => &mut self.admin,
            _ => return false,
        };
        // Position 0 is "none", 1.. the connections.
        let n = names.len() + 1;
        let cur = slot
            .as_ref()
            .and_then(|s| names.iter().position(|x| x == s))
            .map_or(0, |i| i + 1);
        let next = if forward {
            (cur + 1) % n
        } else {
            (cur + n - 1) % n
        };
        *slot = next.checked_sub(1).and_then(|i| names.get(i)).cloned();
        true
    }

    /// The value shown for a field.
    pub fn shown(&self, field: SetupField) -> String {
        let choice = |c: &Option<String>| c.clone().unwrap_or_else(|| "(none)".into());
        match field {
            SetupField::Subject => choice(&self.subject),
            SetupField::Admin => choice(&self.admin),
            SetupField::Username => self.username.value().to_string(),
            SetupField::Required => self.required.value().to_string(),
            SetupField::Interval => self.interval.value().to_string(),
        }
    }

    /// The live interval typed, or why it is unusable.
    pub fn interval(&self) -> Result<Duration, String> {
        let v = self.interval.value().trim();
        match v.parse::<u64>() {
            Ok(s) if s >= MIN_INTERVAL_SECS => Ok(Duration::from_secs(s)),
            _ => Err(format!(
                "live interval must be a whole number of seconds, at least {MIN_INTERVAL_SECS} (got \"{v}\")"
            )),
        }
    }

    /// The audit to run, or why the choices cannot make one (same rule as `jiralink audit`).
    pub fn job(&self, config: &Config) -> Result<AuditJob, String> {
        let find = |name: &Option<String>| -> Result<_, String> {
            match name {
                None => Ok(None),
                Some(n) => config
                    .connection(n)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| format!("no connection named \"{n}\" any more")),
            }
        };
        let subject = find(&self.subject)?;
        let admin = find(&self.admin)?;
        let username = Some(self.username.value().trim().to_string()).filter(|u| !u.is_empty());
        if let Some(problem) =
            crate::audit::choice_problem(subject.is_some(), admin.is_some(), username.is_some())
        {
            return Err(format!(
                "choose the integration user's connection, or an admin connection and a username: {problem}"
            ));
        }
        let required: Vec<String> = self
            .required
            .value()
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        // The live interval matters to live mode only (checked when it starts), never to a
        // one-shot audit.
        Ok(AuditJob {
            subject,
            admin,
            username,
            required,
            defaults: config.defaults.clone(),
            fix: config.fix.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthKind, Connection};

    fn config() -> Config {
        let mut c = Config::default();
        for name in ["alice", "admin"] {
            c.connections.push(Connection::new(
                name,
                "https://jira.example.com",
                AuthKind::Basic,
            ));
        }
        c
    }

    #[test]
    fn by_name_without_admin_is_refused_before_starting() {
        let mut s = Setup {
            subject: Some("alice".into()),
            ..Setup::default()
        };
        s.username = TextField::new("bob".to_string());
        let e = s.job(&config()).unwrap_err();
        assert!(e.contains("needs an admin connection"), "{e}");
        s.admin = Some("admin".into());
        assert!(s.job(&config()).is_ok());
    }

    #[test]
    fn a_bad_live_interval_does_not_block_a_one_shot_audit() {
        let mut s = Setup {
            subject: Some("alice".into()),
            ..Setup::default()
        };
        s.interval = TextField::new("soon".to_string());
        assert!(s.interval().is_err());
        assert!(s.job(&config()).is_ok());
    }
}
