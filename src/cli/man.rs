//! `jiralink man`: the man page in roff, generated from the clap definition, plus the sections
//! clap does not know about (environment, files, exit status).
use super::{Global, EXIT_CANNOT_RUN, EXIT_OK, EXIT_PROBLEM, EXIT_USAGE};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write jiralink.1 and one page per subcommand (jiralink-check.1, …) into DIR instead.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Environment variables jiralink reads, for the ENVIRONMENT section.
const ENVIRONMENT: &[(&str, &str)] = &[
    ("JIRALINK_CONFIG", "Config file to use (same as --config)."),
    ("JIRALINK_DATA", "Directory for keys and tokens."),
    ("JIRALINK_STATE", "Directory for the log file."),
    (
        "JIRALINK_LOG",
        "Log filter, e.g. jiralink=debug (logs go to the log file only).",
    ),
    (
        "JIRALINK_REFRESH_SECS",
        "How often the dashboard re-checks connections; 0 turns it off.",
    ),
    (
        "NO_COLOR",
        "Any non-empty value turns colour off (overridden by --color always).",
    ),
    (
        "HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY",
        "Proxy settings, unless a connection sets proxy.",
    ),
    (
        "LC_ALL, LC_CTYPE, LANG",
        "A locale without UTF-8 switches to ASCII symbols.",
    ),
];

/// Exit codes, for the EXIT STATUS section.
const EXIT_STATUS: &[(u8, &str)] = &[
    (EXIT_OK, "Everything checked is fine."),
    (
        EXIT_PROBLEM,
        "A connection or project has a problem (details in the output).",
    ),
    (EXIT_USAGE, "Bad usage or an invalid config."),
    (
        EXIT_CANNOT_RUN,
        "The work could not run (authentication, network).",
    ),
];

/// Escape text for roff: backslashes, and a leading `.` or `'` that would read as a request.
fn roff_text(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

fn tagged(out: &mut String, tag: &str, body: &str) {
    out.push_str(".TP\n\\fB");
    out.push_str(&roff_text(tag));
    out.push_str("\\fR\n");
    out.push_str(&roff_text(body));
    out.push('\n');
}

/// The extra sections of the main page.
fn extra_sections() -> String {
    let mut s = String::from(".SH ENVIRONMENT\n");
    for (k, v) in ENVIRONMENT {
        tagged(&mut s, k, v);
    }
    s.push_str(".SH FILES\n");
    tagged(
        &mut s,
        "~/.config/jiralink/config.toml",
        "Connections and defaults (mode 0600). `jiralink info` prints the paths in use on this machine.",
    );
    tagged(
        &mut s,
        "~/.local/share/jiralink/",
        "Private keys and OAuth tokens (directory mode 0700).",
    );
    tagged(
        &mut s,
        "~/.local/state/jiralink/jiralink.log",
        "The log file; jiralink never logs to the terminal.",
    );
    s.push_str(".SH EXIT STATUS\n");
    for (code, what) in EXIT_STATUS {
        tagged(&mut s, &code.to_string(), what);
    }
    s.push_str(".SH SEE ALSO\n");
    s.push_str(&roff_text(
        "jiralink-check(1), jiralink-audit(1), jiralink-link(1), jiralink-connections(1); \
         the JSON output shapes are described in docs/json.md.",
    ));
    s.push('\n');
    s
}

/// The clap command as the man page shows it: no `help` subcommand, built so that global
/// options appear on every subcommand's page.
fn man_command() -> clap::Command {
    let mut cmd = super::command(super::ColorChoice::Never, None).disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Render the main page (jiralink.1) into `w`.
pub fn render_main(w: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(man_command());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    man.render_subcommands_section(w)?;
    w.write_all(extra_sections().as_bytes())?;
    man.render_version_section(w)?;
    Ok(())
}

/// Write jiralink.1 plus jiralink-SUB.1 for every (nested) subcommand into `dir`; returns the files.
pub fn write_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let main = dir.join("jiralink.1");
    let mut f = std::fs::File::create(&main)?;
    render_main(&mut f)?;
    f.flush()?;
    let mut written = vec![main];
    fn walk(
        cmd: &clap::Command,
        prefix: &str,
        dir: &Path,
        out: &mut Vec<PathBuf>,
    ) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = format!("{prefix}-{}", sub.get_name());
            // The page title and synopsis name the full command ("jiralink-connections-add").
            let page = sub.clone().display_name(name.clone());
            out.push(clap_mangen::Man::new(page).generate_to(dir)?);
            walk(sub, &name, dir, out)?;
        }
        Ok(())
    }
    walk(&man_command(), "jiralink", dir, &mut written)?;
    Ok(written)
}

/// Run `man`.
pub fn run(_g: &Global, a: ManArgs) -> anyhow::Result<u8> {
    match a.out {
        Some(dir) => {
            let files = write_pages(&dir)?;
            let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
            super::print_out(&list)?;
        }
        None => {
            let mut buf = Vec::new();
            render_main(&mut buf)?;
            super::print_out(&String::from_utf8_lossy(&buf))?;
        }
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_page_has_clap_and_extra_sections() {
        let mut buf = Vec::new();
        render_main(&mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH jiralink"),
            "{text}"
        );
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH OPTIONS",
            ".SH SUBCOMMANDS",
            ".SH ENVIRONMENT",
            ".SH EXIT STATUS",
        ] {
            assert!(text.contains(section), "missing {section}");
        }
        assert!(text.contains("NO_COLOR"));
    }

    #[test]
    fn one_page_per_subcommand() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_pages(dir.path()).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for n in [
            "jiralink.1",
            "jiralink-check.1",
            "jiralink-connections-add.1",
            "jiralink-man.1",
        ] {
            assert!(names.contains(&n.to_owned()), "{n} not in {names:?}");
        }
        let add = std::fs::read_to_string(dir.path().join("jiralink-connections-add.1")).unwrap();
        assert!(add.contains("jiralink\\-connections\\-add"), "{add}");
    }

    #[test]
    fn roff_escapes_requests_and_backslashes() {
        assert_eq!(roff_text(".hidden"), "\\&.hidden");
        assert_eq!(roff_text("a\\b"), "a\\eb");
    }
}
