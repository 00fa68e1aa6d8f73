//! Build script: record the git commit for `jiralink --version` as `JIRALINK_GIT_COMMIT`.
//! It never fails: outside a checkout, without git, or from a source tarball the commit is "unknown"
//! (packagers can set `JIRALINK_GIT_COMMIT` themselves when building from a tarball).

use std::path::PathBuf;
use std::process::Command;

const ENV: &str = "JIRALINK_GIT_COMMIT";

fn main() {
    println!("cargo:rerun-if-env-changed={ENV}");
    // Without any rerun-if-changed line cargo re-runs the script after every source change;
    // naming this file keeps it to "when the script itself or git's HEAD changes".
    println!("cargo:rerun-if-changed=build.rs");

    let commit = std::env::var(ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            watch_git_head();
            git(&["rev-parse", "--short=12", "HEAD"])
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env={ENV}={commit}");
}

/// Run git in the crate's directory; `None` when git is missing, fails, or prints nothing.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// Ask cargo to re-run when HEAD moves: the HEAD file (branch switch, detached checkout), the
/// branch's ref file (a new commit) and packed-refs (after `git gc`). `--git-path` finds the
/// right files in a linked worktree too, where `.git` is a file and refs live in the common dir.
fn watch_git_head() {
    let mut files = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
        files.push(branch_ref);
    }
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from) else {
        return;
    };
    for f in files {
        if let Some(p) = git(&["rev-parse", "--git-path", &f]) {
            let p = dir.join(p); // relative answers are relative to the working directory
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
}
