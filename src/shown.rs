//! Text from a server or a file made safe to show on a terminal (issue 14 §2): control
//! characters (C0 but newline and tab, DEL, C1) and bidirectional overrides are escaped visibly
//! (`\x1b`, `\u{202e}`), so an OSC 0 title, an OSC 52 clipboard write, `ESC[2J` or a bare CR in a
//! `serverTitle`, a display name or an error message prints as harmless text; long lines are cut.
//! JSON output does not go through here: serde escapes control characters and keeps the data.
use std::borrow::Cow;

/// The longest line shown in table output; the rest is summarised ("… N more characters").
pub const MAX_LINE_CHARS: usize = 4096;

/// True for characters that must never reach a terminal raw: C0 controls other than newline
/// and tab, DEL, C1 controls (`\u{9b}` is CSI on 8-bit terminals), and the bidi controls that
/// reorder what is shown (Trojan Source, CVE-2021-42574).
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(c: char, out: &mut String) {
    use std::fmt::Write;
    if (c as u32) < 0x100 {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
}

/// One value (a title, a name, a message) for a single line: every control character escaped,
/// newlines and tabs included, and cut after `max` characters.
pub fn field(s: &str, max: usize) -> Cow<'_, str> {
    let clean = s
        .chars()
        .take(max)
        .all(|c| !is_unsafe(c) && c != '\n' && c != '\t');
    let count = s.chars().count();
    if clean && count <= max {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(max * 4) + 32);
    for c in s.chars().take(max) {
        if is_unsafe(c) || c == '\n' || c == '\t' {
            push_escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    if count > max {
        out.push_str(&format!("… ({} more characters)", count - max));
    }
    Cow::Owned(out)
}

/// Whole output text for a terminal (tables, CSV, messages): unsafe characters escaped, lines
/// cut after `max_line` characters. With `keep_sgr`, colour sequences (`ESC [ digits;… m`, what
/// jiralink's own colouring writes) pass; every other escape sequence is escaped.
pub fn terminal(s: &str, keep_sgr: bool, max_line: Option<usize>) -> Cow<'_, str> {
    let long_line = max_line.is_some_and(|m| s.lines().any(|l| l.len() > m));
    let bare_cr = |(i, c): (usize, char)| c == '\r' && !s[i + 1..].starts_with('\n');
    if !long_line
        && !s
            .char_indices()
            .any(|(i, c)| is_unsafe(c) && (c != '\r' || bare_cr((i, c))))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 64);
    let mut line_chars = 0usize;
    let mut cut = 0usize;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        // A line break, also CSV's CRLF; only a bare CR (which rewrites the line) is escaped.
        if c == '\n' || (c == '\r' && s[i + 1..].starts_with('\n')) {
            if cut > 0 {
                out.push_str(&format!("… ({cut} more characters)"));
                cut = 0;
            }
            out.push(c);
            if c == '\n' {
                line_chars = 0;
            }
            continue;
        }
        if keep_sgr && c == '\u{1b}' {
            if let Some(len) = sgr_len(&s[i..]) {
                out.push_str(&s[i..i + len]);
                for _ in 1..len {
                    chars.next();
                }
                continue;
            }
        }
        line_chars += 1;
        if max_line.is_some_and(|m| line_chars > m) {
            cut += 1;
            continue;
        }
        if is_unsafe(c) {
            push_escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    if cut > 0 {
        out.push_str(&format!("… ({cut} more characters)"));
    }
    Cow::Owned(out)
}

/// The byte length of an SGR sequence (`ESC [` digits and `;` then `m`) at the start of `s`.
fn sgr_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("\u{1b}[")?;
    let params = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (rest.as_bytes().get(params) == Some(&b'm') && params <= 32).then_some(2 + params + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "Jira\u{1b}]0;pwned\u{7}\u{1b}]52;c;Y3VybCBldmlsLnNo\u{7}\u{1b}[2J\rX\u{9b}2J\u{202e}gnp.exe";

    #[test]
    fn control_sequences_are_escaped_visibly() {
        let t = terminal(HOSTILE, false, None);
        assert!(!t.chars().any(is_unsafe), "{t}");
        assert!(!t.contains('\r') && !t.contains('\u{1b}'));
        assert_eq!(
            t,
            "Jira\\x1b]0;pwned\\x07\\x1b]52;c;Y3VybCBldmlsLnNo\\x07\\x1b[2J\\x0dX\\x9b2J\\u{202e}gnp.exe"
        );
        // Colour kept only when asked, and only colour.
        let ours = "\u{1b}[32m✓\u{1b}[0m ok\n\u{1b}[1;31mno\u{1b}[0m\n";
        assert_eq!(terminal(ours, true, None), ours);
        assert!(!terminal(ours, false, None).contains('\u{1b}'));
        let t = terminal(HOSTILE, true, None);
        assert!(!t.contains('\u{1b}'), "{t}");
        // CSV's CRLF stays; a bare CR does not.
        assert!(matches!(
            terminal("a,b\r\nc\r\n", false, None),
            Cow::Borrowed(_)
        ));
        assert_eq!(terminal("a\rb\r\n", false, None), "a\\x0db\r\n");
        // Plain text is not copied.
        assert!(matches!(
            terminal("a\tb\nc", false, Some(10)),
            Cow::Borrowed(_)
        ));
    }

    /// The TUI relies on ratatui dropping control characters when it draws text (so a title
    /// with OSC 52 in it cannot write the clipboard from the checker); this holds ratatui to it.
    #[test]
    fn the_tui_never_draws_control_characters() {
        use ratatui::widgets::{Paragraph, Widget};
        let area = ratatui::layout::Rect::new(0, 0, 120, 3);
        let mut buf = ratatui::buffer::Buffer::empty(area);
        Paragraph::new(HOSTILE).render(area, &mut buf);
        let drawn: String = buf.content().iter().map(|c| c.symbol()).collect();
        assert!(!drawn.chars().any(|c| c.is_control()), "{drawn:?}");
        assert!(drawn.starts_with("Jira]0;pwned"), "{drawn:?}");
    }

    #[test]
    fn long_lines_and_fields_are_cut() {
        let long = format!("{}\nshort\n", "x".repeat(10_000));
        let t = terminal(&long, false, Some(100));
        assert_eq!(
            t,
            format!("{}… (9900 more characters)\nshort\n", "x".repeat(100))
        );
        assert_eq!(field("a\nb", 10), "a\\x0ab");
        assert_eq!(field("abcdef", 3), "abc… (3 more characters)");
        assert!(matches!(field("fine", 10), Cow::Borrowed(_)));
    }
}
