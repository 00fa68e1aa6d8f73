//! The Checker (project audit) pane. It arrives with a later change; until then it says so honestly.

use super::{Pane, PaneCx, ViewCx};
use crate::tui::keymap::{Binding, Cmd};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Placeholder for the Checker.
#[derive(Debug, Default)]
pub struct CheckerPane;

impl Pane for CheckerPane {
    fn title(&self) -> &'static str {
        "Checker"
    }
    fn keys(&self) -> &'static [Binding] {
        &[]
    }
    fn on_cmd(&mut self, _cmd: Cmd, _cx: &mut PaneCx<'_>) -> bool {
        false
    }
    fn draw(&self, frame: &mut Frame, area: Rect, cx: &ViewCx<'_>) {
        let text = vec![
            Line::styled(
                "The project checker arrives with a later change.",
                cx.theme.accent(),
            ),
            Line::raw(""),
            Line::raw("Until then, audit what a connection can see headlessly:"),
            Line::raw("  jiralink audit --help"),
        ];
        frame.render_widget(
            Paragraph::new(text)
                .block(cx.theme.block().title(" Checker "))
                .wrap(Wrap { trim: false }),
            area,
        );
    }
}
