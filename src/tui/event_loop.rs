//! The event loop: one biased `tokio::select!` over internal actions, terminal events, signals and a
//! tick that exists only while something animates or a refresh is due. Redraws only after a change,
//! once the action queue is drained; when idle it sleeps.

use super::action::{Action, Effect, PastedText};
use super::app::App;
use super::effects::EffectRunner;
use crossterm::event::{Event, KeyEventKind};
use futures::{Stream, StreamExt};
use std::future::Future;
use std::io;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedReceiver;

/// What the loop needs from the screen: drawing, clipboard, suspending. Real terminal or `TestBackend`.
pub trait Host {
    /// Draw the app.
    fn draw(&mut self, app: &App) -> io::Result<()>;
    /// Copy text to the clipboard (OSC 52).
    fn copy(&mut self, text: &str) -> io::Result<()>;
    /// Suspend the process (Ctrl-Z) and come back.
    fn suspend(&mut self) -> io::Result<()>;
}

/// Turn a terminal event into an action (key releases and focus/mouse events are ignored).
pub fn event_to_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Action::Key(k)),
        Event::Paste(s) => Some(Action::Paste(PastedText(s))),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// Run until the app quits, the event stream ends, or `terminate` resolves (SIGTERM/SIGHUP).
pub async fn run_loop<H, S, T>(
    host: &mut H,
    app: &mut App,
    mut events: S,
    runner: &mut EffectRunner,
    rx: &mut UnboundedReceiver<Action>,
    terminate: T,
) -> io::Result<()>
where
    H: Host,
    S: Stream<Item = io::Result<Event>> + Unpin,
    T: Future<Output = ()>,
{
    tokio::pin!(terminate);
    host.draw(app)?;
    let _ = app.take_dirty();
    while !app.quit {
        let deadline = app.next_deadline(Instant::now());
        let tick = async move {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        let action = tokio::select! {
            biased;
            Some(a) = rx.recv() => a,
            ev = events.next() => match ev {
                Some(Ok(ev)) => match event_to_action(ev) {
                    Some(a) => a,
                    None => continue,
                },
                Some(Err(e)) => return Err(e),
                None => break,
            },
            () = &mut terminate => Action::Terminate,
            () = tick => Action::Tick(Instant::now()),
        };
        handle(host, app, runner, action)?;
        // Drain what has already arrived so a burst of results costs one redraw.
        while let Ok(a) = rx.try_recv() {
            handle(host, app, runner, a)?;
        }
        if app.take_dirty() && !app.quit {
            host.draw(app)?;
        }
    }
    runner.abort_all();
    Ok(())
}

fn handle<H: Host>(
    host: &mut H,
    app: &mut App,
    runner: &mut EffectRunner,
    action: Action,
) -> io::Result<()> {
    for effect in app.update(action) {
        match effect {
            Effect::Copy(text) => {
                if let Err(e) = host.copy(&text) {
                    tracing::warn!(error = %e, "OSC 52 copy failed");
                }
            }
            Effect::Suspend => {
                host.suspend()?;
                host.draw(app)?;
            }
            Effect::Quit => {}
            other => runner.spawn(other),
        }
    }
    Ok(())
}
