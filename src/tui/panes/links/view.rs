//! What the links view draws: a summary line, two lines per link (health, name, migration flag
//! and URL; type, incoming / outgoing authentication and the connections using it), the
//! details strip, and the loading / error / empty states. Pure over `&LinksView`; every string
//! from Jira goes through `crate::shown::field` (no control characters reach the terminal).

use super::{Item, LinksView};
use crate::jira::Diagnosis;
use crate::lifecycle::links::{Inventory, LinkRow, OAuth2ClientRow};
use crate::tui::panes::ViewCx;
use crate::tui::theme::Theme;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

/// The longest server string shown on one line (the rest is summarised).
const MAX_FIELD: usize = 512;

/// Text from Jira, safe for the terminal.
fn safe(s: &str) -> String {
    crate::shown::field(s, MAX_FIELD).into_owned()
}

/// The symbol and style of a link's health, with the CLI's rule: works (or cannot be checked) →
/// ok; Jira says it does not → fail; the status could not be read → warn.
fn tone(theme: &Theme, r: &LinkRow) -> (&'static str, Style) {
    match (r.is_healthy(), r.status.is_some()) {
        (true, _) => (theme.sym_ok(), theme.ok()),
        (false, true) => (theme.sym_fail(), theme.error()),
        (false, false) => (theme.sym_warn(), theme.warn()),
    }
}

/// "4 links · 3 not working · 2 to migrate to OAuth 2.0".
fn summary(theme: &Theme, inv: &Inventory) -> Line<'static> {
    let broken = inv.links.iter().filter(|r| !r.is_healthy()).count();
    let legacy = inv
        .links
        .iter()
        .filter(|r| r.migrate_to_oauth2.is_some())
        .count();
    let mut spans = vec![Span::raw(crate::text::count(
        inv.links.len() as u64,
        "link",
    ))];
    let sep = || Span::styled(theme.sep(), theme.dim());
    spans.push(sep());
    spans.push(Span::styled(
        format!("{broken} not working"),
        if broken > 0 {
            theme.error()
        } else {
            theme.ok()
        },
    ));
    spans.push(sep());
    spans.push(Span::styled(
        format!("{legacy} to migrate to OAuth 2.0"),
        if legacy > 0 {
            theme.warn()
        } else {
            Style::new()
        },
    ));
    let no_consumer = inv
        .links
        .iter()
        .filter(|r| r.missing_consumer.is_some())
        .count();
    if no_consumer > 0 {
        spans.push(sep());
        spans.push(Span::styled(
            format!("{no_consumer} OAuth on, no consumer"),
            theme.error(),
        ));
    }
    Line::from(spans)
}

/// The two lines of one link in the list.
fn link_item(theme: &Theme, r: &LinkRow, name_w: usize) -> ListItem<'static> {
    let (sym, style) = tone(theme, r);
    let flag = if r.migrate_to_oauth2.is_some() {
        Span::styled(format!("{} migrate ", theme.sym_warn()), theme.warn())
    } else {
        Span::raw(" ".repeat(theme.sym_warn().chars().count() + 9))
    };
    let name = safe(&r.link.name);
    let first = Line::from(vec![
        Span::styled(format!("{sym} "), style),
        Span::raw(format!("{name:<name_w$} ")),
        Span::styled(format!("{:<14}", r.health_label()), style),
        flag,
        Span::raw(safe(&r.link.display_url)),
    ]);
    let (incoming, outgoing) = r.auth_words();
    let mut second = vec![
        Span::raw("    "),
        Span::styled(safe(&r.link.r#type), theme.dim()),
    ];
    if r.missing_consumer.is_some() {
        second.push(Span::styled(theme.sep(), theme.dim()));
        second.push(Span::styled(
            format!("{} OAuth on, no consumer", theme.sym_fail()),
            theme.error(),
        ));
    }
    // The connections first: the authentication words (with the consumer key) can be long and
    // are cut at the edge; the details strip shows everything.
    if !r.connections.is_empty() {
        second.push(Span::styled(theme.sep(), theme.dim()));
        second.push(Span::styled("used by ", theme.dim()));
        second.push(Span::raw(r.connections.join(", ")));
    }
    second.extend([
        Span::styled(theme.sep(), theme.dim()),
        Span::styled("in ", theme.dim()),
        Span::raw(safe(&incoming)),
        Span::styled(theme.sep(), theme.dim()),
        Span::styled("out ", theme.dim()),
        Span::raw(safe(&outgoing)),
    ]);
    ListItem::new(Text::from(vec![first, Line::from(second)]))
}

/// The two lines of one OAuth 2.0 incoming link in the list.
fn client_item(theme: &Theme, r: &OAuth2ClientRow, name_w: usize) -> ListItem<'static> {
    let c = &r.client;
    let name = safe(&c.name);
    let first = Line::from(vec![
        Span::styled(format!("{} ", theme.sym_ok()), theme.ok()),
        Span::raw(format!("{name:<name_w$} ")),
        Span::styled("client id ", theme.dim()),
        Span::raw(safe(&c.client_id)),
    ]);
    let mut second = vec![
        Span::raw("    "),
        Span::styled("OAuth 2.0", theme.dim()),
        Span::styled(theme.sep(), theme.dim()),
        Span::styled("scope ", theme.dim()),
        Span::raw(safe(&c.scope)),
    ];
    if !r.connections.is_empty() {
        second.push(Span::styled(theme.sep(), theme.dim()));
        second.push(Span::styled("used by ", theme.dim()));
        second.push(Span::raw(r.connections.join(", ")));
    }
    if let Some(u) = c.redirects.first() {
        second.push(Span::styled(theme.sep(), theme.dim()));
        second.push(Span::styled("redirect ", theme.dim()));
        second.push(Span::raw(safe(u)));
    }
    ListItem::new(Text::from(vec![first, Line::from(second)]))
}

/// Everything known about one OAuth 2.0 incoming link, for the details strip (never a secret:
/// the core does not read it).
pub fn client_detail_lines(theme: &Theme, r: &OAuth2ClientRow) -> Vec<Line<'static>> {
    let c = &r.client;
    let mut lines = vec![
        field_line(theme, "Type", "OAuth 2.0 incoming link".into()),
        field_line(theme, "Client id", safe(&c.client_id)),
        field_line(theme, "Scope", safe(&c.scope)),
    ];
    if c.redirects.is_empty() {
        lines.push(field_line(theme, "Redirect", "-".into()));
    }
    for (i, u) in c.redirects.iter().enumerate() {
        lines.push(field_line(
            theme,
            if i == 0 { "Redirect" } else { "" },
            safe(u),
        ));
    }
    lines.push(field_line(
        theme,
        "Used by",
        if r.connections.is_empty() {
            "no jiralink connection (matched by client id)".into()
        } else {
            r.connections.join(", ")
        },
    ));
    lines
}

/// A labelled line of the details strip.
fn field_line(theme: &Theme, label: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<10}"), theme.accent()),
        Span::raw(value),
    ])
}

/// A diagnosis as what / why / fix lines.
fn diagnosis_lines(theme: &Theme, title: String, d: &Diagnosis) -> Vec<Line<'static>> {
    let style = if d.is_error() {
        theme.error()
    } else {
        theme.warn()
    };
    let mut lines = vec![Line::styled(format!("{title} [{}]", d.code), style)];
    for (label, text) in [
        ("  what  ", &d.summary),
        ("  why   ", &d.detail),
        ("  fix   ", &d.fix),
    ] {
        if !text.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(label, theme.accent()),
                Span::raw(safe(text)),
            ]));
        }
    }
    lines
}

/// Everything known about one link, for the details strip.
pub fn detail_lines(theme: &Theme, r: &LinkRow) -> Vec<Line<'static>> {
    let (sym, style) = tone(theme, r);
    let mut status = r.health_label().to_string();
    if let Some(s) = &r.status {
        let extra: Vec<String> = [&s.category, &s.error_type, &s.details]
            .into_iter()
            .flatten()
            .map(|t| safe(t))
            .collect();
        if !extra.is_empty() {
            status += &format!(" ({})", extra.join(", "));
        }
    }
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<10}", "Status"), theme.accent()),
            Span::styled(format!("{sym} {status}"), style),
        ]),
        field_line(theme, "Type", safe(&r.link.r#type)),
        field_line(theme, "URL", safe(&r.link.display_url)),
    ];
    if !r.link.rpc_url.is_empty() && r.link.rpc_url != r.link.display_url {
        lines.push(field_line(theme, "RPC URL", safe(&r.link.rpc_url)));
    }
    let (incoming, outgoing) = r.auth_words();
    lines.push(field_line(theme, "Incoming", safe(&incoming)));
    lines.push(field_line(theme, "Outgoing", safe(&outgoing)));
    lines.push(field_line(
        theme,
        "Used by",
        if r.connections.is_empty() {
            "no jiralink connection (matched by consumer key)".into()
        } else {
            r.connections.join(", ")
        },
    ));
    lines.push(field_line(theme, "Link id", safe(&r.link.id)));
    if let Some(d) = &r.status_error {
        lines.push(Line::raw(""));
        lines.extend(diagnosis_lines(
            theme,
            "The status could not be read".into(),
            d,
        ));
    }
    if let Some(d) = &r.missing_consumer {
        lines.push(Line::raw(""));
        lines.extend(diagnosis_lines(
            theme,
            format!("{} Incoming OAuth on, no consumer", theme.sym_fail()),
            d,
        ));
    }
    if let Some(m) = &r.migrate_to_oauth2 {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("{} Migrate to OAuth 2.0", theme.sym_warn()),
            theme.warn(),
        ));
        lines.push(Line::raw(theme.text(&m.reason)));
        for (i, step) in m.steps.iter().enumerate() {
            lines.push(Line::raw(theme.text(&format!("  {}. {step}", i + 1))));
        }
    }
    lines
}

/// The whole view into `area`.
pub(super) fn draw(v: &LinksView, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
    let theme = cx.theme;
    let block = theme
        .block()
        .title(format!(" Application links of {} ", v.admin));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    // The first line says what is going on; the rest shows the links (or why there are none).
    let mut head: Vec<Line> = match (&v.loading, &v.inventory) {
        (Some(_), _) => vec![Line::styled(
            theme.text(&format!(
                "{} asking {} for its links and each link's status… {} s (Esc cancels)",
                theme.spinner(cx.spinner),
                safe(&v.url),
                v.elapsed().map_or(0, |d| d.as_secs())
            )),
            theme.busy(),
        )],
        (None, Some(inv)) if v.failure.is_none() => vec![summary(theme, inv)],
        _ => Vec::new(),
    };
    if let (Some(inv), None) = (&v.inventory, &v.failure) {
        if !inv.unmatched_connections.is_empty() {
            head.push(Line::styled(
                format!(
                    "{} OAuth 1.0a connections with no link holding their consumer key: {}",
                    theme.sym_warn(),
                    inv.unmatched_connections.join(", ")
                ),
                theme.warn(),
            ));
        }
        if !inv.unmatched_oauth2_connections.is_empty() {
            head.push(Line::styled(
                format!(
                    "{} OAuth 2.0 connections whose client id no incoming link holds (deleted link?): {}",
                    theme.sym_warn(),
                    inv.unmatched_oauth2_connections.join(", ")
                ),
                theme.warn(),
            ));
        }
        if let Some(note) = &inv.oauth2_note {
            head.push(Line::styled(
                theme.text(&format!("OAuth 2.0 incoming links: {}", safe(note))),
                theme.dim(),
            ));
        }
    }
    // The head wraps; it never takes more than half the view from the links.
    let wrapped: usize = head
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            crate::tui::widgets::help::wrap_words(&text, usize::from(inner.width)).len()
        })
        .sum();
    let head_h = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .min((inner.height / 2).max(1));
    let [head_area, body] =
        Layout::vertical([Constraint::Length(head_h), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), head_area);
    if body.height == 0 {
        return;
    }
    if let Some(d) = &v.failure {
        let mut lines = diagnosis_lines(
            theme,
            format!(
                "{} Cannot list the application links of {}",
                theme.sym_fail(),
                v.admin
            ),
            d,
        );
        lines.push(Line::raw(""));
        lines.push(Line::raw("r tries again · Esc goes back"));
        frame.render_widget(
            Paragraph::new(
                lines
                    .into_iter()
                    .map(|l| theme_line(theme, l))
                    .collect::<Vec<_>>(),
            )
            .wrap(Wrap { trim: false }),
            body,
        );
        return;
    }
    let Some(inv) = &v.inventory else {
        let text = if v.cancelled {
            "Listing cancelled. r lists the links again; Esc goes back."
        } else {
            ""
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), body);
        return;
    };
    if inv.links.is_empty() && inv.oauth2_clients.is_empty() {
        frame.render_widget(
            Paragraph::new(theme.text(
                "This Jira has no application links. (An admin creates them under \
                 Administration → Applications → Application links.)",
            ))
            .wrap(Wrap { trim: false }),
            body,
        );
        return;
    }
    let (list_area, detail_area) = if v.details && body.height >= 6 {
        // The list keeps at least two links in sight; the details take the rest.
        let n = inv.links.len() + inv.oauth2_clients.len();
        let heading = usize::from(!inv.oauth2_clients.is_empty());
        let rows = u16::try_from(n * 2 + heading).unwrap_or(u16::MAX);
        let list_h = ((body.height * 2 / 5).max(4) & !1).min(rows.max(2));
        let [a, b] =
            Layout::vertical([Constraint::Length(list_h), Constraint::Fill(1)]).areas(body);
        (a, Some(b))
    } else {
        (body, None)
    };
    let name_w = inv
        .links
        .iter()
        .map(|r| safe(&r.link.name).chars().count())
        .chain(
            inv.oauth2_clients
                .iter()
                .map(|c| safe(&c.client.name).chars().count()),
        )
        .max()
        .unwrap_or(0)
        .clamp(4, 24);
    let mut items: Vec<ListItem> = inv
        .links
        .iter()
        .map(|r| link_item(theme, r, name_w))
        .collect();
    // The OAuth 2.0 incoming links follow under a heading (not selectable: the list's index
    // skips it).
    let heading_at = (!inv.oauth2_clients.is_empty()).then_some(items.len());
    if heading_at.is_some() {
        items.push(ListItem::new(Line::styled(
            format!("OAuth 2.0 incoming links ({})", inv.oauth2_clients.len()),
            theme.accent(),
        )));
        items.extend(
            inv.oauth2_clients
                .iter()
                .map(|c| client_item(theme, c, name_w)),
        );
    }
    let shown = match heading_at {
        Some(h) if v.selected >= h => v.selected + 1,
        _ => v.selected,
    };
    let list = List::new(items)
        .highlight_style(theme.selected())
        .highlight_symbol(if theme.ascii { "> " } else { "▶ " });
    // A fresh state per frame keeps drawing a pure function of the view.
    let mut state = ListState::default().with_selected(Some(shown));
    frame.render_stateful_widget(list, list_area, &mut state);
    if let (Some(area), Some(item)) = (detail_area, v.selected_item()) {
        let (lines, title) = match item {
            Item::Link(r) => (detail_lines(theme, r), safe(&r.link.name)),
            Item::Client(c) => (client_detail_lines(theme, c), safe(&c.client.name)),
        };
        let max_scroll = lines.len().saturating_sub(1) as u16;
        frame.render_widget(
            Paragraph::new(lines)
                .block(
                    Block::default()
                        .borders(Borders::TOP)
                        .border_set(if theme.ascii {
                            ASCII_RULE
                        } else {
                            ratatui::symbols::border::PLAIN
                        })
                        .title(format!(" {title} ")),
                )
                .wrap(Wrap { trim: false })
                .scroll((v.scroll.min(max_scroll), 0)),
            area,
        );
    }
}

/// A plain `-` rule for the details strip in ASCII mode.
const ASCII_RULE: ratatui::symbols::border::Set = ratatui::symbols::border::Set {
    top_left: "-",
    top_right: "-",
    bottom_left: "-",
    bottom_right: "-",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// Our own typographic characters replaced in ASCII mode, span by span (styles kept).
fn theme_line(theme: &Theme, l: Line<'static>) -> Line<'static> {
    if !theme.ascii {
        return l;
    }
    Line::from(
        l.spans
            .into_iter()
            .map(|s| Span::styled(theme.text(&s.content), s.style))
            .collect::<Vec<_>>(),
    )
    .style(l.style)
}
