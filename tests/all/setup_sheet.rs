//! `sagediag setup-sheet`, and the sheet marked against a run on the simulated org.

use std::process::Command;

use crate::common::*;
use sagediag::engine::app::AppKind;
use sagediag::engine::setup::{self, Item, Preset, Verdict};
use sagediag::engine::{self, Config, Environment, Flow, Report};
use tokio::sync::mpsc;

async fn run(sim: &Sim) -> Report {
    let mut cfg = Config::new(
        Environment::parse(sim.login()).unwrap(),
        Flow::Web,
        sim.client_id(),
    );
    let secret = sim.running.info.client_secret.clone();
    cfg.client_secret = Some(secret).filter(|s| !s.is_empty());
    cfg.username = Some(sim.username().to_string());
    let (tx, _rx) = mpsc::unbounded_channel();
    engine::run(cfg, tx, Default::default()).await.report
}

fn verdict(marks: &[setup::MarkedLine], item: Item) -> Verdict {
    marks.iter().find(|m| m.line.item == item).unwrap().verdict
}

#[tokio::test]
async fn the_sheet_is_marked_verified_contradicted_or_unknown_from_a_run() {
    let sheet = setup::sheet(Preset::StackOne, AppKind::ExternalClientApp);
    let sim = start("eca-healthy").await;
    let report = run(&sim).await;
    let marks = setup::mark(&sheet, &report);
    for item in [
        Item::CreateApp,
        Item::Scopes,
        Item::Pkce,
        Item::SecretWebServer,
        Item::SecretRefresh,
        Item::RefreshRotation,
        Item::PermittedUsers,
        Item::PreAuthorize,
        Item::AssignPermissionSets,
        Item::RefreshPolicy,
        Item::Credentials,
    ] {
        assert_eq!(
            verdict(&marks, item),
            Verdict::Verified,
            "{item:?}: {marks:#?}"
        );
    }
    // StackOne's callback was not the one this run used: unknown, not guessed.
    assert_eq!(verdict(&marks, Item::CallbackUrl), Verdict::Unknown);
    // The same org against the connected-app sheet: the kind is contradicted.
    let ca = setup::mark(
        &setup::sheet(Preset::StackOne, AppKind::ConnectedApp),
        &report,
    );
    assert_eq!(verdict(&ca, Item::CreateApp), Verdict::Contradicted);
    sim.running.stop().await;

    // sagediag sends a code challenge, so it logs in; the sheet for StackOne (which sends
    // none) is contradicted by the app's Require PKCE.
    let sim = start("eca-pkce-required").await;
    let report = run(&sim).await;
    let marks = setup::mark(&sheet, &report);
    assert_eq!(
        verdict(&marks, Item::Pkce),
        Verdict::Contradicted,
        "{marks:#?}"
    );
    assert_eq!(verdict(&marks, Item::CreateApp), Verdict::Verified);
    sim.running.stop().await;

    // Not pre-authorized: the login fails, the kind stays unknown.
    let sim = start("eca-not-preauthorized").await;
    let report = run(&sim).await;
    let marks = setup::mark(&sheet, &report);
    assert_eq!(verdict(&marks, Item::PreAuthorize), Verdict::Contradicted);
    assert_eq!(verdict(&marks, Item::CreateApp), Verdict::Unknown);
    assert_eq!(verdict(&marks, Item::RefreshPolicy), Verdict::Unknown);
    sim.running.stop().await;
}

#[test]
fn setup_sheet_prints_the_checklist() {
    let out = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args(["setup-sheet", "--preset", "stackone", "--kind", "eca"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("External Client Apps Manager > New External Client App"),
        "{text}"
    );
    assert!(
        text.contains(
            "[ ] Callback URL: https://api.stackone.com/connect/oauth2/sagepeople/callback"
        )
    );
    assert!(text.contains("Untick Require Proof Key for Code Exchange (PKCE)"));
    let out = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args([
            "setup-sheet",
            "--preset",
            "nango",
            "--kind",
            "connected-app",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("https://api.nango.dev/oauth/callback")
            && text.contains("Manage Connected Apps"),
        "{text}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_sagediag"))
        .args(["setup-sheet", "--preset", "zapier"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test]
async fn a_recommendation_the_app_does_not_follow_is_advice_not_a_failure() {
    // The healthy org's connected app lets all users self-authorize and rotates nothing: the
    // run passes, and the sheet's admin-approved recommendation is advice.
    let sim = start("healthy").await;
    let report = run(&sim).await;
    assert_eq!(report.outcome, sagediag::engine::Verdict::Pass);
    let marks = setup::mark(&setup::sheet(Preset::Nango, AppKind::ConnectedApp), &report);
    assert_eq!(
        verdict(&marks, Item::PermittedUsers),
        Verdict::Advice,
        "{marks:#?}"
    );
    assert!(
        marks.iter().all(|m| m.verdict != Verdict::Contradicted),
        "{marks:#?}"
    );
    sim.running.stop().await;
    // Rotation on while the sheet says off: advice while nothing breaks.
    let sim = start("refresh-rotation").await;
    let report = run(&sim).await;
    let marks = setup::mark(&setup::sheet(Preset::Nango, AppKind::ConnectedApp), &report);
    assert_eq!(verdict(&marks, Item::RefreshRotation), Verdict::Advice);
    sim.running.stop().await;
}
