//! The real `sagediag demo` binary in a real terminal (tmux, 80×24): it plays the journey to
//! the permissions table, shows the seven permission sets and their results, quits on q, and
//! leaves the terminal restored; `--insecure-host` shows its banner. `sagediag` over a watch
//! store of three simulated orgs (one failing) opens on the Fleet screen. `.ci/run` installs tmux
//! where it is missing.

use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tmux server of its own, 80×24, running one command; killed when dropped (even when a test
/// fails). None when tmux is missing, which CI never allows (`.ci/run` installs it).
struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn start(name: &str, cmd: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "tmux is missing on CI: .ci/run must install it"
            );
            eprintln!("tmux is not installed: skipping (apt-get install tmux)");
            return None;
        }
        let session = format!("sagediag-{name}-{}", std::process::id());
        let t = Tmux {
            socket: session.clone(),
            session,
        };
        let session = t.session.clone();
        t.run(&[
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "80",
            "-y",
            "24",
            cmd,
        ]);
        Some(t)
    }

    /// A tmux command on this server.
    fn run(&self, args: &[&str]) -> String {
        let mut all = vec!["-L", self.socket.as_str()];
        all.extend_from_slice(args);
        tmux(&all)
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    /// The screen once `done` holds, polling every `every`; panics (with the screen) after `secs`.
    fn until(&self, what: &str, secs: u64, every: u64, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} never appeared; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(every));
        }
    }

    /// The screen once it shows `text`.
    fn capture(&self, text: &str, secs: u64) -> String {
        self.until(&format!("{text:?}"), secs, 150, |s| s.contains(text))
    }

    fn keys(&self, k: &[&str]) {
        let mut all = vec!["send-keys", "-t", self.session.as_str()];
        all.extend_from_slice(k);
        self.run(&all);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Whether the alternate screen and mouse reporting are on, as tmux sees the pane.
    fn modes(&self) -> String {
        self.run(&[
            "display-message",
            "-p",
            "-t",
            &self.session,
            "#{alternate_on} #{mouse_any_flag}",
        ])
        .trim()
        .to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn demo_in_tmux_shows_the_permissions_and_restores_the_terminal() {
    let bin = env!("CARGO_BIN_EXE_sagediag");
    let cmd = format!(
        "env -u NO_COLOR TERM=xterm-256color {bin} --insecure-host proxy.corp.example demo --scenario missing-permission-sets; echo SAGEDIAG-EXITED:$?; sleep 60"
    );
    let Some(t) = Tmux::start("demo", &cmd) else {
        return;
    };
    let capture = |text: &str, secs| t.capture(text, secs);
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
    t.keys(&["q"]);
    let after = capture("SAGEDIAG-EXITED:0", 10);
    // Restored: the alternate screen is gone, so the console's frame is no longer on screen.
    assert!(
        !after.contains("Permission set"),
        "the terminal was not restored:\n{after}"
    );
}

#[test]
fn a_signal_from_outside_restores_the_terminal_and_mouse_reporting() {
    let bin = env!("CARGO_BIN_EXE_sagediag");
    for sig in ["INT", "HUP", "QUIT", "TERM"] {
        let pidfile =
            std::env::temp_dir().join(format!("sagediag-sig-{}-{sig}.pid", std::process::id()));
        let cmd = format!(
            "env TERM=xterm-256color sh -c 'echo $$ > {}; exec {bin} --mouse demo --manual'; echo SAGEDIAG-EXITED; sleep 60",
            pidfile.display()
        );
        let Some(t) = Tmux::start(&format!("sig-{sig}"), &cmd) else {
            return;
        };
        t.until("the console", 20, 200, |s| {
            s.contains("sagediag") && s.contains("demo org")
        });
        let pid = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .to_string();
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &pid])
            .status();
        let screen = t.until(&format!("the end after SIG{sig}"), 10, 100, |s| {
            s.contains("SAGEDIAG-EXITED")
        });
        let modes = t.modes();
        let _ = std::fs::remove_file(&pidfile);
        assert_eq!(
            modes, "0 0",
            "SIG{sig}: alternate screen and mouse reporting must be off:\n{screen}"
        );
        assert!(!screen.contains("Permission set"), "SIG{sig}: {screen}");
    }
}

/// The journey of issue #12 on the real binary, at 80×24 with `--mouse`: a click on a tab; a
/// bracketed paste with a newline into the secret (typed as text, masked, Esc puts it back);
/// the callback port busy, so the paste field opens and a pasted redirect URL logs in; 80×23
/// still fits; `S` picks `pkce-required`, whose run lands on the failing login step with
/// PKCE_REQUIRED.
#[test]
fn busy_port_paste_login_mouse_and_scenario_picker_in_tmux() {
    use std::io::{Read, Write};
    // Hold the callback port (if another process holds it, it is just as busy).
    let _busy = std::net::TcpListener::bind("127.0.0.1:1717");
    let bin = env!("CARGO_BIN_EXE_sagediag");
    let cmd = format!(
        "env -u NO_COLOR TERM=xterm-256color {bin} --mouse demo --manual --scenario healthy; echo SAGEDIAG-EXITED:$?; sleep 60"
    );
    let Some(tm) = Tmux::start("paste", &cmd) else {
        return;
    };
    let session = tm.session.clone();
    let t = |args: &[&str]| tm.run(args);
    let capture = |text: &str, secs| tm.capture(text, secs);
    let keys = |k: &[&str]| tm.keys(k);
    let paste = |text: &str| {
        t(&["set-buffer", "-b", "sd", text]);
        t(&["paste-buffer", "-p", "-b", "sd", "-t", &session]);
        std::thread::sleep(Duration::from_millis(300));
    };
    let screen = capture("demo org", 20);
    // A left click on the "4 Permissions" tab (SGR mouse report, 1-based).
    let (row, col) = screen
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("4 Permissions").map(|b| (i, l[..b].chars().count())))
        .expect("the tabs");
    let click = |c: char| {
        let seq = format!("\x1b[<0;{};{}{c}", col + 3, row + 1);
        let hex: Vec<String> = seq.bytes().map(|b| format!("{b:02x}")).collect();
        let mut all = vec!["send-keys", "-t", session.as_str(), "-H"];
        all.extend(hex.iter().map(String::as_str));
        t(&all);
    };
    click('M');
    click('m');
    capture("┌ 4 Permissions", 10);
    // The secret: a paste with a newline and a `v` is text, masked; Esc puts the field back.
    keys(&["2", "Down", "Enter", "C-u"]);
    paste("typo\nv");
    let screen = capture("editing", 5);
    assert!(
        !screen.contains("typo"),
        "the secret was revealed:\n{screen}"
    );
    keys(&["Escape"]);
    let screen = capture("Consumer secret  ••••", 5);
    assert!(!screen.contains("(none)"), "{screen}");
    // No login hint, so the demo org asks for a login instead of approving at once.
    keys(&["Down", "Enter", "C-u", "Enter", "r"]);
    let screen = capture("Paste the URL the browser landed on", 20);
    assert!(
        screen.contains("callback port 1717 cannot be used"),
        "{screen}"
    );
    // Escape alone (followed at once by v it would read as Alt-v).
    keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(200));
    keys(&["v"]);
    let raw = capture("── authorize URL", 5);
    let url: String = raw
        .lines()
        .take_while(|l| !l.starts_with("── authorize URL"))
        .map(str::trim_end)
        .collect();
    assert!(url.contains("/services/oauth2/authorize?"), "{url}");
    keys(&["Escape"]);
    // Log in as a person would, in "a browser": the login form, posted to the demo org.
    let parsed = url::Url::parse(&url).unwrap();
    let password = sagediag::sim::Scenario::load("healthy").unwrap().users[0]
        .password
        .clone();
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in parsed.query_pairs() {
        body.append_pair(&k, &v);
    }
    body.append_pair("username", "integration@acme-hr.example");
    body.append_pair("pw", &password);
    let body = body.finish();
    let mut conn =
        std::net::TcpStream::connect((parsed.host_str().unwrap(), parsed.port().unwrap())).unwrap();
    write!(
        conn,
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        parsed.path(),
        parsed.host_str().unwrap(),
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let location = answer
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no redirect: {answer}"));
    // First something that is not a redirect: refused, the field stays open.
    keys(&["p"]);
    paste("hello\n");
    capture("Not taken", 10);
    capture("Paste the URL the browser landed on", 5);
    keys(&["C-u"]);
    paste(&format!("{location}\n"));
    let screen = capture("Done: PASS", 30);
    assert!(screen.contains("7 of 7 pass"), "{screen}");
    // 80×23 (80×24 under a tmux status line) fits.
    t(&["resize-window", "-t", &session, "-x", "80", "-y", "23"]);
    std::thread::sleep(Duration::from_millis(500));
    let screen = capture("Sage People Timesheets API", 5);
    assert!(!screen.contains("too small"), "{screen}");
    // S: the scenario picker; pkce-required is the third. Its run lands on the failing login.
    keys(&["S"]);
    capture("Demo scenarios", 5);
    keys(&["Down", "Down", "Enter"]);
    let screen = capture("PKCE_REQUIRED", 30);
    assert!(
        screen.contains("┌ 3 Login") && screen.contains("FAIL ✗ Login"),
        "{screen}"
    );
    keys(&["q"]);
    let after = capture("SAGEDIAG-EXITED:0", 10);
    assert_eq!(tm.modes(), "0 0", "{after}");
}

/// SIGTSTP from outside (`kill -TSTP`, not a typed Ctrl-Z) stops the console as Ctrl-Z does:
/// the alternate screen and mouse reporting off, the process stopped; SIGCONT brings it back
/// in raw mode on the alternate screen, redrawn, answering keys.
#[test]
fn sigtstp_from_outside_suspends_and_sigcont_redraws() {
    let bin = env!("CARGO_BIN_EXE_sagediag");
    let pidfile = std::env::temp_dir().join(format!("sagediag-tstp-{}.pid", std::process::id()));
    let cmd = format!(
        "env TERM=xterm-256color sh -c 'echo $$ > {}; exec {bin} --mouse demo --manual'; echo SAGEDIAG-EXITED; sleep 60",
        pidfile.display()
    );
    let Some(t) = Tmux::start("tstp", &cmd) else {
        return;
    };
    t.until("the console", 20, 200, |s| {
        s.contains("sagediag") && s.contains("demo org")
    });
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    let _ = std::fs::remove_file(&pidfile);
    let state = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(") ")
                    .and_then(|(_, rest)| rest.chars().next())
            })
    };
    let _ = Command::new("kill").args(["-TSTP", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while state() != Some('T') {
        assert!(Instant::now() < deadline, "not stopped: {:?}", state());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        t.modes(),
        "0 0",
        "stopped with the alternate screen or mouse reporting on:\n{}",
        t.screen()
    );
    let _ = Command::new("kill").args(["-CONT", &pid]).status();
    t.until("the console redrawn after SIGCONT", 10, 100, |s| {
        s.contains("sagediag") && s.contains("demo org")
    });
    assert_eq!(
        t.modes(),
        "1 1",
        "raw mode, alternate screen and mouse back"
    );
    t.keys(&["?"]);
    t.until("help after SIGCONT", 10, 100, |s| s.contains("suspend"));
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    t.until("the end", 10, 100, |s| s.contains("SAGEDIAG-EXITED"));
}

#[test]
fn the_header_says_when_the_bundled_roots_verify() {
    let bin = env!("CARGO_BIN_EXE_sagediag");
    let empty = std::env::temp_dir().join(format!("sagediag-tui-no-ca-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let dir = empty.display();
    let cmd = format!(
        "env -u NO_COLOR -u SAGEDIAG_WATCH_STORE TERM=xterm-256color XDG_STATE_HOME={dir} \
         SSL_CERT_DIR={dir} SSL_CERT_FILE={dir}/none.pem \
         DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sagediag-test-bus \
         SAGEDIAG_SECRETS=/nonexistent/sagediag/secrets.json {bin}; sleep 60"
    );
    let Some(t) = Tmux::start("roots", &cmd) else {
        return;
    };
    let screen = t.capture("bundled CA roots (no system store)", 20);
    let header = screen
        .lines()
        .find(|l| l.contains(" sagediag "))
        .unwrap_or_default();
    assert!(header.contains("bundled CA roots"), "{screen}");
    drop(t);
    let _ = std::fs::remove_dir_all(&empty);
}

/// `sagediag` with env `envs` (a test's own directories, no D-Bus), waiting for it to end.
fn sagediag(args: &[&str], envs: &[(&str, String)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
    cmd.args(args)
        .env_remove("SAGEDIAG_CLIENT_SECRET")
        .env_remove("SAGEDIAG_WATCH_STORE")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/sagediag-test-bus",
        );
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("sagediag runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {text}"
    );
    text
}

#[test]
fn the_console_opens_on_the_fleet_screen_over_a_watch_store() {
    use sagediag::sim::fleet::{FleetSpec, start_fleet};
    // Three simulated orgs, watched by `sagediag watch` into the default store (the state
    // directory); org-002's integration user frozen through the fleet's control API.
    let home = std::env::temp_dir().join(format!("sagediag-tmux-fleet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let config = home.join("config.toml");
    std::fs::write(&config, "").unwrap();
    let state = home.join("state");
    let envs = [
        ("XDG_STATE_HOME", state.display().to_string()),
        ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
        ("XDG_DATA_HOME", home.join("data").display().to_string()),
        ("SAGEDIAG_CONFIG", config.display().to_string()),
        (
            "SAGEDIAG_SECRETS",
            home.join("secrets.json").display().to_string(),
        ),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fleet = rt
        .block_on(start_fleet(
            FleetSpec::healthy(3).unwrap(),
            Default::default(),
        ))
        .unwrap();
    for o in &fleet.orgs {
        let mut e = envs.to_vec();
        e.push(("SAGEDIAG_CLIENT_SECRET", o.monitor_client_secret.clone()));
        let out = sagediag(
            &[
                "watch",
                "add",
                &o.name,
                "--env",
                &o.sim.instance_url,
                "--flow",
                "client-credentials",
                "--client-id",
                &o.monitor_client_id,
                "--integration-user",
                &o.integration_user,
                "--integration-app",
                &o.integration_app,
                "--keep-secrets",
                "file",
            ],
            &e,
        );
        assert!(out.contains("Watching"), "{out}");
    }
    let frozen = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/_sim/fleet/freeze", fleet.orgs[1].sim.login_url))
            .json(&serde_json::json!({"frozen": true}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(frozen.is_success());
    // Two cycles: the incident opens after two failing ones.
    sagediag(&["watch", "--once"], &envs);
    let out = sagediag(&["watch", "--once"], &envs);
    assert!(out.contains("incident opened"), "{out}");
    let bin = env!("CARGO_BIN_EXE_sagediag");
    let vars: Vec<String> = envs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let cmd = format!(
        "env -u NO_COLOR -u SAGEDIAG_WATCH_STORE TERM=xterm-256color {} \
         DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sagediag-test-bus \
         {bin}; echo SAGEDIAG-EXITED:$?; sleep 60",
        vars.join(" ")
    );
    let Some(t) = Tmux::start("fleet", &cmd) else {
        return;
    };
    let screen = t.capture("3 orgs · 1 failing", 20);
    let row = screen
        .lines()
        .find(|l| l.contains("org-002"))
        .unwrap_or_else(|| panic!("no row for org-002:\n{screen}"));
    assert!(row.contains("FAIL") && row.contains("USER_FROZEN"), "{row}");
    for org in ["org-001", "org-003"] {
        let row = screen.lines().find(|l| l.contains(org)).unwrap_or_default();
        assert!(row.contains("PASS"), "{org}: {screen}");
    }
    // The failing org is first (worst first): Enter shows its findings, read-only.
    t.keys(&["Enter"]);
    let findings = t.capture("Read-only; F: Fleet", 10);
    assert!(findings.contains("5 Findings"), "{findings}");
    assert!(findings.contains("USER_FROZEN"), "{findings}");
    assert!(findings.contains("Unfreeze"), "the fix: {findings}");
    // F: back to Fleet; q quits and the terminal is restored.
    t.keys(&["F"]);
    t.capture("Worst finding", 10);
    t.keys(&["q"]);
    let after = t.capture("SAGEDIAG-EXITED:0", 10);
    assert!(!after.contains("Worst finding"), "not restored:\n{after}");
    assert_eq!(t.modes(), "0 0");
    drop(t);
    drop(fleet);
    let _ = std::fs::remove_dir_all(&home);
}

/// The processes whose command line mentions `needle` (e.g. the demo's temporary directory).
fn processes_naming(needle: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let e = e.ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        cmd.contains(needle)
            .then(|| format!("{}: {cmd}", e.file_name().to_string_lossy()))
    })
    .collect()
}

#[test]
fn demo_watch_shows_the_fleet_changing_and_leaves_nothing_behind() {
    // The story's pace is the test knob's (a step every 4 s, a cycle every 2 s); its temporary
    // directory is under this test's own TMPDIR.
    let home =
        std::env::temp_dir().join(format!("sagediag-tmux-demo-watch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let tmp = home.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let bin = env!("CARGO_BIN_EXE_sagediag");
    let (h, d) = (home.display(), tmp.display());
    let cmd = format!(
        "env -u NO_COLOR TERM=xterm-256color TMPDIR={d} SAGEDIAG_DEMO_STEP_SECS=4 \
         XDG_STATE_HOME={h}/state XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data \
         DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sagediag-test-bus \
         {bin} demo --watch; echo SAGEDIAG-EXITED:$?; sleep 60"
    );
    let Some(t) = Tmux::start("demo-watch", &cmd) else {
        return;
    };
    // It opens on the Fleet screen, under the demo's banner, listing the five orgs.
    let screen = t.until("the five demo orgs", 40, 200, |s| {
        s.contains("5 orgs")
            && [
                "acme-hr",
                "globex-pay",
                "initech-uk",
                "umbrella-hr",
                "wayne-corp",
            ]
            .iter()
            .all(|o| s.contains(o))
    });
    assert!(screen.contains("DEMO"), "{screen}");
    assert!(screen.contains("Worst finding"), "{screen}");
    // The fleet runs in a child whose files are in the private temporary directory.
    let dirs: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert_eq!(dirs.len(), 1, "one temporary directory");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = dirs[0].metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "owner-only");
    }
    // The demo's own directory (the pane's shell names only TMPDIR).
    let tmp_name = format!("{}/sagediag-demo-", tmp.display());
    let children = processes_naming(&tmp_name);
    assert!(
        children
            .iter()
            .any(|c| c.contains(" sim ") && c.contains("--fleet")),
        "the fleet's child: {children:?}"
    );
    // The story removes a permission set from acme-hr: its row fails with the finding's code.
    let screen = t.until("acme-hr failing", 40, 300, |s| {
        s.lines()
            .any(|l| l.contains("acme-hr") && l.contains("PERMISSION_SET_MISSING"))
    });
    assert!(
        screen.contains("acme-hr: an admin removed"),
        "banner: {screen}"
    );
    // q: the console ends, the terminal is restored, no child is left, the directory is gone.
    t.keys(&["q"]);
    let after = t.capture("SAGEDIAG-EXITED:0", 15);
    assert!(!after.contains("Worst finding"), "not restored:\n{after}");
    assert_eq!(t.modes(), "0 0");
    let left = processes_naming(&tmp_name);
    assert!(left.is_empty(), "left running: {left:?}");
    let entries: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(entries.is_empty(), "left behind: {entries:?}");
    drop(t);
    let _ = std::fs::remove_dir_all(&home);
}
