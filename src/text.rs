//! Small wording helpers shared by the core and both front ends.

/// "1 project", "2 projects", "0 errors": a count with its noun, plural unless it is one.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n: u64 = n.into();
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `s` with one final period: none added after `.`, `!`, `?` or `:` (so a sentence ending in a
/// quoted message never reads "..").
pub fn sentence(s: &str) -> String {
    let t = s.trim_end();
    if t.is_empty() || t.ends_with(['.', '!', '?', ':']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

/// `s` for a terminal without Unicode: arrows, dashes, quotes, ellipses and symbols become ASCII;
/// other non-ASCII characters (names in the user's language) pass through unchanged.
pub fn ascii_symbols(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '→' => out.push_str("->"),
            '←' => out.push_str("<-"),
            '…' => out.push_str("..."),
            '—' | '–' => out.push('-'),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            '✓' => out.push_str("OK"),
            '✗' => out.push_str("MISSING"),
            '·' => out.push('-'),
            // The gear in "⚙ Administration" is decoration: the word stays.
            '⚙' => {}
            _ => out.push(c),
        }
    }
    // Dropping the gear leaves "( Administration" or a leading space: close the gap.
    out.replace("( ", "(").trim_start().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sentences() {
        assert_eq!(count(1u32, "project"), "1 project");
        assert_eq!(count(0u32, "error"), "0 errors");
        assert_eq!(count(2u64, "attempt"), "2 attempts");
        assert_eq!(sentence("done"), "done.");
        assert_eq!(sentence("Jira said: no."), "Jira said: no.");
        assert_eq!(sentence(""), "");
        assert_eq!(
            ascii_symbols("grant it (⚙ Administration → Issues) — done…"),
            "grant it (Administration -> Issues) - done..."
        );
    }
}
