//! Terminal hygiene: raw mode, alternate screen and bracketed paste on entry; everything undone on
//! exit, on panic (hook chained, restoring first), on SIGTERM/SIGHUP and around Ctrl-Z. No mouse capture,
//! so sysadmins can still select text with their terminal.

use super::app::App;
use super::event_loop::Host;
use super::view;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, Stdout};
use std::sync::Once;

/// The real terminal.
pub type CrosstermTerminal = Terminal<CrosstermBackend<Stdout>>;

/// Switch the terminal into TUI mode.
pub fn enter() -> io::Result<CrosstermTerminal> {
    install_panic_hook();
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Give the terminal back the way we found it. Safe to call more than once.
pub fn leave() -> io::Result<()> {
    let r1 = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let r2 = disable_raw_mode();
    r1.and(r2)
}

/// Restore the terminal before any other panic hook prints, so the message is readable.
/// Installed once; re-entering after Ctrl-Z does not stack hooks.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = leave();
            previous(info);
        }));
    });
}

/// The loop's host on a real terminal.
pub struct CrosstermHost {
    terminal: CrosstermTerminal,
}

impl CrosstermHost {
    /// Enter TUI mode and wrap the terminal.
    pub fn enter() -> io::Result<Self> {
        Ok(Self { terminal: enter()? })
    }
}

impl Host for CrosstermHost {
    fn draw(&mut self, app: &App) -> io::Result<()> {
        self.terminal.draw(|f| view::draw(f, app)).map(|_| ())
    }

    fn copy(&mut self, text: &str) -> io::Result<()> {
        // OSC 52: the terminal puts the text on the clipboard, also over SSH. The text is shown on
        // screen as well, for terminals that ignore OSC 52.
        execute!(
            io::stdout(),
            crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
        )
    }

    fn suspend(&mut self) -> io::Result<()> {
        leave()?;
        // Stop like any job; execution continues here after `fg` (SIGCONT).
        #[cfg(unix)]
        signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
        self.terminal.clear()
    }
}

impl Drop for CrosstermHost {
    fn drop(&mut self) {
        let _ = leave();
    }
}
