//! The version line of `sagediag --version`: the package version, the commit it was built from
//! (`git rev-parse --short HEAD`, or "unknown" outside a git checkout, as from crates.io) and the
//! target triple cargo builds for.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=9", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".to_string());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rustc-env=SAGEDIAG_COMMIT={commit}");
    println!("cargo:rustc-env=SAGEDIAG_TARGET={target}");
    println!("cargo:rustc-env=SAGEDIAG_VERSION_LINE={version} (commit {commit}, {target})");
    // A new commit changes HEAD or the branch it points to; the git directory may be a
    // worktree's, so git says where they are. Only files that exist (a missing one would rerun
    // this script at every build).
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut watched = vec!["HEAD".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for what in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &what])
            && std::path::Path::new(&path).is_file()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
