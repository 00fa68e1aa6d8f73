//! Secrets: where they come from (plain, env var, command, file) and how they are resolved without
//! ever letting the value reach `Debug`, logs or error messages.

pub use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// Where a secret comes from. `Debug` never prints a plain value.
#[derive(Clone)]
pub enum SecretRef {
    /// Written in the config file itself.
    Plain(SecretString),
    /// `{ env = "NAME" }`.
    Env(String),
    /// `{ cmd = "pass show jira" }`, run with `sh -c`, stdout trimmed.
    Cmd(String),
    /// `{ file = "path" }`, contents trimmed; must not be readable by group/others.
    File(PathBuf),
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Plain(_) => f.write_str("SecretRef::Plain([redacted])"),
            SecretRef::Env(n) => write!(f, "SecretRef::Env({n})"),
            SecretRef::Cmd(c) => write!(f, "SecretRef::Cmd({c})"),
            SecretRef::File(p) => write!(f, "SecretRef::File({})", p.display()),
        }
    }
}

/// Why a secret could not be resolved. Messages name the source, never the value (nor a
/// command's stdout, which is where the value would be).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is missing, empty or not UTF-8.
    #[error("environment variable {name} {problem}")]
    Env { name: String, problem: &'static str },
    /// The command could not be started.
    #[error("cannot run `{cmd}` with sh -c: {message}")]
    CmdSpawn { cmd: String, message: String },
    /// The command exited non-zero; `stderr` is its first line.
    #[error("`{cmd}` failed ({status}){}", stderr_suffix(.stderr))]
    CmdFailed {
        cmd: String,
        status: String,
        stderr: Option<String>,
    },
    /// The command ran longer than [`CMD_TIMEOUT`] and was killed.
    #[error(
        "`{cmd}` did not finish within {secs} s and was stopped (is it waiting for a passphrase?)"
    )]
    CmdTimeout { cmd: String, secs: u64 },
    /// The command succeeded but printed nothing (or nothing valid).
    #[error("`{cmd}` {problem}")]
    CmdOutput { cmd: String, problem: &'static str },
    /// The file is readable by group or others.
    #[error(
        "{} is readable by group/others (mode {mode:o}); run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    FileTooOpen { path: PathBuf, mode: u32 },
    /// The file could not be read, or is empty.
    #[error("cannot read secret file {}: {message}", path.display())]
    File { path: PathBuf, message: String },
}

fn stderr_suffix(stderr: &Option<String>) -> String {
    match stderr {
        Some(line) => format!(": {line}"),
        None => String::new(),
    }
}

impl SecretRef {
    /// Fetch the secret's value now (runs the command, reads the file or env var).
    pub fn resolve(&self) -> Result<SecretString, SecretError> {
        match self {
            SecretRef::Plain(s) => Ok(s.clone()),
            SecretRef::Env(name) => resolve_env(name),
            SecretRef::Cmd(cmd) => resolve_cmd(cmd),
            SecretRef::File(path) => resolve_file(&crate::paths::expand_tilde(path)),
        }
    }

    /// Where the secret comes from, for listings: `env:NAME`, `cmd:…`, `file:…` or `plain`.
    pub fn source(&self) -> String {
        match self {
            SecretRef::Plain(_) => "plain (in config)".to_owned(),
            SecretRef::Env(n) => format!("env:{n}"),
            SecretRef::Cmd(c) => format!("cmd:{c}"),
            SecretRef::File(p) => format!("file:{}", p.display()),
        }
    }
}

fn resolve_env(name: &str) -> Result<SecretString, SecretError> {
    let err = |problem| SecretError::Env {
        name: name.to_owned(),
        problem,
    };
    match std::env::var(name) {
        Ok(v) if v.is_empty() => Err(err("is empty")),
        Ok(v) => Ok(SecretString::from(v)),
        Err(std::env::VarError::NotPresent) => Err(err("is not set")),
        Err(std::env::VarError::NotUnicode(_)) => Err(err("is not valid UTF-8")),
    }
}

/// How long a secret command may run; `pass`/`gpg` waiting on a pinentry that can never show
/// (stdin is closed, the TUI owns the terminal) must not hang jiralink forever.
pub const CMD_TIMEOUT: Duration = Duration::from_secs(30);

fn resolve_cmd(cmd: &str) -> Result<SecretString, SecretError> {
    let out = run_with_timeout(cmd, CMD_TIMEOUT)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_owned);
        let mut stdout = out.stdout;
        stdout.zeroize();
        return Err(SecretError::CmdFailed {
            cmd: cmd.to_owned(),
            status: out.status.to_string(),
            stderr,
        });
    }
    let mut stdout = String::from_utf8(out.stdout).map_err(|e| {
        e.into_bytes().zeroize();
        SecretError::CmdOutput {
            cmd: cmd.to_owned(),
            problem: "printed something that is not UTF-8",
        }
    })?;
    let value = stdout.trim().to_owned();
    stdout.zeroize();
    if value.is_empty() {
        return Err(SecretError::CmdOutput {
            cmd: cmd.to_owned(),
            problem: "printed nothing on stdout",
        });
    }
    Ok(SecretString::from(value))
}

/// `sh -c cmd` with stdin closed, stdout/stderr captured, killed after `timeout`.
fn run_with_timeout(cmd: &str, timeout: Duration) -> Result<Output, SecretError> {
    let spawn_err = |e: std::io::Error| SecretError::CmdSpawn {
        cmd: cmd.to_owned(),
        message: e.to_string(),
    };
    // stdin is closed so a command that prompts fails instead of waiting for input.
    // Its own process group, so a timeout kills what `sh` started too (a `pass` that spawned
    // `gpg`, a pipeline), not only `sh`.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_err)?;
    // Drain both pipes on threads so a chatty command cannot fill a pipe and deadlock.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                // A secret is small; a command that prints without end is cut off here
                // (and then refused below or killed by the timeout).
                let _ = (&mut p).take(MAX_SECRET_FILE_BYTES).read_to_end(&mut buf);
                // Keep draining so the command never blocks on a full pipe.
                let _ = std::io::copy(&mut p, &mut std::io::sink());
            }
            buf
        })
    };
    let out_t = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err_t = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(spawn_err)? {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                // The group id is the child's pid (process_group(0) above).
                if let Some(pgid) = i32::try_from(child.id())
                    .ok()
                    .and_then(rustix::process::Pid::from_raw)
                {
                    let _ =
                        rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                // The reader threads finish when the pipes close; nobody waits for them.
                return Err(SecretError::CmdTimeout {
                    cmd: cmd.to_owned(),
                    secs: timeout.as_secs(),
                });
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    Ok(Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    })
}

/// Largest secret file read (a token or password is far smaller; this stops a 300 MB file from
/// being read whole).
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

fn resolve_file(path: &Path) -> Result<SecretString, SecretError> {
    use crate::private_file::{read_private_file, PrivateFileError};
    let file_err = |message: String| SecretError::File {
        path: path.to_owned(),
        message,
    };
    let bytes = match read_private_file(path, MAX_SECRET_FILE_BYTES, "a secret") {
        Ok(b) => b,
        Err(PrivateFileError::TooOpen {
            mode,
            link_target: None,
            ..
        }) => {
            return Err(SecretError::FileTooOpen {
                path: path.to_owned(),
                mode,
            })
        }
        Err(PrivateFileError::Io { source, .. }) => return Err(file_err(source.to_string())),
        Err(e) => return Err(file_err(e.to_string())),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(file_err("the file is not UTF-8 text".to_owned()));
    };
    let value = text.trim().to_owned();
    if value.is_empty() {
        return Err(file_err("the file is empty".to_owned()));
    }
    Ok(SecretString::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_source_never_show_plain_value() {
        let s = SecretRef::Plain(SecretString::from("hunter2".to_owned()));
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!s.source().contains("hunter2"));
    }

    #[test]
    fn cmd_failure_reports_stderr_not_stdout() {
        let s = SecretRef::Cmd("echo topsecret; echo 'no such entry' >&2; exit 3".to_owned());
        let e = s.resolve().unwrap_err().to_string();
        assert!(e.contains("no such entry"), "{e}");
        assert!(e.contains("exit status: 3"), "{e}");
        assert!(
            !e.replace("echo topsecret", "").contains("topsecret"),
            "{e}"
        );
    }

    #[test]
    fn cmd_output_is_trimmed() {
        let s = SecretRef::Cmd("printf '  abc \\n'".to_owned());
        assert_eq!(s.resolve().unwrap().expose_secret(), "abc");
    }

    #[test]
    fn cmd_with_empty_output_is_an_error() {
        let s = SecretRef::Cmd("true".to_owned());
        assert!(matches!(s.resolve(), Err(SecretError::CmdOutput { .. })));
    }

    #[test]
    fn hanging_cmd_is_stopped() {
        let start = Instant::now();
        let r = run_with_timeout("sleep 5", Duration::from_millis(200));
        assert!(matches!(r, Err(SecretError::CmdTimeout { .. })), "{r:?}");
        assert!(start.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn timeout_kills_the_whole_process_group() {
        let t = tempfile::tempdir().unwrap();
        let pidfile = t.path().join("pid");
        let cmd = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
        let r = run_with_timeout(&cmd, Duration::from_millis(300));
        assert!(matches!(r, Err(SecretError::CmdTimeout { .. })), "{r:?}");
        let pid: u32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild got SIGKILL with its group; give the kernel a moment to reap it
        // (it is re-parented to init, or to us as a zombie at worst).
        let deadline = Instant::now() + Duration::from_secs(2);
        while crate::paths::pid_alive(pid) && Instant::now() < deadline {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if stat.split_whitespace().nth(2) == Some("Z") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !crate::paths::pid_alive(pid),
            "sleep {pid} outlived the timeout"
        );
    }

    #[test]
    fn env_missing_is_named() {
        let s = SecretRef::Env("JIRALINK_TEST_SURELY_UNSET_VAR".to_owned());
        let e = s.resolve().unwrap_err().to_string();
        assert_eq!(
            e,
            "environment variable JIRALINK_TEST_SURELY_UNSET_VAR is not set"
        );
    }
}
