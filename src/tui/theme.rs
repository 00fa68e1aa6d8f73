//! Colours and symbols in one place, so `NO_COLOR`, `--color never` and `--ascii` are honoured everywhere.

use crate::term as style;
use crate::term::ColorChoice;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::widgets::{Block, Borders};

/// How the TUI paints: whether colours are allowed and whether symbols must be plain ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Colours allowed (false under `NO_COLOR` / `--color never`).
    pub color: bool,
    /// ASCII-only symbols (`--ascii` or a non-UTF-8 locale).
    pub ascii: bool,
}

/// Braille spinner frames for UTF-8 terminals.
const SPINNER_UNICODE: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/// The classic spinner for ASCII terminals.
const SPINNER_ASCII: &[&str] = &["|", "/", "-", "\\"];

impl Default for Theme {
    fn default() -> Self {
        Self {
            color: true,
            ascii: false,
        }
    }
}

impl Theme {
    /// Decide from the CLI flags and the environment (`NO_COLOR`, `LC_ALL`/`LC_CTYPE`/`LANG`),
    /// with exactly the CLI's rules (`crate::term`), so `jiralink` and `jiralink audit`
    /// never disagree about colour or symbols.
    pub fn detect(choice: ColorChoice, ascii_flag: bool) -> Self {
        // The TUI only ever draws on a terminal (it refuses to start otherwise), so "auto" is
        // decided as for a terminal; `NO_COLOR` and the flags still apply.
        Self {
            color: style::color_enabled(choice, true, style::no_color_env()),
            ascii: ascii_flag || !style::locale_is_utf8(|k| std::env::var(k).ok()),
        }
    }

    /// A theme with no colours and ASCII symbols (the most conservative terminal).
    pub fn plain() -> Self {
        Self {
            color: false,
            ascii: true,
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Success (a connection that works).
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    /// Failure.
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Warning (works, but something is off).
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    /// Work in progress (spinner).
    pub fn busy(&self) -> Style {
        self.fg(Color::Cyan)
    }
    /// Secondary text: hints, not-yet-known states.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    /// Headings, the active tab, key names in hints.
    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// The selected row or field; reversed video keeps it visible without colour.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Symbol for "works".
    pub fn sym_ok(&self) -> &'static str {
        if self.ascii {
            "[ok]"
        } else {
            "✓"
        }
    }
    /// Symbol for "failed".
    pub fn sym_fail(&self) -> &'static str {
        if self.ascii {
            "[x]"
        } else {
            "✗"
        }
    }
    /// Symbol for "warning".
    pub fn sym_warn(&self) -> &'static str {
        if self.ascii {
            "[!]"
        } else {
            "⚠"
        }
    }
    /// Symbol for "not checked yet" / skipped.
    pub fn sym_unknown(&self) -> &'static str {
        if self.ascii {
            "[?]"
        } else {
            "·"
        }
    }
    /// The character that stands in for each character of a typed secret.
    pub fn mask_char(&self) -> char {
        if self.ascii {
            '*'
        } else {
            '•'
        }
    }
    /// Separator between items in hints and tabs.
    pub fn sep(&self) -> &'static str {
        if self.ascii {
            " | "
        } else {
            " · "
        }
    }
    /// One spinner frame; `frame` counts ticks.
    pub fn spinner(&self, frame: usize) -> &'static str {
        let frames = if self.ascii {
            SPINNER_ASCII
        } else {
            SPINNER_UNICODE
        };
        frames[frame % frames.len()]
    }
}

/// Box drawing for ASCII terminals.
const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Theme {
    /// A bordered block; plain `+-|` borders in ASCII mode.
    pub fn block(&self) -> Block<'static> {
        let b = Block::default().borders(Borders::ALL);
        if self.ascii {
            b.border_set(ASCII_BORDER)
        } else {
            b
        }
    }

    /// Our own UI text with its typographic characters replaced in ASCII mode.
    pub fn text(&self, s: &str) -> String {
        if !self.ascii {
            return s.to_string();
        }
        s.replace('…', "...")
            .replace('—', "-")
            .replace('→', "->")
            .replace('·', "|")
            .replace('×', "x")
            .replace('▼', "v")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_honours_no_color_flags_and_locale() {
        // The only test in the crate that touches these variables; restored at the end.
        let saved: Vec<_> = ["NO_COLOR", "LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .map(|k| (*k, std::env::var_os(k)))
            .collect();
        std::env::remove_var("LC_CTYPE");
        std::env::remove_var("LANG");
        std::env::set_var("LC_ALL", "en_US.UTF-8");
        std::env::set_var("NO_COLOR", "1");
        assert_eq!(
            Theme::detect(ColorChoice::Auto, false),
            Theme {
                color: false,
                ascii: false
            }
        );
        // An explicit --color always beats NO_COLOR; --color never beats everything.
        assert!(Theme::detect(ColorChoice::Always, false).color);
        std::env::set_var("NO_COLOR", "");
        assert!(
            Theme::detect(ColorChoice::Auto, false).color,
            "empty NO_COLOR is unset"
        );
        assert!(!Theme::detect(ColorChoice::Never, false).color);
        assert!(Theme::detect(ColorChoice::Auto, true).ascii);
        std::env::set_var("LC_ALL", "C");
        assert!(
            Theme::detect(ColorChoice::Auto, false).ascii,
            "non-UTF-8 locale"
        );
        for (k, v) in saved {
            match v {
                Some(v) => std::env::set_var(k, v),
                None => std::env::remove_var(k),
            }
        }
    }

    #[test]
    fn plain_theme_has_no_colours() {
        let t = Theme::plain();
        for s in [t.ok(), t.error(), t.warn(), t.busy(), t.dim(), t.accent()] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
        assert_eq!(t.sym_ok(), "[ok]");
        assert_eq!(t.spinner(1), "/");
    }
}
