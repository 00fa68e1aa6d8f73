//! `jiralink completions SHELL`: the completion script, generated from the clap definition.
use super::{Global, EXIT_OK};
use clap_complete::Shell;
use std::io::Write;

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Enable them (see docs/install.md):\n  \
    bash: jiralink completions bash > ~/.local/share/bash-completion/completions/jiralink\n  \
    zsh:  jiralink completions zsh > ~/.zfunc/_jiralink  (with fpath+=~/.zfunc before compinit)\n  \
    fish: jiralink completions fish > ~/.config/fish/completions/jiralink.fish")]
pub struct CompletionsArgs {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Write the completion script for `shell` to `out`.
pub fn generate(shell: Shell, out: &mut dyn Write) {
    // The script only depends on the argument structure, so the run-time parts (version text,
    // colour) of `super::command` do not matter here.
    let mut cmd = super::command(super::ColorChoice::Never, None);
    clap_complete::generate(shell, &mut cmd, "jiralink", out);
}

/// Run `completions`.
pub fn run(_g: &Global, a: CompletionsArgs) -> anyhow::Result<u8> {
    let mut buf = Vec::new();
    generate(a.shell, &mut buf);
    super::print_out(&String::from_utf8_lossy(&buf))?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in Shell::value_variants() {
            let mut buf = Vec::new();
            generate(*shell, &mut buf);
            let text = String::from_utf8(buf).unwrap();
            for sub in ["check", "audit", "connections", "completions"] {
                assert!(text.contains(sub), "{shell}: no {sub}");
            }
        }
    }
}
