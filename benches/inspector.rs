//! The inspector on big responses (issue #13): for 4 MB and 20 MB bodies — a Sage People–like
//! employees page (JSON, pretty-printed by the inspector), the same JSON minified and cut
//! mid-way, and one non-JSON single line — the time to open (index + first draw to a 120×40
//! TestBackend), the slowest of each key (wrap off and on), and the memory: peak RSS while open,
//! over the RSS before the body was held, as a multiple of the body. Each case runs in a child
//! process of its own (the bench binary re-run with `SAGEDIAG_BENCH_INSPECTOR`). Run:
//! `cargo bench --bench inspector`; `SAGEDIAG_BENCH_MB=4,20` picks the sizes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::format_push_string
)] // test code: Cargo.toml's [lints] are for the program

#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagediag::engine::http::Exchange;
use sagediag::tui::inspector::{self, Inspector};
use sagediag::tui::keymap::Action;
use sagediag::tui::theme::Theme;

const GOAL_OPEN_MS: f64 = 150.0;
const GOAL_KEY_MS: f64 = 16.0;
const GOAL_RSS_RATIO: f64 = 3.0;
/// What `n` looks for: only near the end of each body.
const NEEDLE: &str = "needle-near-the-end";

const KINDS: [&str; 3] = ["json", "cut", "line"];

/// A Sage People employees page of about `bytes`, compact as the log holds it.
fn employees(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 4096);
    out.push_str(r#"{"totalSize":0,"done":false,"records":["#);
    let mut i = 0u64;
    while out.len() < bytes {
        if i > 0 {
            out.push(',');
        }
        // The marker sits in the last records only.
        let note = if out.len() + 2000 > bytes { NEEDLE } else { "" };
        out.push_str(&format!(
            r#"{{"attributes":{{"type":"fHCM2__Employment__c","url":"/services/data/v60.0/sobjects/fHCM2__Employment__c/a0X{i:015}"}},"Id":"a0X{i:015}","Name":"EMP-{i:07}","fHCM2__Team_Member__r":{{"Id":"a0Y{i:015}","fHCM2__First_Name__c":"Zoë","fHCM2__Surname__c":"O'Brien-{i}","fHCM2__Email__c":"employee.{i}@example.com","fHCM2__Department__c":"Engineering","fHCM2__Manager__c":null}},"fHCM2__Start_Date__c":"2019-04-01","fHCM2__End_Date__c":null,"fHCM2__Basis__c":"Permanent","fHCM2__FTE__c":1.0,"fHCM2__Hours_Per_Week__c":37.5,"fHCM2__Active__c":true,"Notes__c":"{note}"}}"#
        ));
        i += 1;
    }
    out.push_str(r#"],"nextRecordsUrl":"/services/data/v60.0/query/01gxx0000000001-2000"}"#);
    out
}

fn body(kind: &str, bytes: usize) -> String {
    match kind {
        "json" => employees(bytes),
        "cut" => {
            let mut b = employees(2 * bytes);
            let mut at = bytes;
            while !b.is_char_boundary(at) {
                at -= 1;
            }
            b.truncate(at);
            // The needle must stay near the end of what is kept.
            let tail = b.len() - 1000;
            b.replace_range(tail..tail + NEEDLE.len(), NEEDLE);
            b
        }
        _ => {
            let mut b = String::with_capacity(bytes);
            while b.len() + 64 < bytes {
                b.push_str("lorem ipsum dolor sit amet, consectetur adipiscing elit; ");
            }
            b.push_str(NEEDLE);
            b.push_str(" the end");
            b
        }
    }
}

fn exchange(body: String) -> Exchange {
    Exchange {
        id: 1,
        method: "GET".into(),
        url: "https://example.my.salesforce.com/services/apexrest/spapi/v4/employees".into(),
        request_headers: vec![("Authorization".into(), "Bearer [REDACTED]".into())],
        status: Some(200),
        response_headers: vec![("content-type".into(), "application/json".into())],
        response_bytes: body.len(),
        response_body: Some(body.into()),
        duration_ms: 1,
        ..Exchange::default()
    }
}

fn kb(key: &str) -> u64 {
    support::status_kb(key).unwrap_or(0)
}

/// In the child: one case, its figures as one line of JSON.
fn child(spec: &str) {
    let (kind, mb) = spec.split_once(':').unwrap();
    let bytes = mb.parse::<usize>().unwrap() * 1_000_000;
    let before = kb("VmRSS:");
    let e = exchange(body(kind, bytes));
    let len = e.response_bytes;
    let held = kb("VmRSS:");
    // The peak from here on (clear_refs 5 resets VmHWM).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let theme = Theme {
        color: true,
        light: false,
        plain: false,
    };
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let t = Instant::now();
    let mut ins = Inspector::new(&e);
    let mut body = Default::default();
    term.draw(|f| {
        let area = f.area();
        body = inspector::draw(f, &ins, &theme, area);
    })
    .unwrap();
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;
    ins.query = NEEDLE.into();
    let keys: [(&str, Action); 9] = [
        ("Down", Action::Down),
        ("PageDown", Action::PageDown),
        ("End", Action::End),
        ("Home", Action::Home),
        ("Up", Action::Up),
        ("PageUp", Action::PageUp),
        ("Right", Action::Right),
        ("Left", Action::Left),
        ("n", Action::FindNext),
    ];
    let mut figures = serde_json::Map::new();
    let mut press = |ins: &mut Inspector, a: Action| -> f64 {
        let t = Instant::now();
        // The view as the last frame drew it, as the console hands it to the key.
        ins.set_view(body.width.into(), body.height.into());
        ins.on_action(a);
        term.draw(|f| {
            let area = f.area();
            body = inspector::draw(f, ins, &theme, area);
        })
        .unwrap();
        t.elapsed().as_secs_f64() * 1000.0
    };
    // w: wrap on (the rows cache built for the width), then off again.
    let on = press(&mut ins, Action::Wrap);
    assert!(ins.wrap);
    let off = press(&mut ins, Action::Wrap);
    assert!(!ins.wrap);
    figures.insert("w (on)".into(), on.into());
    figures.insert("w (off)".into(), off.into());
    for wrap in ["off", "on"] {
        if wrap == "on" {
            press(&mut ins, Action::Home);
            press(&mut ins, Action::Wrap);
        }
        for (name, a) in &keys {
            let worst = (0..5)
                .map(|_| {
                    let ms = press(&mut ins, *a);
                    if *name == "n" {
                        // From the top again: the search runs over the whole body.
                        assert_eq!(ins.found, Some(true));
                        ins.scroll = 0;
                        ins.sub = 0;
                    }
                    ms
                })
                .fold(0.0, f64::max);
            figures.insert(format!("{name} wrap {wrap}"), worst.into());
        }
    }
    let peak = if reset { kb("VmHWM:") } else { kb("VmRSS:") };
    let out = serde_json::json!({
        "bytes": len, "lines": ins.len(), "open_ms": open_ms, "keys": figures,
        "rss_before_kb": before, "rss_held_kb": held, "peak_kb": peak.max(held),
    });
    println!("{out}");
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn main() {
    if let Ok(spec) = std::env::var("SAGEDIAG_BENCH_INSPECTOR") {
        child(&spec);
        return;
    }
    let sizes: Vec<usize> = std::env::var("SAGEDIAG_BENCH_MB")
        .unwrap_or_else(|_| "4,20".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "inspector: open = Inspector::new + first draw (120x40 TestBackend); key = the action + a draw, the slowest of 5; RSS = peak while open over RSS before the body, / body size; each case in a child process"
    );
    println!(
        "  goals: open < {GOAL_OPEN_MS} ms, every key < {GOAL_KEY_MS} ms (wrap off and on), RSS < {GOAL_RSS_RATIO}x the body"
    );
    let mut all_met = true;
    for mb in sizes {
        for kind in KINDS {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .env("SAGEDIAG_BENCH_INSPECTOR", format!("{kind}:{mb}"))
                .stderr(std::process::Stdio::inherit())
                .output()
                .expect("the child runs");
            assert!(out.status.success(), "the child failed");
            let line = String::from_utf8_lossy(&out.stdout);
            let v: serde_json::Value =
                serde_json::from_str(line.lines().last().unwrap_or_default()).unwrap();
            let what = match kind {
                "json" => "employees page, JSON (pretty-printed)",
                "cut" => "same JSON minified, cut mid-way",
                _ => "non-JSON, one line",
            };
            let bytes = v["bytes"].as_f64().unwrap_or(1.0);
            let open = v["open_ms"].as_f64().unwrap_or(0.0);
            let keys = v["keys"].as_object().cloned().unwrap_or_default();
            let (worst_key, worst) = keys
                .iter()
                .map(|(k, ms)| (k.clone(), ms.as_f64().unwrap_or(0.0)))
                .fold((String::new(), 0.0), |a, b| if b.1 > a.1 { b } else { a });
            let before = v["rss_before_kb"].as_f64().unwrap_or(0.0);
            let held = v["rss_held_kb"].as_f64().unwrap_or(0.0);
            let peak = v["peak_kb"].as_f64().unwrap_or(0.0);
            let ratio = (peak - before) * 1024.0 / bytes;
            println!(
                "\n  {mb} MB {what}: {:.1} MB, {} lines",
                bytes / 1e6,
                v["lines"]
            );
            println!(
                "    open {open:>7.1} ms  (goal < {GOAL_OPEN_MS} ms: {})",
                met(open < GOAL_OPEN_MS)
            );
            for wrap in ["off", "on"] {
                let row: Vec<String> = keys
                    .iter()
                    .filter(|(k, _)| k.ends_with(&format!("wrap {wrap}")))
                    .map(|(k, ms)| {
                        format!(
                            "{} {:.2}",
                            k.trim_end_matches(&format!(" wrap {wrap}")),
                            ms.as_f64().unwrap_or(0.0)
                        )
                    })
                    .collect();
                println!("    keys, wrap {wrap:<3} (ms): {}", row.join(" · "));
            }
            println!(
                "    w toggling (ms): on {:.2} · off {:.2}",
                keys.get("w (on)").and_then(|v| v.as_f64()).unwrap_or(0.0),
                keys.get("w (off)").and_then(|v| v.as_f64()).unwrap_or(0.0)
            );
            println!(
                "    slowest key {worst:>6.2} ms ({worst_key})  (goal < {GOAL_KEY_MS} ms: {})",
                met(worst < GOAL_KEY_MS)
            );
            println!(
                "    RSS: {:.0} MiB before, {:.0} MiB holding the body, peak {:.0} MiB open: {ratio:.2}x the body  (goal < {GOAL_RSS_RATIO}x: {})",
                before / 1024.0,
                held / 1024.0,
                peak / 1024.0,
                met(ratio < GOAL_RSS_RATIO)
            );
            all_met &= open < GOAL_OPEN_MS && worst < GOAL_KEY_MS && ratio < GOAL_RSS_RATIO;
        }
    }
    println!(
        "\n  all inspector goals: {}",
        if all_met { "met" } else { "NOT met" }
    );
}
