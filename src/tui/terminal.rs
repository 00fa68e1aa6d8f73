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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

/// True while the terminal is in TUI mode, so a panic after we left does not emit escape codes.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The real terminal.
pub type CrosstermTerminal = Terminal<CrosstermBackend<Stdout>>;

/// Switch the terminal into TUI mode.
pub fn enter() -> io::Result<CrosstermTerminal> {
    install_panic_hook();
    ACTIVE.store(true, Ordering::SeqCst);
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Give the terminal back the way we found it. Safe to call more than once.
pub fn leave() -> io::Result<()> {
    // Only once: the panic hook restores first and the host's Drop runs again while unwinding.
    // A second `?1049l` on the normal screen restores the cursor saved on entry, so the shell
    // prompt would overwrite the panic message printed in between.
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
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
/// Installed once; re-entering after Ctrl-Z does not stack hooks. Chaining to the previous hook keeps
/// the standard message and `RUST_BACKTRACE` (ratatui recipe: https://ratatui.rs/recipes/apps/panic-hooks/).
/// We do not use `ratatui::try_init` because it installs a new hook on every call, i.e. on every resume.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ACTIVE.load(Ordering::SeqCst) {
                let _ = leave();
            }
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
        // OSC 52 (crossterm 0.29 `clipboard::CopyToClipboard`, feature `osc52`): the terminal puts
        // the text on the clipboard, also over SSH. The text is shown on screen as well, for
        // terminals that ignore OSC 52.
        execute!(
            io::stdout(),
            crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
        )
    }

    fn suspend(&mut self) -> io::Result<()> {
        leave()?;
        // Stop like any job; execution continues here after `fg` (SIGCONT). Same order as curses'
        // tstp(): restore the tty, raise SIGTSTP, then re-enter and repaint everything.
        #[cfg(unix)]
        signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
        ACTIVE.store(true, Ordering::SeqCst);
        enable_raw_mode()?;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        )?;
        // A fresh `Terminal` has empty buffers, so the next draw repaints everything. Not
        // `Terminal::clear()`: it asks the terminal for the cursor position, a round trip that races
        // with the event reader and fails on terminals that do not answer.
        self.terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok(())
    }
}

impl Drop for CrosstermHost {
    fn drop(&mut self) {
        let _ = leave();
    }
}
