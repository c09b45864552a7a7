//! Field coverage for downstream sync: pages through `/employees` (every page, up to a limit)
//! and counts, per field of the employee record, how many records have it populated; finds
//! missing and duplicate emails (a sync key must be unique) and leavers still holding a work
//! email. Memory is bounded: one page at a time, and one 8-byte hash per distinct email.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, DefaultHasher, Hasher};

use serde_json::Value;

#[cfg(test)]
mod reference;
mod scan;

use super::classify;
use super::context::Run;
use super::http::{self, Request};
use super::model::{SAGE_BASE, Tokens};

pub use super::model::coverage::{Coverage, FIELDS, FieldCount};

/// A `u64` that is already a hash, used as its own hash.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashBuild = BuildHasherDefault<PassThrough>;

/// A 64-bit hash of an email, trimmed and lower-cased (no allocation for ASCII emails). Two
/// distinct emails collide with probability about n²/2⁶⁵: one in 30 million at a million emails.
/// SipHash (std's): a faster word-at-a-time multiply–rotate mixer was tried and merged 2,103 of a
/// million simulated emails that differ in more than one word. SipHash is fed the lower-cased
/// text eight bytes at a time, lower-cased in the word, then its length.
fn email_hash(email: &str) -> u64 {
    let e = email.trim();
    if e.is_ascii() {
        lower_words_hash(e.as_bytes())
    } else {
        // Lower-cased text may be ASCII (the Kelvin sign is a `k`): hashed the same way.
        lower_words_hash(e.to_lowercase().as_bytes())
    }
}

/// SipHash of `text` with its ASCII letters lower-cased: whole words, the last one padded with
/// zeros, then the length (so that no two texts feed the same words).
fn lower_words_hash(text: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    let mut words = text.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h.write_u64(ascii_lower_word(u64::from_le_bytes(b)));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        if let Some(head) = b.get_mut(..rest.len()) {
            head.copy_from_slice(rest);
        }
        h.write_u64(ascii_lower_word(u64::from_le_bytes(b)));
    }
    h.write_u64(text.len() as u64);
    h.finish()
}

/// The eight bytes of `w` with `A`–`Z` lower-cased; every other byte (UTF-8 ones too) as it was.
fn ascii_lower_word(w: u64) -> u64 {
    use scan::{HIGH, ONES};
    let low7 = w & !HIGH;
    // Per byte, the high bit: at least `A`, above `Z` (on the low seven bits; no carry out).
    let ge_a = low7 + ONES * (0x80 - u64::from(b'A'));
    let gt_z = low7 + ONES * (0x7f - u64::from(b'Z'));
    let upper = ge_a & !gt_z & !w & HIGH;
    w | (upper >> 2)
}

/// Pages logged one by one before the rest are folded into summary entries.
const KEEP_PAGES: u64 = 10;

/// Up to five example ids per problem.
const EXAMPLES: usize = 5;

/// Accumulates records one page at a time, in memory bounded by the number of distinct emails
/// (8 bytes each, plus the hash table's overhead) and constant CPU per record.
#[derive(Default)]
pub struct Tally {
    pub c: Coverage,
    counts: [u64; FIELDS.len()],
    /// Hashes of every email seen.
    seen: HashSet<u64, HashBuild>,
    /// Hashes of the emails seen more than once, and how many records hold each.
    shared: HashMap<u64, u32, HashBuild>,
    /// The previous record's email hash and id: a duplicate's first holder is often the
    /// record just before it, and then it is named among the examples too.
    previous: Option<u64>,
    previous_id: String,
    /// A page's email hashes (none for a record without email), and which of them were new.
    hashes: Vec<Option<u64>>,
    fresh: Vec<bool>,
}

impl Tally {
    /// Adds one record given as a JSON value (read as it would be in a page).
    pub fn add(&mut self, r: &Value) {
        let body = serde_json::json!({ "data": [r] }).to_string();
        let records = scan::page(body.as_bytes()).unwrap_or_default();
        let one = records.first().cloned().unwrap_or_default();
        self.add_page(std::slice::from_ref(&one));
    }

    /// Adds the records of a page, in their order.
    ///
    /// In three passes: the counts and each email's hash; the hashes into the set of every
    /// email seen, one after the other; then what the duplicates found say. The set is a
    /// million entries at a million employees, so nearly every insert misses the cache: one after
    /// the other, the processor waits for many of them at once (at a million employees, 170 ns
    /// an insert between the other work of a record, against 30 ns in a row).
    fn add_page(&mut self, records: &[scan::Record<'_>]) {
        let example = |list: &mut Vec<String>, id: &str| {
            if list.len() < EXAMPLES && !list.iter().any(|x| x == id) {
                list.push(id.to_string());
            }
        };
        fn id<'r>(r: &'r scan::Record<'_>) -> &'r str {
            r.id.as_deref().unwrap_or_default()
        }
        self.hashes.clear();
        for r in records {
            self.c.employees += 1;
            for (n, p) in self.counts.iter_mut().zip(r.populated) {
                *n += u64::from(p);
            }
            if r.leaver {
                self.c.leavers += 1;
            }
            let email = r.email.as_deref().filter(|e| !e.trim().is_empty());
            let Some(email) = email else {
                self.c.missing_email += 1;
                example(&mut self.c.examples_missing_email, id(r));
                self.hashes.push(None);
                continue;
            };
            if r.leaver {
                self.c.leavers_with_email += 1;
                example(&mut self.c.examples_leaver_with_email, id(r));
            }
            self.hashes.push(Some(email_hash(email)));
        }
        // Whether each email was new: the set's inserts in a row.
        self.fresh.clear();
        for h in self.hashes.iter().flatten() {
            self.fresh.push(self.seen.insert(*h));
        }
        let mut fresh = self.fresh.iter();
        for (r, h) in records.iter().zip(&self.hashes) {
            let Some(h) = *h else {
                self.previous = None;
                continue;
            };
            if !fresh.next().copied().unwrap_or(true) {
                *self.shared.entry(h).or_insert(1) += 1;
                if self.previous == Some(h) {
                    example(&mut self.c.examples_duplicate_email, &self.previous_id);
                }
                example(&mut self.c.examples_duplicate_email, id(r));
            }
            self.previous = Some(h);
            // The id is kept only where the next record may need it: at a page's end, or while
            // the examples are not all found.
            if self.c.examples_duplicate_email.len() < EXAMPLES {
                self.previous_id.clear();
                self.previous_id
                    .push_str(r.id.as_deref().unwrap_or_default());
            }
        }
    }

    pub fn finish(mut self) -> Coverage {
        self.c.fields = FIELDS
            .iter()
            .zip(self.counts)
            .map(|((label, path), n)| FieldCount {
                label,
                path,
                populated: n,
            })
            .collect();
        self.c.duplicate_emails = self.shared.len() as u64;
        self.c.records_with_duplicate_email = self.shared.values().map(|n| u64::from(*n)).sum();
        self.c
    }
}

/// Pages through `/employees` up to `limit` records. `limited` is set only when more records
/// exist past the limit (a limit that ends exactly on the last record is not "reached").
///
/// The walk runs on a thread of its own, with a single-threaded runtime and connections of its
/// own ([`walk_apart`]); where that thread cannot start, on the caller's runtime. A page that
/// fails stops the walk and is raised as a warning here.
pub async fn coverage(run: &mut Run, tokens: &Tokens, limit: u64) -> Coverage {
    let pages = Pages {
        base: format!("{}{SAGE_BASE}/employees", tokens.instance_url),
        bearer: super::http::Bearer::new(&tokens.access_token),
    };
    let apart = match walk_apart(&run.client, pages.clone(), limit) {
        Some(done) => done.await.unwrap_or_else(|_| {
            let c = Coverage {
                stopped: Some("the walk through the pages stopped unexpectedly".into()),
                ..Coverage::default()
            };
            Some((c, None))
        }),
        None => None,
    };
    let walked = match apart {
        Some(walked) => walked,
        None => walk(run.client.clone(), pages, limit, None).await,
    };
    let (coverage, failure) = walked;
    if let Some(finding) = failure {
        run.raise(classify::as_warning(finding));
    }
    coverage
}

/// A walk's coverage, and the finding of the page that stopped it, if one failed.
type Walked = (Coverage, Option<super::findings::Finding>);

/// Starts [`walk`] on a thread of its own with a single-threaded runtime and a client on
/// connections of its own, so that a page's request, its answer and its reading never cross
/// between threads. (On the caller's multi-threaded runtime each request's work crossed threads
/// several times: at a million employees that cost more CPU than the fetching itself, on two
/// cores shared with the org.) `None` when the thread cannot start, and `None` from the thread
/// when its runtime cannot: the caller walks then. Dropping the receiver stops the walk at the
/// next page.
fn walk_apart(
    client: &http::Client,
    pages: Pages,
    limit: u64,
) -> Option<tokio::sync::oneshot::Receiver<Option<Walked>>> {
    let client = client.with_own_connections().ok()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("coverage".into())
        .spawn(move || {
            // Built and dropped here: a runtime must not be dropped on the caller's.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let walked = runtime
                .ok()
                .map(|rt| rt.block_on(walk(client, pages, limit, Some(&tx))));
            let _ = tx.send(walked);
        })
        .ok()?;
    Some(rx)
}

/// The walk itself. From the second page on, the next page is asked for before this one is
/// read: its marker, the last record's id, is guessed from the end of the body
/// ([`scan::last_id_guess`]) and checked once the page is read. A wrong guess costs that one
/// request (its answer is not used) and ends the guessing: from then on, one page at a time.
/// `caller`: stop when it is gone.
async fn walk(
    client: http::Client,
    pages: Pages,
    limit: u64,
    caller: Option<&tokio::sync::oneshot::Sender<Option<Walked>>>,
) -> Walked {
    let mut tally = Tally::default();
    let mut marker: Option<String> = None;
    let mut failure = None;
    // The next page's request, sent ahead under a guessed marker.
    let mut ahead: Option<(String, Ahead)> = None;
    let mut guessing = true;
    let mut last_len = 0u64;
    loop {
        if caller.is_some_and(|c| c.is_closed()) {
            tally.c.stopped = Some("stopped: the run was cancelled".into());
            break;
        }
        // At the limit, one more page tells whether records remain; none of it is counted.
        let peek = tally.c.employees >= limit;
        let mut sent = None;
        if let Some((guess, job)) = ahead.take() {
            let answer = job.await.ok();
            if marker.as_deref() == Some(guess.as_str()) {
                sent = answer;
            } else {
                tracing::debug!(
                    "coverage: the guessed marker was not the last id; no more guesses"
                );
                guessing = false;
            }
        }
        let (id, result) = match sent {
            Some(answer) => answer,
            None => {
                client
                    .send(pages.request(marker.as_deref(), tally.c.pages))
                    .await
            }
        };
        let resp = match result {
            Ok(r) => r,
            Err(f) => {
                failure = Some(failed(&mut tally, classify::failure(&f, id)));
                break;
            }
        };
        if resp.status == 204 {
            break;
        }
        // Another full page fits under the limit (or the peek after it does): ask for it now,
        // and let it go out (on this thread's runtime, its task and the connection's run at
        // the next yields) before the page is read.
        if resp.status == 200 && guessing && !peek && last_len > 0 {
            let room = limit - tally.c.employees;
            if let Some(guess) = scan::last_id_guess(&resp.body).filter(|_| room >= last_len) {
                let client = client.clone();
                let req = pages.request(Some(guess), tally.c.pages + 1);
                let job = tokio::spawn(async move { client.send(req).await });
                ahead = Some((guess.to_string(), job));
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
            }
        }
        let page = (resp.status == 200)
            .then(|| scan::page(&resp.body))
            .flatten();
        let Some(page) = page else {
            let finding = classify::api_error(&resp, Some("Sage People Employees API"));
            failure = Some(failed(&mut tally, finding));
            break;
        };
        if page.is_empty() {
            if !peek {
                tally.c.pages += 1;
            }
            break;
        }
        if peek {
            tally.c.limited = true;
            break;
        }
        tally.c.pages += 1;
        let room = usize::try_from(limit - tally.c.employees).unwrap_or(usize::MAX);
        tally.add_page(page.get(..room.min(page.len())).unwrap_or_default());
        if page.len() > room {
            tally.c.limited = true;
            break;
        }
        last_len = page.len() as u64;
        let last = page
            .last()
            .and_then(|r| r.id.as_deref())
            .map(str::to_string);
        if last.is_none() || last == marker {
            tally.c.stopped = Some("the marker did not advance".into());
            break;
        }
        marker = last;
    }
    // A request sent ahead and not used still ends (within the client's time-out) before the
    // log is summarised, so the log shows it.
    if let Some((_, job)) = ahead {
        let _ = job.await;
    }
    client.flush_folded();
    (tally.finish(), failure)
}

/// Paging stops at a page that failed: why, in the coverage; the finding, to raise as a warning.
fn failed(tally: &mut Tally, finding: super::findings::Finding) -> super::findings::Finding {
    tally.c.stopped = Some(format!(
        "page {} failed: {}",
        tally.c.pages + 1,
        finding.detail
    ));
    finding
}

/// A page's request sent ahead, on a task of its own.
type Ahead = tokio::task::JoinHandle<(u64, Result<http::Response, http::Failure>)>;

/// The request for a page of `/employees`.
#[derive(Clone)]
struct Pages {
    base: String,
    /// Built once: each page shares it.
    bearer: super::http::Bearer,
}

impl Pages {
    /// The page after `marker`, `pages` pages after the first.
    fn request(&self, marker: Option<&str>, pages: u64) -> Request {
        let url = match marker {
            Some(m) => format!(
                "{}?marker={}",
                self.base,
                url::form_urlencoded::byte_serialize(m.as_bytes()).collect::<String>()
            ),
            None => self.base.clone(),
        };
        let req = Request::get(url)
            .auth(&self.bearer)
            .header("Accept", "application/json")
            .without_body_in_log();
        // The first pages are logged one by one; later ones folded, a summary per 100 pages,
        // so a long run never evicts the evidence of the checks before it.
        if pages >= KEEP_PAGES {
            req.folded()
        } else {
            req
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn employee(id: &str, email: Option<&str>, active: bool) -> Value {
        json!({
            "id": id, "fullName": "A B", "firstName": "A", "lastName": " ",
            "emailAddress": email,
            "hrDepartment": null,
            "currentEmployment": {"active": active, "jobTitle": "Analyst", "endDate": null},
            "workAddress": "not an object",
            "additionalFields": [{"name": "x", "value": {"deep": [1, 2, 3]}}]
        })
    }

    fn count(c: &Coverage, path: &str) -> u64 {
        c.fields.iter().find(|f| f.path == path).unwrap().populated
    }

    #[test]
    fn tally_counts_fields_missing_duplicates_and_leavers() {
        let mut t = Tally::default();
        t.add(&employee("a1", Some("Ann@Acme.example"), true));
        t.add(&employee("a2", Some(" ann@acme.EXAMPLE "), false)); // same email, a leaver
        t.add(&employee("a3", None, false)); // leaver without email
        t.add(&employee("a4", Some("   "), true)); // blank = missing
        t.add(&employee("a5", Some("bob@acme.example"), true));
        t.add(&employee("a6", Some("cy@acme.example"), true));
        t.add(&employee("a7", Some("BOB@acme.example"), true)); // not adjacent to a5
        t.add(&employee("a8", Some("bob@acme.example"), true));
        t.add(&employee("a9", Some("Ünïcode@Acme.example"), true));
        t.add(&employee("a10", Some("ünïcode@acme.example"), true));
        t.add(&json!(42)); // not an object: counted, nothing populated
        let c = t.finish();
        assert_eq!(c.employees, 11);
        assert_eq!(c.missing_email, 3);
        assert_eq!(c.examples_missing_email, ["a3", "a4", ""]);
        assert_eq!(c.duplicate_emails, 3, "ann, bob, ünïcode");
        assert_eq!(c.records_with_duplicate_email, 7);
        assert_eq!(c.examples_duplicate_email, ["a1", "a2", "a7", "a8", "a9"]);
        assert_eq!(c.leavers, 2);
        assert_eq!(c.leavers_with_email, 1);
        assert_eq!(c.examples_leaver_with_email, ["a2"]);
        assert_eq!(count(&c, "id"), 10);
        assert_eq!(count(&c, "fullName"), 10);
        assert_eq!(count(&c, "lastName"), 0, "blank strings are not populated");
        assert_eq!(count(&c, "emailAddress"), 8);
        assert_eq!(count(&c, "hrDepartment"), 0);
        assert_eq!(
            count(&c, "currentEmployment.active"),
            10,
            "false is populated"
        );
        assert_eq!(count(&c, "currentEmployment.endDate"), 0);
        assert_eq!(count(&c, "workAddress.city"), 0);
        assert_eq!(c.fields.len(), FIELDS.len());
    }

    #[test]
    fn a_page_parses_without_building_values() {
        let body = br#"{"data": [{"id": "a\u0031", "emailAddress": "x@y.z", "currentEmployment": {"active": false}, "workAddress": {"city": "Reading", "postalCode": ""}}, {"id": "a2"}], "meta": {"x": [1]}}"#;
        let page = scan::page(body).unwrap();
        let mut t = Tally::default();
        t.add_page(&page);
        assert_eq!(page.last().and_then(|r| r.id.as_deref()), Some("a2"));
        let c = t.finish();
        assert_eq!(
            (c.employees, c.leavers_with_email, c.missing_email),
            (2, 1, 1)
        );
        assert_eq!(c.examples_leaver_with_email, ["a1"]);
        assert_eq!(count(&c, "workAddress.city"), 1);
        assert_eq!(count(&c, "workAddress.postalCode"), 0);
        // No `data` array: not a page.
        assert!(scan::page(br#"{"data": {"id": 1}}"#).is_none());
        assert!(scan::page(br#"[{"errorCode": "X"}]"#).is_none());
    }
}

#[cfg(test)]
mod hash_tests {
    use super::*;

    #[test]
    fn distinct_emails_hash_apart_and_case_and_blanks_do_not_matter() {
        // Emails as an org has them: names of many lengths, differing in several words at
        // once (a word-at-a-time mixer merged 0.2 % of a million such emails).
        let first = [
            "ann", "bob", "cy", "dana", "eve", "finn", "grace", "hugo", "ida", "jo", "kai", "liam",
            "mateo", "nora", "oscar", "priya", "quinn", "rosa", "sam", "tariq",
        ];
        let last = [
            "ng",
            "li",
            "khan",
            "smith",
            "jones",
            "garcia",
            "hamilton",
            "okafor",
            "nakamura",
            "oconnor",
            "silva",
            "muller",
            "rossi",
            "dubois",
            "kowalski",
            "andersson",
        ];
        let mut seen = HashSet::new();
        let mut n = 0;
        for round in 0..1_000 {
            for f in first {
                for l in last {
                    let e = format!("{f}.{l}{round}@acme-hr.example");
                    assert!(seen.insert(email_hash(&e)), "no two of these collide: {e}");
                    n += 1;
                }
            }
        }
        assert_eq!(seen.len(), n);
        for round in (0..1_000).step_by(7) {
            let e = format!(" Mateo.HAMILTON{round}@Acme-HR.example\t");
            assert!(!seen.insert(email_hash(&e)));
        }
        assert_eq!(email_hash("Zoë@x.example"), email_hash("ZOË@X.EXAMPLE "));
        // The Kelvin sign lower-cases to an ASCII `k`.
        assert_eq!(
            email_hash("\u{212A}im@x.example"),
            email_hash("Kim@x.example")
        );
        // Padding is not text: a text and the same text with NULs do not meet.
        assert_ne!(email_hash("ab"), email_hash("ab\0"));
        assert_ne!(email_hash("abcdefgh"), email_hash("abcdefgh\0\0"));
    }

    #[test]
    fn a_word_is_lower_cased_as_its_bytes_are() {
        // Every byte value in every lane, beside neighbours that would carry into it.
        for b in 0..=255u8 {
            for lane in 0..8 {
                for fill in [0u8, b'Z', 0x7f, 0x80, 0xff] {
                    let mut bytes = [fill; 8];
                    bytes[lane] = b;
                    let mut want = bytes;
                    want.make_ascii_lowercase();
                    let got = ascii_lower_word(u64::from_le_bytes(bytes)).to_le_bytes();
                    assert_eq!(got, want, "{bytes:?}");
                }
            }
        }
    }
}

#[cfg(test)]
mod paging_tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::engine::environment::Environment;
    use crate::engine::model::{Config, Flow};

    /// An org of `n` employees in pages of 3, answering on loopback; it records the marker of
    /// every page asked for. From employee `nested` on, each record holds an object with an
    /// `id` of its own after the record's id, so the last `"id"` of a page is not its marker.
    async fn org(n: usize, nested: usize) -> (String, Arc<Mutex<Vec<String>>>) {
        let markers = Arc::new(Mutex::new(Vec::new()));
        let seen = markers.clone();
        let page = move |q: axum::extract::Query<HashMap<String, String>>| {
            let marker = q.get("marker").cloned().unwrap_or_default();
            seen.lock().unwrap().push(marker.clone());
            let records: Vec<Value> = (1..=n)
                .map(|i| format!("e{i:03}"))
                .filter(|id| *id > marker)
                .take(3)
                .map(|id| {
                    let mut r = serde_json::json!({"id": id, "emailAddress": format!("{id}@acme.example"), "currentEmployment": {"active": true}});
                    if id >= format!("e{nested:03}") {
                        r["position"] = serde_json::json!({"id": format!("n{id}")});
                    }
                    r
                })
                .collect();
            async move {
                if records.is_empty() {
                    axum::http::StatusCode::NO_CONTENT.into_response()
                } else {
                    axum::Json(serde_json::json!({"data": records, "version": "4.8"}))
                        .into_response()
                }
            }
        };
        use axum::response::IntoResponse;
        let app =
            axum::Router::new().route(&format!("{SAGE_BASE}/employees"), axum::routing::get(page));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, markers)
    }

    async fn cover(url: &str, limit: u64) -> Coverage {
        let cfg = Config::new(
            Environment::parse(url).unwrap(),
            Flow::Password,
            "3MVG9test",
        );
        let (events, _rx) = tokio::sync::mpsc::unbounded_channel();
        let client = http::Client::new(std::time::Duration::from_secs(10), None).unwrap();
        let mut run = crate::engine::fix::new_run(cfg, client, events);
        let tokens = Tokens {
            access_token: "00Dtest!token".into(),
            instance_url: url.to_string(),
            ..Tokens::default()
        };
        coverage(&mut run, &tokens, limit).await
    }

    fn ids(from: usize, to: usize) -> Vec<String> {
        (from..=to).step_by(3).map(|i| format!("e{i:03}")).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_next_page_is_asked_for_ahead_and_a_wrong_guess_costs_one_request() {
        // Right guesses: every page asked for once, under its true marker.
        let (url, markers) = org(30, 999).await;
        let c = cover(&url, u64::MAX).await;
        assert_eq!((c.employees, c.pages, c.limited), (30, 10, false));
        let mut want = vec![String::new()];
        want.extend(ids(3, 30));
        assert_eq!(
            *markers.lock().unwrap(),
            want,
            "no page asked for twice, none wasted"
        );

        // A wrong guess (the nested id of page 2's last record): that one request is wasted,
        // its answer unused, and paging goes on one page at a time under the true markers.
        let (url, markers) = org(30, 1).await;
        let c = cover(&url, u64::MAX).await;
        assert_eq!((c.employees, c.pages, c.missing_email), (30, 10, 0));
        let mut want = vec![String::new(), "e003".into(), "ne006".into()];
        want.extend(ids(6, 30));
        assert_eq!(*markers.lock().unwrap(), want);

        // The same later on (the nested ids from page 4 on): the guessing ends there.
        let (url, markers) = org(30, 10).await;
        let c = cover(&url, u64::MAX).await;
        assert_eq!((c.employees, c.pages), (30, 10));
        let mut want = vec![String::new()];
        want.extend(ids(3, 9));
        want.push("ne012".into());
        want.extend(ids(12, 30));
        assert_eq!(*markers.lock().unwrap(), want);

        // The limit: nothing asked for ahead that the limit makes useless.
        for (limit, asked) in [(7, 3), (6, 3), (5, 2)] {
            let (url, markers) = org(30, 999).await;
            let c = cover(&url, limit).await;
            assert_eq!((c.employees, c.limited), (limit, true));
            assert_eq!(markers.lock().unwrap().len(), asked, "limit {limit}");
        }
    }
}
