//! The record as label/value lines, one source for the human report, the Markdown export and the
//! console (every value already sanitised when read).

use super::IntegrationRecord;
// layering: the record's lines word counts as the verdict does; `plural` belongs in a lower
// words module, but verdict.rs is another owner's this round.
use crate::engine::verdict::plural;

fn yes_no(b: Option<bool>, yes: &str, no: &str) -> String {
    match b {
        Some(true) => yes.into(),
        Some(false) => no.into(),
        None => "unknown".into(),
    }
}

/// The record as label/value lines ("unknown" where it could not be read).
pub fn lines(r: &IntegrationRecord) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| out.push((k.to_string(), v));
    push(
        "Read as",
        match r.read_as {
            Some("admin") => "an admin's session (every row)".into(),
            Some(_) => "the API user's session (its own rows)".into(),
            None => "nothing read".into(),
        },
    );
    let u = &r.user;
    push(
        "User",
        format!(
            "{}{}",
            u.username.clone().unwrap_or_else(|| "unknown".into()),
            u.id.as_ref().map(|i| format!(" ({i})")).unwrap_or_default()
        ),
    );
    push(
        "Active / frozen",
        format!(
            "{}, {}{}",
            yes_no(u.active, "active", "INACTIVE"),
            yes_no(u.frozen, "FROZEN", "not frozen"),
            if u.password_locked == Some(true) {
                ", password locked"
            } else {
                ""
            }
        ),
    );
    push(
        "Type / licence / profile",
        [&u.user_type, &u.licence, &u.profile]
            .iter()
            .map(|x| x.as_deref().unwrap_or("unknown").to_string())
            .collect::<Vec<_>>()
            .join(" / "),
    );
    match &r.login_history {
        None => push(
            &format!("Logins, {}", plural(r.history_days as usize, "day")),
            "unknown".into(),
        ),
        Some(h) => {
            push(
                &format!("Logins, {}", plural(r.history_days as usize, "day")),
                format!(
                    "{}, {} failed{}",
                    plural(h.attempts as usize, "attempt"),
                    h.failures,
                    if h.truncated {
                        " (more rows than read)"
                    } else {
                        ""
                    }
                ),
            );
            for g in &h.groups {
                let span = match (&g.first, &g.last) {
                    (Some(a), Some(b)) if a != b => format!("{a} – {b}"),
                    (Some(a), _) => a.clone(),
                    _ => "time unknown".into(),
                };
                push(
                    &format!("  \"{}\"", g.status),
                    format!(
                        "{}×{} {} · {} · {} IP{} · {span}{}",
                        g.count,
                        if g.this_run > 0 {
                            format!(" ({} by this run)", g.this_run)
                        } else {
                            String::new()
                        },
                        if g.application.is_empty() {
                            "(no application)"
                        } else {
                            &g.application
                        },
                        if g.login_types.is_empty() {
                            "-".to_string()
                        } else {
                            g.login_types.join(", ")
                        },
                        g.source_ips,
                        if g.source_ips == 1 { "" } else { "s" },
                        match (g.success, g.finding) {
                            (true, _) => String::new(),
                            (false, Some(c)) => format!(" → {c}"),
                            (false, None) => " → unmapped".into(),
                        }
                    ),
                );
            }
            push(
                "Last success",
                h.last_success
                    .as_ref()
                    .map(|s| {
                        format!(
                            "{} · {} · {} · {}",
                            s.time.as_deref().unwrap_or("time unknown"),
                            s.application,
                            s.login_type,
                            s.source_ip
                        )
                    })
                    .unwrap_or_else(|| "none in the window".into()),
            );
        }
    }
    match &r.grants {
        None => push("OAuth grants", "unknown".into()),
        Some(g) => {
            push(
                "OAuth grants",
                match &g.app {
                    Some(app) => format!("{} of {} for {app}", g.count, g.cap),
                    None => format!("{} (every app: the app's name is unknown)", g.count),
                },
            );
            if let Some(p) = &g.policy {
                push("Refresh policy", p.clone());
            }
            for (i, x) in g
                .grants
                .iter()
                .filter(|x| g.app.as_deref().is_none_or(|a| x.is_for(a)))
                .enumerate()
            {
                push(
                    &format!("  grant {}", i + 1),
                    format!(
                        "created {}, last used {}, used {} times{}{}",
                        x.created.as_deref().unwrap_or("unknown"),
                        x.last_used.as_deref().unwrap_or("never"),
                        x.use_count
                            .map_or_else(|| "?".to_string(), |n| n.to_string()),
                        x.expiry
                            .as_ref()
                            .map(|f| format!("; {}", f.text))
                            .unwrap_or_default(),
                        if x.this_run {
                            " (this run's login)"
                        } else {
                            ""
                        }
                    ),
                );
            }
        }
    }
    for u in &r.unknown {
        push("Unknown", u.clone());
    }
    out
}

/// A one-line note for the step's summary.
pub fn summary(r: &IntegrationRecord) -> String {
    let mut parts = Vec::new();
    if let Some(h) = &r.login_history {
        parts.push(format!(
            "{} in {}, {} failed",
            plural(h.attempts as usize, "login"),
            plural(r.history_days as usize, "day"),
            h.failures
        ));
    }
    if let Some(g) = &r.grants
        && g.app.is_some()
    {
        parts.push(format!("{} of {} grants", g.count, g.cap));
    }
    if r.user.frozen == Some(true) {
        parts.push("user FROZEN".into());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("integration record: {}", parts.join(", "))
    }
}
