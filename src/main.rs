//! The `jiralink` binary: hand over to the CLI.
fn main() -> std::process::ExitCode {
    jiralink::cli::main()
}
