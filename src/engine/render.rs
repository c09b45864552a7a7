//! The one text rendering of a report, as plain text (`sagediag check`'s and `fix`'s output)
//! or as Markdown (the report file, the console's `W`). Both walk the same sections in the same
//! order through a [`Doc`] that knows only how its style writes a heading, a field, a table or
//! a finding, so the terminal and the file never say different things.
//!
//! Every value here was sanitised by the engine when it entered the report; the caller passes
//! the whole text through the sanitiser once more before it reaches a terminal or a file.

use std::fmt::Write as _;

use super::findings::Finding;
use super::model::Report;

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Plain text for a terminal.
    Text,
    /// Markdown for a file a customer can send to support.
    Markdown,
}

/// A document being written in one style.
struct Doc {
    style: Style,
    out: String,
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

impl Doc {
    fn md(&self) -> bool {
        self.style == Style::Markdown
    }

    fn title(&mut self, t: &str) {
        if self.md() {
            let _ = write!(self.out, "# {t}\n\n");
        } else {
            let _ = writeln!(self.out, "{t}");
        }
    }

    /// A line that must stand out (TLS verification off, a rotated token).
    fn callout(&mut self, label: &str, text: &str) {
        if self.md() {
            let _ = write!(self.out, "> **{label}:** {text}\n\n");
        } else {
            let _ = writeln!(self.out, "{}: {text}", label.to_uppercase());
        }
    }

    fn section(&mut self, t: &str) {
        if self.md() {
            let _ = write!(self.out, "\n## {t}\n\n");
        } else {
            let _ = write!(self.out, "\n{t}\n");
        }
    }

    fn field(&mut self, k: &str, v: &str) {
        if self.md() {
            let _ = writeln!(self.out, "- {k}: {v}");
        } else {
            let _ = writeln!(self.out, "  {k:<26} {v}");
        }
    }

    fn line(&mut self, text: &str) {
        if self.md() {
            let _ = writeln!(self.out, "- {text}");
        } else {
            let _ = writeln!(self.out, "  {text}");
        }
    }

    fn para(&mut self, text: &str) {
        if self.md() {
            let _ = writeln!(self.out, "{text}");
        } else {
            let _ = writeln!(self.out, "  {text}");
        }
    }

    /// A table: Markdown's pipes, or columns padded to their widest cell.
    fn table(&mut self, head: &[&str], rows: &[Vec<String>]) {
        if self.md() {
            let _ = writeln!(self.out, "| {} |", head.join(" | "));
            let _ = writeln!(self.out, "|{}", "---|".repeat(head.len()));
            for r in rows {
                let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
                let _ = writeln!(self.out, "| {} |", cells.join(" | "));
            }
            return;
        }
        let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
        for r in rows {
            for (i, c) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let write_row = |out: &mut String, cells: Vec<&str>| {
            let last = cells.len().saturating_sub(1);
            let mut line = String::from(" ");
            for (i, c) in cells.iter().enumerate() {
                line.push(' ');
                line.push_str(c);
                if i < last {
                    let pad = widths[i].saturating_sub(c.chars().count()) + 1;
                    line.push_str(&" ".repeat(pad));
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        };
        if head.iter().any(|h| !h.is_empty()) {
            write_row(&mut self.out, head.to_vec());
        }
        for r in rows {
            write_row(&mut self.out, r.iter().map(String::as_str).collect());
        }
    }

    fn finding(&mut self, f: &Finding) {
        let evidence = (!f.request_ids.is_empty()).then(|| {
            f.request_ids
                .iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        });
        if self.md() {
            let _ = write!(
                self.out,
                "\n### {} `{}` — {}\n\n{}\n",
                f.severity.label(),
                f.code,
                f.title,
                f.detail
            );
            if let Some(src) = f.source {
                let _ = writeln!(self.out, "\nSource: the org's record (`{src}`).");
            }
            if let Some(e) = evidence {
                let _ = write!(self.out, "\nEvidence: request {e}\n");
            }
            self.out.push_str("\nFix:\n\n");
            for (i, step) in f.fix.iter().enumerate() {
                let _ = writeln!(self.out, "{}. {step}", i + 1);
            }
            return;
        }
        let _ = write!(
            self.out,
            "\n  {:<7} {}  {}\n",
            f.severity.label(),
            f.code,
            f.title
        );
        let _ = writeln!(self.out, "          {}", f.detail);
        if let Some(src) = f.source {
            let _ = writeln!(self.out, "          source: the org's record ({src})");
        }
        if let Some(e) = evidence {
            let _ = writeln!(self.out, "          evidence: request {e}");
        }
        for (i, step) in f.fix.iter().enumerate() {
            let _ = writeln!(self.out, "          {}. {step}", i + 1);
        }
    }
}

fn yes_no(b: Option<bool>) -> String {
    match b {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => "unknown".into(),
    }
}

/// The report in one style. `generated_ms`: when the file is written (Markdown's
/// "Generated"), if it is one.
pub fn report(r: &Report, style: Style, generated_ms: Option<u64>) -> String {
    let mut d = Doc {
        style,
        out: String::new(),
    };
    let unknown = || "unknown".to_string();
    if d.md() {
        for host in &r.environment.insecure_hosts {
            d.callout(
                "Warning",
                &format!("TLS certificate verification was off for `{host}` (`--insecure-host`)."),
            );
        }
        for host in &r.environment.trust_hosts {
            d.callout("Note", &format!("the token was allowed to go to `{host}`, outside Salesforce's domains (`--trust-host`)."));
        }
    } else {
        for host in &r.environment.insecure_hosts {
            d.callout(
                "Warning",
                &format!("TLS certificate verification was OFF for {host} (--insecure-host)."),
            );
        }
        for host in &r.environment.trust_hosts {
            d.callout("Note", &format!("the token was allowed to go to {host}, outside Salesforce's domains (--trust-host)."));
        }
    }
    if d.md() {
        // A file opens with its title; a terminal with what must not scroll away unseen.
        d.out.insert_str(0, "# sagediag report\n\n");
    } else {
        d.title("sagediag check");
    }
    if let Some(ms) = generated_ms {
        d.field("Generated", &super::export::iso8601(ms));
    }
    d.field("Run started", &r.started_at);
    d.field("sagediag", r.sagediag_version);
    d.field(
        "Environment",
        &format!(
            "{} ({}){}",
            r.environment.kind,
            r.environment.login_url,
            r.environment
                .proxy
                .as_ref()
                .map(|p| format!(", proxy {p}"))
                .unwrap_or_default()
        ),
    );
    d.field("Flow", r.flow.name());
    d.field(
        "Instance",
        r.instance_url.as_deref().unwrap_or("unknown (no login)"),
    );
    d.field("Org id", r.org_id.as_deref().unwrap_or("unknown"));
    if let Some(u) = &r.org.username {
        d.field("API user", u);
    }
    let (word, words) = (r.outcome.word(), r.status_words());
    let rest = words.strip_prefix(word).unwrap_or_default();
    let outcome = if d.md() {
        format!("**{word}**{rest}")
    } else {
        format!("{word}{rest}")
    };
    d.field("Outcome", &outcome);
    if !r.changes.is_empty() {
        d.field(
            "After the check",
            &format!(
                "{} to the org (see Changes made)",
                super::verdict::plural(r.changes.len(), "change")
            ),
        );
    }

    d.section(&format!("Permission sets ({})", r.probes_words()));
    let rows: Vec<Vec<String>> = r
        .endpoints
        .iter()
        .map(|e| {
            vec![
                e.status.mark().to_string(),
                e.permission_set.to_string(),
                format!(
                    "{} {}",
                    e.method,
                    e.path.trim_start_matches(super::model::SAGE_BASE)
                ),
                e.http_status
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "—".into()),
                e.latency_ms.to_string(),
                e.records.map(|n| n.to_string()).unwrap_or_default(),
                match e.assigned {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "?",
                }
                .to_string(),
                e.finding
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    d.table(
        &[
            "Result",
            "Permission set",
            "Endpoint",
            "HTTP",
            "ms",
            "Records",
            "Assigned",
            "Finding",
        ],
        &rows,
    );

    d.section(&format!("Findings ({})", r.findings_count()));
    if r.findings.is_empty() {
        d.para("None: every check passed.");
    }
    for f in &r.findings {
        d.finding(f);
    }

    if !r.changes.is_empty() {
        d.section("Changes made");
        for c in &r.changes {
            d.line(&format!(
                "{} {} for {} by {} at {} (request #{}{}){}",
                c.outcome,
                c.what,
                c.for_user,
                c.by,
                c.at,
                c.request_id,
                c.record
                    .as_deref()
                    .map(|x| format!("; {x}"))
                    .unwrap_or_default(),
                c.note
                    .as_deref()
                    .map(
                        |n| if c.outcome == super::model::ChangeOutcome::NotUndoable {
                            format!(" ({n})")
                        } else {
                            format!(" (left in place: {n})")
                        }
                    )
                    .unwrap_or_default()
            ));
        }
    }

    if r.rotation.is_some() || !r.revoked.is_empty() {
        d.section("Tokens given back");
        if let Some(rot) = &r.rotation {
            d.callout("Rotated", &rot.loud_line());
        }
        for x in &r.revoked {
            d.line(&x.line());
        }
    }

    d.section("Org checks");
    let o = &r.org;
    d.field("API Enabled", &yes_no(o.api_enabled));
    d.field(
        "Sage People API package",
        &o.package_version.clone().unwrap_or_else(unknown),
    );
    d.field(
        "Refresh token policy",
        &o.refresh_token_policy.clone().unwrap_or_else(unknown),
    );
    d.field(
        "Permitted users",
        &o.permitted_users.clone().unwrap_or_else(unknown),
    );
    d.field(
        "API usage",
        &o.api_usage
            .map(|(u, m)| format!("{u} of {m} today"))
            .unwrap_or_else(unknown),
    );
    if let Some(sets) = &o.assigned_permission_sets {
        d.field(
            "Permission sets assigned",
            &if sets.is_empty() {
                "none".into()
            } else {
                sets.join(", ")
            },
        );
    }
    d.field("Scopes granted", &r.scopes.clone().unwrap_or_else(unknown));
    for sk in &o.skipped {
        d.field("Skipped", sk);
    }

    d.section("App");
    let rows: Vec<Vec<String>> = r
        .app
        .lines()
        .into_iter()
        .map(|(k, v)| vec![k.to_string(), v])
        .collect();
    d.table(&["", ""], &rows);
    for u in &r.app.unknown {
        d.field("Unknown", u);
    }

    if let Some(rec) = &r.integration {
        d.section("Integration record (the org's own)");
        let rows: Vec<Vec<String>> = super::record::lines(rec)
            .into_iter()
            .map(|(k, v)| vec![k.trim().to_string(), v])
            .collect();
        d.table(&["", ""], &rows);
    }

    if let Some(c) = &r.coverage {
        d.section("Field coverage");
        d.para(&format!(
            "{} employees in {} pages{}.",
            c.employees,
            c.pages,
            if c.limited {
                " (stopped at the limit)"
            } else {
                ""
            }
        ));
        let rows: Vec<Vec<String>> = c
            .fields
            .iter()
            .map(|f| {
                vec![
                    format!("{} ({})", f.label, f.path),
                    f.populated.to_string(),
                    format!("{:.1}", c.percent(f.populated)),
                ]
            })
            .collect();
        d.table(&["Field", "Populated", "%"], &rows);
        d.field(
            "Without email",
            &format!(
                "{} (e.g. {})",
                c.missing_email,
                c.examples_missing_email.join(", ")
            ),
        );
        d.field(
            "Emails shared",
            &format!(
                "{} emails, {} records (e.g. {})",
                c.duplicate_emails,
                c.records_with_duplicate_email,
                c.examples_duplicate_email.join(", ")
            ),
        );
        d.field(
            "Leavers",
            &format!(
                "{}, of whom still holding a work email: {} (e.g. {})",
                c.leavers,
                c.leavers_with_email,
                c.examples_leaver_with_email.join(", ")
            ),
        );
        if let Some(why) = &c.stopped {
            d.field("Stopped early", why);
        }
    }

    d.section("Steps");
    let rows: Vec<Vec<String>> = r
        .steps
        .iter()
        .map(|st| {
            vec![
                st.title.to_string(),
                st.status.mark().to_string(),
                st.duration_ms.to_string(),
                st.summary.clone(),
            ]
        })
        .collect();
    d.table(&["Step", "Result", "ms", "Summary"], &rows);

    if d.md() {
        d.section("Request log");
        let rows: Vec<Vec<String>> = r
            .requests
            .iter()
            .map(|q| {
                vec![
                    q.id.to_string(),
                    q.method.clone(),
                    format!(
                        "`{}`{}",
                        q.url,
                        q.summary
                            .as_ref()
                            .map(|s| format!(" ({s})"))
                            .unwrap_or_default()
                    ),
                    q.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "error".into()),
                    q.duration_ms.to_string(),
                ]
            })
            .collect();
        d.table(&["#", "Method", "URL", "Status", "ms"], &rows);
        d.out.push_str("\nSecrets (consumer secret, passwords, tokens, authorization codes, PKCE verifiers, assertions) are redacted.\n");
    } else {
        let _ = write!(d.out, "\nOutcome: {}\n", r.outcome.word());
    }
    d.out
}
