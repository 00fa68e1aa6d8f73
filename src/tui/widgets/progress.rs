//! A one-line progress bar drawn with text, so it reads the same with `NO_COLOR` and in ASCII.

use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

/// `[████░░░░]  label` in `width` columns; `done` of `total` (total 0 = nothing known yet).
pub fn progress_line(
    theme: &Theme,
    done: usize,
    total: usize,
    label: &str,
    width: u16,
) -> Line<'static> {
    let label_w = label.chars().count() as u16;
    // The bar takes what the label leaves, between 10 and 40 cells.
    let bar_w = width.saturating_sub(label_w + 4).clamp(10, 40) as usize;
    let filled = (done.min(total) * bar_w).checked_div(total).unwrap_or(0);
    let (full, empty) = if theme.ascii {
        ("#", ".")
    } else {
        ("█", "░")
    };
    Line::from(vec![
        Span::raw("["),
        Span::styled(full.repeat(filled), theme.busy()),
        Span::styled(empty.repeat(bar_w - filled), theme.dim()),
        Span::raw("] "),
        Span::raw(label.to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn fills_in_proportion_and_never_overflows() {
        let t = Theme::plain();
        assert_eq!(text(&progress_line(&t, 5, 10, "x", 14)), "[#####.....] x");
        assert_eq!(text(&progress_line(&t, 0, 0, "x", 14)), "[..........] x");
        assert_eq!(text(&progress_line(&t, 99, 10, "x", 14)), "[##########] x");
    }
}
