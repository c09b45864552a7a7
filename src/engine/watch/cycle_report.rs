//! A cycle's report: the document `check --json` prints, as far as a watch cycle fills it
//! (docs/watch.md, "Cycle: what is read", says what differs): the same top-level keys, the
//! findings, the endpoints when probed, the org checks, the app, the integration's record and
//! the request log's summaries (the evidence ids), plus a `watch` object naming the org and the
//! checks. Every value passes through the client's scrubber and the one sanitiser.

use serde_json::{Value, json};

use super::cycle::Acc;
use super::model::{CheckState, MonitorFlow, WatchOrg};
use crate::engine::app::AppInfo;
use crate::engine::http::Client;
use crate::engine::model::{EndpointResult, OrgChecks, RequestSummary};
use crate::engine::record::IntegrationRecord;
use crate::engine::sanitize;

/// What the cycle gathered for its report besides checks and findings.
#[derive(Default)]
pub struct Parts {
    pub client: Option<Client>,
    pub integration: Option<IntegrationRecord>,
    pub app: Option<AppInfo>,
    pub org: OrgChecks,
    pub endpoints: Vec<EndpointResult>,
}

/// The report document of a cycle.
pub fn document(org: &WatchOrg, acc: &Acc, state: CheckState) -> Value {
    let requests: Vec<RequestSummary> = acc
        .parts
        .client
        .as_ref()
        .map(|c| {
            c.exchanges()
                .into_iter()
                .map(|e| RequestSummary {
                    id: e.id,
                    method: e.method,
                    url: e.url,
                    status: e.status,
                    duration_ms: e.duration_ms,
                    summary: e.summary,
                })
                .collect()
        })
        .unwrap_or_default();
    let login = crate::engine::Environment::parse(&org.environment)
        .map(|e| (e.login_url(), e.kind()))
        .unwrap_or_else(|_| (org.environment.clone(), "custom"));
    let doc = json!({
        "sagediag_version": env!("CARGO_PKG_VERSION"),
        "environment": { "login_url": login.0, "kind": login.1, "proxy": null, "insecure_hosts": [] },
        "flow": match org.flow { MonitorFlow::Jwt => "jwt", MonitorFlow::ClientCredentials => "client-credentials" },
        "outcome": if state.is_failing() { "fail" } else { "pass" },
        "steps": [],
        "endpoints": acc.parts.endpoints,
        "findings": acc.findings,
        "requests": requests,
        "org": acc.parts.org.clone().sanitized(),
        "scopes": null,
        "refresh_token_issued": null,
        "refresh_rotated": null,
        "app": acc.parts.app.clone().map(AppInfo::sanitized),
        "coverage": null,
        "revoked": [],
        "integration": acc.parts.integration,
        "watch": {
            "org": org.name,
            "integration_user": org.integration_user,
            "integration_app": org.integration_app,
            "state": state,
            "checks": acc.checks,
        },
    });
    let text = serde_json::to_string(&doc).unwrap_or_default();
    let text = match &acc.parts.client {
        Some(c) => c.scrub(&text),
        None => text,
    };
    let clean = sanitize::json(&text);
    serde_json::from_str(&clean).unwrap_or(Value::Null)
}
