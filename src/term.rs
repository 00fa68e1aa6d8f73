//! Terminal, colour and exit-code rules both front ends use: Unicode or ASCII symbols, colour or
//! not (`--color`, `NO_COLOR`, the locale), progress bars, what the terminal can do, and the exit
//! codes. One decision per run, shared by every CLI command and the TUI theme, so `jiralink` and
//! `jiralink audit` never disagree. Neither front end imports the other: both import this.
use clap::builder::styling::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::io::IsTerminal;
use std::time::Duration;

/// Exit code: everything fine.
pub const EXIT_OK: u8 = 0;
/// Exit code: some connection / project has a problem.
pub const EXIT_PROBLEM: u8 = 1;
/// Exit code: usage or config error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the work could not run (auth, network).
pub const EXIT_CANNOT_RUN: u8 = 3;
/// Exit code when stdout was closed by the reader (128 + SIGPIPE, as shells report it).
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

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

    /// The symbols for the `--ascii` flag and the locale.
    pub fn for_output(ascii_flag: bool) -> Symbols {
        if use_ascii(ascii_flag) {
            Symbols::ASCII
        } else {
            Symbols::UNICODE
        }
    }
}

/// True when output should avoid non-ASCII symbols: `--ascii`, or a locale that is not UTF-8.
pub fn use_ascii(flag: bool) -> bool {
    flag || !locale_is_utf8(|k| std::env::var(k).ok())
}

/// Whether the locale (`LC_ALL`, then `LC_CTYPE`, then `LANG`, first non-empty wins) is UTF-8.
pub fn locale_is_utf8(env: impl Fn(&str) -> Option<String>) -> bool {
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| env(k).filter(|v| !v.is_empty()));
    match locale {
        Some(l) => {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        }
        // No locale at all (e.g. a bare cron job): stay with UTF-8, which most terminals render.
        None => true,
    }
}

/// True when `NO_COLOR` is set to a non-empty value (<https://no-color.org>: empty means unset).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The colour decision, pure: `--color always|never` wins; `auto` means a terminal and no `NO_COLOR`.
pub fn color_enabled(choice: ColorChoice, is_terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !no_color,
    }
}

/// Whether to colour stdout: `--color`, `NO_COLOR` (any non-empty value), and whether stdout is a tty.
pub fn use_color(choice: ColorChoice) -> bool {
    color_enabled(choice, std::io::stdout().is_terminal(), no_color_env())
}

/// The same decision for clap's own help and error output. clap's `auto` also checks the stream
/// and `NO_COLOR`, but resolving `NO_COLOR` here keeps one rule for every output.
pub fn clap_color(choice: ColorChoice) -> clap::ColorChoice {
    match choice {
        ColorChoice::Always => clap::ColorChoice::Always,
        ColorChoice::Never => clap::ColorChoice::Never,
        ColorChoice::Auto if no_color_env() => clap::ColorChoice::Never,
        ColorChoice::Auto => clap::ColorChoice::Auto,
    }
}

/// What a piece of text means; the colour is only a second channel next to words or symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Warn,
    Fail,
    Dim,
}

/// Wrap `text` in the ANSI colour for `tone` when `on`; the text itself is never changed.
pub fn paint(text: &str, tone: Tone, on: bool) -> String {
    if !on {
        return text.to_owned();
    }
    let style = match tone {
        Tone::Ok => Style::new().fg_color(Some(AnsiColor::Green.into())),
        Tone::Warn => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Tone::Fail => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        Tone::Dim => Style::new().dimmed(),
    };
    format!("{style}{text}{style:#}")
}

/// True when a progress bar may be drawn: stderr is a terminal and stdout is not machine-read
/// output. A bar in a pipe or in a CI log is noise, and JSON consumers must never see one.
pub fn show_progress(human_output: bool) -> bool {
    human_output && std::io::stderr().is_terminal()
}

/// A progress bar on stderr, or a hidden one (all calls become no-ops) when `show` is false, so
/// callers never branch. `unit` names what is counted ("connections", "projects").
pub fn progress_bar(show: bool, unit: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let template = format!("{{spinner}} {{bar:30}} {{pos}}/{{len}} {unit} {{msg}} [{{elapsed}}]");
    // The template is fixed text; should it ever be rejected the default style still works.
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// How many colours the terminal says it can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ColorDepth {
    /// `TERM=dumb` or no `TERM`.
    #[serde(rename = "none")]
    None,
    /// The 16 ANSI colours.
    #[serde(rename = "16")]
    Ansi16,
    /// `TERM=*-256color`.
    #[serde(rename = "256")]
    Ansi256,
    /// `COLORTERM=truecolor|24bit`.
    #[serde(rename = "truecolor")]
    TrueColor,
}

impl ColorDepth {
    /// The depth claimed by `COLORTERM` and `TERM` (the conventions terminals actually follow).
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> ColorDepth {
        let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return ColorDepth::TrueColor;
        }
        let term = env("TERM").unwrap_or_default();
        if term.is_empty() || term == "dumb" {
            ColorDepth::None
        } else if term.contains("256color") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }

    /// The label used in `info`.
    pub fn label(self) -> &'static str {
        match self {
            ColorDepth::None => "none",
            ColorDepth::Ansi16 => "16 colours",
            ColorDepth::Ansi256 => "256 colours",
            ColorDepth::TrueColor => "truecolor (24-bit)",
        }
    }
}

/// What jiralink detected about the terminal, as `info` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermCaps {
    pub stdout_tty: bool,
    pub stderr_tty: bool,
    pub term: Option<String>,
    pub colorterm: Option<String>,
    pub color_depth: ColorDepth,
    pub no_color: bool,
    pub utf8: bool,
    /// The resolved decision for stdout (after `--color` and `NO_COLOR`).
    pub color: bool,
    /// Whether symbols are ASCII (after `--ascii` and the locale).
    pub ascii: bool,
}

impl TermCaps {
    /// Detect from an environment lookup and the tty state (injectable for tests).
    pub fn detect_with(
        color: ColorChoice,
        ascii_flag: bool,
        env: impl Fn(&str) -> Option<String>,
        stdout_tty: bool,
        stderr_tty: bool,
    ) -> TermCaps {
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        let utf8 = locale_is_utf8(&env);
        TermCaps {
            stdout_tty,
            stderr_tty,
            term: env("TERM").filter(|v| !v.is_empty()),
            colorterm: env("COLORTERM").filter(|v| !v.is_empty()),
            color_depth: ColorDepth::detect(&env),
            no_color,
            utf8,
            color: color_enabled(color, stdout_tty, no_color),
            ascii: ascii_flag || !utf8,
        }
    }

    /// Detect for this process, given `--color` and `--ascii`.
    pub fn detect(color: ColorChoice, ascii_flag: bool) -> TermCaps {
        TermCaps::detect_with(
            color,
            ascii_flag,
            |k| std::env::var(k).ok(),
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_rules() {
        use ColorChoice::*;
        assert!(color_enabled(Auto, true, false));
        assert!(!color_enabled(Auto, true, true), "NO_COLOR wins over a tty");
        assert!(!color_enabled(Auto, false, false), "no colour into a pipe");
        assert!(color_enabled(Always, false, true), "--color always wins");
        assert!(!color_enabled(Never, true, false));
    }

    #[test]
    fn paint_only_adds_escapes_when_on() {
        assert_eq!(paint("OK", Tone::Ok, false), "OK");
        let on = paint("OK", Tone::Fail, true);
        assert!(
            on.starts_with('\u{1b}') && on.contains("OK") && on.ends_with('m'),
            "{on:?}"
        );
    }

    #[test]
    fn color_depth_from_term_and_colorterm() {
        let env = |term: &'static str, ct: &'static str| {
            move |k: &str| match k {
                "TERM" => Some(term.to_owned()),
                "COLORTERM" => Some(ct.to_owned()),
                _ => None,
            }
        };
        assert_eq!(ColorDepth::detect(env("xterm", "")), ColorDepth::Ansi16);
        assert_eq!(
            ColorDepth::detect(env("xterm-256color", "")),
            ColorDepth::Ansi256
        );
        assert_eq!(
            ColorDepth::detect(env("xterm-256color", "truecolor")),
            ColorDepth::TrueColor
        );
        assert_eq!(ColorDepth::detect(env("dumb", "")), ColorDepth::None);
        assert_eq!(ColorDepth::detect(|_: &str| None), ColorDepth::None);
    }

    #[test]
    fn caps_follow_locale_and_no_color() {
        let env = |k: &str| match k {
            "LANG" => Some("C".to_owned()),
            "NO_COLOR" => Some("1".to_owned()),
            "TERM" => Some("xterm".to_owned()),
            _ => None,
        };
        let caps = TermCaps::detect_with(ColorChoice::Auto, false, env, true, true);
        assert!(!caps.utf8 && caps.ascii && caps.no_color && !caps.color);
        let caps = TermCaps::detect_with(ColorChoice::Always, false, env, false, false);
        assert!(caps.color);
        // LC_ALL outranks LANG.
        let env = |k: &str| match k {
            "LC_ALL" => Some("en_US.UTF-8".to_owned()),
            "LANG" => Some("C".to_owned()),
            _ => None,
        };
        assert!(locale_is_utf8(env));
    }
}
