//! The console's demo org: [`sagediag::tui::DemoOrg`] over the embedded simulator, with each
//! scenario's preset (the flow and PKCE setting that reproduce it). The console itself knows
//! nothing of the simulator. Tests include this file too (`#[path]`).
//!
//! `sagediag demo` runs the org in a child process (`sagediag sim`, [`SimDemo::apart`]): no fault
//! of the simulator — a panic (whose hook would restore the console's terminal under it), a
//! stack overflow, running out of memory — can take the console or the terminal down with it.
//! The child's stderr goes nowhere, and it ends when the console does (its stdin closes).

use sagediag::engine::Flow;
use sagediag::engine::app::AppKind;
use sagediag::sim::{self, RunningSim, Scenario};
use sagediag::tui::demo::{BoxFuture, DemoInfo, DemoOrg, DemoPreset, DemoScenario};
use sagediag::tui::error::DemoError;

#[derive(Default)]
pub struct SimDemo {
    running: Option<Running>,
    /// Run each org as `EXE sim` in a child process instead of in this one.
    apart: Option<std::path::PathBuf>,
}

enum Running {
    Here(RunningSim),
    Child(tokio::process::Child),
}

impl Running {
    async fn stop(self) {
        match self {
            Running::Here(s) => s.stop().await,
            Running::Child(mut c) => {
                let _ = c.kill().await;
            }
        }
    }
}

impl SimDemo {
    /// Each org in a child process running `exe sim` (the sagediag binary).
    pub fn apart(exe: std::path::PathBuf) -> SimDemo {
        SimDemo {
            running: None,
            apart: Some(exe),
        }
    }

    /// The process id of the org's child process, when it runs apart.
    #[allow(dead_code)] // Tests only.
    pub fn child_id(&self) -> Option<u32> {
        match &self.running {
            Some(Running::Child(c)) => c.id(),
            _ => None,
        }
    }
}

/// Starts `exe sim --scenario NAME` and reads the org's JSON line.
async fn start_child(
    exe: &std::path::Path,
    scenario: &str,
) -> Result<(tokio::process::Child, sim::SimInfo), DemoError> {
    use tokio::io::AsyncBufReadExt;
    let cannot = |why: String| DemoError(format!("cannot start the demo org: {why}"));
    let mut child = tokio::process::Command::new(exe)
        .args([
            "sim",
            "--port",
            "0",
            "--until-stdin-closes",
            "--scenario",
            scenario,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| cannot(e.to_string()))?;
    let Some(out) = child.stdout.take() else {
        return Err(cannot("no output".into()));
    };
    let mut line = String::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        tokio::io::BufReader::new(out).read_line(&mut line),
    )
    .await;
    match read {
        Ok(Ok(n)) if n > 0 => {}
        _ => return Err(cannot("the org did not say where it listens".into())),
    }
    let info: sim::SimInfo =
        serde_json::from_str(line.trim()).map_err(|e| cannot(e.to_string()))?;
    Ok((child, info))
}

/// How the form must be set for `sc` to show its pitfall. An External Client App is declared
/// as one (its findings before login are worded for its kind only then).
pub fn preset(sc: &Scenario, password: &str, my_domain: &str) -> DemoPreset {
    let eca = sc.app.kind == sim::scenario::AppKind::ExternalClientApp;
    DemoPreset {
        app_kind: eca.then_some(AppKind::ExternalClientApp),
        ..form_preset(sc, password, my_domain, eca)
    }
}

fn form_preset(sc: &Scenario, password: &str, my_domain: &str, eca: bool) -> DemoPreset {
    // A server-to-server integration on an ECA whose client credentials flow is off (its
    // default): the scenario is about that flow.
    let cc_off = eca && !sc.app.client_credentials_flow && sc.name.contains("client-credentials");
    if (sc.app.client_credentials_flow && sc.app.client_credentials_run_as.is_empty()) || cc_off {
        DemoPreset {
            flow: Flow::ClientCredentials,
            pkce: true,
            credential: None,
            // Client credentials are answered on the My Domain host only.
            host: Some(my_domain.to_string()),
            app_kind: None,
        }
    } else if !sc.org.username_password_flow {
        DemoPreset {
            flow: Flow::Password,
            pkce: true,
            credential: Some(password.to_string()),
            host: None,
            app_kind: None,
        }
    } else if sc.app.require_pkce {
        // The integrations that trip over it send no code challenge.
        DemoPreset {
            flow: Flow::Web,
            pkce: false,
            credential: None,
            host: None,
            app_kind: None,
        }
    } else {
        DemoPreset::default()
    }
}

impl DemoOrg for SimDemo {
    fn scenarios(&self) -> Vec<DemoScenario> {
        Scenario::shipped()
            .into_iter()
            .map(|(name, description)| DemoScenario { name, description })
            .collect()
    }

    fn start<'a>(&'a mut self, scenario: &'a str) -> BoxFuture<'a, Result<DemoInfo, DemoError>> {
        Box::pin(async move {
            if let Some(old) = self.running.take() {
                old.stop().await;
            }
            let sc = Scenario::load(scenario).map_err(|e| DemoError(e.to_string()))?;
            let description = sc.description.clone();
            let preset_sc = sc.clone();
            let (running, i) = match &self.apart {
                Some(exe) => {
                    let (child, info) = start_child(exe, scenario).await?;
                    (Running::Child(child), info)
                }
                None => {
                    let here =
                        sim::start(sc, std::net::SocketAddr::from(([127, 0, 0, 1], 0)), false)
                            .await
                            .map_err(|e| DemoError(format!("cannot start the demo org: {e}")))?;
                    let info = here.info.clone();
                    (Running::Here(here), info)
                }
            };
            let i = &i;
            let info = DemoInfo {
                scenario: i.scenario.clone(),
                description,
                login_url: i.login_url.clone(),
                client_id: i.client_id.clone(),
                client_secret: i.client_secret.clone(),
                username: i.username.clone(),
                admin_username: i.admin_username.clone(),
                preset: preset(&preset_sc, &i.password, &i.instance_url),
            };
            self.running = Some(running);
            Ok(info)
        })
    }

    fn stop(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(s) = self.running.take() {
                s.stop().await;
            }
        })
    }
}
