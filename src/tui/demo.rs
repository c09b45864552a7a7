//! The demo org, as the console sees it: a small trait the binary implements over the
//! simulator (so nothing in `tui/` depends on `sim/`), and what each scenario presets.

use std::future::Future;
use std::pin::Pin;

use crate::engine::Flow;
use crate::engine::app::AppKind;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How to reproduce a scenario from the form: the flow, PKCE, the flow's credential, the host
/// and the kind of app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPreset {
    pub flow: Flow,
    pub pkce: bool,
    /// The password (password flow), when the flow needs one.
    pub credential: Option<String>,
    /// The login URL to use instead of the demo org's login host (client credentials must go
    /// to the My Domain host).
    pub host: Option<String>,
    /// The kind of app to declare on the form (an External Client App's findings are worded
    /// for it only when declared, while the org cannot be read).
    pub app_kind: Option<AppKind>,
}

impl Default for DemoPreset {
    fn default() -> Self {
        DemoPreset {
            flow: Flow::Web,
            pkce: true,
            credential: None,
            host: None,
            app_kind: None,
        }
    }
}

/// One shipped scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoScenario {
    pub name: String,
    pub description: String,
}

/// A running demo org.
#[derive(Debug, Clone)]
pub struct DemoInfo {
    pub scenario: String,
    pub description: String,
    pub login_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    /// The org's admin (who may assign permission sets): prefilled in the Fix overlay's login.
    pub admin_username: String,
    pub preset: DemoPreset,
}

/// The embedded simulated org. `start` stops any running one first.
pub trait DemoOrg: Send {
    fn scenarios(&self) -> Vec<DemoScenario>;
    fn start<'a>(
        &'a mut self,
        scenario: &'a str,
    ) -> BoxFuture<'a, Result<DemoInfo, super::error::DemoError>>;
    fn stop(&mut self) -> BoxFuture<'_, ()>;
}

impl DemoInfo {
    /// What the status line says when the demo org (re)started.
    pub fn started_line(&self) -> String {
        format!(
            "Demo org: scenario {} — {} ({} flow, PKCE {}{})",
            self.scenario,
            self.description,
            self.preset.flow.name(),
            if self.preset.pkce { "on" } else { "off" },
            self.preset
                .app_kind
                .map(|k| format!(", app kind {}", k.label()))
                .unwrap_or_default()
        )
    }
}
