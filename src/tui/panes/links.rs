//! The application links of one Jira (issue 17 §1), opened from the Connections pane with `L` on
//! an admin connection: the inventory `jiralink links ADMIN` prints — the same core call
//! (`crate::lifecycle::links::inventory`, through [`crate::tui::effects::Core::links`]) and the
//! same verdicts — as a list with a details strip. Loading runs as a cancellable effect; `Esc`
//! cancels it, `r` reloads. No logic about links lives here: labels, health and the migration
//! advice all come from the core's `Inventory`.

pub mod keys;
mod view;

pub use keys::{LINKS_DETAIL_KEYS, LINKS_KEYS};

use crate::config::Config;
use crate::jira::Diagnosis;
use crate::lifecycle::links::{Inventory, LinkRow, OAuth2ClientRow};
use crate::tui::action::{Effect, RequestId};
use crate::tui::keymap::{Binding, Cmd};
use crate::tui::panes::{PaneCx, ViewCx};
use ratatui::layout::Rect;
use ratatui::Frame;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a key did to the links view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinksOutcome {
    /// Handled; something changed.
    Changed,
    /// Not for this view (or nothing to do).
    Ignored,
    /// Leave the view (back to the connection list).
    Close,
}

/// One row of the list: an application link, or an OAuth 2.0 incoming link (listed after them).
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    /// An application link (OAuth 1.0a or none), with its status from Jira.
    Link(&'a LinkRow),
    /// An OAuth 2.0 incoming link (a client of Jira's OAuth 2.0 provider).
    Client(&'a OAuth2ClientRow),
}

impl Item<'_> {
    /// What identifies the row across a reload.
    fn key(&self) -> String {
        match self {
            Item::Link(r) => format!("link {}", r.link.id),
            Item::Client(c) => format!("client {}", c.client.client_id),
        }
    }
}

/// Row `i` of `inv`: the links first, then the OAuth 2.0 clients.
pub fn item(inv: &Inventory, i: usize) -> Option<Item<'_>> {
    match inv.links.get(i) {
        Some(r) => Some(Item::Link(r)),
        None => inv
            .oauth2_clients
            .get(i - inv.links.len())
            .map(Item::Client),
    }
}

/// How many rows `inv` lists.
pub fn item_count(inv: &Inventory) -> usize {
    inv.links.len() + inv.oauth2_clients.len()
}

/// A listing in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loading {
    /// Its request id: any other answer is stale.
    pub req: RequestId,
    /// When it started (the elapsed time shown).
    pub started: Instant,
}

/// The links view of one admin connection.
#[derive(Debug)]
pub struct LinksView {
    admin: String,
    url: String,
    inventory: Option<Arc<Inventory>>,
    loading: Option<Loading>,
    failure: Option<Diagnosis>,
    cancelled: bool,
    selected: usize,
    details: bool,
    scroll: u16,
    clock: Instant,
}

impl LinksView {
    /// A view of the links behind connection `admin` (at `url`), not loaded yet.
    pub fn new(admin: &str, url: &str, now: Instant) -> Self {
        Self {
            admin: admin.to_string(),
            url: url.to_string(),
            inventory: None,
            loading: None,
            failure: None,
            cancelled: false,
            selected: 0,
            details: false,
            scroll: 0,
            clock: now,
        }
    }

    /// The connection whose Jira is listed.
    pub fn admin(&self) -> &str {
        &self.admin
    }

    /// The last inventory received (kept on screen while a reload runs).
    pub fn inventory(&self) -> Option<&Inventory> {
        self.inventory.as_deref()
    }

    /// Why the last listing failed, if it did.
    pub fn failure(&self) -> Option<&Diagnosis> {
        self.failure.as_ref()
    }

    /// The listing in flight.
    pub fn loading(&self) -> Option<&Loading> {
        self.loading.as_ref()
    }

    /// True when the last listing was cancelled with Esc.
    pub fn was_cancelled(&self) -> bool {
        self.cancelled
    }

    /// Is the details strip open?
    pub fn details_open(&self) -> bool {
        self.details
    }

    /// The selected row, if any.
    pub fn selected_item(&self) -> Option<Item<'_>> {
        item(self.inventory.as_ref()?, self.selected)
    }

    /// The selected application link, if a link (not an OAuth 2.0 client) is selected.
    pub fn selected(&self) -> Option<&LinkRow> {
        match self.selected_item()? {
            Item::Link(r) => Some(r),
            Item::Client(_) => None,
        }
    }

    /// Index of the selected row (links first, then OAuth 2.0 clients).
    pub fn selected_index(&self) -> usize {
        self.selected
    }

    /// The key table in force (dispatch, footer and `?` read it).
    pub fn keys(&self) -> &'static [Binding] {
        if self.details {
            LINKS_DETAIL_KEYS
        } else {
            LINKS_KEYS
        }
    }

    /// Heading of the help section.
    pub fn help_title(&self) -> &'static str {
        if self.details {
            "Application links: details"
        } else {
            "Application links"
        }
    }

    /// For the status line while loading.
    pub fn busy_label(&self) -> Option<String> {
        self.loading
            .map(|_| format!("listing the application links of {}", self.admin))
    }

    /// Time passed (the elapsed seconds shown while loading).
    pub fn on_tick(&mut self, now: Instant) -> bool {
        self.clock = now;
        self.loading.is_some()
    }

    /// Seconds since the listing in flight started.
    fn elapsed(&self) -> Option<Duration> {
        self.loading
            .map(|l| self.clock.saturating_duration_since(l.started))
    }

    /// Ask the core for the inventory (cancelling a listing in flight). `config` gives the admin
    /// connection, the connections to match and the timeouts; an admin connection that is gone
    /// from the config is an in-pane error.
    pub fn start(&mut self, config: Option<&Config>, cx: &mut PaneCx<'_>) -> bool {
        self.clock = cx.now;
        self.cancelled = false;
        if let Some(old) = self.loading.take() {
            cx.effects.push(Effect::Cancel(old.req));
        }
        let admin = config.and_then(|c| c.connections.iter().find(|x| x.name == self.admin));
        let (Some(config), Some(admin)) = (config, admin) else {
            self.failure = Some(Diagnosis::error(
                crate::jira::Code::ConfigError,
                format!("there is no connection \"{}\" any more", self.admin),
                "it was removed from the config file",
                "Go back (Esc) and choose another connection.",
            ));
            return true;
        };
        let req = cx.ids.next_id();
        cx.effects.push(Effect::Links {
            req,
            admin: Box::new(admin.clone()),
            connections: config.connections.clone(),
            defaults: config.defaults.clone(),
        });
        self.loading = Some(Loading {
            req,
            started: cx.now,
        });
        true
    }

    /// The inventory (or why not) for request `req`; an answer to any other request is stale and
    /// dropped.
    pub fn on_loaded(
        &mut self,
        req: RequestId,
        result: Result<Arc<Inventory>, Box<Diagnosis>>,
        cx: &mut PaneCx<'_>,
    ) -> bool {
        if self.loading.is_none_or(|l| l.req != req) {
            tracing::debug!(?req, "dropping a stale links answer");
            return false;
        }
        self.loading = None;
        self.clock = cx.now;
        match result {
            Ok(inv) => {
                // Keep the same row selected across a reload when it is still there.
                let keep = self.selected_item().map(|i| i.key());
                self.selected = keep
                    .and_then(|k| {
                        (0..item_count(&inv))
                            .position(|i| item(&inv, i).is_some_and(|x| x.key() == k))
                    })
                    .unwrap_or(0);
                self.inventory = Some(inv);
                self.failure = None;
            }
            // Shown in the view itself (what / why / fix), not repeated on the status line.
            Err(d) => self.failure = Some(*d),
        }
        true
    }

    /// A command from [`Self::keys`].
    pub fn on_cmd(
        &mut self,
        cmd: Cmd,
        config: Option<&Config>,
        cx: &mut PaneCx<'_>,
    ) -> LinksOutcome {
        let n = self.inventory.as_deref().map_or(0, item_count);
        let before = (self.selected, self.scroll);
        match cmd {
            Cmd::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Cmd::Up => self.selected = self.selected.saturating_sub(1),
            Cmd::Top => self.selected = 0,
            Cmd::Bottom => self.selected = n.saturating_sub(1),
            Cmd::PageDown if self.details => self.scroll = self.scroll.saturating_add(5),
            Cmd::PageUp if self.details => self.scroll = self.scroll.saturating_sub(5),
            Cmd::Open if n > 0 && !self.details => {
                self.details = true;
                self.scroll = 0;
                return LinksOutcome::Changed;
            }
            Cmd::Refresh => {
                self.start(config, cx);
                return LinksOutcome::Changed;
            }
            Cmd::Copy => {
                let Some(text) = self.copy_text() else {
                    return LinksOutcome::Ignored;
                };
                cx.status.notice = Some(format!(
                    "copied the details of {} (also shown here)",
                    text.lines().next().unwrap_or_default()
                ));
                cx.effects.push(Effect::Copy(text));
                return LinksOutcome::Changed;
            }
            Cmd::Back => {
                if let Some(l) = self.loading.take() {
                    cx.effects.push(Effect::Cancel(l.req));
                    self.cancelled = true;
                    cx.status.notice = Some("listing cancelled; r lists again".into());
                } else if self.details {
                    self.details = false;
                } else {
                    return LinksOutcome::Close;
                }
                return LinksOutcome::Changed;
            }
            _ => return LinksOutcome::Ignored,
        }
        if self.selected != before.0 {
            // Another link: its details start at the top.
            self.scroll = 0;
        }
        if (self.selected, self.scroll) == before {
            LinksOutcome::Ignored
        } else {
            LinksOutcome::Changed
        }
    }

    /// The selected row's details as plain text (what the details strip shows), for `c`: the
    /// migration steps go into a ticket as they are.
    pub fn copy_text(&self) -> Option<String> {
        let theme = crate::tui::theme::Theme {
            color: false,
            ascii: false,
        };
        let (name, lines) = match self.selected_item()? {
            Item::Link(r) => (&r.link.name, view::detail_lines(&theme, r)),
            Item::Client(c) => (&c.client.name, view::client_detail_lines(&theme, c)),
        };
        let mut out = format!("{}\n", crate::shown::field(name, 512));
        for line in lines {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            out += text.trim_end();
            out.push('\n');
        }
        Some(out)
    }

    /// Leaving the view: a listing still in flight is abandoned.
    pub fn close(&mut self, cx: &mut PaneCx<'_>) {
        if let Some(l) = self.loading.take() {
            cx.effects.push(Effect::Cancel(l.req));
        }
    }

    /// Draw into `area`. Pure: reads `&self` only.
    pub fn draw(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        view::draw(self, frame, area, cx);
    }
}
