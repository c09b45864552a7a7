//! The console's demo org: [`sagediag::tui::DemoOrg`] over the embedded simulator, with each
//! scenario's preset (the flow and PKCE setting that reproduce it). The console itself knows
//! nothing of the simulator. Tests include this file too (`#[path]`).

use sagediag::engine::Flow;
use sagediag::engine::app::AppKind;
use sagediag::sim::{self, RunningSim, Scenario};
use sagediag::tui::demo::{BoxFuture, DemoInfo, DemoOrg, DemoPreset, DemoScenario};
use sagediag::tui::error::DemoError;

#[derive(Default)]
pub struct SimDemo {
    running: Option<RunningSim>,
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
            let running = sim::start(sc, std::net::SocketAddr::from(([127, 0, 0, 1], 0)), false)
                .await
                .map_err(|e| DemoError(format!("cannot start the demo org: {e}")))?;
            let i = &running.info;
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
