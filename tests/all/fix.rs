//! `sagediag fix` and `check --fix-plan`, the real binary, against simulated orgs over
//! loopback: the plan, consent (`--yes`), applying as an admin, re-probing, the record, undo,
//! a non-admin session, and no secret in any output.

use std::process::{Command, Stdio};

use crate::common::*;
use serde_json::Value;

struct Out {
    json: Value,
    code: Option<i32>,
    all: String,
}

/// The state directory (fix journals) of the runs against `sim`: one a simulated org.
fn state_dir(sim: &Sim) -> std::path::PathBuf {
    let port = sim
        .running
        .info
        .login_url
        .rsplit(':')
        .next()
        .unwrap_or("0")
        .to_string();
    std::env::temp_dir().join(format!("sagediag-state-{}-{port}", std::process::id()))
}

/// The arguments and environment of `sagediag <sub> --json` against the sim as the integration
/// user (password flow), plus `extra`.
fn invocation(sim: &Sim, sub: &str, extra: &[&str]) -> Command {
    let info = sim.running.info.clone();
    let mut args: Vec<String> = vec![
        sub.into(),
        "--json".into(),
        "--no-browser".into(),
        "--flow".into(),
        "password".into(),
        "--env".into(),
        info.login_url.clone(),
        "--client-id".into(),
        info.client_id.clone(),
        "--username".into(),
        info.username.clone(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let envs = vec![
        ("SAGEDIAG_CLIENT_SECRET", info.client_secret.clone()),
        ("SAGEDIAG_PASSWORD", info.password.clone()),
        ("SAGEDIAG_ADMIN_PASSWORD", info.admin_password.clone()),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/bus".into(),
        ),
        (
            "SAGEDIAG_SECRETS",
            "/nonexistent/sagediag/secrets.json".into(),
        ),
        (
            "SAGEDIAG_STATE_DIR",
            state_dir(sim).to_string_lossy().to_string(),
        ),
    ];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagediag"));
    cmd.args(&args)
        .stdin(Stdio::null())
        .env_remove("SAGEDIAG_CLIENT_ID");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `sagediag <sub> --json` against the sim as the integration user (password flow), plus `extra`.
async fn sagediag(sim: &Sim, sub: &str, extra: &[&str]) -> Out {
    let mut cmd = invocation(sim, sub, extra);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let all = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("JSON ({e}):\n{all}"));
    Out {
        json,
        code: out.status.code(),
        all,
    }
}

/// Writes a fix record as a user would keep it: owner-only (undo refuses anything else).
fn write_owner_only(path: &std::path::Path, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// The integration user's (user 0) direct Sage People assignments in the sim's state.
fn assigned(sim: &Sim) -> usize {
    sim.running
        .org
        .lock()
        .assignments
        .iter()
        .filter(|a| a.user == 0)
        .count()
}

fn assert_no_secrets(sim: &Sim, out: &Out, label: &str) {
    let mut secrets = vec![
        sim.secret(),
        sim.running.info.password.clone(),
        sim.running.info.admin_password.clone(),
    ];
    secrets.extend(sim.running.org.lock().access.keys().cloned());
    for s in secrets {
        assert!(
            !out.all.contains(&s),
            "{label}: a secret appears in the output"
        );
    }
    assert!(
        !out.all.contains("Bearer "),
        "{label}: an Authorization header"
    );
}

/// The flags that log in as the simulated org's admin (password flow).
fn admin_flags(admin: &str) -> [&str; 4] {
    ["--admin-username", admin, "--admin-flow", "password"]
}

fn failing(out: &Out) -> Vec<String> {
    out.json["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "fail")
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_sets_are_planned_applied_reprobed_and_undone() {
    let sim = start("missing-permission-sets").await;
    let admin = sim.running.info.admin_username.clone();
    let admin_args = admin_flags(&admin);
    assert_eq!(assigned(&sim), 5);

    // The plan: two apply fixes with the exact request, and nothing changed.
    let plan = sagediag(&sim, "check", &["--fix-plan"]).await;
    assert_eq!(plan.code, Some(1));
    let fixes = plan.json["fixes"].as_array().unwrap();
    let apply: Vec<&Value> = fixes.iter().filter(|f| f["kind"] == "apply").collect();
    assert_eq!(apply.len(), 2, "{fixes:?}");
    for f in &apply {
        assert_eq!(f["finding"], "PERMISSION_SET_MISSING");
        assert_eq!(f["request"]["method"], "POST");
        assert!(
            f["request"]["url"]
                .as_str()
                .unwrap()
                .ends_with("/sobjects/PermissionSetAssignment")
        );
        assert!(
            f["request"]["body"]["AssigneeId"]
                .as_str()
                .unwrap()
                .starts_with("005")
        );
        assert!(
            f["request"]["body"]["PermissionSetId"]
                .as_str()
                .unwrap()
                .starts_with("0PS")
        );
        assert!(
            f["command"]
                .as_str()
                .unwrap()
                .starts_with("sf org assign permset --name ")
        );
    }
    assert_no_secrets(&sim, &plan, "fix-plan");
    assert_eq!(assigned(&sim), 5, "--fix-plan changes nothing");

    // Without --yes: the plan, nothing changed, exit 1.
    let dry = sagediag(&sim, "fix", &admin_args).await;
    assert_eq!(dry.code, Some(1), "{}", dry.all);
    assert!(dry.json["applied"].as_array().unwrap().is_empty());
    assert_eq!(assigned(&sim), 5, "no --yes, no change");

    // With --yes as the admin: both assigned, re-probed PASS, exit 0, recorded.
    let done = sagediag(&sim, "fix", &[&admin_args[..], &["--yes"]].concat()).await;
    assert_eq!(done.code, Some(0), "{}", done.all);
    assert_eq!(assigned(&sim), 7);
    let applied = done.json["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 2);
    for a in applied {
        assert_eq!(a["outcome"], "created");
        assert_eq!(a["by"], admin.as_str());
        assert!(a["assignment_id"].as_str().unwrap().starts_with("0Pa"));
        assert!(a["request_id"].as_u64().is_some());
        assert!(a["at_ms"].as_u64().unwrap() > 0);
    }
    let reprobed = done.json["reprobed"].as_array().unwrap();
    assert_eq!(reprobed.len(), 2);
    assert!(
        reprobed.iter().all(|p| p["status"] == "pass"),
        "{reprobed:?}"
    );
    assert!(done.all.contains("created Sage People Salaries API"));
    // The report itself says what is true after the fix: PASS, every row and step, the
    // assignments, and the changes made (who, what, when, request and record ids).
    assert_eq!(done.json["outcome"], "pass", "{}", done.all);
    assert!(failing(&done).is_empty(), "{}", done.all);
    assert!(
        done.json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] != "fail"),
        "{:#}",
        done.json["steps"]
    );
    assert!(
        done.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "PERMISSION_SET_MISSING"),
        "{:#}",
        done.json["findings"]
    );
    assert_eq!(
        done.json["org"]["assigned_permission_sets"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    let changes = done.json["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{changes:#?}");
    for (c, set) in changes.iter().zip(["Salaries", "Bonuses"]) {
        assert_eq!(c["outcome"], "created");
        assert_eq!(c["what"], format!("Sage People {set} API"));
        assert_eq!(c["by"], admin.as_str());
        assert!(c["for_user"].as_str().unwrap().starts_with("005"));
        assert!(c["at"].as_str().unwrap().ends_with('Z'));
        assert!(c["request_id"].as_u64().unwrap() > 0);
        assert!(
            c["record"]
                .as_str()
                .unwrap()
                .starts_with("PermissionSetAssignment 0Pa")
        );
    }
    assert!(done.json["org_id"].as_str().unwrap().starts_with("00D"));
    assert!(
        done.json["instance_url"]
            .as_str()
            .unwrap()
            .starts_with("http://localhost:")
    );
    assert!(done.json["started_at"].as_str().unwrap().ends_with('Z'));
    assert_no_secrets(&sim, &done, "fix --yes");
    let after = sagediag(&sim, "check", &[]).await;
    assert_eq!(after.code, Some(0), "{}", after.all);

    // Undo: without --yes nothing; with it, the two rows deleted and the probes fail again.
    let dir = std::env::temp_dir().join(format!("sagediag-fix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let record = dir.join("fix.json");
    write_owner_only(&record, &done.json.to_string());
    let rec = record.to_str().unwrap();
    let dry = sagediag(&sim, "fix", &[&admin_args[..], &["--undo", rec]].concat()).await;
    assert_eq!(dry.code, Some(1));
    assert_eq!(assigned(&sim), 7, "undo without --yes changes nothing");
    let undone = sagediag(
        &sim,
        "fix",
        &[&admin_args[..], &["--undo", rec, "--yes"]].concat(),
    )
    .await;
    assert_eq!(undone.code, Some(0), "{}", undone.all);
    assert_eq!(assigned(&sim), 5);
    let u = undone.json["undone"].as_array().unwrap();
    assert_eq!(u.len(), 2);
    assert!(u.iter().all(|x| x["outcome"] == "deleted"));
    // The undo's report: the rows fail again, and its changes are the deletions.
    assert_eq!(undone.json["outcome"], "fail");
    assert_eq!(failing(&undone), ["Salaries", "Bonuses"]);
    let changes = undone.json["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert!(
        changes.iter().all(|c| c["outcome"] == "deleted"),
        "{changes:#?}"
    );
    assert_no_secrets(&sim, &undone, "undo");
    let again = sagediag(&sim, "check", &[]).await;
    assert_eq!(failing(&again), ["Salaries", "Bonuses"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Undo reads its record back from a file: it deletes an assignment only while the org still
/// has it for the recorded user and permission set. An edited record (another assignee) and a
/// row already gone are left alone, each with its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_deletes_only_the_assignments_still_as_recorded() {
    let sim = start("missing-permission-sets").await;
    let admin = sim.running.info.admin_username.clone();
    let admin_args = admin_flags(&admin);
    let done = sagediag(&sim, "fix", &[&admin_args[..], &["--yes"]].concat()).await;
    assert_eq!(done.code, Some(0), "{}", done.all);
    assert_eq!(assigned(&sim), 7);
    let dir = std::env::temp_dir().join(format!("sagediag-undo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let undo = |json: &Value, name: &str| {
        let path = dir.join(name);
        write_owner_only(&path, &json.to_string());
        path.to_str().unwrap().to_string()
    };
    // The first record edited to name another user (the admin, user 1).
    let mut edited = done.json.clone();
    edited["applied"][0]["assignee_id"] = sim.running.org.user_id18(1).into();
    let rec = undo(&edited, "edited.json");
    let out = sagediag(
        &sim,
        "fix",
        &[&admin_args[..], &["--undo", rec.as_str(), "--yes"]].concat(),
    )
    .await;
    assert_eq!(
        out.code,
        Some(1),
        "an undo that left a row in place is not a success"
    );
    let u = out.json["undone"].as_array().unwrap();
    let outcomes: Vec<&str> = u.iter().map(|x| x["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["undo-skipped", "deleted"], "{}", out.all);
    assert!(
        u[0]["note"]
            .as_str()
            .unwrap()
            .contains("sagediag deletes only what it created"),
        "an edited record is not in the fix journal: {u:?}"
    );
    assert_eq!(
        assigned(&sim),
        6,
        "only the unedited record's row was deleted"
    );
    // The true record again: the first row goes now, the second is already gone.
    let rec = undo(&done.json, "true.json");
    let out = sagediag(
        &sim,
        "fix",
        &[&admin_args[..], &["--undo", rec.as_str(), "--yes"]].concat(),
    )
    .await;
    let u = out.json["undone"].as_array().unwrap();
    let outcomes: Vec<&str> = u.iter().map(|x| x["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["deleted", "undo-skipped"], "{}", out.all);
    assert!(
        u[1]["note"]
            .as_str()
            .unwrap()
            .contains("no longer in the org"),
        "{u:?}"
    );
    assert_eq!(assigned(&sim), 5);
    assert_no_secrets(&sim, &out, "undo");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_admin_session_changes_nothing_and_names_the_permission() {
    let sim = start("no-permission-sets").await;
    assert_eq!(assigned(&sim), 0);
    let out = sagediag(&sim, "fix", &["--yes"]).await;
    assert_eq!(out.code, Some(1), "{}", out.all);
    assert_eq!(assigned(&sim), 0, "nothing assigned by a non-admin");
    assert!(out.json["applied"].as_array().unwrap().is_empty());
    let ff = out.json["fix_findings"].as_array().unwrap();
    assert!(
        ff.iter().any(|f| f["code"] == "FIX_NOT_PERMITTED"
            && f["detail"]
                .as_str()
                .unwrap()
                .contains("Assign Permission Sets")),
        "{ff:?}"
    );
    assert_eq!(
        out.json["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "apply")
            .count(),
        7
    );
    assert_no_secrets(&sim, &out, "non-admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sim_answers_salesforce_errors_for_assignments() {
    let sim = start("missing-permission-sets").await;
    let info = sim.running.info.clone();
    let token_of = |user: &str, pw: &str| {
        let (u, p) = (user.to_string(), pw.to_string());
        let sim = &sim;
        async move {
            let r: Value = sim
                .http
                .post(format!("{}/services/oauth2/token", sim.login()))
                .form(&[
                    ("grant_type", "password"),
                    ("client_id", sim.client_id()),
                    ("client_secret", &sim.secret()),
                    ("username", &u),
                    ("password", &p),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["access_token"].as_str().unwrap().to_string()
        }
    };
    let admin = token_of(&info.admin_username, &info.admin_password).await;
    let user = token_of(&info.username, &info.password).await;
    let api = format!("{}/services/data/v62.0", sim.instance());
    let q: Value = sim
        .http
        .get(format!("{api}/query"))
        .query(&[(
            "q",
            "SELECT Id, Label FROM PermissionSet WHERE Label = 'Sage People Salaries API'",
        )])
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let set = q["records"][0]["Id"].as_str().unwrap().to_string();
    let uid = sim.running.org.user_id18(0);
    let post = |token: &str, body: Value| {
        sim.http
            .post(format!("{api}/sobjects/PermissionSetAssignment"))
            .bearer_auth(token)
            .json(&body)
    };
    let body = serde_json::json!({"AssigneeId": uid, "PermissionSetId": set});
    // The integration user may not assign.
    let r = post(&user, body.clone()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e[0]["errorCode"], "INSUFFICIENT_ACCESS_OR_READONLY");
    // The admin may; a second time is a duplicate.
    let r = post(&admin, body.clone()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["success"], true);
    assert_eq!(created["errors"], serde_json::json!([]));
    let id = created["id"].as_str().unwrap().to_string();
    let r = post(&admin, body.clone()).send().await.unwrap();
    let e: Value = r.json().await.unwrap();
    assert_eq!(e[0]["errorCode"], "DUPLICATE_VALUE");
    // Visible to queries.
    let q: Value = sim
        .http
        .get(format!("{api}/query"))
        .query(&[(
            "q",
            format!("SELECT Id FROM PermissionSetAssignment WHERE Id = '{id}'"),
        )])
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["totalSize"], 1);
    // An unknown set.
    let r = post(
        &admin,
        serde_json::json!({"AssigneeId": uid, "PermissionSetId": "0PS000000000000AAA"}),
    )
    .send()
    .await
    .unwrap();
    let e: Value = r.json().await.unwrap();
    assert_eq!(e[0]["errorCode"], "INVALID_CROSS_REFERENCE_KEY");
    // Delete: 204, then ENTITY_IS_DELETED.
    let del = |token: &str| {
        sim.http
            .delete(format!("{api}/sobjects/PermissionSetAssignment/{id}"))
            .bearer_auth(token)
    };
    assert_eq!(del(&user).send().await.unwrap().status().as_u16(), 400);
    assert_eq!(del(&admin).send().await.unwrap().status().as_u16(), 204);
    let r = del(&admin).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e[0]["errorCode"], "ENTITY_IS_DELETED");
}

/// The journal lines of every journal in `dir`, as JSON.
fn journal_lines(dir: &std::path::Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        out.extend(
            text.lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok()),
        );
    }
    out
}

/// `fix --yes` killed (SIGKILL) while its second change is in flight: the journal written before
/// each request lets `fix --undo-last` take back every change it made, settling the one whose
/// answer never came by reading the org, and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_fix_is_undone_from_its_journal_and_nothing_else() {
    let sim = start("missing-permission-sets").await;
    let admin = sim.running.info.admin_username.clone();
    let admin_args = admin_flags(&admin);
    let before: Vec<String> = {
        let org = sim.running.org.lock();
        org.assignments.iter().map(|a| a.id.clone()).collect()
    };
    assert_eq!(assigned(&sim), 5);
    let dir = state_dir(&sim);
    let _ = std::fs::remove_dir_all(&dir);
    let journals = dir.join("fix-journal");
    let mut cmd = invocation(&sim, "fix", &[&admin_args[..], &["--yes"]].concat());
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let org = sim.running.org.clone();
    let (created_first, intents) = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let lines = journal_lines(&journals);
            let intents = lines.iter().filter(|l| l["entry"] == "intent").count();
            if intents >= 2 || std::time::Instant::now() > deadline {
                // The org stops answering (its state held) while the second change is in
                // flight, and the run is killed: that answer is lost for good.
                let held = org.lock();
                child.kill().unwrap();
                child.wait().unwrap();
                drop(held);
                let created_first = lines
                    .iter()
                    .any(|l| l["entry"] == "outcome" && l["record"]["outcome"] == "created");
                return (created_first, intents);
            }
            if child.try_wait().unwrap().is_some() {
                panic!("fix ended before its second change");
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    })
    .await
    .unwrap();
    assert_eq!(intents, 2, "both changes were journalled before being sent");
    assert!(created_first, "the first change's outcome was journalled");
    // Let the org finish whatever it received.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(assigned(&sim) >= 6, "the killed run changed the org");
    // Another user's assignment made meanwhile by hand is not sagediag's: it must survive.
    let undone = sagediag(
        &sim,
        "fix",
        &[&admin_args[..], &["--undo-last", "--yes"]].concat(),
    )
    .await;
    assert_eq!(undone.code, Some(0), "{}", undone.all);
    let after: Vec<String> = {
        let org = sim.running.org.lock();
        org.assignments.iter().map(|a| a.id.clone()).collect()
    };
    assert_eq!(after, before, "every change taken back, nothing else");
    let u = undone.json["undone"].as_array().unwrap();
    assert!(
        u.iter()
            .all(|x| x["outcome"] == "deleted" || x["outcome"] == "failed"),
        "{u:?}"
    );
    assert_no_secrets(&sim, &undone, "undo-last");
    for l in journal_lines(&dir.join("fix-journal")) {
        let text = l.to_string();
        assert!(!text.contains(&sim.running.info.admin_password));
        assert!(!text.contains("Bearer"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A record others can write, a symbolic link, or a record of another org deletes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_or_loose_record_deletes_nothing() {
    use std::os::unix::fs::PermissionsExt as _;
    let sim = start("missing-permission-sets").await;
    let admin = sim.running.info.admin_username.clone();
    let admin_args = admin_flags(&admin);
    let done = sagediag(&sim, "fix", &[&admin_args[..], &["--yes"]].concat()).await;
    assert_eq!(done.code, Some(0), "{}", done.all);
    assert_eq!(assigned(&sim), 7);
    let dir = std::env::temp_dir().join(format!("sagediag-loose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let record = dir.join("fix.json");
    write_owner_only(&record, &done.json.to_string());
    std::fs::set_permissions(&record, std::fs::Permissions::from_mode(0o666)).unwrap();
    let rec = record.to_str().unwrap();
    let out = sagediag_raw(&sim, &[&admin_args[..], &["--undo", rec, "--yes"]].concat()).await;
    assert_eq!(
        out.0,
        Some(2),
        "a record others can write is refused: {}",
        out.1
    );
    assert!(out.1.contains("chmod 600"), "{}", out.1);
    std::fs::set_permissions(&record, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.join("link.json");
    std::os::unix::fs::symlink(&record, &link).unwrap();
    let out = sagediag_raw(
        &sim,
        &[
            &admin_args[..],
            &["--undo", link.to_str().unwrap(), "--yes"],
        ]
        .concat(),
    )
    .await;
    assert_eq!(out.0, Some(2), "a symbolic link is refused: {}", out.1);
    assert_eq!(assigned(&sim), 7);
    // The record moved to another org (its requests' host): left in place, with the reason.
    let mut other = done.json.clone();
    for a in other["applied"].as_array_mut().unwrap() {
        let url = a["request"]["url"]
            .as_str()
            .unwrap()
            .replace("://localhost", "://127.0.0.2")
            .replace("://127.0.0.1", "://127.0.0.2");
        a["request"]["url"] = url.into();
    }
    write_owner_only(&record, &other.to_string());
    let out = sagediag(
        &sim,
        "fix",
        &[&admin_args[..], &["--undo", rec, "--yes"]].concat(),
    )
    .await;
    assert_eq!(out.code, Some(1), "{}", out.all);
    let u = out.json["undone"].as_array().unwrap();
    assert!(
        u.iter().all(|x| x["outcome"] == "undo-skipped"
            && x["note"].as_str().unwrap().contains("another org")),
        "{u:?}"
    );
    assert_eq!(assigned(&sim), 7, "nothing deleted");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(state_dir(&sim));
}

/// `sagediag fix` with `extra`: its exit code and everything it printed (for usage errors, which
/// print no JSON).
async fn sagediag_raw(sim: &Sim, extra: &[&str]) -> (Option<i32>, String) {
    let mut cmd = invocation(sim, "fix", extra);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `fix --report` and `--har` are written after the fix step: the report lists the changes
/// made, the HAR holds their requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_and_har_of_a_fix_hold_its_changes() {
    let sim = start("missing-permission-sets").await;
    let admin = sim.running.info.admin_username.clone();
    let admin_args = admin_flags(&admin);
    let dir = std::env::temp_dir().join(format!("sagediag-fixreport-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.md");
    let har = dir.join("run.har");
    let done = sagediag(
        &sim,
        "fix",
        &[
            &admin_args[..],
            &[
                "--yes",
                "--report",
                report.to_str().unwrap(),
                "--har",
                har.to_str().unwrap(),
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.all);
    let md = std::fs::read_to_string(&report).unwrap();
    // The report's own "Changes made" is the one place the changes are listed.
    assert!(!md.contains("Fix plan and changes made"), "{md}");
    assert_eq!(md.matches("## Changes made").count(), 1, "{md}");
    assert!(md.contains("- Outcome: **PASS**"), "{md}");
    assert!(md.contains("## Permission sets (7 of 7 pass)"), "{md}");
    assert!(md.contains("## Changes made"), "{md}");
    assert!(md.contains("| Permission-set probes | PASS ✓ |"), "{md}");
    assert!(md.contains("created Sage People Salaries API"), "{md}");
    assert!(md.contains("created Sage People Bonuses API"), "{md}");
    let har: Value = serde_json::from_str(&std::fs::read_to_string(&har).unwrap()).unwrap();
    let posts = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["request"]["method"] == "POST"
                && e["request"]["url"]
                    .as_str()
                    .unwrap()
                    .ends_with("/sobjects/PermissionSetAssignment")
        })
        .count();
    assert_eq!(posts, 2, "the HAR holds the fix's requests");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(state_dir(&sim));
}

/// The integration user's (user 0) grants in the sim: (created, last used, use count).
fn user_grants(sim: &Sim) -> Vec<(u64, Option<u64>, u64)> {
    let mut g: Vec<_> = sim
        .running
        .org
        .lock()
        .record
        .grants
        .iter()
        .filter(|g| g.user == 0)
        .map(|g| (g.created, g.last_used, g.use_count))
        .collect();
    g.sort_unstable();
    g
}

/// Every text file under `dir` (the fix journals), joined.
fn texts_under(dir: &std::path::Path) -> String {
    let mut all = String::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            all.push_str(&texts_under(&p));
        } else if let Ok(t) = std::fs::read_to_string(&p) {
            all.push_str(&t);
        }
    }
    all
}

/// On grant-cap with an admin: the plan names the least recently used grant (the never-used
/// one) by its dates, never its DeleteToken; without --yes nothing is revoked; with --yes exactly
/// that grant is revoked and the others (the integration's, in use minutes ago) survive; the
/// journal, --json, the report and the HAR hold no DeleteToken; `--undo-last` lists the revoke
/// as not undoable and deletes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_grant_is_revoked_only_with_consent_and_never_undone() {
    let sim = start("grant-cap").await;
    let admin = sim.running.info.admin_username.clone();
    let admin_args = admin_flags(&admin);
    let before = user_grants(&sim);
    assert_eq!(before.len(), 5);
    let delete_tokens: Vec<String> = sim
        .running
        .org
        .lock()
        .record
        .grants
        .iter()
        .map(|g| g.delete_token.clone())
        .collect();
    let stale = *before.iter().find(|g| g.1.is_none()).unwrap();
    let no_delete_token = |text: &str, label: &str| {
        for t in &delete_tokens {
            assert!(!text.contains(t.as_str()), "{label}: a DeleteToken");
        }
    };

    // Without an admin's read of the grants: the Setup steps only.
    let plain = sagediag(&sim, "check", &["--fix-plan"]).await;
    let cap: Vec<&Value> = plain.json["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["finding"] == "GRANT_CAP_RISK")
        .collect();
    assert_eq!(cap.len(), 1, "{}", plain.json["fixes"]);
    assert_eq!(cap[0]["kind"], "setup");
    assert!(cap[0].get("change").is_none());

    // Without --yes: planned, named by its dates, nothing revoked.
    let dry = sagediag(&sim, "fix", &admin_args).await;
    assert_eq!(dry.code, Some(1), "{}", dry.all);
    let fixes = dry.json["fixes"].as_array().unwrap();
    let revokes: Vec<&Value> = fixes
        .iter()
        .filter(|f| f["change"]["type"] == "revoke-grant")
        .collect();
    assert_eq!(revokes.len(), 1, "{fixes:#?}");
    let r = revokes[0];
    assert_eq!(r["kind"], "apply");
    assert_eq!(r["finding"], "GRANT_CAP_RISK");
    assert!(r["change"]["last_used"].is_null(), "{r:#}");
    assert!(r["change"]["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r["request"]["method"], "POST");
    assert!(
        r["request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/services/oauth2/revoke")
    );
    assert!(dry.json["applied"].as_array().unwrap().is_empty());
    assert_eq!(user_grants(&sim), before, "no --yes, nothing revoked");
    no_delete_token(&dry.all, "the plan");

    // With --yes: exactly the stale grant is revoked.
    let dir = std::env::temp_dir().join(format!("sagediag-grantfix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.md");
    let har = dir.join("run.har");
    let done = sagediag(
        &sim,
        "fix",
        &[
            &admin_args[..],
            &[
                "--yes",
                "--verbose",
                "--report",
                report.to_str().unwrap(),
                "--har",
                har.to_str().unwrap(),
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(done.code, Some(0), "{}", done.all);
    let applied = done.json["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 1, "{applied:#?}");
    assert_eq!(applied[0]["outcome"], "revoked");
    assert_eq!(applied[0]["change"]["type"], "revoke-grant");
    let after = user_grants(&sim);
    let expected: Vec<_> = before.iter().copied().filter(|g| *g != stale).collect();
    assert_eq!(after, expected, "only the stale grant is gone");
    assert!(
        after.iter().any(|g| g.2 == 51_840),
        "the integration's grant survives"
    );
    let md = std::fs::read_to_string(&report).unwrap();
    let har_text = std::fs::read_to_string(&har).unwrap();
    let har_json: Value = serde_json::from_str(&har_text).unwrap();
    let revoke_posts = har_json["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["request"]["method"] == "POST"
                && e["request"]["url"]
                    .as_str()
                    .unwrap()
                    .ends_with("/services/oauth2/revoke")
        })
        .count();
    assert!(revoke_posts >= 1, "the HAR holds the revoke");
    let logged = har_json["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["request"]["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("/services/oauth2/revoke"))
                && e["request"]["method"] == "POST"
                && e["response"]["status"] == 200
                && e["request"]["postData"].to_string().contains("token")
        })
        .map(|e| e["request"]["postData"].to_string())
        .unwrap_or_default();
    assert!(
        logged.contains("REDACTED"),
        "the HAR's revoke body: {logged}"
    );
    assert!(
        done.all.contains("/services/oauth2/revoke"),
        "the verbose log shows the revoke"
    );
    assert!(md.contains("revoked"), "{md}");
    no_delete_token(&done.all, "fix --yes");
    no_delete_token(&md, "the report");
    no_delete_token(&har_text, "the HAR");
    let journals = texts_under(&state_dir(&sim));
    assert!(journals.contains("revoke-grant"), "journalled");
    no_delete_token(&journals, "the journal");
    assert_no_secrets(&sim, &done, "fix --yes");

    // Undo: listed as not undoable; nothing deleted or given back.
    let undo = sagediag(
        &sim,
        "fix",
        &[&admin_args[..], &["--yes", "--undo-last"]].concat(),
    )
    .await;
    assert_eq!(undo.code, Some(1), "{}", undo.all);
    let undone = undo.json["undone"].as_array().unwrap();
    assert_eq!(undone.len(), 1, "{undone:#?}");
    assert_eq!(undone[0]["outcome"], "not-undoable");
    assert!(
        undone[0]["note"]
            .as_str()
            .unwrap()
            .contains("cannot be undone: the integration (or the user) must authorize again")
    );
    assert_eq!(user_grants(&sim), after, "undo deletes nothing");
    no_delete_token(&undo.all, "the undo");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(state_dir(&sim));
}
