//! The link wizard's progress rail: Target → Keys → Register → Create? → Authorize → Verify, with
//! the current step highlighted and the steps before it marked done.

use crate::tui::theme::Theme;
use crate::wizard::Step;
use ratatui::text::{Line, Span};

/// Short rail label of a step; `Create` carries a `?` because it is optional.
pub fn rail_label(step: Step) -> &'static str {
    match step {
        Step::Target => "Target",
        Step::Keys => "Keys",
        Step::Register => "Register",
        Step::Create => "Create?",
        Step::Authorize => "Authorize",
        Step::Verify => "Verify",
    }
}

/// The rail for `current` fitted into `width` columns: done steps carry the ok symbol when there is
/// room, otherwise only their colour; `skipped_create` greys out Create when registered by hand.
pub fn progress_rail(
    current: Step,
    skipped_create: bool,
    theme: &Theme,
    width: u16,
) -> Line<'static> {
    let full = rail(current, skipped_create, theme, true);
    if full.width() <= width as usize {
        full
    } else {
        rail(current, skipped_create, theme, false)
    }
}

fn rail(current: Step, skipped_create: bool, theme: &Theme, symbols: bool) -> Line<'static> {
    let arrow = if theme.ascii { " > " } else { " → " };
    let mut spans = Vec::new();
    for (i, step) in Step::ALL.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(arrow, theme.dim()));
        }
        let label = rail_label(*step);
        let span = if *step == current {
            Span::styled(format!("[{label}]"), theme.selected())
        } else if *step < current {
            if *step == Step::Create && skipped_create {
                let text = if symbols {
                    format!("{label} (skipped)")
                } else {
                    label.to_string()
                };
                Span::styled(text, theme.dim())
            } else if symbols {
                Span::styled(format!("{} {label}", theme.sym_ok()), theme.ok())
            } else {
                Span::styled(label.to_string(), theme.ok())
            }
        } else {
            Span::styled(label.to_string(), theme.dim())
        };
        spans.push(span);
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line<'_>) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn marks_done_current_and_skipped_steps() {
        let theme = Theme::plain();
        let t = text(&progress_rail(Step::Authorize, true, &theme, 200));
        assert!(t.contains("[ok] Register"), "{t}");
        assert!(t.contains("Create? (skipped)"), "{t}");
        assert!(t.contains("[Authorize]"), "{t}");
        assert!(!t.contains("[Verify]"), "{t}");
        let t = text(&progress_rail(Step::Target, false, &theme, 200));
        assert!(t.starts_with("[Target]"), "{t}");
        // Narrow: symbols go, every step stays.
        let l = progress_rail(Step::Verify, false, &theme, 70);
        assert!(l.width() <= 70, "{}", text(&l));
        assert!(text(&l).ends_with("[Verify]"));
    }
}
