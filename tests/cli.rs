//! The command line's manners: complete help with examples, shell completions, a man page.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_has_help_with_examples() {
    let (code, top, _) = run(&["--help"]);
    assert_eq!(code, 0);
    for sub in ["check", "sim", "demo", "completions", "man"] {
        assert!(top.contains(sub), "--help lists {sub}");
    }
    assert!(top.contains("Examples:"));
    for sub in ["check", "sim", "demo"] {
        let (code, help, _) = run(&[sub, "--help"]);
        assert_eq!(code, 0, "{sub} --help");
        assert!(help.contains("Examples:"), "{sub} --help has examples");
    }
    let (_, check, _) = run(&["check", "--help"]);
    for flag in [
        "--env",
        "--flow",
        "--client-id",
        "--pkce",
        "--redirect-uri",
        "--json",
        "--timeout",
        "--report",
        "--har",
        "--coverage",
        "SAGEDIAG_CLIENT_SECRET",
    ] {
        assert!(check.contains(flag), "check --help documents {flag}");
    }
}

#[test]
fn completions_and_man_page() {
    for (shell, marker) in [
        ("bash", "_sagediag()"),
        ("zsh", "#compdef sagediag"),
        ("fish", "complete -c sagediag"),
    ] {
        let (code, out, _) = run(&["completions", shell]);
        assert_eq!(code, 0);
        assert!(
            out.contains(marker),
            "{shell}: {}",
            &out[..out.len().min(200)]
        );
        assert!(
            out.contains("check") && out.contains("client-id"),
            "{shell} completes subcommands and flags"
        );
    }
    let (code, man, _) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(man.contains(".TH sagediag 1") && man.contains("check"));
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2, "unknown shell is a usage error: {err}");
}

#[test]
fn the_console_refuses_without_a_terminal() {
    let (code, _, err) = run(&["demo"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("needs a terminal") && err.contains("sagediag check"),
        "{err}"
    );
}
