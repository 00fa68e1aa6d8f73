//! Drawing the whole screen from `&App`: tabs, the active pane, status line, footer, help overlay.
//! Pure: nothing but ratatui's own per-frame state is mutated.

use super::app::{keys_word, App, PANE_COUNT};
use super::keymap::GLOBAL_KEYS;
use super::panes::ViewCx;
use super::widgets::help::{
    draw_help, footer_line, help_max_scroll as help_max_scroll_in, Section,
};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Below this size only a "terminal too small" note is drawn.
pub const MIN_WIDTH: u16 = 40;
/// Below this size only a "terminal too small" note is drawn.
pub const MIN_HEIGHT: u16 = 10;

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    let theme = &app.theme;
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = theme.text(&format!(
            "terminal too small ({}×{}); jiralink needs at least {MIN_WIDTH}×{MIN_HEIGHT}",
            area.width, area.height
        ));
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let [tabs, body, status, footer] = layout(app, area);
    frame.render_widget(Paragraph::new(tabs_line(app, tabs.width)), tabs);
    let cx = ViewCx {
        theme,
        spinner: app.spinner,
    };
    app.active_pane().draw(frame, body, &cx);
    frame.render_widget(
        Paragraph::new(status_line(app)).wrap(Wrap { trim: true }),
        status,
    );
    frame.render_widget(
        Paragraph::new(footer_line(&app.footer_tables(), theme, footer.width)),
        footer,
    );

    if let Some(scroll) = app.help {
        let (sections, extra) = help_content(app);
        draw_help(frame, body, &sections, &extra, theme, scroll);
    }
}

/// Rows of a long status message, at most (it wraps instead of being cut).
const STATUS_MAX_ROWS: u16 = 3;

/// Tabs, body, status and footer for a screen of `area`; the status takes as many rows as its
/// message needs, up to [`STATUS_MAX_ROWS`].
fn layout(app: &App, area: Rect) -> [Rect; 4] {
    let width = usize::from(area.width.max(1));
    let text = status_line(app).width();
    // Word wrap can need a row more than the characters alone (a long path moves to its own row).
    let rows = if text <= width {
        1
    } else {
        u16::try_from(text.div_ceil(width) + 1).unwrap_or(u16::MAX)
    };
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(rows.min(STATUS_MAX_ROWS)),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// What the help overlay lists: the active pane's keys, the global keys, the files.
fn help_content(app: &App) -> ([Section<'_>; 2], Vec<Line<'static>>) {
    let theme = &app.theme;
    let pane = app.active_pane();
    let global_title = if pane.captures_text() {
        "Everywhere (while typing)"
    } else {
        "Everywhere"
    };
    let sections = [
        Section {
            title: pane.help_title(),
            bindings: pane.keys(),
        },
        Section {
            title: global_title,
            bindings: app.global_keys(),
        },
    ];
    let extra = vec![
        Line::raw(""),
        Line::styled("Files", theme.accent()),
        Line::raw(format!("  config  {}", app.config_path.display())),
    ];
    (sections, extra)
}

/// The last useful help scroll offset on a `width`×`height` screen (scrolling stops there).
pub fn help_max_scroll(app: &App, width: u16, height: u16) -> u16 {
    let [_, body, _, _] = layout(app, Rect::new(0, 0, width, height));
    let (sections, extra) = help_content(app);
    help_max_scroll_in(body, &sections, &extra, &app.theme)
}

/// The tab line: every pane's number and title. On a narrow screen the titles shorten (and the
/// program name goes) so all panes stay visible down to [`MIN_WIDTH`].
fn tabs_line(app: &App, width: u16) -> Line<'static> {
    let theme = &app.theme;
    let full = |i: usize| format!(" {} {} ", i + 1, app.pane(i).title());
    let total: usize = 9
        + (0..PANE_COUNT)
            .map(|i| full(i).chars().count())
            .sum::<usize>();
    let wide = total <= usize::from(width);
    let mut spans = Vec::new();
    if wide {
        spans.push(Span::styled("jiralink ", theme.accent()));
    }
    for i in 0..PANE_COUNT {
        let title = if wide {
            full(i)
        } else {
            format!(" {} {} ", i + 1, app.pane(i).short_title())
        };
        let style = if i == app.active {
            theme.selected()
        } else {
            theme.dim()
        };
        spans.push(Span::styled(title, style));
    }
    if let Some(b) = &app.banner {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(b.clone(), theme.warn()));
    }
    Line::from(spans)
}

fn status_line(app: &App) -> Line<'static> {
    let theme = &app.theme;
    let mut spans = Vec::new();
    let labels: Vec<String> = (0..PANE_COUNT)
        .filter_map(|i| app.pane(i).busy_label())
        .collect();
    if !labels.is_empty() {
        spans.push(Span::styled(
            format!("{} {}", theme.spinner(app.spinner), labels.join(", ")),
            theme.busy(),
        ));
    }
    let queued = app.queued_keys();
    if queued > 0 {
        if !spans.is_empty() {
            spans.push(Span::styled(theme.sep(), theme.dim()));
        }
        spans.push(Span::styled(
            format!("{} queued (Esc drops)", keys_word(queued)),
            theme.warn(),
        ));
    }
    if let Some(e) = &app.status.error {
        if !spans.is_empty() {
            spans.push(Span::styled(theme.sep(), theme.dim()));
        }
        spans.push(Span::styled(
            format!("{} {e}", theme.sym_fail()),
            theme.error(),
        ));
    } else if let Some(n) = &app.status.notice {
        if !spans.is_empty() {
            spans.push(Span::styled(theme.sep(), theme.dim()));
        }
        spans.push(Span::raw(n.clone()));
    }
    if spans.is_empty() {
        spans.push(Span::styled(
            format!(
                "press {} for help",
                GLOBAL_KEYS[0].keys[0].label(theme.ascii)
            ),
            theme.dim(),
        ));
    }
    Line::from(spans)
}
