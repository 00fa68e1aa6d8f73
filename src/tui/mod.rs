//! The terminal UI: a thin front end over the core. `run_app` wires the terminal, the event loop,
//! the `App` state and the effect runner; panes live in `panes/`, core calls only in `effects.rs`.

pub mod action;
pub mod app;
pub mod effects;
pub mod event_loop;
pub mod keymap;
pub mod panes;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod widgets;

use crate::term::{ColorChoice, EXIT_OK, EXIT_USAGE};
use effects::{Browser, Core, EffectRunner, LiveCore};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use theme::Theme;

/// How the TUI is started.
pub struct AppOptions {
    /// The config file to show and edit.
    pub config_path: PathBuf,
    /// Shown next to the tabs (the demo says it runs against a simulator).
    pub banner: Option<String>,
    /// Colours and symbols.
    pub theme: Theme,
    /// Re-check every connection this often (None = only at start and on `r`/`R`).
    pub refresh_every: Option<Duration>,
    /// Any background task still running after this is abandoned with an error.
    pub task_timeout: Duration,
    /// The core the effects call (the real one, or a substitute in tests).
    pub core: Arc<dyn Core>,
    // --- Link wizard (wizard pane) ---
    /// Keys and tokens the link wizard writes (`JIRALINK_DATA`; the demo uses a temp dir).
    pub data_dir: PathBuf,
    /// Values the link wizard starts with (the demo fills in the simulator).
    pub link_preset: Option<panes::wizard::LinkPreset>,
    /// A browser the wizard may send to the authorize page (the demo's; None = the user's own).
    pub browser: Option<Arc<dyn Browser>>,
    /// State dir: the checker's fixes keep their journals under it (`JIRALINK_STATE`).
    pub state_dir: PathBuf,
}

impl AppOptions {
    /// Defaults: re-check every 5 minutes, give up on a task after 90 s, the real core.
    pub fn new(config_path: PathBuf) -> Self {
        let paths = crate::paths::Paths::resolve(Some(&config_path)).ok();
        let data_dir = paths
            .as_ref()
            .map(|p| p.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("."));
        let state_dir = paths
            .map(|p| p.state_dir)
            .unwrap_or_else(|| data_dir.clone());
        Self {
            config_path,
            banner: None,
            theme: Theme::default(),
            refresh_every: Some(Duration::from_secs(300)),
            task_timeout: Duration::from_secs(90),
            core: Arc::new(LiveCore),
            data_dir,
            link_preset: None,
            browser: None,
            state_dir,
        }
    }
}

impl AppOptions {
    /// Colours and symbols from `--color`, `--ascii` and the environment (the CLI's rules).
    pub fn look(mut self, color: ColorChoice, ascii: bool) -> Self {
        self.theme = Theme::detect(color, ascii);
        self
    }
}

/// Why the TUI refuses to start here, if it does.
pub fn refusal() -> Option<&'static str> {
    let term = std::env::var("TERM").unwrap_or_default();
    if term == "dumb" {
        return Some(
            "jiralink: this terminal (TERM=dumb) cannot show the dashboard.\n\
             Use the headless commands instead: `jiralink check`, `jiralink audit`, \
             `jiralink connections list` (see `jiralink --help`).",
        );
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Some(
            "jiralink: the dashboard needs an interactive terminal.\n\
             For scripts use the headless commands: `jiralink check`, `jiralink audit`, \
             `jiralink connections list` (see `jiralink --help`).",
        );
    }
    None
}

/// Open the TUI with the user's config (`--config`, `--color`, `--ascii`).
pub async fn run_from_cli(
    config: Option<PathBuf>,
    color: ColorChoice,
    ascii: bool,
) -> anyhow::Result<u8> {
    let config_path = config.unwrap_or_else(effects::default_config_path);
    let mut opts = AppOptions::new(config_path).look(color, ascii);
    if let Some(every) = refresh_from_env(std::env::var(REFRESH_ENV).ok().as_deref()) {
        opts.refresh_every = every;
    }
    run_app(opts).await
}

/// Hidden test hook: when set, the TUI panics right after taking over the terminal.
pub const PANIC_TEST_ENV: &str = "JIRALINK_TEST_PANIC";

/// Environment variable for the periodic re-check interval in seconds (`0` turns it off).
pub const REFRESH_ENV: &str = "JIRALINK_REFRESH_SECS";

/// Parse the refresh interval: None = not set or unusable (keep the default), Some(None) = off.
pub fn refresh_from_env(value: Option<&str>) -> Option<Option<Duration>> {
    let v = value?.trim();
    match v.parse::<u64>() {
        Ok(0) => Some(None),
        Ok(secs) => Some(Some(Duration::from_secs(secs.max(10)))),
        Err(_) => {
            tracing::warn!(
                value = v,
                "{REFRESH_ENV} is not a number of seconds; using the default"
            );
            None
        }
    }
}

/// Run the TUI until the user quits; returns the exit code.
pub async fn run_app(opts: AppOptions) -> anyhow::Result<u8> {
    if let Some(msg) = refusal() {
        eprintln!("{msg}");
        return Ok(EXIT_USAGE);
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = EffectRunner::for_app(&opts, tx);
    let (mut app, effects) = app::App::new(&opts, Instant::now());
    for e in effects {
        runner.spawn(e);
    }
    if let Ok((w, h)) = crossterm::terminal::size() {
        let _ = app.update(action::Action::Resize(w, h));
    }
    tracing::info!(config = %opts.config_path.display(), "TUI starting");
    let mut host = terminal::CrosstermHost::enter()?;
    // Hidden, for tests/terminal_pty.rs: prove in a real pty that a panic leaves the terminal
    // usable (the panic hook in `terminal` restores it before the message is printed).
    if std::env::var_os(PANIC_TEST_ENV).is_some() {
        panic!("{PANIC_TEST_ENV} is set: panicking on purpose after entering the TUI");
    }
    let caught = std::sync::atomic::AtomicI32::new(0);
    let mut signals = Termination::listen();
    let result = event_loop::run_loop(
        &mut host,
        &mut app,
        crossterm::event::EventStream::new(),
        &mut runner,
        &mut rx,
        async {
            let n = signals.recv().await;
            caught.store(n, std::sync::atomic::Ordering::Relaxed);
        },
    )
    .await;
    drop(host); // restores the terminal before anything is printed
    result?;
    let signal = caught.load(std::sync::atomic::Ordering::Relaxed);
    if signal != 0 {
        tracing::info!(signal, "TUI ended by a signal");
        return Ok(signal_exit_code(signal));
    }
    tracing::info!("TUI finished");
    Ok(EXIT_OK)
}

/// The catchable signals that end the TUI (and the demo) with the terminal restored and temp
/// files removed: SIGINT and SIGQUIT from `kill` (in raw mode Ctrl-C and Ctrl-\\ arrive as keys,
/// not signals), SIGTERM and SIGHUP. Listening starts when this is made, so a signal that
/// arrives before anyone waits is not lost (and no longer kills the process outright).
pub struct Termination {
    #[cfg(unix)]
    streams: Vec<(tokio::signal::unix::Signal, i32)>,
}

impl Termination {
    /// Start listening (needs a Tokio runtime).
    pub fn listen() -> Termination {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let kinds = [
                (SignalKind::interrupt(), 2),
                (SignalKind::quit(), 3),
                (SignalKind::terminate(), 15),
                (SignalKind::hangup(), 1),
            ];
            let mut streams = Vec::new();
            for (kind, n) in kinds {
                match signal(kind) {
                    Ok(s) => streams.push((s, n)),
                    Err(e) => tracing::warn!(signal = n, error = %e, "cannot listen for a signal"),
                }
            }
            Termination { streams }
        }
        #[cfg(not(unix))]
        Termination {}
    }

    /// Wait for the next of these signals; resolves with its number.
    pub async fn recv(&mut self) -> i32 {
        #[cfg(unix)]
        if !self.streams.is_empty() {
            let waits = self.streams.iter_mut().map(|(s, n)| {
                let n = *n;
                Box::pin(async move {
                    s.recv().await;
                    n
                })
            });
            return futures::future::select_all(waits).await.0;
        }
        std::future::pending().await
    }
}

/// The exit code for a run ended by signal `n` (128 + N, as shells report it).
pub fn signal_exit_code(n: i32) -> u8 {
    u8::try_from(128 + n).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_interval_from_env() {
        assert_eq!(refresh_from_env(None), None);
        assert_eq!(refresh_from_env(Some("0")), Some(None));
        assert_eq!(
            refresh_from_env(Some(" 120 ")),
            Some(Some(Duration::from_secs(120)))
        );
        // A tiny interval would hammer Jira: clamp to 10 s.
        assert_eq!(
            refresh_from_env(Some("1")),
            Some(Some(Duration::from_secs(10)))
        );
        assert_eq!(refresh_from_env(Some("5m")), None);
    }
}
