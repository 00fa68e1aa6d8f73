//! The Link wizard pane. It arrives with a later change; until then it says so honestly.

use super::{Pane, PaneCx, ViewCx};
use crate::tui::keymap::{Binding, Cmd};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Placeholder for the Link wizard.
#[derive(Debug, Default)]
pub struct WizardPane;

impl Pane for WizardPane {
    fn title(&self) -> &'static str {
        "Link wizard"
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
                "The link wizard arrives with a later change.",
                cx.theme.accent(),
            ),
            Line::raw(""),
            Line::raw("Until then, set up an incoming application link headlessly:"),
            Line::raw("  jiralink link --help"),
        ];
        frame.render_widget(
            Paragraph::new(text)
                .block(cx.theme.block().title(" Link wizard "))
                .wrap(Wrap { trim: false }),
            area,
        );
    }
}
