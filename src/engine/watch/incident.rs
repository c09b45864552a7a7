//! Incidents, not noise: the pure state machine that turns one org's cycles into incidents and
//! their transitions. The store (`store/`) runs it inside the transaction that records a cycle;
//! nothing here reads a clock, a database or the network.
//!
//! - One incident per org and finding code. A finding of severity `error` or `warning` (or a
//!   forecast) fails its code for this cycle; `info` findings open nothing.
//! - A code seen failing starts a **Pending** incident; it **opens** after `open_after` failing
//!   cycles in a row (the `Opened` transition). A code of an active incident that is absent from a
//!   cycle passes; an open incident **resolves** after `resolve_after` passing cycles in a row
//!   (`Resolved`). A pending incident that passes `resolve_after` times in a row is dropped: it
//!   never opened, so nobody heard of it. A flapping code (fail, pass, fail, …) therefore never
//!   opens when `open_after` ≥ 2.
//! - A forecast (a refresh token that will idle out) opens a warning incident like any other; a
//!   later `error` finding of the same code, or any rise in severity, **escalates** the open
//!   incident (`Escalated`) and it takes the new severity, title and fix.
//! - A muted incident (`muted_until` > now) changes state like any other, but its transitions are
//!   not delivered; an acknowledged one raises no `Escalated` at all.
//! - A resolved incident is final: the next failure of the code starts a new incident.

use std::collections::BTreeMap;

use super::model::{
    Incident, IncidentPolicy, IncidentState, Transition, TransitionKind, WatchFinding,
};

/// One transition of this cycle and whether it is to be delivered (not muted).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Index of the incident in [`Step::incidents`] (a new incident's id is known only once the
    /// store has inserted it; `transition.incident_id` is 0 for it until then).
    pub index: usize,
    pub transition: Transition,
    pub deliver: bool,
}

/// What one cycle did to an org's incidents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    /// Every incident that was active (pending or open) or was started by this cycle, updated;
    /// new ones have id 0. Resolved ones are here with their final state.
    pub incidents: Vec<Incident>,
    /// Ids of pending incidents that passed enough cycles to be forgotten (never opened).
    pub dropped: Vec<i64>,
    pub changes: Vec<Change>,
}

/// The rank of a severity word (error > warning > info > anything else).
pub fn severity_rank(severity: &str) -> u8 {
    match severity {
        "error" => 3,
        "warning" => 2,
        "info" => 1,
        _ => 0,
    }
}

/// Whether a finding fails its code for incidents (errors, warnings and forecasts do).
pub fn counts(f: &WatchFinding) -> bool {
    f.forecast || severity_rank(&f.severity) >= 2
}

/// Runs one cycle over an org's active incidents (pending or open; others are ignored).
/// `findings` are the cycle's; `now` is the cycle's time (Unix seconds).
pub fn step(
    org: &str,
    active: Vec<Incident>,
    findings: &[WatchFinding],
    policy: IncidentPolicy,
    now: i64,
) -> Step {
    let open_after = policy.open_after.max(1);
    let resolve_after = policy.resolve_after.max(1);

    // The cycle's failing codes, each with its worst finding (first of equal ones).
    let mut failing: BTreeMap<&str, &WatchFinding> = BTreeMap::new();
    for f in findings.iter().filter(|f| counts(f)) {
        match failing.get(f.code.as_str()) {
            Some(prev) if !worse(f, prev) => {}
            _ => {
                failing.insert(f.code.as_str(), f);
            }
        }
    }

    let mut out = Step::default();
    let mut seen: Vec<&str> = Vec::new();
    for mut inc in active {
        if !matches!(inc.state, IncidentState::Pending | IncidentState::Open) {
            continue;
        }
        let muted = inc.muted_until.is_some_and(|until| until > now);
        let index = out.incidents.len();
        let code = inc.code.clone();
        match failing.get(code.as_str()) {
            Some(f) => {
                seen.push(f.code.as_str());
                inc.consecutive_fail = inc.consecutive_fail.saturating_add(1);
                inc.consecutive_pass = 0;
                inc.count = inc.count.saturating_add(1);
                inc.last_seen = now;
                let rises = worse_than_incident(f, &inc);
                if rises {
                    inc.severity = f.severity.clone();
                    inc.title = f.title.clone();
                    inc.fix = f.fix.clone();
                    inc.forecast = f.forecast;
                }
                match inc.state {
                    IncidentState::Pending if inc.consecutive_fail >= open_after => {
                        inc.state = IncidentState::Open;
                        inc.opened_at = Some(now);
                        out.changes
                            .push(change(index, &inc, TransitionKind::Opened, now, !muted));
                    }
                    IncidentState::Open if rises && inc.acked_at.is_none() => {
                        out.changes.push(change(
                            index,
                            &inc,
                            TransitionKind::Escalated,
                            now,
                            !muted,
                        ));
                    }
                    _ => {}
                }
                out.incidents.push(inc);
            }
            None => {
                inc.consecutive_pass = inc.consecutive_pass.saturating_add(1);
                inc.consecutive_fail = 0;
                if inc.consecutive_pass >= resolve_after {
                    match inc.state {
                        IncidentState::Open => {
                            inc.state = IncidentState::Resolved;
                            inc.resolved_at = Some(now);
                            out.changes.push(change(
                                index,
                                &inc,
                                TransitionKind::Resolved,
                                now,
                                !muted,
                            ));
                        }
                        _ => {
                            if inc.id != 0 {
                                out.dropped.push(inc.id);
                            }
                            continue;
                        }
                    }
                }
                out.incidents.push(inc);
            }
        }
    }

    // Codes failing with no active incident start one.
    for (code, f) in failing {
        if seen.contains(&code) {
            continue;
        }
        let mut inc = Incident {
            id: 0,
            org: org.to_string(),
            code: code.to_string(),
            severity: f.severity.clone(),
            title: f.title.clone(),
            fix: f.fix.clone(),
            forecast: f.forecast,
            state: IncidentState::Pending,
            first_seen: now,
            last_seen: now,
            count: 1,
            consecutive_fail: 1,
            consecutive_pass: 0,
            opened_at: None,
            resolved_at: None,
            acked_by: None,
            acked_at: None,
            muted_until: None,
        };
        let index = out.incidents.len();
        if open_after <= 1 {
            inc.state = IncidentState::Open;
            inc.opened_at = Some(now);
            out.changes
                .push(change(index, &inc, TransitionKind::Opened, now, true));
        }
        out.incidents.push(inc);
    }
    out
}

/// Whether finding `a` is worse than `b` (for two findings of one code in a cycle).
fn worse(a: &WatchFinding, b: &WatchFinding) -> bool {
    let (ra, rb) = (severity_rank(&a.severity), severity_rank(&b.severity));
    ra > rb || (ra == rb && b.forecast && !a.forecast)
}

/// Whether the finding raises the incident: a higher severity, or an error where the incident
/// was a forecast.
fn worse_than_incident(f: &WatchFinding, inc: &Incident) -> bool {
    let (rf, ri) = (severity_rank(&f.severity), severity_rank(&inc.severity));
    rf > ri || (inc.forecast && !f.forecast && rf >= 3)
}

fn change(index: usize, inc: &Incident, kind: TransitionKind, now: i64, deliver: bool) -> Change {
    Change {
        index,
        deliver,
        transition: Transition {
            incident_id: inc.id,
            org: inc.org.clone(),
            code: inc.code.clone(),
            kind,
            severity: inc.severity.clone(),
            title: inc.title.clone(),
            fix: inc.fix.clone(),
            first_seen: inc.first_seen,
            last_seen: inc.last_seen,
            at: now,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: IncidentPolicy = IncidentPolicy {
        open_after: 2,
        resolve_after: 2,
    };

    fn finding(code: &str, severity: &str, forecast: bool) -> WatchFinding {
        WatchFinding {
            code: code.into(),
            severity: severity.into(),
            title: format!("{code} title"),
            fix: vec![format!("fix {code}")],
            forecast,
        }
    }

    /// Runs cycles like the store does: ids assigned to new incidents, resolved and dropped
    /// ones leave the active set. Returns every step's kinds (delivered ones only with `all`
    /// false) and the final active set plus the resolved ones.
    struct Org {
        active: Vec<Incident>,
        resolved: Vec<Incident>,
        next_id: i64,
        now: i64,
        policy: IncidentPolicy,
    }

    impl Org {
        fn new(policy: IncidentPolicy) -> Org {
            Org {
                active: vec![],
                resolved: vec![],
                next_id: 1,
                now: 1_000,
                policy,
            }
        }

        fn cycle(&mut self, findings: &[WatchFinding]) -> Vec<Change> {
            self.now += 60;
            let mut s = step(
                "org-1",
                std::mem::take(&mut self.active),
                findings,
                self.policy,
                self.now,
            );
            for (i, inc) in s.incidents.iter_mut().enumerate() {
                if inc.id == 0 {
                    inc.id = self.next_id;
                    self.next_id += 1;
                    for c in s.changes.iter_mut().filter(|c| c.index == i) {
                        c.transition.incident_id = inc.id;
                    }
                }
            }
            for inc in s.incidents {
                if inc.state == IncidentState::Resolved {
                    self.resolved.push(inc);
                } else {
                    self.active.push(inc);
                }
            }
            s.changes
        }

        fn kinds(&mut self, findings: &[WatchFinding]) -> Vec<(String, TransitionKind, bool)> {
            self.cycle(findings)
                .into_iter()
                .map(|c| (c.transition.code, c.transition.kind, c.deliver))
                .collect()
        }
    }

    #[test]
    fn opens_after_two_failing_cycles_and_resolves_after_two_passing() {
        let mut org = Org::new(P);
        let f = [finding("USER_FROZEN", "error", false)];
        assert!(org.kinds(&f).is_empty());
        assert_eq!(org.active[0].state, IncidentState::Pending);
        assert_eq!(
            org.kinds(&f),
            vec![("USER_FROZEN".into(), TransitionKind::Opened, true)]
        );
        let inc = &org.active[0];
        assert_eq!(inc.state, IncidentState::Open);
        assert_eq!((inc.first_seen, inc.last_seen, inc.count), (1060, 1120, 2));
        assert_eq!(inc.opened_at, Some(1120));
        // Still failing: nothing new, the count grows.
        assert!(org.kinds(&f).is_empty());
        assert_eq!(org.active[0].count, 3);
        assert_eq!(org.active[0].last_seen, 1180);
        // One pass is not enough; a failure in between restarts the passing count.
        assert!(org.kinds(&[]).is_empty());
        assert_eq!(org.active[0].consecutive_pass, 1);
        assert!(org.kinds(&f).is_empty());
        assert_eq!(org.active[0].consecutive_pass, 0);
        assert!(org.kinds(&[]).is_empty());
        let changes = org.cycle(&[]);
        assert_eq!(changes.len(), 1);
        let t = &changes[0].transition;
        assert_eq!(t.kind, TransitionKind::Resolved);
        assert_eq!(
            (t.incident_id, t.first_seen, t.last_seen, t.at),
            (1, 1060, 1300, 1420)
        );
        assert!(org.active.is_empty());
        assert_eq!(org.resolved[0].resolved_at, Some(1420));
        assert_eq!(org.resolved[0].count, 4);
    }

    #[test]
    fn a_flapping_code_never_opens() {
        let mut org = Org::new(P);
        let f = [finding("PERMSET_MISSING", "error", false)];
        for _ in 0..20 {
            assert!(org.kinds(&f).is_empty());
            assert!(org.kinds(&[]).is_empty());
        }
        // One pending incident, never opened, count of every failure.
        assert_eq!(org.active.len(), 1);
        assert_eq!(org.active[0].state, IncidentState::Pending);
        assert_eq!(org.active[0].count, 20);
        assert!(org.resolved.is_empty());
    }

    #[test]
    fn a_pending_incident_that_passes_is_dropped_silently() {
        let mut org = Org::new(P);
        org.kinds(&[finding("X", "error", false)]);
        let id = org.active[0].id;
        assert!(org.kinds(&[]).is_empty());
        let s = step("org-1", org.active.clone(), &[], P, 99_999);
        assert_eq!(s.dropped, vec![id]);
        assert!(s.incidents.is_empty() && s.changes.is_empty());
    }

    #[test]
    fn open_after_one_opens_at_once_and_zero_counts_as_one() {
        for n in [0, 1] {
            let mut org = Org::new(IncidentPolicy {
                open_after: n,
                resolve_after: n,
            });
            let f = [finding("X", "error", false)];
            assert_eq!(
                org.kinds(&f),
                vec![("X".into(), TransitionKind::Opened, true)]
            );
            assert_eq!(
                org.kinds(&[]),
                vec![("X".into(), TransitionKind::Resolved, true)]
            );
        }
    }

    #[test]
    fn a_forecast_opens_a_warning_and_the_break_escalates_it() {
        let mut org = Org::new(P);
        let fc = [finding("REFRESH_TOKEN_EXPIRING", "warning", true)];
        org.kinds(&fc);
        assert_eq!(
            org.kinds(&fc),
            vec![(
                "REFRESH_TOKEN_EXPIRING".into(),
                TransitionKind::Opened,
                true
            )]
        );
        assert_eq!(org.active[0].severity, "warning");
        assert!(org.active[0].forecast);
        let broke = [finding("REFRESH_TOKEN_EXPIRING", "error", false)];
        let ch = org.cycle(&broke);
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].transition.kind, TransitionKind::Escalated);
        assert_eq!(ch[0].transition.severity, "error");
        assert!(!org.active[0].forecast);
        // Once error, staying error escalates no more; falling back to the forecast neither.
        assert!(org.kinds(&broke).is_empty());
        assert!(org.kinds(&fc).is_empty());
    }

    #[test]
    fn a_warning_rising_to_error_escalates_once() {
        let mut org = Org::new(P);
        let w = [finding("API_HEADROOM", "warning", false)];
        org.kinds(&w);
        org.kinds(&w);
        let e = [finding("API_HEADROOM", "error", false)];
        assert_eq!(
            org.kinds(&e),
            vec![("API_HEADROOM".into(), TransitionKind::Escalated, true)]
        );
        assert!(org.kinds(&e).is_empty());
    }

    #[test]
    fn a_pending_incident_rising_opens_with_the_higher_severity_and_no_escalation() {
        let mut org = Org::new(P);
        org.kinds(&[finding("X", "warning", true)]);
        let ch = org.cycle(&[finding("X", "error", false)]);
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].transition.kind, TransitionKind::Opened);
        assert_eq!(ch[0].transition.severity, "error");
    }

    #[test]
    fn muted_incidents_change_state_without_delivery() {
        let mut org = Org::new(P);
        let f = [finding("X", "warning", false)];
        org.kinds(&f);
        org.active[0].muted_until = Some(1_000_000);
        assert_eq!(
            org.kinds(&f),
            vec![("X".into(), TransitionKind::Opened, false)]
        );
        assert_eq!(
            org.kinds(&[finding("X", "error", false)]),
            vec![("X".into(), TransitionKind::Escalated, false)]
        );
        org.kinds(&[]);
        assert_eq!(
            org.kinds(&[]),
            vec![("X".into(), TransitionKind::Resolved, false)]
        );
        // A mute that has ended delivers again.
        let mut org = Org::new(P);
        org.kinds(&f);
        org.active[0].muted_until = Some(org.now + 60);
        assert_eq!(
            org.kinds(&f),
            vec![("X".into(), TransitionKind::Opened, true)]
        );
    }

    #[test]
    fn acknowledged_incidents_do_not_escalate_but_resolve() {
        let mut org = Org::new(P);
        let w = [finding("X", "warning", false)];
        org.kinds(&w);
        org.kinds(&w);
        org.active[0].acked_at = Some(5);
        org.active[0].acked_by = Some("ann".into());
        assert!(org.kinds(&[finding("X", "error", false)]).is_empty());
        assert_eq!(org.active[0].severity, "error");
        org.kinds(&[]);
        assert_eq!(
            org.kinds(&[]),
            vec![("X".into(), TransitionKind::Resolved, true)]
        );
    }

    #[test]
    fn info_findings_open_nothing_and_codes_are_independent() {
        let mut org = Org::new(P);
        let f = [
            finding("NOTE", "info", false),
            finding("A", "error", false),
            finding("B", "warning", false),
        ];
        org.kinds(&f);
        let mut k = org.kinds(&f);
        k.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            k,
            vec![
                ("A".into(), TransitionKind::Opened, true),
                ("B".into(), TransitionKind::Opened, true)
            ]
        );
        // A passes, B keeps failing.
        org.kinds(&[finding("B", "warning", false)]);
        assert_eq!(
            org.kinds(&[finding("B", "warning", false)]),
            vec![("A".into(), TransitionKind::Resolved, true)]
        );
        assert_eq!(org.active.len(), 1);
        assert_eq!(org.active[0].code, "B");
    }

    #[test]
    fn a_resolved_code_that_fails_again_starts_a_new_incident() {
        let mut org = Org::new(P);
        let f = [finding("X", "error", false)];
        org.kinds(&f);
        org.kinds(&f);
        org.kinds(&[]);
        org.kinds(&[]);
        assert_eq!(org.resolved.len(), 1);
        org.kinds(&f);
        let ch = org.cycle(&f);
        assert_eq!(ch[0].transition.kind, TransitionKind::Opened);
        assert_ne!(ch[0].transition.incident_id, org.resolved[0].id);
        // Resolved incidents given back as active are ignored.
        let s = step("org-1", org.resolved.clone(), &[], P, 1);
        assert!(s.incidents.is_empty() && s.changes.is_empty());
    }

    #[test]
    fn two_findings_of_one_code_count_once_with_the_worse() {
        let mut org = Org::new(P);
        let f = [finding("X", "warning", true), finding("X", "error", false)];
        org.kinds(&f);
        assert_eq!(org.active.len(), 1);
        assert_eq!(org.active[0].count, 1);
        assert_eq!(org.active[0].severity, "error");
        assert!(!org.active[0].forecast);
    }
}
