//! The scanner against serde_json over generated pages, and its edge cases.

use super::super::reference;
use super::*;
use proptest::prelude::*;
use serde_json::{Value as Json, json};

/// The scanner and serde agree on `body`: the same records, or both refuse it.
fn agree(body: &[u8]) -> Result<(), TestCaseError> {
    let fast = page(body);
    let serde = reference::page(body);
    prop_assert_eq!(
        &fast,
        &serde,
        "{}",
        String::from_utf8_lossy(body.get(..body.len().min(400)).unwrap_or_default())
    );
    Ok(())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z@. ]{0,12}",
        Just(String::new()),
        Just("   ".to_string()),
        Just("\u{a0}\u{3000}".to_string()),
        "[ -~]{0,20}",
        ".{0,6}",
        Just("tab\there \"quoted\" back\\slash \u{1}".to_string()),
    ]
}

fn scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Json::from),
        text().prop_map(Json::from),
    ]
}

fn any_json() -> impl Strategy<Value = Json> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::from),
            prop::collection::vec(("[a-zA-Z]{1,8}", inner), 0..4)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

/// An object with some of `keys` (and maybe a key of its own), each any value.
fn object_of(keys: &'static [&'static str]) -> impl Strategy<Value = Json> {
    prop::collection::vec(
        (prop::sample::select(keys), any_json(), 0..4u8),
        0..keys.len() + 2,
    )
    .prop_map(|members| {
        let mut o = serde_json::Map::new();
        // Keys of the record's own, and others that begin or end as one of them does.
        for (k, v, kind) in members {
            let key = match kind {
                0 => format!("x{k}"),
                1 => format!("{k}x"),
                _ => k.to_string(),
            };
            o.insert(key, v);
        }
        Json::Object(o)
    })
}

fn record() -> impl Strategy<Value = Json> {
    let top = [
        "id",
        "fullName",
        "firstName",
        "lastName",
        "emailAddress",
        "hrDepartment",
        "additionalFields",
    ];
    (
        object_of(Box::leak(Box::new(top))),
        prop_oneof![
            object_of(&["jobTitle", "name", "active", "startDate", "endDate"]),
            any_json()
        ],
        prop_oneof![
            object_of(&[
                "name",
                "line1",
                "line2",
                "line3",
                "city",
                "region",
                "postalCode",
                "country"
            ]),
            any_json()
        ],
        any::<(bool, bool)>(),
    )
        .prop_map(|(mut r, employment, address, (e, a))| {
            if let Json::Object(o) = &mut r {
                if e {
                    o.insert("currentEmployment".into(), employment);
                }
                if a {
                    o.insert("workAddress".into(), address);
                }
            }
            r
        })
}

fn page_json() -> impl Strategy<Value = Json> {
    (
        prop::collection::vec(prop_oneof![4 => record(), 1 => any_json()], 0..6),
        any_json(),
        any::<bool>(),
    )
        .prop_map(|(data, meta, before)| {
            if before {
                json!({"meta": meta, "data": data})
            } else {
                json!({"data": data, "version": "4.8", "meta": meta})
            }
        })
}

/// A change to a page's text that keeps it UTF-8.
#[derive(Debug, Clone)]
enum Edit {
    /// An ASCII byte replaced with another.
    Replace(usize, u8),
    Delete(usize),
    Insert(usize, u8),
    /// A letter written as a `\u00XX` escape.
    Escape(usize),
    /// Cut at a character boundary.
    Cut(usize),
    /// A key given twice.
    Twice(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(&b"{}[]:,\"\\ 0123456789-+.eEtfnul\x01xA/"[..]);
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Edit::Replace(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Escape),
        any::<usize>().prop_map(Edit::Cut),
        any::<usize>().prop_map(Edit::Twice),
    ]
}

#[allow(clippy::string_slice)] // a test over ASCII fixtures
fn apply(text: &str, e: &Edit) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    let ascii: Vec<usize> = (0..b.len()).filter(|i| b[*i].is_ascii()).collect();
    let pick = |i: usize| ascii.get(i % ascii.len().max(1)).copied();
    match *e {
        Edit::Replace(i, c) => {
            if let Some(i) = pick(i) {
                b[i] = c;
            }
        }
        Edit::Delete(i) => {
            if let Some(i) = pick(i) {
                b.remove(i);
            }
        }
        Edit::Insert(i, c) => {
            let i = pick(i).unwrap_or(0);
            b.insert(i, c);
        }
        Edit::Escape(i) => {
            let letters: Vec<usize> = ascii
                .iter()
                .copied()
                .filter(|i| b[*i].is_ascii_alphabetic())
                .collect();
            if let Some(&at) = letters.get(i % letters.len().max(1)) {
                let esc = format!("\\u{:04X}", b[at]);
                b.splice(at..=at, esc.bytes());
            }
        }
        Edit::Cut(i) => {
            let mut at = i % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            b.truncate(at);
        }
        Edit::Twice(i) => {
            // `,"k":v` copied after itself, for a member `"k":v` that is not the last.
            let members: Vec<usize> = text.match_indices(",\"").map(|(i, _)| i).collect();
            if let Some(&at) = members.get(i % members.len().max(1)) {
                let end = text[at + 1..]
                    .find([',', '}'])
                    .map_or(text.len(), |e| at + 1 + e);
                let member = b[at..end].to_vec();
                b.splice(end..end, member);
            }
        }
    }
    b
}

proptest! {
    // 400 cases a test; `PROPTEST_CASES` asks for more (20,000 were run by hand).
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(400)
    ))]

    #[test]
    fn reads_every_page_as_serde_does(p in page_json(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&p).unwrap() } else { p.to_string() };
        agree(text.as_bytes())?;
        prop_assert!(page(text.as_bytes()).is_some(), "a page as serialised is read");
    }

    #[test]
    fn refuses_what_serde_refuses(p in page_json(), edits in prop::collection::vec(edit(), 1..4), pretty in any::<bool>()) {
        let mut text = if pretty { serde_json::to_string_pretty(&p).unwrap() } else { p.to_string() };
        for e in &edits {
            let next = apply(&text, e);
            agree(&next)?;
            text = String::from_utf8(next).unwrap();
        }
    }

    #[test]
    fn any_bytes_are_read_or_refused_without_a_panic(b in prop::collection::vec(any::<u8>(), 0..300), p in page_json()) {
        let _ = page(&b);
        let _ = last_id_guess(&b);
        // A page with arbitrary bytes spliced in.
        let mut text = p.to_string().into_bytes();
        let at = b.first().map_or(0, |x| usize::from(*x) % (text.len() + 1));
        text.splice(at..at, b.iter().copied());
        let _ = page(&text);
        let _ = last_id_guess(&text);
    }

    #[test]
    fn any_object_at_the_top_is_read_as_serde_does(v in any_json()) {
        if !v.is_array() {
            agree(v.to_string().as_bytes())?;
        }
    }
}

#[test]
fn any_nesting_is_skipped_as_serde_skips_it() {
    for depth in [1, 2, 127, 128, 129, 130, 255, 256, 257, 300] {
        let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        for body in [
            format!(r#"{{"data": [], "meta": {deep}}}"#),
            format!(r#"{{"data": [{{"fullName": {deep}}}]}}"#),
            format!(r#"{{"data": [{deep}]}}"#),
        ] {
            agree(body.as_bytes()).unwrap();
        }
    }
}

#[test]
fn escapes_numbers_and_duplicates_read_as_serde_reads_them() {
    for body in [
        r#"{"data": [{"\u0069d": "a\u00e9\"b", "emailAddress": "x\/y@z", "fullName": "\u0020"}]}"#,
        r#"{"data": [{"id": "\ud800"}]}"#,
        r#"{"data": [{"other": "\ud800"}]}"#,
        r#"{"data": [{"fullName": 1e400}]}"#,
        r#"{"data": [{"other": 1e400}]}"#,
        r#"{"data": [{"id": "a", "id": "b"}]}"#,
        r#"{"data": [{"currentEmployment": {"active": false, "active": true}}]}"#,
        r#"{"data": [], "data": []}"#,
        r#"{"data": [01]}"#,
        r#"{"data": [1.]}"#,
        r#"{"data": [-]}"#,
        r#"{"data": [tru]}"#,
        r#"{"data": ["a	b"]}"#,
        r#"{"data": [{"fullName": "\u00a0 "}]} "#,
        r#"{"data": []} x"#,
        r#" {"data": [{"currentEmployment": [1, {"active": false}]}]}"#,
    ] {
        agree(body.as_bytes()).unwrap();
    }
}

#[test]
fn a_top_level_array_is_not_a_page() {
    // serde's derive reads a struct from an array too; a page is an object.
    assert!(page(b"[[]]").is_none());
}

#[test]
fn the_last_id_is_guessed_from_the_end() {
    let body = br#"{"data":[{"id":"a1","x":{"id":"n"}},{"id":"a2","more":[1]}],"v":"4.8"}"#;
    assert_eq!(last_id_guess(body), Some("a2"));
    // A nested id after the last record's own: a wrong guess (checked by the caller).
    let nested = br#"{"data":[{"id":"a1"},{"id":"a2","x":{"id":"n"}}]}"#;
    assert_eq!(last_id_guess(nested), Some("n"));
    assert_eq!(last_id_guess(br#"{"data":[{"id":"a\"2"}]}"#), None);
    assert_eq!(last_id_guess(br#"{"data":[{"id" : "a2"}]}"#), None);
    assert_eq!(last_id_guess(br#"{"data":[{"id":""}]}"#), None);
    assert_eq!(last_id_guess(br#"{"data":[{"id":"a2"#), None);
}
