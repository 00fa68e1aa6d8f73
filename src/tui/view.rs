//! Drawing the whole screen from `&App`: tabs, the active pane, status line, footer, help overlay.
//! Pure: nothing but ratatui's own per-frame state is mutated.

use super::app::{App, PANE_COUNT};
use super::keymap::GLOBAL_KEYS;
use super::panes::ViewCx;
use super::widgets::help::{draw_help, footer_line, Section};
use ratatui::layout::{Constraint, Layout};
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
    let [tabs, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);

    frame.render_widget(Paragraph::new(tabs_line(app)), tabs);
    let cx = ViewCx {
        theme,
        spinner: app.spinner,
    };
    app.active_pane().draw(frame, body, &cx);
    frame.render_widget(Paragraph::new(status_line(app)), status);
    frame.render_widget(
        Paragraph::new(footer_line(&app.footer_tables(), theme, footer.width)),
        footer,
    );

    if let Some(scroll) = app.help {
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
        draw_help(frame, body, &sections, &extra, theme, scroll);
    }
}

fn tabs_line(app: &App) -> Line<'static> {
    let theme = &app.theme;
    let mut spans = vec![Span::styled("jiralink ", theme.accent())];
    for i in 0..PANE_COUNT {
        let title = format!(" {} {} ", i + 1, app.pane(i).title());
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
