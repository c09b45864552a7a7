//! The set-up sheet: what an admin creates and ticks in Setup for one integration platform
//! (StackOne, Nango, or a custom client), for an External Client App or a connected app, as
//! a checklist of structured lines. After a run, [`mark`] says for each line whether the
//! report verified it, contradicted it, or could not tell — the console can show the sheet
//! with those marks. Sources: integrations.md (the platforms' published guides) and
//! docs/external-client-apps.md.

use std::fmt::Write as _;

use serde::Serialize;

use super::app::AppKind;
use super::findings::Code;
use super::model::{ENDPOINTS, Flow, Report, Status};

/// The integration platform the app is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    StackOne,
    Nango,
    Custom,
}

impl Preset {
    pub fn parse(s: &str) -> Option<Preset> {
        match s.trim().to_ascii_lowercase().as_str() {
            "stackone" => Some(Preset::StackOne),
            "nango" => Some(Preset::Nango),
            "custom" => Some(Preset::Custom),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::StackOne => "StackOne",
            Preset::Nango => "Nango",
            Preset::Custom => "a custom client (and sagediag)",
        }
    }

    /// The callback URL the platform registers (sagediag's loopback one for a custom client).
    pub fn callback(self) -> &'static str {
        match self {
            Preset::StackOne => "https://api.stackone.com/connect/oauth2/sagepeople/callback",
            Preset::Nango => "https://api.nango.dev/oauth/callback",
            Preset::Custom => "http://localhost:1717/OauthRedirect",
        }
    }
}

/// What a line of the sheet is about: the key a report is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    CreateApp,
    CallbackUrl,
    Scopes,
    Pkce,
    SecretWebServer,
    SecretRefresh,
    RefreshRotation,
    PermittedUsers,
    PreAuthorize,
    AssignPermissionSets,
    RefreshPolicy,
    Credentials,
}

/// One thing to do in Setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetLine {
    pub item: Item,
    /// Where in Setup (the page, for this kind of app).
    pub place: &'static str,
    /// What to set there.
    pub action: String,
}

/// The checklist for one platform and kind of app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sheet {
    pub preset: Preset,
    pub kind: AppKind,
    pub lines: Vec<SheetLine>,
}

/// What a run said about a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Verified,
    Contradicted,
    Unknown,
    /// A recommendation the app does not follow, while nothing fails because of it: advice
    /// (`!`), never a failure.
    Advice,
}

/// A line with the run's verdict and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarkedLine {
    pub line: SheetLine,
    pub verdict: Verdict,
    pub why: String,
}

/// The sheet for a platform and a kind (`Unknown` is taken as an External Client App, what
/// an admin creates since Spring '26).
pub fn sheet(preset: Preset, kind: AppKind) -> Sheet {
    let eca = kind != AppKind::ConnectedApp;
    let kind = if eca {
        AppKind::ExternalClientApp
    } else {
        AppKind::ConnectedApp
    };
    let (create, settings, policies, keys) = if eca {
        (
            "Setup > External Client Apps > External Client Apps Manager > New External Client App",
            "External Client Apps Manager > [app] > Edit Settings > OAuth Settings",
            "External Client Apps Manager > [app] > Edit Policies > OAuth Policies",
            "External Client Apps Manager > [app] > Settings > OAuth Settings > Consumer Key and Secret",
        )
    } else {
        (
            "Setup > Apps > App Manager > New Connected App (since Spring '26 only if Salesforce Support enabled it; otherwise create an External Client App)",
            "Setup > App Manager > [app] > Edit > API (Enable OAuth Settings)",
            "Setup > Connected Apps > Manage Connected Apps > [app] > Edit Policies > OAuth Policies",
            "Setup > App Manager > [app] > View > Manage Consumer Details",
        )
    };
    let sets: Vec<&str> = ENDPOINTS.iter().map(|e| e.permission_set).collect();
    let sets = sets.join(", ");
    let line = |item, place, action: String| SheetLine {
        item,
        place,
        action,
    };
    let mut lines = vec![
        line(
            Item::CreateApp,
            create,
            if eca {
                "Create the app: a name, a contact email, Distribution State Local; tick Enable OAuth.".into()
            } else {
                "Create the app: a name and a contact email; tick Enable OAuth Settings.".into()
            },
        ),
        line(
            Item::CallbackUrl,
            settings,
            format!("Callback URL: {} (exactly, one per line).", preset.callback()),
        ),
        line(
            Item::Scopes,
            settings,
            "Selected OAuth Scopes: Manage user data via APIs (api) and Perform requests at any time (refresh_token, offline_access).".into(),
        ),
    ];
    lines.push(line(
        Item::Pkce,
        settings,
        match preset {
            Preset::StackOne => "Untick Require Proof Key for Code Exchange (PKCE): StackOne sends no code challenge (\"missing required code challenge\" otherwise).".into(),
            Preset::Nango => "Require PKCE: leave unticked unless the Nango integration sends a code challenge (its published settings name none).".into(),
            Preset::Custom => "Require PKCE: tick it if your client sends a code challenge (sagediag does).".into(),
        },
    ));
    lines.push(line(
        Item::SecretWebServer,
        settings,
        match preset {
            Preset::Custom => "Require secret for Web Server Flow: keep ticked for a client that holds the secret; untick only for a public client.".into(),
            _ => format!("Keep Require secret for Web Server Flow ticked: {} holds the secret.", preset.name()),
        },
    ));
    lines.push(line(
        Item::SecretRefresh,
        settings,
        match preset {
            Preset::Custom => "Require secret for Refresh Token Flow: keep ticked for a client that holds the secret; untick for a public client (or the first refresh fails).".into(),
            _ => format!("Keep Require secret for Refresh Token Flow ticked: {} sends the secret when refreshing.", preset.name()),
        },
    ));
    lines.push(line(
        Item::RefreshRotation,
        settings,
        if eca {
            "Enable Refresh Token Rotation: leave off unless the integration stores the new refresh token each refresh returns.".into()
        } else {
            "Refresh Token Rotation: leave off unless the integration stores the new refresh token each refresh returns.".into()
        },
    ));
    lines.push(line(
        Item::PermittedUsers,
        policies,
        if eca {
            "Permitted Users: Admin approved users are pre-authorized (the closed posture) — then pre-authorize below.".into()
        } else {
            "Permitted Users: Admin approved users are pre-authorized (recommended for an integration user; no consent prompt).".into()
        },
    ));
    lines.push(line(
        Item::PreAuthorize,
        policies,
        if eca {
            format!("Select Permission Sets: add the Sage People API sets the API user holds ({sets}). Do not give the user Use Any API Client instead: it bypasses every app's pre-authorization.")
        } else {
            format!("Manage Permission Sets: add the Sage People API sets the API user holds ({sets}), or Manage Profiles: the user's profile.")
        },
    ));
    lines.push(line(
        Item::RefreshPolicy,
        policies,
        "Refresh Token Policy: Refresh token is valid until revoked.".into(),
    ));
    lines.push(line(
        Item::AssignPermissionSets,
        "Setup > Users > Users > [API user] > Permission Set Assignments > Edit Assignments",
        format!("Assign all seven to the API user: {sets}."),
    ));
    lines.push(line(
        Item::Credentials,
        keys,
        format!("Copy the consumer key and secret into {}; wait up to 20 minutes for a new app to become active, then run sagediag check{}.", preset.name(), if eca { " --app-kind eca" } else { "" }),
    ));
    Sheet {
        preset,
        kind,
        lines,
    }
}

/// The sheet as a checklist an admin follows (`sagediag setup-sheet`).
pub fn text(s: &Sheet) -> String {
    let mut out = format!(
        "Set-up sheet: {} for a Sage People integration through {}\n",
        match s.kind {
            AppKind::ConnectedApp => "a connected app",
            _ => "an External Client App",
        },
        s.preset.name()
    );
    let mut place = "";
    for l in &s.lines {
        if l.place != place {
            place = l.place;
            let _ = write!(out, "\n{place}\n");
        }
        let _ = writeln!(out, "  [ ] {}", l.action);
    }
    out
}

/// Marks each line of the sheet with what the report says.
/// A recommendation's verdict: not following it is advice, not a failure.
fn advice((v, why): (Verdict, String)) -> (Verdict, String) {
    match v {
        Verdict::Contradicted => (Verdict::Advice, format!("{why} (advice)")),
        other => (other, why),
    }
}

pub fn mark(s: &Sheet, r: &Report) -> Vec<MarkedLine> {
    let has = |c: Code| r.findings.iter().any(|f| f.code == c);
    let p = &r.app.policies;
    let detected = r.app.kind_source == Some("detected");
    let logged_in = r.steps.iter().any(|st| {
        st.id == super::model::StepId::Login
            && st.status != Status::Fail
            && st.status != Status::Skip
    });
    let want = |b: Option<bool>, wanted: bool, what: &str| match b {
        Some(v) if v == wanted => (Verdict::Verified, format!("{what}: as the sheet says")),
        Some(_) => (
            Verdict::Contradicted,
            format!("{what}: the org shows the opposite"),
        ),
        None => (
            Verdict::Unknown,
            format!("{what}: not readable by this run"),
        ),
    };
    s.lines
        .iter()
        .map(|l| {
            let (verdict, why) = match l.item {
                Item::CreateApp => match (detected, r.app.kind == s.kind) {
                    (true, true) => (
                        Verdict::Verified,
                        format!("the org shows {}", s.kind.with_article()),
                    ),
                    (true, false) => (
                        Verdict::Contradicted,
                        format!("the org shows {}", r.app.kind.with_article()),
                    ),
                    _ => (Verdict::Unknown, "the app's kind was not read".into()),
                },
                Item::CallbackUrl if has(Code::REDIRECT_URI_MISMATCH) => {
                    (Verdict::Contradicted, "redirect_uri_mismatch".into())
                }
                Item::CallbackUrl
                    if s.preset == Preset::Custom && logged_in && r.flow == Flow::Web =>
                {
                    (Verdict::Verified, "the web login used this callback".into())
                }
                Item::CallbackUrl => (
                    Verdict::Unknown,
                    "this run did not use the platform's callback".into(),
                ),
                Item::Scopes
                    if has(Code::REFRESH_TOKEN_MISSING)
                        || has(Code::API_SCOPE_MISSING)
                        || has(Code::SCOPE_NOT_ALLOWED) =>
                {
                    (
                        Verdict::Contradicted,
                        "a scope is missing (see the findings)".into(),
                    )
                }
                Item::Scopes => match &r.scopes {
                    Some(sc)
                        if sc.split_whitespace().any(|x| x == "api" || x == "full")
                            && sc
                                .split_whitespace()
                                .any(|x| x == "refresh_token" || x == "offline_access") =>
                    {
                        (Verdict::Verified, format!("granted: {sc}"))
                    }
                    _ => (Verdict::Unknown, "the granted scopes are not known".into()),
                },
                Item::Pkce if has(Code::PKCE_REQUIRED) && s.preset != Preset::Custom => (
                    Verdict::Contradicted,
                    "missing required code challenge".into(),
                ),
                Item::Pkce if s.preset == Preset::Custom => match p.pkce_required {
                    Some(v) => (
                        Verdict::Verified,
                        format!("Require PKCE is {}", if v { "on" } else { "off" }),
                    ),
                    None => (
                        Verdict::Unknown,
                        "Require PKCE: not readable by this run".into(),
                    ),
                },
                Item::Pkce => want(p.pkce_required, false, "Require PKCE"),
                Item::SecretWebServer if s.preset == Preset::Custom => {
                    (Verdict::Unknown, "depends on the client".into())
                }
                Item::SecretWebServer => want(
                    p.secret_required_web_server,
                    true,
                    "Require secret for Web Server Flow",
                ),
                Item::SecretRefresh if has(Code::ECA_SECRET_REQUIRED_FOR_REFRESH) => (
                    Verdict::Contradicted,
                    "the client sends no secret when refreshing".into(),
                ),
                Item::SecretRefresh if s.preset == Preset::Custom => {
                    (Verdict::Unknown, "depends on the client".into())
                }
                Item::SecretRefresh => want(
                    p.secret_required_refresh,
                    true,
                    "Require secret for Refresh Token Flow",
                ),
                Item::RefreshRotation
                    if has(Code::RTR_TOKEN_REUSE) || has(Code::RTR_CONCURRENT_REFRESH) =>
                {
                    want(p.refresh_token_rotation, false, "Refresh token rotation")
                }
                Item::RefreshRotation => advice(want(
                    p.refresh_token_rotation,
                    false,
                    "Refresh token rotation",
                )),
                Item::PermittedUsers => match p.permitted_users.as_deref() {
                    Some("Admin approved users are pre-authorized") => {
                        (Verdict::Verified, "admin-approved".into())
                    }
                    Some(other) => (
                        Verdict::Advice,
                        format!("{other} (the sheet recommends admin-approved)"),
                    ),
                    None => (
                        Verdict::Unknown,
                        "Permitted Users: not readable by this run".into(),
                    ),
                },
                Item::PreAuthorize
                    if has(Code::ECA_USER_NOT_PREAUTHORIZED)
                        || has(Code::USER_NOT_ADMIN_APPROVED) =>
                {
                    (
                        Verdict::Contradicted,
                        "the API user is not pre-authorized".into(),
                    )
                }
                Item::PreAuthorize => match p.user_preauthorized {
                    Some(true) => (
                        Verdict::Verified,
                        "the API user holds a linked permission set or profile".into(),
                    ),
                    Some(false) => (
                        Verdict::Contradicted,
                        "the API user holds none of the linked permission sets or profiles".into(),
                    ),
                    None => (
                        Verdict::Unknown,
                        "who is pre-authorized: not readable by this run".into(),
                    ),
                },
                Item::AssignPermissionSets if has(Code::PERMISSION_SET_MISSING) => (
                    Verdict::Contradicted,
                    "an endpoint answers MISSING_API_PERMISSION".into(),
                ),
                Item::AssignPermissionSets => {
                    if r.endpoints.len() == 7
                        && r.endpoints.iter().all(|e| e.status == Status::Pass)
                    {
                        (Verdict::Verified, "all seven endpoints answer".into())
                    } else {
                        (Verdict::Unknown, "not every endpoint was probed".into())
                    }
                }
                Item::RefreshPolicy => match p.refresh_token_policy.as_deref() {
                    Some("Refresh token is valid until revoked") => {
                        (Verdict::Verified, "valid until revoked".into())
                    }
                    Some(other) if has(Code::REFRESH_TOKEN_EXPIRED) => {
                        (Verdict::Contradicted, other.to_string())
                    }
                    Some(other) => (
                        Verdict::Advice,
                        format!("{other} (the sheet recommends valid until revoked)"),
                    ),
                    None => (
                        Verdict::Unknown,
                        "Refresh Token Policy: not readable by this run".into(),
                    ),
                },
                Item::Credentials if logged_in => {
                    (Verdict::Verified, "the login worked with this key".into())
                }
                Item::Credentials
                    if has(Code::CLIENT_ID_INVALID) || has(Code::CLIENT_SECRET_INVALID) =>
                {
                    (
                        Verdict::Contradicted,
                        "the key or secret was refused".into(),
                    )
                }
                Item::Credentials => (Verdict::Unknown, "the login did not get that far".into()),
            };
            MarkedLine {
                line: l.clone(),
                verdict,
                why,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stackone_eca_sheet_names_the_eca_pages_and_the_seven_sets() {
        let s = sheet(Preset::StackOne, AppKind::ExternalClientApp);
        let t = text(&s);
        assert!(
            t.contains("External Client Apps Manager > New External Client App"),
            "{t}"
        );
        assert!(t.contains("https://api.stackone.com/connect/oauth2/sagepeople/callback"));
        assert!(t.contains("Untick Require Proof Key for Code Exchange"));
        assert!(t.contains("Sage People Timesheets API") && t.contains("Use Any API Client"));
        assert!(!t.contains("App Manager > [app] > Edit >"), "{t}");
        let c = text(&sheet(Preset::Nango, AppKind::ConnectedApp));
        assert!(
            c.contains("https://api.nango.dev/oauth/callback")
                && c.contains("Manage Connected Apps")
        );
    }
}
