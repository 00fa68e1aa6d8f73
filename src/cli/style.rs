//! Symbols and colour decisions for headless output: Unicode or ASCII, colour or not.
use super::{ColorChoice, Global};
use std::io::IsTerminal;

/// The status symbols used in headless output; meaning never rests on colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbols {
    pub ok: &'static str,
    pub warn: &'static str,
    pub fail: &'static str,
}

impl Symbols {
    /// Unicode symbols.
    pub const UNICODE: Symbols = Symbols {
        ok: "✓",
        warn: "⚠",
        fail: "✗",
    };
    /// ASCII fallback for `--ascii` or a locale without UTF-8.
    pub const ASCII: Symbols = Symbols {
        ok: "[ok]",
        warn: "[!]",
        fail: "[x]",
    };

    /// The symbols for this run's options and locale.
    pub fn for_output(g: &Global) -> Symbols {
        if use_ascii(g.ascii) {
            Symbols::ASCII
        } else {
            Symbols::UNICODE
        }
    }
}

/// True when output should avoid non-ASCII symbols: `--ascii`, or a locale that is not UTF-8.
pub fn use_ascii(flag: bool) -> bool {
    if flag {
        return true;
    }
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    match locale {
        Some(l) => {
            let l = l.to_ascii_lowercase();
            !(l.contains("utf-8") || l.contains("utf8"))
        }
        // No locale at all (e.g. a bare cron job): stay with UTF-8, which most terminals render.
        None => false,
    }
}

/// Whether to colour stdout: `--color`, `NO_COLOR` (any non-empty value), and whether stdout is a tty.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
