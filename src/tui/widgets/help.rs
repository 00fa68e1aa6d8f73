//! The `?` help overlay and the footer hints, both generated from the key tables that dispatch.

use crate::tui::keymap::{keys_label, Binding};
use crate::tui::theme::Theme;
use crate::tui::widgets::popup::centered;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

/// A titled group of bindings (e.g. "Connections" and "Everywhere").
pub struct Section<'a> {
    /// Heading.
    pub title: &'a str,
    /// The table, as used for dispatch.
    pub bindings: &'a [Binding],
}

/// The help text: every binding of every section, one per line.
pub fn help_lines(sections: &[Section<'_>], theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(s.title.to_string(), theme.accent()));
        for b in s.bindings {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<16}", keys_label(b, theme.ascii)),
                    theme.accent(),
                ),
                Span::raw(b.help),
            ]));
        }
    }
    lines
}

/// Draw the help overlay over `area`; `scroll` is the first line shown.
pub fn draw_help(
    frame: &mut Frame,
    area: Rect,
    sections: &[Section<'_>],
    extra: &[Line<'static>],
    theme: &Theme,
    scroll: u16,
) {
    let mut lines = help_lines(sections, theme);
    lines.extend(extra.iter().cloned());
    let height = (lines.len() as u16).saturating_add(2);
    let popup = centered(area, 76, height);
    frame.render_widget(Clear, popup);
    let block = theme.block().title(" Help: Esc closes, j/k scroll ");
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        popup,
    );
}

/// The footer: the hinted bindings of the given tables, in order, first key of each, fitted into
/// `width` columns. The last table (the global keys: help, quit) is always kept; hints of the
/// earlier tables are dropped from the end when space runs out.
pub fn footer_line(tables: &[&[Binding]], theme: &Theme, width: u16) -> Line<'static> {
    let hinted = |t: &[Binding]| -> Vec<(String, &'static str)> {
        t.iter()
            .filter(|b| !b.hint.is_empty())
            .map(|b| {
                let key = b
                    .keys
                    .first()
                    .map(|k| k.label(theme.ascii))
                    .unwrap_or_default();
                (key, b.hint)
            })
            .collect()
    };
    let (last, rest) = match tables.split_last() {
        Some((last, rest)) => (hinted(last), rest),
        None => (Vec::new(), &[][..]),
    };
    let sep = theme.sep().chars().count();
    let cost = |(k, h): &(String, &str)| k.chars().count() + 1 + h.chars().count() + sep;
    let mut budget = (width as usize).saturating_sub(last.iter().map(cost).sum::<usize>());
    let mut items = Vec::new();
    for i in rest.iter().flat_map(|t| hinted(t)) {
        if cost(&i) > budget {
            break;
        }
        budget -= cost(&i);
        items.push(i);
    }
    items.extend(last);
    let mut spans = Vec::new();
    for (key, hint) in items {
        if !spans.is_empty() {
            spans.push(Span::styled(theme.sep(), theme.dim()));
        }
        spans.push(Span::styled(key, theme.accent()));
        spans.push(Span::raw(format!(" {hint}")));
    }
    Line::from(spans)
}
