//! Render TUI panes from ratatui `TestBackend` buffers into SVG screenshots under `assets/`, so
//! the README shows the real screens and they are regenerated, not drawn by hand.
//!
//! `cargo run --example screenshots [OUT_DIR]` (default: `assets/`). The Connections shots use the
//! TUI tests' sample data (`tests/tui_support`), so screenshots and snapshots show the same
//! connections. The Checker and Link-wizard shots drive the real `App` with the real effect runner
//! against the in-process simulator, the way `tests/tui_checker.rs` and `tests/tui_wizard.rs` do.

#[path = "../tests/tui_support/mod.rs"]
mod tui_support;

use anyhow::{bail, Context as _};
use crossterm::event::KeyCode;
use jiralink::cli::demo::Demo;
use jiralink::config::{AuthKind, Config, Defaults};
use jiralink::secret::{SecretRef, SecretString};
use jiralink::sim::{Sim, SimConfig};
use jiralink::tui::action::ConnectionsMsg;
use jiralink::tui::action::{Action, Effect};
use jiralink::tui::app::App;
use jiralink::tui::effects::EffectRunner;
use jiralink::tui::keymap::WizardCmd;
use jiralink::tui::panes::wizard::{Item, WizardField};
use jiralink::tui::theme::Theme;
use jiralink::tui::AppOptions;
use jiralink::wizard::Step;
use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::style::{Color, Modifier};
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;
use tui_support::{checked_app, code, connection, key, load_req, options, render_buffer};

/// Screen size of every shot: the size the snapshot tests use.
const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;

/// One screenshot: the file stem under `assets/` and how to get the app into that state.
type Shot = (&'static str, fn() -> App);

/// Every screenshot built from canned data; adding a pane's is one line here.
const SHOTS: &[Shot] = &[
    ("connections-list", || checked_app(Theme::default())),
    ("connections-details", || {
        let mut app = checked_app(Theme::default());
        app.update(key('G'));
        app.update(code(KeyCode::Enter));
        app
    }),
    ("connections-help", || {
        let mut app = checked_app(Theme::default());
        app.update(key('?'));
        app
    }),
];

fn main() -> ExitCode {
    let out_dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets")));
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        eprintln!("screenshots: cannot create {}: {e}", out_dir.display());
        return ExitCode::FAILURE;
    }
    let mut shots: Vec<(&str, Buffer)> = SHOTS
        .iter()
        .map(|(name, setup)| (*name, render_buffer(&setup(), WIDTH, HEIGHT)))
        .collect();
    match live_shots() {
        Ok(live) => shots.extend(live),
        Err(e) => {
            eprintln!("screenshots: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    for (name, buf) in shots {
        let svg = to_svg(&buf, name);
        let path = out_dir.join(format!("{name}.svg"));
        if let Err(e) = std::fs::write(&path, svg) {
            eprintln!("screenshots: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{}", path.display());
    }
    ExitCode::SUCCESS
}

/// The shots that need the simulator: each screen is rendered as soon as the app reaches it.
fn live_shots() -> anyhow::Result<Vec<(&'static str, Buffer)>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    rt.block_on(async {
        let mut shots = checker_shots().await?;
        shots.extend(wizard_shots().await?);
        Ok(shots)
    })
}

/// The app, the real effect runner and the channel results come back on, like the event loop.
struct Driver {
    app: App,
    runner: EffectRunner,
    rx: UnboundedReceiver<Action>,
}

impl Driver {
    /// An app built from `opts`; the effects `App::new` asks for are run unless `run_initial` is off.
    fn new(opts: &AppOptions, run_initial: bool) -> (Self, Vec<Effect>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = EffectRunner::new(opts.core.clone(), tx, Duration::from_secs(60));
        let (app, effects) = App::new(opts, Instant::now());
        let mut d = Driver { app, runner, rx };
        if run_initial {
            d.run(effects);
            (d, Vec::new())
        } else {
            (d, effects)
        }
    }

    fn run(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                // No clipboard, no terminal to suspend or quit: the shots only need the screen.
                Effect::Copy(_) | Effect::Suspend | Effect::Quit => {}
                other => self.runner.spawn(other),
            }
        }
    }

    fn send(&mut self, a: Action) {
        let effects = self.app.update(a);
        self.run(effects);
    }

    fn keys(&mut self, keys: &str) {
        for c in keys.chars() {
            self.send(key(c));
        }
    }

    /// Feed results (and ticks, for debounced work) back until `done` holds, 60 s at most.
    async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) -> anyhow::Result<()> {
        let end = Instant::now() + Duration::from_secs(60);
        while !done(&self.app) {
            if Instant::now() > end {
                bail!("timed out waiting for {what}");
            }
            match tokio::time::timeout(Duration::from_millis(50), self.rx.recv()).await {
                Ok(Some(a)) => self.send(a),
                Ok(None) => bail!("the effect channel closed while waiting for {what}"),
                Err(_) => self.send(Action::Tick(Instant::now())),
            }
        }
        Ok(())
    }

    fn shot(&self, name: &'static str) -> (&'static str, Buffer) {
        (name, render_buffer(&self.app, WIDTH, HEIGHT))
    }
}

/// The Checker pane: an admin-assisted audit of alice with admin's help (as in
/// `tests/tui_checker.rs`), the finished table, then the explanation of a project alice cannot see.
async fn checker_shots() -> anyhow::Result<Vec<(&'static str, Buffer)>> {
    let sim = Sim::start(SimConfig::default())
        .await
        .context("cannot start the simulator")?;
    let url = sim.base_url().to_string();
    let mut connections = Vec::new();
    for name in ["alice", "admin"] {
        let mut c = connection(name, &url, AuthKind::Basic);
        c.username = Some(name.into());
        let password = sim
            .password(name)
            .with_context(|| format!("the simulator has no user {name}"))?;
        c.password = Some(SecretRef::Plain(SecretString::from(password)));
        connections.push(c);
    }
    let config = Config {
        defaults: Defaults {
            timeout_secs: 20,
            concurrency: 8,
            required_permissions: vec!["BROWSE_PROJECTS".into()],
            ..Defaults::default()
        },
        connections,
        ..Default::default()
    };
    // The config comes from here, not from the (absent) file the sample options name.
    let (mut d, effects) = Driver::new(&options(Theme::default()), false);
    let req = load_req(&effects);
    d.send(Action::Connections(ConnectionsMsg::ConfigLoaded {
        req,
        result: Ok(config),
    }));
    d.until("the connection checks", |a| a.busy() == 0).await?;

    // Subject alice (the default); admin: none → alice → admin; run.
    d.keys("3j  r");
    d.until("the audit", |a| a.panes.checker.running().is_none())
        .await?;
    let report = d
        .app
        .panes
        .checker
        .report()
        .context("the audit left no report")?;
    let missing = report
        .projects
        .iter()
        .find(|r| !r.ok)
        .map(|r| r.key.clone())
        .context("the simulator's audit found no project alice cannot see")?;
    let mut shots = vec![d.shot("checker-table")];
    // Filter down to one ✗ project and open its explanation.
    d.keys("/");
    d.keys(&missing.to_lowercase());
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    shots.push(d.shot("checker-explanation"));
    sim.shutdown().await;
    Ok(shots)
}

/// The Link wizard at its Register step (values to paste, menu path), reached the way
/// `tests/tui_wizard.rs` gets there: the demo's simulator, the committed test key imported.
async fn wizard_shots() -> anyhow::Result<Vec<(&'static str, Buffer)>> {
    let demo = Demo::start(30).await?;
    let mut opts = demo.app_options();
    // A real session has no demo banner; the Register text still names the simulator's URL.
    opts.banner = None;
    let (mut d, _) = Driver::new(&opts, true);
    d.send(key('2'));
    d.until("the probe", |a| {
        a.panes.wizard.wizard().probe_info().is_some()
    })
    .await?;
    d.until("the app to be idle", |a| a.busy() == 0).await?;
    // Enter edits the preset URL, Enter again submits it.
    d.send(code(KeyCode::Enter));
    d.send(code(KeyCode::Enter));
    if d.app.panes.wizard.wizard().step() != Step::Keys {
        bail!("the wizard did not move on to the Keys step");
    }
    // The committed test key (0600: keys readable by others are refused); generating one in a
    // debug build is slow and would make every run's picture differ.
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test_key.pem");
    let key_path = demo.dir().join("test_key.pem");
    std::fs::copy(src, &key_path).with_context(|| format!("cannot copy {src}"))?;
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))
        .context("cannot make the test key private")?;
    focus(&mut d, Item::Text(WizardField::ImportPath))?;
    if !d.app.panes.wizard.editing() {
        d.send(code(KeyCode::Enter));
    }
    d.keys(&key_path.display().to_string());
    d.send(code(KeyCode::Enter));
    d.until("the key", |a| a.panes.wizard.wizard().key_info().is_some())
        .await?;
    d.until("the app to be idle", |a| a.busy() == 0).await?;
    focus(&mut d, Item::Action(WizardCmd::NextStep))?;
    d.send(code(KeyCode::Enter));
    if d.app.panes.wizard.wizard().step() != Step::Register {
        bail!("the wizard did not move on to the Register step");
    }
    Ok(vec![d.shot("wizard-register")])
}

/// Move the wizard's focus down to `item`.
fn focus(d: &mut Driver, item: Item) -> anyhow::Result<()> {
    for _ in 0..20 {
        if d.app.panes.wizard.focused() == Some(item) {
            return Ok(());
        }
        d.send(code(KeyCode::Down));
    }
    bail!("the wizard has no row {item:?}")
}

/// Cell size in SVG units for a 14px monospace font (glyphs are about 0.6em wide).
const CELL_W: f32 = 8.4;
const CELL_H: f32 = 18.0;
const FONT_SIZE: f32 = 14.0;
const PAD: f32 = 12.0;
/// Terminal defaults: what `Color::Reset` means in the picture (a dark terminal).
const DEFAULT_FG: &str = "#d4d4d4";
const DEFAULT_BG: &str = "#1e1e1e";

/// The 16 ANSI colours (VS Code's dark terminal palette, legible on `DEFAULT_BG`).
const ANSI: [&str; 16] = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
];

fn hex(c: Color) -> Option<String> {
    let ansi = |i: usize| Some(ANSI[i].to_owned());
    match c {
        Color::Reset => None,
        Color::Black => ansi(0),
        Color::Red => ansi(1),
        Color::Green => ansi(2),
        Color::Yellow => ansi(3),
        Color::Blue => ansi(4),
        Color::Magenta => ansi(5),
        Color::Cyan => ansi(6),
        Color::Gray => ansi(7),
        Color::DarkGray => ansi(8),
        Color::LightRed => ansi(9),
        Color::LightGreen => ansi(10),
        Color::LightYellow => ansi(11),
        Color::LightBlue => ansi(12),
        Color::LightMagenta => ansi(13),
        Color::LightCyan => ansi(14),
        Color::White => ansi(15),
        Color::Rgb(r, g, b) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i) => Some(indexed(i)),
    }
}

/// xterm's 256-colour table: 16 ANSI, a 6×6×6 cube, then 24 greys.
fn indexed(i: u8) -> String {
    match i {
        0..=15 => ANSI[i as usize].to_owned(),
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            let (r, g, b) = (level(n / 36), level((n / 6) % 6), level(n % 6));
            format!("#{r:02x}{g:02x}{b:02x}")
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            format!("#{v:02x}{v:02x}{v:02x}")
        }
    }
}

/// A coordinate with one decimal: enough for 0.1px precision, without float noise like 125.99999.
fn px(v: f32) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The look of one cell, resolved to concrete colours (REVERSED swaps them).
#[derive(Clone, PartialEq)]
struct Look {
    fg: String,
    bg: Option<String>,
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
}

fn look(fg: Color, bg: Color, m: Modifier) -> Look {
    let (mut f, mut b) = (hex(fg), hex(bg));
    if m.contains(Modifier::REVERSED) {
        std::mem::swap(&mut f, &mut b);
        f = f.or_else(|| Some(DEFAULT_BG.to_owned()));
        b = b.or_else(|| Some(DEFAULT_FG.to_owned()));
    }
    Look {
        fg: f.unwrap_or_else(|| DEFAULT_FG.to_owned()),
        bg: b,
        bold: m.contains(Modifier::BOLD),
        dim: m.contains(Modifier::DIM),
        italic: m.contains(Modifier::ITALIC),
        underline: m.contains(Modifier::UNDERLINED),
    }
}

/// The buffer as an SVG: one background rect per run of same-coloured cells, one `<text>` per
/// row with a `<tspan>` per run. Each run is pinned to its cell column and stretched to its cell
/// count (`textLength`), so a font whose glyphs are not exactly 0.6em wide cannot drift.
fn to_svg(buf: &Buffer, title: &str) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let width = px(f32::from(w) * CELL_W + 2.0 * PAD);
    let height = px(f32::from(h) * CELL_H + 2.0 * PAD);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="jiralink {title}">"#
    );
    let _ = writeln!(s, "<title>jiralink: {}</title>", escape(title));
    let _ = writeln!(
        s,
        r#"<rect width="100%" height="100%" rx="6" fill="{DEFAULT_BG}"/>"#
    );
    let _ = writeln!(
        s,
        r#"<g font-family="'DejaVu Sans Mono','Menlo','Consolas',monospace" font-size="{FONT_SIZE}" xml:space="preserve">"#
    );
    for y in 0..h {
        // Runs of cells with the same look: (first column, cell count, text, look).
        let mut runs: Vec<(u16, u16, String, Look)> = Vec::new();
        for x in 0..w {
            let cell = &buf[(x, y)];
            // Cells another writer owns (e.g. an image protocol) hold nothing to show.
            if cell.diff_option == CellDiffOption::Skip {
                continue;
            }
            let l = look(cell.fg, cell.bg, cell.modifier);
            // A wide glyph's trailing cell has an empty symbol: it belongs to the previous run.
            let sym = cell.symbol();
            match runs.last_mut() {
                Some((_, n, text, rl)) if *rl == l => {
                    *n += 1;
                    text.push_str(sym);
                }
                Some((_, n, _, _)) if sym.is_empty() => *n += 1,
                _ => runs.push((x, 1, sym.to_owned(), l)),
            }
        }
        let top_f = PAD + f32::from(y) * CELL_H;
        let top = px(top_f);
        for (x, n, _, l) in &runs {
            if let Some(bg) = &l.bg {
                let _ = writeln!(
                    s,
                    r#"<rect x="{}" y="{top}" width="{}" height="{CELL_H}" fill="{bg}"/>"#,
                    px(PAD + f32::from(*x) * CELL_W),
                    px(f32::from(*n) * CELL_W)
                );
            }
        }
        // Baseline about 3/4 down the cell.
        let base = px(top_f + CELL_H * 0.75);
        let _ = write!(s, r#"<text y="{base}">"#);
        for (x, n, text, l) in &runs {
            if text.trim().is_empty() {
                continue; // spaces only: the background rect (if any) already shows it
            }
            let mut attrs = format!(r#" fill="{}""#, l.fg);
            if l.bold {
                attrs += r#" font-weight="bold""#;
            }
            if l.dim {
                attrs += r#" opacity="0.6""#;
            }
            if l.italic {
                attrs += r#" font-style="italic""#;
            }
            if l.underline {
                attrs += r#" text-decoration="underline""#;
            }
            let _ = write!(
                s,
                r#"<tspan x="{}" textLength="{}" lengthAdjust="spacingAndGlyphs"{attrs}>{}</tspan>"#,
                px(PAD + f32::from(*x) * CELL_W),
                px(f32::from(*n) * CELL_W),
                escape(text)
            );
        }
        let _ = writeln!(s, "</text>");
    }
    s.push_str("</g>\n</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn runs_colours_and_escaping() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        buf.set_string(0, 0, "<ok>", Style::new().fg(Color::Green));
        buf.set_string(4, 0, "&", Style::new().bg(Color::Red));
        let svg = to_svg(&buf, "t");
        assert!(
            svg.contains(r##"fill="#0dbc79">&lt;ok&gt;</tspan>"##),
            "{svg}"
        );
        assert!(
            svg.contains(r##"fill="#cd3131"/>"##),
            "red background rect: {svg}"
        );
        assert!(svg.contains("&amp;"), "{svg}");
        assert_eq!(indexed(196), "#ff0000");
        assert_eq!(indexed(232), "#080808");
    }
}
