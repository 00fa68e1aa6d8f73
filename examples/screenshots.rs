//! Render TUI panes from ratatui `TestBackend` buffers into SVG screenshots under `assets/`, so
//! the README shows the real screens and they are regenerated, not drawn by hand.
//!
//! `cargo run --example screenshots [OUT_DIR]` (default: `assets/`). The sample data is the TUI
//! tests' (`tests/tui_support`), so screenshots and snapshots show the same connections.

#[path = "../tests/tui_support/mod.rs"]
mod tui_support;

use crossterm::event::KeyCode;
use jiralink::tui::app::App;
use jiralink::tui::theme::Theme;
use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::style::{Color, Modifier};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use tui_support::{checked_app, code, key, render_buffer};

/// Screen size of every shot: the size the snapshot tests use.
const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;

/// One screenshot: the file stem under `assets/` and how to get the app into that state.
type Shot = (&'static str, fn() -> App);

/// Every screenshot; adding a pane's is one line here.
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
    for (name, setup) in SHOTS {
        let app = setup();
        let svg = to_svg(&render_buffer(&app, WIDTH, HEIGHT), name);
        let path = out_dir.join(format!("{name}.svg"));
        if let Err(e) = std::fs::write(&path, svg) {
            eprintln!("screenshots: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{}", path.display());
    }
    ExitCode::SUCCESS
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
