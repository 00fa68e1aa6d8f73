//! A one-line text field on top of `tui-input`, optionally masked for typed secrets.

use crossterm::event::{Event, KeyEvent};
use std::fmt;
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;
use zeroize::Zeroize;

/// A text field; when `masked`, only mask characters are ever rendered.
#[derive(Clone, Default)]
pub struct TextField {
    input: Input,
    masked: bool,
}

impl TextField {
    /// A plain field holding `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            input: Input::new(value.into()),
            masked: false,
        }
    }

    /// A masked field (typed secrets).
    pub fn masked(value: impl Into<String>) -> Self {
        Self {
            input: Input::new(value.into()),
            masked: true,
        }
    }

    /// The text as typed.
    pub fn value(&self) -> &str {
        self.input.value()
    }

    /// Is the field masked?
    pub fn is_masked(&self) -> bool {
        self.masked
    }

    /// Mask or unmask (the secret source changed).
    pub fn set_masked(&mut self, masked: bool) {
        self.masked = masked;
    }

    /// Replace the text (the old text is wiped from memory first).
    pub fn set_value(&mut self, value: impl Into<String>) {
        self.wipe();
        self.input = Input::new(value.into());
    }

    /// Empty the field, overwriting the old text in memory (it may have been a typed secret).
    pub fn wipe(&mut self) {
        let mut old = self.input.value_and_reset();
        old.zeroize();
    }

    /// Feed a key; returns true when the text or cursor changed.
    pub fn handle_key(&mut self, key: KeyEvent) -> bool {
        self.input.handle_event(&Event::Key(key)).is_some()
    }

    /// Insert pasted text at the cursor (newlines dropped: the field is one line).
    pub fn paste(&mut self, text: &str) {
        for c in text.chars().filter(|c| *c != '\n' && *c != '\r') {
            self.input.handle(tui_input::InputRequest::InsertChar(c));
        }
    }

    /// What to draw in `width` columns and where the cursor sits (column offset from the field start).
    /// A masked field renders one mask character per typed character and nothing else.
    /// Scrolling counts characters, which matches columns for the URLs, names and paths typed here.
    pub fn render(&self, width: usize, mask: char) -> (String, usize) {
        let n = self.input.value().chars().count();
        let cursor = self.input.cursor().min(n);
        let start = cursor.saturating_sub(width.saturating_sub(1));
        let shown: String = if self.masked {
            std::iter::repeat_n(mask, n.saturating_sub(start).min(width)).collect()
        } else {
            self.input.value().chars().skip(start).take(width).collect()
        };
        (shown, cursor - start)
    }
}

impl fmt::Debug for TextField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.masked {
            f.write_str("TextField([redacted])")
        } else {
            write!(f, "TextField({:?})", self.input.value())
        }
    }
}

impl Drop for TextField {
    fn drop(&mut self) {
        self.wipe();
    }
}
