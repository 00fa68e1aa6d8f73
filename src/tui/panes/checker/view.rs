//! Drawing the checker from `&CheckerPane`: setup form, progress, the table (only the visible
//! rows are built), loading / empty / error states, the explanation and the change log.

use super::explain_text::explanation;
use super::rows::{self, is_problem};
use super::setup::SetupField;
use super::{CheckerMode, CheckerPane};
use crate::audit::{Mode as AuditMode, Report};
use crate::tui::panes::ViewCx;
use crate::tui::theme::Theme;
use crate::tui::widgets::help::wrap_words;
use crate::tui::widgets::progress::progress_line;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

/// Draw the pane.
pub(super) fn draw(p: &CheckerPane, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
    match &p.mode {
        CheckerMode::Setup => draw_setup(p, frame, area, cx),
        CheckerMode::Table => draw_table(p, frame, area, cx),
        CheckerMode::Explain { row, scroll } => draw_explain(p, frame, area, *row, *scroll, cx),
        CheckerMode::Log { scroll } => draw_log(p, frame, area, *scroll, cx),
    }
}

/// Our typographic characters (and those in the core's texts: menu arrows, dashes) spelled in
/// ASCII when the terminal needs it; one pass over what is drawn, so no string can slip through.
fn plain(theme: &Theme, mut lines: Vec<Line<'static>>) -> Vec<Line<'static>> {
    if theme.ascii {
        for line in &mut lines {
            for span in &mut line.spans {
                span.content = theme.text(&span.content).into();
            }
        }
    }
    lines
}

fn message(frame: &mut Frame, area: Rect, title: String, lines: Vec<Line<'static>>, theme: &Theme) {
    frame.render_widget(
        Paragraph::new(plain(theme, lines))
            .block(theme.block().title(title))
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn draw_setup(p: &CheckerPane, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
    let theme = cx.theme;
    let title = " Checker — setup ".to_string();
    let Some(config) = &p.config else {
        let line = Line::styled(
            theme.text(&format!(
                "{} waiting for the config (pane 1 reads it)…",
                theme.spinner(cx.spinner)
            )),
            theme.busy(),
        );
        return message(frame, area, theme.text(&title), vec![line], theme);
    };
    if config.connections.is_empty() {
        let lines = vec![Line::raw(theme.text(
            "no connections yet — add one in pane 1 (Connections), or run `jiralink demo`",
        ))];
        return message(frame, area, theme.text(&title), lines, theme);
    }
    let block = theme.block().title(theme.text(&title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label_w = SetupField::ALL
        .iter()
        .map(|f| f.label().chars().count())
        .max()
        .unwrap_or(0);
    let marker = if theme.ascii { "> " } else { "▶ " };
    let mut lines = vec![Line::styled(
        "Audit which projects the integration user can see and use:",
        theme.accent(),
    )];
    lines.push(Line::raw(""));
    let mut cursor = None;
    for f in SetupField::ALL {
        let focused = p.setup.focus == f;
        let value = p.setup.shown(f);
        let prefix = format!(
            "{}{:label_w$}  ",
            if focused { marker } else { "  " },
            f.label()
        );
        let editing = focused && p.setup.editing.is_some();
        let shown = if f.is_choice() {
            if theme.ascii {
                format!("< {value} >")
            } else {
                format!("‹ {value} ›")
            }
        } else if editing {
            let field_w = (inner.width as usize).saturating_sub(prefix.chars().count() + 1);
            let field = match f {
                SetupField::Username => &p.setup.username,
                SetupField::Required => &p.setup.required,
                _ => &p.setup.interval,
            };
            let (text, col) = field.render(field_w.max(1), theme.mask_char());
            let x = inner.x + (prefix.chars().count() + col) as u16;
            let y = inner.y + lines.len() as u16;
            cursor = Some(Position::new(x.min(inner.right().saturating_sub(1)), y));
            text
        } else {
            value
        };
        let style = if editing {
            theme.selected()
        } else if focused {
            theme.accent()
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::raw(prefix),
            Span::styled(shown, style),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(theme.text(p.setup.focus.hint()), theme.dim()));
    if let Some(e) = &p.setup.error {
        lines.push(Line::styled(
            format!("{} {e}", theme.sym_fail()),
            theme.error(),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(theme.text(
        "r runs the audit · Space/←/→ changes a connection · Enter edits a field",
    )));
    frame.render_widget(
        Paragraph::new(plain(theme, lines)).wrap(Wrap { trim: false }),
        inner,
    );
    if let Some(c) = cursor {
        if inner.contains(c) {
            frame.set_cursor_position(c);
        }
    }
}

fn table_title(p: &CheckerPane, theme: &Theme) -> String {
    let mut parts = vec!["Checker".to_string()];
    if let Some(r) = &p.report {
        parts.push(r.connection.clone());
        parts.push(format!(
            "{} ({}, Jira {})",
            r.user.name,
            match r.mode {
                AuditMode::SelfCheck => "self",
                AuditMode::AdminAssisted => "admin-assisted",
            },
            r.jira.version.as_deref().unwrap_or("?")
        ));
        if p.sort != rows::SortKey::Key {
            parts.push(format!("sort: {}", p.sort.label(&r.required)));
        }
    }
    let f = p.active_filter();
    if !f.is_empty() {
        parts.push(format!("filter: {f}"));
    }
    if p.problems_only {
        parts.push("problems only".into());
    }
    theme.text(&format!(" {} ", parts.join(" · ")))
}

/// `n / N projects · R req/s` while an audit runs.
fn progress_text(p: &CheckerPane) -> Option<(usize, usize, String)> {
    let r = p.running?;
    let (done, total, requests) = r
        .progress
        .map_or((0, 0, 0), |g| (g.done, g.total, g.requests));
    let secs = r.at.saturating_duration_since(r.started).as_secs_f64();
    let rate = if secs > 0.0 {
        format!("{:.0} req/s", requests as f64 / secs)
    } else {
        "– req/s".into()
    };
    let label = if total == 0 {
        format!("auditing: listing projects… · {rate}")
    } else {
        format!("auditing {done} / {total} projects · {rate}")
    };
    Some((done, total, label))
}

fn summary_line(r: &Report, theme: &Theme) -> Line<'static> {
    let s = &r.summary;
    Line::from(vec![
        Span::raw(format!("{} projects: ", s.projects)),
        Span::styled(format!("{} {} ok", theme.sym_ok(), s.ok), theme.ok()),
        Span::raw(", "),
        Span::styled(
            format!("{} {} missing", theme.sym_fail(), s.missing),
            if s.missing > 0 {
                theme.error()
            } else {
                Style::new()
            },
        ),
        Span::raw(format!(", {} invisible, ", s.invisible)),
        Span::styled(
            format!("{} errors", s.errors),
            if s.errors > 0 {
                theme.warn()
            } else {
                Style::new()
            },
        ),
        Span::styled(format!(" · {} requests", r.requests), theme.dim()),
    ])
}

fn live_line(p: &CheckerPane, theme: &Theme) -> Line<'static> {
    let changes = p.log.len();
    let log = if changes == 0 {
        String::new()
    } else {
        format!(" · {changes} change(s) logged (l)")
    };
    let text = match p.live {
        Some(live) => {
            let when = match p.countdown() {
                Some(s) if p.running.is_none() => format!("next run in {s} s"),
                _ => "running now".into(),
            };
            return Line::from(vec![
                Span::styled("LIVE", theme.busy()),
                Span::raw(theme.text(&format!(": every {} s · {when}{log}", live.every.as_secs()))),
            ]);
        }
        None => format!(
            "live off — w re-runs every {} s and highlights changes{log}",
            p.setup.interval().map(|d| d.as_secs()).unwrap_or(30)
        ),
    };
    Line::styled(theme.text(&text), theme.dim())
}

fn draw_table(p: &CheckerPane, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
    let theme = cx.theme;
    let block = theme.block().title(table_title(p, theme));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut head: Vec<Line<'static>> = Vec::new();
    if let Some((done, total, label)) = progress_text(p) {
        let label = format!("{} {label}", theme.spinner(cx.spinner));
        head.push(progress_line(
            theme,
            done,
            total,
            &theme.text(&label),
            inner.width,
        ));
    } else if let Some(r) = &p.report {
        head.push(summary_line(r, theme));
    }
    if let (Some(d), true) = (&p.failure, p.report.is_some()) {
        head.push(Line::styled(
            format!(
                "{} last run failed: {} — {}",
                theme.sym_fail(),
                d.summary,
                d.fix
            ),
            theme.error(),
        ));
    }
    if p.report.is_some() || p.running.is_some() {
        head.push(live_line(p, theme));
    }
    if let Some(path) = &p.last_export {
        head.push(Line::styled(
            format!("exported: {} (0600)", path.display()),
            theme.dim(),
        ));
    }
    if let Some(f) = &p.filter_input {
        let (text, col) = f.render(inner.width.saturating_sub(2) as usize, theme.mask_char());
        let y = inner.y + head.len() as u16;
        head.push(Line::from(vec![
            Span::styled("/", theme.accent()),
            Span::raw(text),
        ]));
        let pos = Position::new(inner.x + 1 + col as u16, y);
        if inner.contains(pos) {
            frame.set_cursor_position(pos);
        }
    }
    let head_h = (head.len() as u16).min(inner.height);
    let [head_area, body] =
        Layout::vertical([Constraint::Length(head_h), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(plain(theme, head)), head_area);

    let Some(report) = &p.report else {
        let lines = match (&p.failure, p.running.is_some()) {
            (_, true) => vec![Line::raw("")],
            (Some(d), false) => vec![
                Line::styled(
                    format!(
                        "{} the audit could not run [{}]",
                        theme.sym_fail(),
                        d.code.as_str()
                    ),
                    theme.error(),
                ),
                Line::from(vec![
                    Span::styled("what  ", theme.accent()),
                    Span::raw(d.summary.clone()),
                ]),
                Line::from(vec![
                    Span::styled("why   ", theme.accent()),
                    Span::raw(d.detail.clone()),
                ]),
                Line::from(vec![
                    Span::styled("fix   ", theme.accent()),
                    Span::raw(d.fix.clone()),
                ]),
                Line::raw(""),
                Line::raw("r tries again · e changes the connections"),
            ],
            (None, false) => vec![Line::raw(
                "no audit yet — press r to run it, or e to choose the connections",
            )],
        };
        frame.render_widget(
            Paragraph::new(plain(theme, lines)).wrap(Wrap { trim: false }),
            body,
        );
        return;
    };
    if report.projects.is_empty() {
        let mut lines = vec![Line::raw(theme.text(
            "no projects to check — the user sees none and no admin connection lists them",
        ))];
        lines.extend(report.notes.iter().map(|n| Line::raw(format!("note: {n}"))));
        frame.render_widget(
            Paragraph::new(plain(theme, lines)).wrap(Wrap { trim: false }),
            body,
        );
        return;
    }
    if p.index.is_empty() {
        let text = if p.problems_only && p.active_filter().is_empty() {
            format!(
                "{} no project has a problem — p shows them all",
                theme.sym_ok()
            )
        } else {
            "no project matches the filter — Esc clears it".to_string()
        };
        frame.render_widget(Paragraph::new(theme.text(&text)), body);
        return;
    }
    // The selected project's reason and fix, in full and wrapped, under the table: the REASON
    // column is cut at 80 columns.
    // A fixed height while the report has problems, so the table does not jump as the selection
    // moves; on a very short screen the table keeps the room.
    let has_problems = report
        .projects
        .iter()
        .any(|r| r.reason.is_some() || r.error.is_some());
    let detail_h = if has_problems && body.height >= DETAIL_MIN_BODY {
        DETAIL_ROWS
    } else {
        0
    };
    let detail = selected_detail(p, report, theme, body.width);
    let [rows_area, detail_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_h)]).areas(body);
    draw_rows(p, report, frame, rows_area, theme);
    if detail_h > 0 {
        frame.render_widget(Paragraph::new(plain(theme, detail)), detail_area);
    }
}

/// Rows under the table for the selected project's reason and fix.
const DETAIL_ROWS: u16 = 4;
/// Below this many body rows the reason strip is left out.
const DETAIL_MIN_BODY: u16 = 12;

/// Wrapped "why" and "fix" lines for the selected project, when it has a problem.
fn selected_detail(
    p: &CheckerPane,
    report: &Report,
    theme: &Theme,
    width: u16,
) -> Vec<Line<'static>> {
    let Some(&i) = p.index.get(p.selected.min(p.index.len().saturating_sub(1))) else {
        return Vec::new();
    };
    let Some(r) = report.projects.get(i) else {
        return Vec::new();
    };
    let why = r.error.as_ref().or(r.reason.as_ref());
    let Some(why) = why else {
        return Vec::new();
    };
    // Two columns spare for the "…" that ends a cut text.
    let room = usize::from(width).saturating_sub(8).max(10);
    let rows = usize::from(DETAIL_ROWS);
    let why = wrap_words(&theme.text(&format!("{}: {why}", r.key)), room);
    let fix = r
        .fix
        .as_ref()
        .map(|f| wrap_words(&theme.text(f), room))
        .unwrap_or_default();
    // Both fit in the strip: the fix keeps up to two rows, the reason gets the rest; what is
    // cut ends in "…" (Enter explains the project in full).
    let fix_rows = fix.len().min(rows / 2).max(rows.saturating_sub(why.len()));
    let why_rows = rows.saturating_sub(fix_rows.min(fix.len()));
    let mut lines = Vec::new();
    let mut push = |label: &'static str, parts: &[String], keep: usize, style| {
        for (j, part) in parts.iter().take(keep).enumerate() {
            let lead = if j == 0 { label } else { "      " };
            let mut text = part.clone();
            if j + 1 == keep && parts.len() > keep {
                text.push_str(&theme.text(" …"));
            }
            lines.push(Line::from(vec![
                Span::styled(lead, theme.accent()),
                Span::styled(text, style),
            ]));
        }
    };
    push("why   ", &why, why_rows, theme.error());
    push("fix   ", &fix, fix_rows, Style::default());
    lines
}

/// The table itself: only the rows in `visible_range` are turned into widgets.
fn draw_rows(p: &CheckerPane, report: &Report, frame: &mut Frame, area: Rect, theme: &Theme) {
    let height = area.height.saturating_sub(1) as usize; // minus the header
    let range = p.visible_range(height);
    p.offset.set(range.start);
    p.page.set(height.max(1));
    let labels = rows::permission_labels(&report.required);
    let (yes, no, unknown) = if theme.ascii {
        ("OK", "MISSING", "?")
    } else {
        ("✓", "✗", "?")
    };
    let widths = p.widths.unwrap_or_else(|| rows::Widths::of(report));
    let changed_mark = if theme.ascii { "*" } else { "●" };
    let table_rows: Vec<Row> = p.index[range.clone()]
        .iter()
        .map(|&i| {
            let r = &report.projects[i];
            let changed = p.changed.get(i).copied().unwrap_or(false);
            let key_style = if r.error.is_some() {
                theme.warn()
            } else if is_problem(r) {
                theme.error()
            } else {
                theme.ok()
            };
            let mut cells = vec![
                Cell::from(Span::styled(
                    if changed { changed_mark } else { " " },
                    theme.warn(),
                )),
                Cell::from(Span::styled(r.key.clone(), key_style)),
                Cell::from(r.name.clone()),
            ];
            if widths.scheme > 0 {
                cells.push(Cell::from(
                    r.scheme
                        .as_ref()
                        .map(|s| s.name.clone())
                        .unwrap_or_else(|| "-".into()),
                ));
            }
            for perm in &report.required {
                let (t, s) = match r.permissions.get(perm) {
                    Some(true) => (yes, theme.ok()),
                    Some(false) => (no, theme.error()),
                    None => (unknown, theme.warn()),
                };
                cells.push(Cell::from(Span::styled(t, s)));
            }
            cells.push(Cell::from(Span::styled(theme.text(&r.note()), theme.dim())));
            let row = Row::new(cells);
            if changed && theme.color {
                row.style(Style::new().add_modifier(Modifier::BOLD))
            } else {
                row
            }
        })
        .collect();
    // Fixed columns first; name and scheme share what is left with the reason, which keeps at
    // least half of it so the "why" stays readable at 80 columns.
    let perm_w: Vec<u16> = labels
        .iter()
        .map(|l| {
            l.chars()
                .count()
                .max(yes.chars().count())
                .max(no.chars().count()) as u16
        })
        .collect();
    let cols = 4 + perm_w.len() as u16 + u16::from(widths.scheme > 0);
    let fixed = 2 + 1 + widths.key + perm_w.iter().sum::<u16>() + (cols - 1);
    let rest = area.width.saturating_sub(fixed);
    let share = |num: u32, den: u32| (u32::from(rest) * num / den) as u16;
    let name_w = widths.name.min(share(3, 10)).max(4);
    let scheme_w = widths.scheme.min(share(1, 5));
    let mut constraints = vec![
        Constraint::Length(1),
        Constraint::Length(widths.key),
        Constraint::Length(name_w),
    ];
    let mut header = vec![String::new(), "KEY".into(), "NAME".into()];
    if widths.scheme > 0 {
        constraints.push(Constraint::Length(scheme_w));
        header.push("SCHEME".into());
    }
    for (l, w) in labels.iter().zip(&perm_w) {
        constraints.push(Constraint::Length(*w));
        header.push(l.clone());
    }
    constraints.push(Constraint::Fill(1));
    header.push("REASON".into());
    let table = Table::new(table_rows, constraints)
        .header(Row::new(header).style(theme.accent()))
        .row_highlight_style(theme.selected())
        .highlight_symbol(if theme.ascii { "> " } else { "▶ " });
    let sel = p.selected.min(p.index.len().saturating_sub(1));
    // A fresh state per frame: the rows given are already the visible window.
    let mut state = TableState::default().with_selected(Some(sel.saturating_sub(range.start)));
    frame.render_stateful_widget(table, area, &mut state);
}

fn draw_explain(
    p: &CheckerPane,
    frame: &mut Frame,
    area: Rect,
    row: usize,
    scroll: u16,
    cx: &ViewCx<'_>,
) {
    let theme = cx.theme;
    let Some((report, r)) = p
        .report
        .as_ref()
        .and_then(|rep| rep.projects.get(row).map(|r| (rep, r)))
    else {
        return message(
            frame,
            area,
            " Explanation ".into(),
            vec![Line::raw(
                "this project is no longer in the report — Esc goes back",
            )],
            theme,
        );
    };
    let changed = if p.changed.get(row).copied().unwrap_or(false) {
        " · changed in the last run"
    } else {
        ""
    };
    let title = theme.text(&format!(" {} — explanation{changed} ", r.key));
    // The fix flow (`f`, `y`, `u`) first: it is what the user just asked for.
    let mut lines = super::fix::fix_lines(p, &r.key, theme);
    lines.extend(explanation(r, report, theme));
    frame.render_widget(
        Paragraph::new(plain(theme, lines))
            .block(theme.block().title(title))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

fn draw_log(p: &CheckerPane, frame: &mut Frame, area: Rect, scroll: u16, cx: &ViewCx<'_>) {
    let theme = cx.theme;
    let title = format!(" Change log ({}) ", p.log.len());
    let lines: Vec<Line<'static>> = if p.log.is_empty() {
        vec![Line::raw(theme.text(
            "no changes yet — live mode (w) re-runs the audit and records what changed here",
        ))]
    } else {
        // Newest first: the admin looks for the effect of the edit just made.
        p.log
            .iter()
            .rev()
            .map(|e| {
                let style = match e.line.chars().next() {
                    Some('+') => theme.ok(),
                    Some('-') => theme.error(),
                    _ => Style::new(),
                };
                Line::from(vec![
                    Span::styled(format!("{}  ", e.at), theme.dim()),
                    Span::styled(e.line.clone(), style),
                ])
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(plain(theme, lines))
            .block(theme.block().title(title))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}
