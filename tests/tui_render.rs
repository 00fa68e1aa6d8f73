//! Rendering: snapshots of the connections pane, NO_COLOR without colours, ASCII symbols, and a
//! resize sweep from 1×1 to 300×100 that must never panic.

mod tui_support;

use crossterm::event::KeyCode;
use jiralink::tui::action::Action;
use jiralink::tui::action::ConnectionsMsg;
use jiralink::tui::app::App;
use jiralink::tui::theme::Theme;
use ratatui::style::Color;
use tui_support::*;

fn snapshot(name: &str, app: &App) {
    for (w, h) in [(100, 30), (80, 24)] {
        let screen = render(app, w, h);
        insta::with_settings!({
            filters => vec![
                (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
                (r"\d+(\.\d+)? ?(ms|s) ago", "[TIME] ago"),
            ],
            snapshot_suffix => format!("{w}x{h}"),
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!(name, screen);
        });
    }
}

#[test]
fn snapshot_list() {
    let mut app = checked_app(Theme::default());
    app.update(key('j'));
    snapshot("list", &app);
}

#[test]
fn snapshot_details() {
    let mut app = checked_app(Theme::default());
    app.update(key('G'));
    app.update(code(KeyCode::Enter));
    snapshot("details", &app);
}

#[test]
fn snapshot_form() {
    let mut app = checked_app(Theme::default());
    app.update(key('a'));
    type_text(&mut app, "staging");
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab));
    type_text(&mut app, "not a url");
    app.update(code(KeyCode::Enter));
    snapshot("form", &app);
}

#[test]
fn snapshot_help() {
    let mut app = checked_app(Theme::default());
    app.update(key('?'));
    snapshot("help", &app);
}

#[test]
fn snapshot_ascii_list() {
    let app = checked_app(Theme::plain());
    snapshot("list_ascii", &app);
}

fn assert_no_colours(app: &App, w: u16, h: u16) {
    let buf = render_buffer(app, w, h);
    for y in 0..h {
        for x in 0..w {
            let cell = &buf[(x, y)];
            assert_eq!(cell.fg, Color::Reset, "fg colour at {x},{y}");
            assert_eq!(cell.bg, Color::Reset, "bg colour at {x},{y}");
        }
    }
}

#[test]
fn no_color_renders_without_any_colour_but_keeps_symbols() {
    let theme = Theme {
        color: false,
        ascii: false,
    };
    let mut app = checked_app(theme);
    assert_no_colours(&app, 100, 30);
    let screen = render(&app, 100, 30);
    assert!(screen.contains("✓ Jira 9.12.3"));
    assert!(screen.contains("✗ CAPTCHA required"));
    assert!(screen.contains("⚠ clock 6 min off"));
    for prep in [vec![code(KeyCode::Enter)], vec![key('a')], vec![key('?')]] {
        let mut app2 = checked_app(theme);
        for a in prep {
            app2.update(a);
        }
        assert_no_colours(&app2, 100, 30);
    }
    // The coloured theme does colour things (so the check above can fail).
    app.theme = Theme::default();
    let buf = render_buffer(&app, 100, 30);
    assert!(buf.content.iter().any(|c| c.fg != Color::Reset));
}

#[test]
fn ascii_symbols_and_spinner() {
    let (mut app, _) = loaded_app(Theme::plain(), sample_config());
    let screen = render(&app, 100, 30);
    assert!(screen.contains("| checking"), "{screen}");
    app.update(Action::Tick(std::time::Instant::now()));
    assert!(render(&app, 100, 30).contains("/ checking"));
    let app = checked_app(Theme::plain());
    let screen = render(&app, 100, 30);
    assert!(screen.contains("[ok] Jira 9.12.3 as alice"));
    assert!(screen.contains("[x] CAPTCHA required"));
    assert!(screen.contains("[!] clock 6 min off"));
    assert!(
        screen.is_ascii(),
        "non-ASCII output in ASCII mode:\n{screen}"
    );
}

#[test]
fn resize_sweep_never_panics() {
    let mut apps = vec![checked_app(Theme::default())];
    for prep in [
        vec![code(KeyCode::Enter)],
        vec![key('a'), code(KeyCode::Enter)],
        vec![key('d')],
        vec![key('?')],
        vec![key('/'), key('x')],
        vec![key('2')],
    ] {
        let mut app = checked_app(Theme::plain());
        for a in prep {
            app.update(a);
        }
        apps.push(app);
    }
    for app in &apps {
        for w in (1..=300).step_by(23).chain([1, 2, 39, 40, 80, 300]) {
            for h in (1..=100).step_by(13).chain([1, 9, 10, 24, 100]) {
                let _ = render_buffer(app, w, h);
            }
        }
    }
    assert!(render(&apps[0], 20, 5).contains("terminal too small"));
}

#[test]
fn snapshot_empty_and_config_error_states() {
    let mut empty = sample_config();
    empty.connections.clear();
    let (app, _) = loaded_app(Theme::default(), empty);
    snapshot("empty", &app);

    let (mut app, effects) = App::new(&options(Theme::default()), std::time::Instant::now());
    app.update(Action::Connections(ConnectionsMsg::ConfigLoaded {
        req: load_req(&effects),
        result: Err("/home/ops/.config/jiralink/config.toml:3:1: unknown key `pasword` in connection prod (did you mean `password`?)".into()),
    }));
    snapshot("config_error", &app);
}

#[test]
fn help_scrolling_stops_at_the_end() {
    let mut app = checked_app(Theme::default());
    app.update(Action::Resize(80, 24));
    app.update(key('?'));
    for _ in 0..200 {
        app.update(key('j'));
    }
    let end = app.help.expect("help open");
    assert!(end > 0 && end < 40, "stopped at {end}");
    // The last line is on screen, and one press up moves at once (no scrolled-past lines).
    let screen = render(&app, 80, 24);
    assert!(screen.contains("config  /home/ops"), "{screen}");
    assert!(!screen.contains("more below"), "{screen}");
    app.update(key('k'));
    assert_eq!(app.help, Some(end - 1));
    // A smaller terminal pulls the scroll back to its own end, never beyond.
    app.update(Action::Resize(100, 30));
    assert!(app.help.unwrap() <= end);
}

#[test]
fn wrapped_help_lines_are_indented_under_the_description() {
    let mut app = checked_app(Theme::default());
    app.update(key('?'));
    let screen = render(&app, 60, 30);
    // A description too long for the box continues under itself, not under the keys.
    let continued = screen
        .lines()
        .filter(|l| l.contains('│'))
        .map(|l| l.split('│').nth(1).unwrap_or_default())
        .any(|inner| inner.starts_with(&" ".repeat(18)) && !inner.trim().is_empty());
    assert!(continued, "{screen}");
}

#[test]
fn all_three_tabs_show_at_40_columns() {
    let app = checked_app(Theme::default());
    let screen = render(&app, 40, 10);
    let tabs = screen.lines().next().unwrap_or_default();
    for t in ["1 Conn", "2 Link", "3 Check"] {
        assert!(tabs.contains(t), "{tabs:?}");
    }
}

#[test]
fn a_url_column_too_narrow_for_a_host_is_left_to_the_details() {
    // An unlinked OAuth connection's badge is the longest ("not linked yet — open the Link
    // wizard (2)"): at 80 columns the URL column had 5 cells and showed only "http:".
    let mut config = tui_support::sample_config();
    config.connections[2].access_token = None;
    config.connections[0].name = "production-eu1".into();
    let (app, _checks) = loaded_app(Theme::default(), config);
    let narrow = render(&app, 80, 24);
    assert!(narrow.contains("open the Link wizard (2)"), "{narrow}");
    assert!(!narrow.contains("URL"), "{narrow}");
    assert!(
        !narrow
            .lines()
            .any(|l| l.trim_end_matches('│').trim_end().ends_with("http:")),
        "{narrow}"
    );
    let wide = render(&app, 120, 30);
    assert!(wide.contains("URL"), "{wide}");
    assert!(wide.contains("https://jira.example.com/jira"), "{wide}");
    assert!(wide.contains("open the Link wizard (2)"), "{wide}");
}
