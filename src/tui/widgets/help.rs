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

/// Width of the key column in the help overlay (the help text starts after it).
const KEY_COLUMN: usize = 18;
/// Widest the help overlay gets.
const HELP_WIDTH: u16 = 76;

/// The help text for an overlay `width` columns wide (inside its border): every binding of every
/// section, its description wrapped so continuation lines start under the description.
pub fn help_lines(sections: &[Section<'_>], theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let room = (width as usize).saturating_sub(KEY_COLUMN).max(12);
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(s.title.to_string(), theme.accent()));
        for b in s.bindings {
            let keys = keys_label(b, theme.ascii);
            let key_col = format!("  {keys:<16}");
            // A key label wider than its column gets a line of its own.
            let own_line = key_col.chars().count() > KEY_COLUMN;
            if own_line {
                lines.push(Line::styled(key_col.clone(), theme.accent()));
            }
            for (j, part) in wrap_words(b.help, room).into_iter().enumerate() {
                let lead = if j == 0 && !own_line {
                    Span::styled(key_col.clone(), theme.accent())
                } else {
                    Span::raw(" ".repeat(KEY_COLUMN))
                };
                lines.push(Line::from(vec![lead, Span::raw(part)]));
            }
        }
    }
    lines
}

/// Greedy word wrap into lines of at most `width` characters (a longer word gets a line alone).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// Where the help overlay goes in `area`, and its lines.
fn help_layout(
    area: Rect,
    sections: &[Section<'_>],
    extra: &[Line<'static>],
    theme: &Theme,
) -> (Rect, Vec<Line<'static>>) {
    let width = HELP_WIDTH.min(area.width);
    let mut lines = help_lines(sections, theme, width.saturating_sub(2));
    lines.extend(extra.iter().cloned());
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    (centered(area, width, height), lines)
}

/// The last useful scroll offset of the help overlay in `area`: scrolling stops there, with the
/// last line at the bottom of the box.
pub fn help_max_scroll(
    area: Rect,
    sections: &[Section<'_>],
    extra: &[Line<'static>],
    theme: &Theme,
) -> u16 {
    let (popup, lines) = help_layout(area, sections, extra, theme);
    let inner = popup.height.saturating_sub(2);
    u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_sub(inner)
}

/// Draw the help overlay over `area`; `scroll` is the first line shown (never past the end).
pub fn draw_help(
    frame: &mut Frame,
    area: Rect,
    sections: &[Section<'_>],
    extra: &[Line<'static>],
    theme: &Theme,
    scroll: u16,
) {
    let max = help_max_scroll(area, sections, extra, theme);
    let (popup, lines) = help_layout(area, sections, extra, theme);
    frame.render_widget(Clear, popup);
    let more = if scroll.min(max) < max {
        " Help: Esc closes, j/k scroll, more below "
    } else {
        " Help: Esc closes, j/k scroll "
    };
    let block = theme.block().title(more);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(max), 0)),
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
