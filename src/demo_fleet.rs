//! `sagediag demo --watch`: a small simulated fleet under watch, changing over time.
//!
//! - The fleet (assets/fleet/demo.toml, five orgs, two unwell from the start) runs in a child
//!   process, `sagediag sim --fleet FILE --until-stdin-closes`, as the single demo org does: no
//!   fault of the simulator reaches the console, and the child ends when the console does.
//! - A watch store (SQLite) lives in a private temporary directory (owner-only, removed on
//!   quit). The orgs are registered in it with the fleet's monitoring credentials: JWT bearer
//!   for the monitoring user, whose key file the fleet writes into that same directory (its
//!   TMPDIR). Nothing is read from or written to the user's vault, state directory or store.
//! - Watch cycles run in this process, on a task, every [`Pace::cycle`]: the watch engine is the
//!   console's own code (never panics; an unreachable org is a cycle in error), and running it
//!   here needs no second process to find, stop and clean up.
//! - A scripted story changes the orgs through their control API (`/_sim/fleet/…`), and each
//!   step becomes the one-line banner above the Fleet table.
//!
//! `SAGEDIAG_DEMO_STEP_SECS` (a test knob) sets the seconds between the story's steps
//! (default 20; cycles run every half of it).

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::watch::store::{Store, StoreUrl};
use crate::engine::watch::{MonitorFlow, Schedule, WatchOrg};
use crate::watch::cli::{Listed, Source};
use crate::watch::run::{RunOptions, Runner};
use tokio::sync::mpsc::UnboundedSender;

/// The demo fleet's file.
const FLEET: &str = include_str!("../assets/fleet/demo.toml");

/// The story's pace.
#[derive(Debug, Clone, Copy)]
struct Pace {
    step: Duration,
    cycle: Duration,
}

impl Pace {
    fn from_env() -> Pace {
        let secs = std::env::var("SAGEDIAG_DEMO_STEP_SECS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| (2..=600).contains(s))
            .unwrap_or(20);
        Pace {
            step: Duration::from_secs(secs),
            cycle: Duration::from_secs((secs / 2).max(1)),
        }
    }
}

/// What the fleet's JSON line says of each org (the rest, the client secrets among it, is
/// ignored).
#[derive(serde::Deserialize)]
struct LineOrg {
    name: String,
    login_url: String,
    monitor_client_id: String,
    monitor_username: String,
    monitor_key_file: PathBuf,
    integration_user: String,
    #[serde(default)]
    integration_app: Option<String>,
}

#[derive(serde::Deserialize)]
struct FleetLine {
    orgs: Vec<LineOrg>,
}

/// A private temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn create() -> io::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("sagediag-demo-{}-{nanos:08x}", std::process::id()));
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        // Not recursive: an existing path (someone else's) is an error, never reused.
        b.create(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the fleet demo until the console quits; everything it started is stopped and its
/// temporary directory removed however the console ends.
pub async fn run(exe: &Path, mouse: bool, settings: crate::settings::Settings) -> io::Result<()> {
    let pace = Pace::from_env();
    let tmp = TempDir::create().map_err(|e| {
        io::Error::other(format!("cannot create the demo's temporary directory: {e}"))
    })?;
    let fleet_file = tmp.0.join("fleet.toml");
    crate::engine::files::write_private(&fleet_file, FLEET.as_bytes())?;
    let (mut child, orgs) = start_fleet(exe, &tmp.0, &fleet_file).await?;
    let result = async {
        let url = format!("sqlite:{}", tmp.0.join("watch.sqlite3").display());
        let store = Store::open(&StoreUrl::parse(&url).map_err(io::Error::other)?)
            .await
            .map_err(|e| io::Error::other(format!("cannot open the demo's watch store: {e}")))?;
        let mut listed = Vec::new();
        for o in &orgs {
            let org = watch_org(o);
            store
                .upsert_org(&org)
                .await
                .map_err(|e| io::Error::other(format!("cannot register {}: {e}", o.name)))?;
            listed.push(Listed {
                org,
                source: Source::Store,
                secret_env: None,
            });
        }
        let opts = RunOptions {
            http_timeout: Duration::from_secs(5),
            org_timeout: Duration::from_secs(10),
            watcher: "sagediag-demo".into(),
            ..RunOptions::default()
        };
        let runner = Runner::new(store, None, opts);
        let cycles = tokio::spawn(async move {
            loop {
                // Every org at once (five), each on a task of its own.
                let each: Vec<_> = listed
                    .iter()
                    .map(|l| {
                        let (runner, l) = (runner.clone(), l.clone());
                        tokio::spawn(async move {
                            runner.cycle(&l, None).await;
                        })
                    })
                    .collect();
                for h in each {
                    let _ = h.await;
                }
                tokio::time::sleep(pace.cycle).await;
            }
        });
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let _ = tx.send(format!(
            "DEMO · {} simulated orgs, a cycle every {} s; at {} an admin breaks one",
            orgs.len(),
            pace.cycle.as_secs(),
            clock(pace.step)
        ));
        let controls: Vec<(String, String)> = orgs
            .iter()
            .map(|o| (o.name.clone(), o.login_url.clone()))
            .collect();
        let story = tokio::spawn(story(controls, pace, tx));
        let r = crate::tui::run_fleet_demo(url, rx, mouse, settings).await;
        story.abort();
        cycles.abort();
        let _ = story.await;
        let _ = cycles.await;
        r
    }
    .await;
    stop(&mut child).await;
    drop(tmp);
    result
}

/// The org as the watch list holds it: JWT bearer for the monitoring user, with the key file
/// the fleet wrote (owner-only, in the demo's private directory). No secret is needed, so a
/// fresh check (`r`) works as the cycles do, and nothing is looked up in the user's vault.
fn watch_org(o: &LineOrg) -> WatchOrg {
    WatchOrg {
        name: o.name.clone(),
        environment: o.login_url.clone(),
        flow: MonitorFlow::Jwt,
        client_id: o.monitor_client_id.clone(),
        username: Some(o.monitor_username.clone()),
        private_key: Some(o.monitor_key_file.clone()),
        integration_user: o.integration_user.clone(),
        integration_app: o.integration_app.clone(),
        probe_as_integration: false,
        schedule: Schedule::default(),
        ca_certs: Vec::new(),
    }
}

/// Starts `exe sim --fleet FILE` and reads the fleet's JSON line.
async fn start_fleet(
    exe: &Path,
    dir: &Path,
    fleet: &Path,
) -> io::Result<(tokio::process::Child, Vec<LineOrg>)> {
    use tokio::io::AsyncBufReadExt;
    let cannot = |why: String| io::Error::other(format!("cannot start the demo fleet: {why}"));
    let mut child = tokio::process::Command::new(exe)
        .arg("sim")
        .arg("--fleet")
        .arg(fleet)
        .args(["--port", "0", "--until-stdin-closes"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        // The fleet's own files (the monitoring key) go in the demo's private directory too.
        .env("TMPDIR", dir)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| cannot(e.to_string()))?;
    let Some(out) = child.stdout.take() else {
        stop(&mut child).await;
        return Err(cannot("no output".into()));
    };
    let mut line = String::new();
    let read = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::io::BufReader::new(out).read_line(&mut line),
    )
    .await;
    let parsed = match read {
        Ok(Ok(n)) if n > 0 => serde_json::from_str::<FleetLine>(line.trim())
            .map_err(|e| cannot(format!("unreadable answer ({e})"))),
        _ => Err(cannot("the fleet did not say where it listens".into())),
    };
    match parsed {
        Ok(f) => Ok((child, f.orgs)),
        Err(e) => {
            stop(&mut child).await;
            Err(e)
        }
    }
}

/// Stops the fleet's child: its stdin closes (it ends by itself), then it is killed and reaped.
async fn stop(child: &mut tokio::process::Child) {
    drop(child.stdin.take());
    if tokio::time::timeout(Duration::from_secs(2), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

/// `m:ss` of a duration.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

/// One step of the story: which org, which control, its body, and what the banner says.
struct Step {
    org: &'static str,
    action: &'static str,
    body: serde_json::Value,
    says: &'static str,
}

fn steps() -> Vec<Step> {
    use serde_json::json;
    vec![
        Step {
            org: "acme-hr",
            action: "permission-set",
            body: json!({"name": "Sage_People_Pay_Details_API", "assigned": false}),
            says: "an admin removed the Pay Details API permission set",
        },
        Step {
            org: "initech-uk",
            action: "freeze",
            body: json!({"frozen": true}),
            says: "an admin froze the integration user",
        },
        Step {
            org: "acme-hr",
            action: "permission-set",
            body: json!({"name": "Sage_People_Pay_Details_API", "assigned": true}),
            says: "the set is restored: the incident resolves in 2 cycles",
        },
        Step {
            org: "initech-uk",
            action: "freeze",
            body: json!({"frozen": false}),
            says: "the integration user is unfrozen",
        },
        Step {
            org: "globex-pay",
            action: "login-failure",
            body: json!({"status": "Failed: Invalid Password", "count": 12}),
            says: "12 failed logins of the integration user",
        },
        Step {
            org: "wayne-corp",
            action: "age-grants",
            body: json!({"days": 28}),
            says: "the integration's grant sat unused 28 more days",
        },
    ]
}

/// Plays the story: one step every `pace.step`, each said on the banner.
async fn story(orgs: Vec<(String, String)>, pace: Pace, banner: UnboundedSender<String>) {
    // Loopback only, never through a proxy.
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            let _ = banner.send(format!("DEMO · the story cannot run: {e}"));
            return;
        }
    };
    let mut at = Duration::ZERO;
    for step in steps() {
        tokio::time::sleep(pace.step).await;
        at += pace.step;
        let Some((_, base)) = orgs.iter().find(|(n, _)| n == step.org) else {
            continue;
        };
        let url = format!("{}/_sim/fleet/{}", base.trim_end_matches('/'), step.action);
        let sent = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(step.body.to_string())
            .send()
            .await;
        let line = match sent {
            Ok(r) if r.status().is_success() => {
                format!("DEMO · {} {}: {}", clock(at), step.org, step.says)
            }
            Ok(r) => format!(
                "DEMO · {} {}: the simulator refused the change ({})",
                clock(at),
                step.org,
                r.status()
            ),
            Err(_) => format!(
                "DEMO · {} {}: the simulated org did not answer",
                clock(at),
                step.org
            ),
        };
        if banner.send(line).is_err() {
            return;
        }
    }
    tokio::time::sleep(pace.step).await;
    let _ = banner.send(format!(
        "DEMO · {} the story is over; the watch goes on · q quits",
        clock(at + pace.step)
    ));
}
