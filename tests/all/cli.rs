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

#[test]
fn invalid_config_files_fail_cleanly_with_file_line_and_field() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_configs");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let src = std::fs::read_to_string(&path).unwrap();
        let expect = src
            .lines()
            .next()
            .unwrap()
            .strip_prefix("# expect: ")
            .expect("first line: # expect: …")
            .trim_end();
        let out = Command::new(env!("CARGO_BIN_EXE_sagediag"))
            .args(["check", "--client-id", "3MVG9x"])
            .env("SAGEDIAG_CONFIG", &path)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", path.display());
        assert!(
            err.contains(&format!("{}{expect}", path.display())),
            "{}: expected `{expect}` in: {err}",
            path.display()
        );
        assert!(!err.contains("panicked"));
        n += 1;
    }
    assert!(n >= 15);
    // SAGEDIAG_CONFIG naming a missing file is an error too, not silently ignored.
    let out = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args(["check", "--client-id", "x"])
        .env("SAGEDIAG_CONFIG", "/nonexistent/sagediag.toml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("/nonexistent/sagediag.toml: cannot read the config file")
    );
}

#[test]
fn a_config_file_sets_the_defaults_and_flags_override_it() {
    use sagediag::settings::{Theme, load_from};
    let dir = std::env::temp_dir().join(format!("sagediag-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(&path, "environment = \"sandbox\"\nflow = \"device\"\ncallback_port = 8787\ntimeout_secs = 12\ntheme = \"light\"\n").unwrap();
    let s = load_from(&path).unwrap();
    assert_eq!(
        (
            s.environment.clone(),
            s.flow,
            s.callback_port,
            s.timeout_secs,
            s.theme
        ),
        (
            Some(sagediag::engine::Environment::Sandbox),
            Some(sagediag::engine::Flow::Device),
            Some(8787),
            Some(12),
            Theme::Light
        )
    );
    let args = |extra: &[&str]| {
        let mut v = vec!["sagediag", "check", "--client-id", "3MVG9x"];
        v.extend_from_slice(extra);
        let cli = <sagediag::cli::Cli as clap::Parser>::parse_from(v);
        match cli.command {
            Some(sagediag::cli::Command::Check(a)) => a.layer(),
            _ => unreachable!(),
        }
    };
    let file = || sagediag::config::Layer::from_settings(&s);
    let cfg = args(&[]).over(file()).build().map_err(|e| e.0).unwrap();
    assert_eq!(cfg.environment, sagediag::engine::Environment::Sandbox);
    assert_eq!(cfg.flow, sagediag::engine::Flow::Device);
    assert_eq!(cfg.callback_port, 8787);
    assert_eq!(cfg.timeout, std::time::Duration::from_secs(12));
    let cfg = args(&["--env", "production", "--flow", "web", "--timeout", "5"])
        .over(file())
        .build()
        .map_err(|e| e.0)
        .unwrap();
    assert_eq!(
        (cfg.environment, cfg.flow, cfg.timeout.as_secs()),
        (
            sagediag::engine::Environment::Production,
            sagediag::engine::Flow::Web,
            5
        )
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Bad values are refused when the command line is read (exit 2, before any request), and the
/// value echoed in the message has passed the sanitiser: no terminal escape reaches stderr.
#[test]
fn bad_values_are_refused_at_parse_time_and_echoed_sanitised() {
    let base = ["check", "--client-id", "x", "--env", "http://127.0.0.1:9"];
    let dir = std::env::temp_dir().join(format!("sagediag-parse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("server.crt");
    std::fs::write(
        &cert,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let cert = cert.to_str().unwrap();
    let cases: [(&[&str], &str); 9] = [
        (&["--timeout", "0"], "--timeout"),
        (&["--timeout", "601"], "--timeout"),
        (&["--redirect-uri", "javascript:alert(1)"], "http(s)"),
        (&["--jwt-audience", ""], "empty"),
        (&["--report", "/nonexistent-dir/r.md"], "does not exist"),
        (&["--har", "/"], "is a directory"),
        (&["--private-key", cert], "is a certificate"),
        (
            &["--insecure-host", "https://proxy.example:8443"],
            "not a host name",
        ),
        (
            &["--trust-host", "gw\u{1b}]0;pwned\u{7}.example"],
            "not a host name",
        ),
    ];
    for (extra, says) in cases {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(says), "{extra:?}: {err}");
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{7}'),
            "{extra:?}: an escape reached stderr: {err:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// clap's own consistency checks over the whole command tree, and every subcommand's help
/// renders (a conflict or a bad default would panic here, not in a user's hands).
#[test]
fn the_command_tree_passes_clap_debug_asserts_and_every_help_renders() {
    use clap::CommandFactory;
    let cmd = sagediag::cli::Cli::command();
    cmd.clone().debug_assert();
    fn walk(c: &clap::Command, path: &mut Vec<String>) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
        for sub in c.get_subcommands().filter(|s| s.get_name() != "help") {
            path.push(sub.get_name().to_string());
            walk(sub, path);
            path.pop();
        }
    }
    walk(&cmd, &mut Vec::new());
}

#[test]
fn version_names_the_version_the_commit_and_the_target() {
    for flag in ["--version", "-V"] {
        let (code, out, _) = run(&[flag]);
        assert_eq!(code, 0);
        let line = out.trim();
        let rest = line
            .strip_prefix(&format!("sagediag {} (commit ", env!("CARGO_PKG_VERSION")))
            .unwrap_or_else(|| panic!("{line}"));
        let (commit, target) = rest
            .strip_suffix(')')
            .and_then(|r| r.split_once(", "))
            .unwrap_or_else(|| panic!("{line}"));
        // A short hash in a git checkout, "unknown" outside one (a crates.io source).
        assert!(
            commit == "unknown"
                || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
            "{line}"
        );
        // The target triple cargo built for: this test binary's own architecture and OS.
        assert!(
            target.starts_with(std::env::consts::ARCH) && target.contains(std::env::consts::OS),
            "{line}"
        );
    }
}

/// The man page and completions shipped in release archives (assets/release/, listed in
/// dist-workspace.toml) are what the binary generates; `scripts/release-assets` rewrites them.
#[test]
fn release_assets_are_current() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/release");
    let mut stale = Vec::new();
    for (args, file) in [
        (&["man"][..], "sagediag.1"),
        (&["completions", "bash"][..], "completions/sagediag.bash"),
        (&["completions", "zsh"][..], "completions/_sagediag"),
        (&["completions", "fish"][..], "completions/sagediag.fish"),
        (
            &["completions", "powershell"][..],
            "completions/_sagediag.ps1",
        ),
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        let shipped = std::fs::read_to_string(format!("{dir}/{file}")).unwrap_or_default();
        if shipped != out {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "assets/release/ is stale ({stale:?}): run scripts/release-assets and commit the result"
    );
}

/// `sagediag ARGS` with these variables set (and no user config file).
fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The environment is a layer between the config file and the flags: a `SAGEDIAG_*` variable
/// wins over the file's key and loses to the flag; a bad value names the variable (exit 2,
/// before any request, the value echoed sanitised).
#[test]
fn the_environment_sits_between_the_config_file_and_the_flags() {
    let dir = std::env::temp_dir().join(format!("sagediag-envlayer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, "flow = \"device\"\n").unwrap();
    let config = config.to_str().unwrap();
    // The flow each layer sets shows in the per-flow requirement the build refuses with.
    let check = [
        "check",
        "--client-id",
        "3MVG9x",
        "--env",
        "http://127.0.0.1:9",
    ];
    let (code, err) = run_env(
        &check,
        &[("SAGEDIAG_CONFIG", config), ("SAGEDIAG_FLOW", "jwt")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--flow jwt needs"),
        "the environment wins over the file: {err}"
    );
    let (code, err) = run_env(
        &[&check[..], &["--flow", "password"]].concat(),
        &[("SAGEDIAG_CONFIG", config), ("SAGEDIAG_FLOW", "jwt")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--flow password needs"),
        "the flag wins: {err}"
    );
    for (var, value, says) in [
        (
            "SAGEDIAG_TIMEOUT_SECS",
            "abc",
            "not a whole number of seconds between 1 and 600",
        ),
        ("SAGEDIAG_TIMEOUT_SECS", "0", "between 1 and 600"),
        ("SAGEDIAG_FLOW", "webb", "unknown variant `webb`"),
        (
            "SAGEDIAG_ENVIRONMENT",
            "ftp://x\u{1b}[31m",
            "SAGEDIAG_ENVIRONMENT=",
        ),
        (
            "SAGEDIAG_TRUST_HOSTS",
            "ok.example,https://x",
            "`https://x`: not a host name",
        ),
        (
            "SAGEDIAG_CA_CERTS",
            "/nonexistent/ca.pem",
            "SAGEDIAG_CA_CERTS:",
        ),
    ] {
        let (code, err) = run_env(&check, &[("SAGEDIAG_CONFIG", config), (var, value)]);
        assert_eq!(code, 2, "{var}={value}: {err}");
        assert!(
            err.contains(var) && err.contains(says),
            "{var}={value}: {err}"
        );
        assert!(!err.contains('\u{1b}'), "{err}");
    }
    // The console and watch read the same variables.
    let (code, err) = run_env(
        &["watch", "list"],
        &[("SAGEDIAG_CONFIG", config), ("SAGEDIAG_THEME", "pink")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("SAGEDIAG_THEME=pink"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
