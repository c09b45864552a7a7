//! Property tests: the client side's parsers and the sanitiser never panic on any input, and
//! the sanitiser's promises hold for every string. A fixed case count keeps them quick.

use proptest::prelude::*;
use sagediag::engine::http::{Response, redact_body};
use sagediag::engine::{Flow, classify, login, sanitize};

fn cfg() -> ProptestConfig {
    ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text with the characters attackers use: controls, C1, bidi, separators, multi-byte.
fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            any::<char>(),
            prop::sample::select(vec![
                '\u{1b}', '\u{7}', '\n', '\r', '\t', '\u{9b}', '\u{85}', '\u{202e}', '\u{2066}',
                '\u{2028}', '\u{7f}', 'é', '€', '𝄞', '"', '=', '&', '?', '%', '+', '\\', '{',
            ]),
        ],
        0..200,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// A character that must never come out raw.
fn raw_danger(c: char) -> bool {
    c.is_control()
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        || c == '\u{2028}'
        || c == '\u{2029}'
}

fn flow() -> impl Strategy<Value = Flow> {
    prop::sample::select(Flow::ALL.to_vec())
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn sanitised_text_has_no_control_or_bidi_and_is_idempotent(s in hostile_text(), max in 0usize..300) {
        let line = sanitize::line(&s);
        prop_assert!(!line.chars().any(raw_danger));
        prop_assert_eq!(sanitize::line(&line), line.clone());
        let text = sanitize::text(&s);
        prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
        let b = sanitize::bounded(&s, max, Some(3));
        let kept = b.split("… ").next().unwrap_or_default();
        prop_assert!(kept.len() <= max.max(line.len().min(max)));
        prop_assert!(!b.chars().any(raw_danger));
    }

    #[test]
    fn sanitised_json_means_the_same(s in hostile_text()) {
        let v = serde_json::json!({ "k": s, "a": [s] });
        let doc = v.to_string();
        let safe = sanitize::json(&doc);
        prop_assert!(!safe.chars().any(raw_danger));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn the_classifier_takes_any_pair(e in hostile_text(), d in hostile_text(), f in flow()) {
        let found = classify::oauth_error(&e, &d, f, vec![1]);
        prop_assert!(!found.is_empty());
        let _ = classify::pair_from_query(&format!("{e}error={d}"));
        let _ = classify::excerpt(&d);
    }

    #[test]
    fn the_classifier_takes_any_api_answer(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..400), json in hostile_text()) {
        for b in [body, json.into_bytes()] {
            let resp = Response {
                id: 1,
                status,
                headers: Default::default(),
                body: b,
                duration: std::time::Duration::ZERO,
                held: Default::default(),
            };
            let _ = classify::api_error(&resp, Some("Sage People Employees API"));
            let _ = classify::oauth_pair(&resp);
        }
    }

    #[test]
    fn the_paste_parser_takes_anything(text in hostile_text(), state in "[A-Za-z0-9_-]{1,40}") {
        let _ = login::check_pasted(&text, "http://localhost:1717/OauthRedirect", &state);
        let ok = format!("http://localhost:1717/OauthRedirect?code=aPrx{}&state={state}", text.len());
        prop_assert!(login::check_pasted(&ok, "http://localhost:1717/OauthRedirect", &state).is_ok());
    }

    #[test]
    fn redaction_takes_anything_and_hides_token_values(
        prefix in "[ -!#-~]{0,40}",
        token in "[A-Za-z0-9!.]{8,60}",
        cut in 0usize..20,
        junk in hostile_text(),
    ) {
        let _ = redact_body(&junk);
        let body = format!("{prefix}\"access_token\": \"{token}\", \"x\": 1");
        // Cut anywhere after the token, as a truncated capture would be.
        let end = body.len().saturating_sub(cut).max(body.find(&token).unwrap() + token.len());
        let cut_body = body.get(..end).unwrap_or(&body);
        prop_assert!(!redact_body(cut_body).contains(&token), "{}", cut_body);
        let form = format!("a=1&refresh_token={token}&b=2");
        prop_assert!(!redact_body(&form).contains(&token));
    }

    #[test]
    fn the_config_loader_takes_any_file(text in hostile_text(), toml_like in "[a-z_]{1,12} = (\"[^\"]{0,20}\"|[0-9]{1,6}|true|\\[\\])") {
        let dir = std::env::temp_dir().join(format!("sagediag-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (i, content) in [text, toml_like].into_iter().enumerate() {
            let path = dir.join(format!("config-{i}.toml"));
            std::fs::write(&path, content).unwrap();
            let _ = sagediag::settings::load_from(&path);
        }
    }
}
