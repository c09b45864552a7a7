//! The real `sagediag demo` binary in a real terminal (tmux, 80×24): it plays the journey to
//! the permissions table, shows the seven permission sets and their results, quits on q, and
//! leaves the terminal restored; `--insecure-host` shows its banner. `.ci/run` installs tmux
//! where it is missing.

use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn demo_in_tmux_shows_the_permissions_and_restores_the_terminal() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is missing on CI: .ci/run must install it"
        );
        eprintln!("tmux is not installed: skipping (apt-get install tmux)");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_sagediag");
    let session = format!("sagediag-test-{}", std::process::id());
    let socket = format!("sagediag-test-{}", std::process::id());
    let t = |args: &[&str]| {
        let mut all = vec!["-L", socket.as_str()];
        all.extend_from_slice(args);
        tmux(&all)
    };
    let cmd = format!(
        "env -u NO_COLOR TERM=xterm-256color {bin} --insecure-host proxy.corp.example demo --scenario missing-permission-sets; echo SAGEDIAG-EXITED:$?; sleep 60"
    );
    t(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "80",
        "-y",
        "24",
        &cmd,
    ]);
    let capture = |text: &str, secs| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = t(&["capture-pane", "-p", "-t", &session]);
            if screen.contains(text) {
                return screen;
            }
            if Instant::now() > deadline {
                t(&["kill-server"]);
                panic!("{text:?} never appeared; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let screen = capture("5 of 7 pass", 30);
    // `--insecure-host` reaches the console: its banner is the first line.
    assert!(
        screen
            .lines()
            .next()
            .is_some_and(|l| l.contains("TLS verification OFF for proxy.corp.example")),
        "{screen}"
    );
    for (set, result) in [
        ("Employees", "PASS ✓"),
        ("Pay Details", "PASS ✓"),
        ("Salaries", "FAIL ✗"),
        ("Bonuses", "FAIL ✗"),
        ("Absences", "PASS ✓"),
        ("Absence Balances", "PASS ✓"),
        ("Timesheets", "PASS ✓"),
    ] {
        let name = format!("Sage People {set} API");
        let row = screen
            .lines()
            .find(|l| l.contains(&name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{screen}"));
        assert!(row.contains(result), "{name} should be {result}: {row}");
    }
    t(&["send-keys", "-t", &session, "q"]);
    let after = capture("SAGEDIAG-EXITED:0", 10);
    // Restored: the alternate screen is gone, so the console's frame is no longer on screen.
    assert!(
        !after.contains("Permission set"),
        "the terminal was not restored:\n{after}"
    );
    t(&["kill-server"]);
}

#[test]
fn a_signal_from_outside_restores_the_terminal_and_mouse_reporting() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "tmux is missing on CI");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_sagediag");
    for sig in ["INT", "HUP", "QUIT", "TERM"] {
        let session = format!("sagediag-sig-{}-{sig}", std::process::id());
        let socket = session.clone();
        let t = |args: &[&str]| {
            let mut all = vec!["-L", socket.as_str()];
            all.extend_from_slice(args);
            tmux(&all)
        };
        let pidfile = std::env::temp_dir().join(format!("{session}.pid"));
        let cmd = format!(
            "env TERM=xterm-256color sh -c 'echo $$ > {}; exec {bin} --mouse demo --manual'; echo SAGEDIAG-EXITED; sleep 60",
            pidfile.display()
        );
        t(&[
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "80",
            "-y",
            "24",
            &cmd,
        ]);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = t(&["capture-pane", "-p", "-t", &session]);
            if screen.contains("sagediag") && screen.contains("demo org") {
                break;
            }
            if Instant::now() > deadline {
                t(&["kill-server"]);
                panic!("the console never drew:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let pid = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .to_string();
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &pid])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        let screen = loop {
            let screen = t(&["capture-pane", "-p", "-t", &session]);
            if screen.contains("SAGEDIAG-EXITED") {
                break screen;
            }
            if Instant::now() > deadline {
                t(&["kill-server"]);
                panic!("SIG{sig} did not end the console:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let flags = t(&[
            "display-message",
            "-p",
            "-t",
            &session,
            "#{alternate_on} #{mouse_any_flag}",
        ]);
        t(&["kill-server"]);
        let _ = std::fs::remove_file(&pidfile);
        assert_eq!(
            flags.trim(),
            "0 0",
            "SIG{sig}: alternate screen and mouse reporting must be off:\n{screen}"
        );
        assert!(!screen.contains("Permission set"), "SIG{sig}: {screen}");
    }
}
