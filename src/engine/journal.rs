//! The fix journal: every change `fix` and the console make to an org, written down before it is
//! sent and settled after, so that an interrupted run (kill -9, Ctrl-C, a lost answer) can still
//! be undone, and so that undo deletes nothing sagediag did not create.
//!
//! A journal is one owner-only file of JSON lines in `SAGEDIAG_STATE_DIR` (else the user's state
//! directory) under `fix-journal/`, one file a run: a `begin` line (the org and who), then for each
//! change an `intent` line before the request and an `outcome` line after its answer. Each line is
//! flushed to disk (`fsync`) before the run goes on, so the file never lags the org by more than
//! the one request in flight. An intent without its outcome reads back as [`Outcome::Unknown`],
//! which the next run settles by reading the org ([`super::fix::settle`]), never by guessing.
//!
//! Nothing secret is written: the records are the same [`Applied`] values `fix --json` prints.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files;
use super::fix::{Actor, Applied, Outcome};

/// The largest journal read back (a run changes at most a few dozen rows).
const CAP: u64 = 4 * 1024 * 1024;

/// What a run's journal is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Apply,
    Undo,
}

/// One line of a journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "lowercase")]
enum Entry {
    Begin {
        version: u32,
        action: Action,
        /// The org's instance URL (its My Domain): a journal is used only on the same org.
        instance_url: String,
        by: String,
        at_ms: u64,
    },
    Intent {
        seq: u32,
        record: Applied,
    },
    Outcome {
        seq: u32,
        record: Applied,
    },
}

/// A journal being written.
pub struct Journal {
    path: PathBuf,
    file: File,
    seq: u32,
}

/// Where journals live: `SAGEDIAG_STATE_DIR/fix-journal`, else the user's state directory's.
pub fn dir() -> Option<PathBuf> {
    let base = match std::env::var_os("SAGEDIAG_STATE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => super::paths::log_dir()?,
    };
    Some(base.join("fix-journal"))
}

/// The host of an instance URL, lower-cased (how two records are found to name the same org).
pub fn org_host(instance_url: &str) -> Option<String> {
    url::Url::parse(instance_url)
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

impl Journal {
    /// Starts a journal for `action` by `actor` in [`dir`], owner-only, its `begin` line synced.
    pub fn create(action: Action, actor: &Actor) -> io::Result<Journal> {
        let dir = dir().ok_or_else(|| {
            io::Error::other("no state directory (no home directory; set SAGEDIAG_STATE_DIR=DIR)")
        })?;
        Journal::create_in(&dir, action, actor)
    }

    /// [`Journal::create`] in `dir`.
    pub fn create_in(dir: &Path, action: Action, actor: &Actor) -> io::Result<Journal> {
        files::ensure_private_dir(dir)?;
        let at_ms = super::clock::now_ms();
        let host = org_host(&actor.instance_url).unwrap_or_else(|| "org".into());
        let tag = super::crypto::random_urlsafe(6).map_err(io::Error::other)?;
        let name = format!(
            "{}-{at_ms}-{}-{tag}.jsonl",
            match action {
                Action::Apply => "apply",
                Action::Undo => "undo",
            },
            host.replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
                "_"
            )
        );
        let path = dir.join(name);
        let file = files::append_private(&path)?;
        let mut j = Journal { path, file, seq: 0 };
        j.append(&Entry::Begin {
            version: 1,
            action,
            instance_url: actor.instance_url.clone(),
            by: actor.username.clone(),
            at_ms,
        })?;
        Ok(j)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&mut self, e: &Entry) -> io::Result<()> {
        let mut line = serde_json::to_vec(e).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }

    /// Records what is about to be sent (its outcome [`Outcome::Unknown`] until settled); returns
    /// the number [`Journal::outcome`] takes.
    pub fn intent(&mut self, record: &Applied) -> io::Result<u32> {
        self.seq += 1;
        let seq = self.seq;
        let mut record = record.clone();
        record.outcome = Outcome::Unknown;
        self.append(&Entry::Intent { seq, record })?;
        Ok(seq)
    }

    /// Records how change `seq` ended.
    pub fn outcome(&mut self, seq: u32, record: &Applied) -> io::Result<()> {
        self.append(&Entry::Outcome {
            seq,
            record: record.clone(),
        })
    }
}

/// A journal read back.
#[derive(Debug, Clone)]
pub struct Read {
    pub action: Action,
    pub instance_url: String,
    pub at_ms: u64,
    /// One record a change, in order: its last outcome, or the intent as [`Outcome::Unknown`].
    pub records: Vec<Applied>,
}

/// Reads a journal: owner-only, not a symbolic link, ours (as the secrets file is checked).
/// A torn last line (a kill mid-write) is ignored; any other bad line is an error.
pub fn read(path: &Path) -> Result<Read, String> {
    parse(&read_text(path)?)
}

/// The text of a journal or fix record: owner-only, not a symbolic link, ours, at most 4 MiB.
pub fn read_text(path: &Path) -> Result<String, String> {
    files::read_private(path, CAP)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no such file".to_string())
}

/// Whether `text` looks like a journal (its first line a `begin` entry).
pub fn is_journal(text: &str) -> bool {
    text.lines()
        .next()
        .and_then(|l| serde_json::from_str::<Entry>(l).ok())
        .is_some_and(|e| matches!(e, Entry::Begin { .. }))
}

pub fn parse(text: &str) -> Result<Read, String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut head = None;
    let mut records: Vec<(u32, Applied)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let entry = match serde_json::from_str::<Entry>(line) {
            Ok(e) => e,
            // The last line may be torn by a kill in the middle of a write.
            Err(_) if i + 1 == lines.len() && i > 0 => break,
            Err(e) => return Err(format!("line {}: not a journal entry ({e})", i + 1)),
        };
        match entry {
            Entry::Begin {
                version: 1,
                action,
                instance_url,
                at_ms,
                ..
            } if i == 0 => head = Some((action, instance_url, at_ms)),
            Entry::Begin { .. } if i == 0 => {
                return Err("written by a newer sagediag (unknown version)".into());
            }
            Entry::Begin { .. } => return Err(format!("line {}: a second begin", i + 1)),
            Entry::Intent { seq, record } => records.push((seq, record)),
            Entry::Outcome { seq, record } => match records.iter_mut().find(|(s, _)| *s == seq) {
                Some(slot) => slot.1 = record,
                None => return Err(format!("line {}: an outcome without its intent", i + 1)),
            },
        }
        if head.is_none() {
            return Err("it does not start with a begin entry: not a sagediag fix journal".into());
        }
    }
    let (action, instance_url, at_ms) = head.ok_or("empty: not a sagediag fix journal")?;
    Ok(Read {
        action,
        instance_url,
        at_ms,
        records: records.into_iter().map(|(_, r)| r).collect(),
    })
}

/// The newest `apply` journal in `dir` for the org at `instance_url`.
pub fn latest_apply(dir: &Path, instance_url: &str) -> Option<(PathBuf, Read)> {
    let host = org_host(instance_url)?;
    journals(dir)
        .into_iter()
        .filter(|(_, r)| {
            r.action == Action::Apply && org_host(&r.instance_url) == Some(host.clone())
        })
        .max_by_key(|(_, r)| r.at_ms)
}

/// Every readable journal in `dir` (unreadable ones are skipped: they prove nothing).
fn journals(dir: &Path) -> Vec<(PathBuf, Read)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|p| read(&p).ok().map(|r| (p, r)))
        .collect()
}

/// The records of every `apply` journal in `dir` for the org at `instance_url`: what undo
/// takes as proof that sagediag created an assignment.
pub fn apply_records(dir: &Path, instance_url: &str) -> Vec<Applied> {
    let Some(host) = org_host(instance_url) else {
        return Vec::new();
    };
    journals(dir)
        .into_iter()
        .filter(|(_, r)| {
            r.action == Action::Apply && org_host(&r.instance_url).as_ref() == Some(&host)
        })
        .flat_map(|(_, r)| r.records)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fix::PlannedRequest;

    fn actor() -> Actor {
        Actor {
            instance_url: "https://acme.my.salesforce.com".into(),
            access_token: "00Dsecret!token".into(),
            username: "admin@acme.com".into(),
            user_id: None,
        }
    }

    fn rec(set: &str, outcome: Outcome, aid: Option<&str>) -> Applied {
        Applied {
            outcome,
            permission_set: set.into(),
            permission_set_id: Some(format!("0PS{set}")),
            assignee_id: "005000000000001AAA".into(),
            assignment_id: aid.map(str::to_string),
            by: "admin@acme.com".into(),
            at_ms: 1,
            request_id: 3,
            request: PlannedRequest {
                method: "POST".into(),
                url: "https://acme.my.salesforce.com/x".into(),
                body: serde_json::Value::Null,
            },
            finding: None,
            note: None,
            change: Default::default(),
        }
    }

    fn tmp(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("sagediag-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn an_intent_without_outcome_reads_back_unknown_and_a_torn_line_is_ignored() {
        let d = tmp("torn");
        let mut j = Journal::create_in(&d, Action::Apply, &actor()).unwrap();
        let a = rec("Salaries", Outcome::Created, Some("0Pa1"));
        let s = j.intent(&a).unwrap();
        j.outcome(s, &a).unwrap();
        j.intent(&rec("Bonuses", Outcome::Created, None)).unwrap();
        let path = j.path().to_path_buf();
        drop(j);
        // A kill in the middle of the next line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"entry\":\"intent\",\"se")
            .unwrap();
        let r = read(&path).unwrap();
        assert_eq!(r.action, Action::Apply);
        let got: Vec<(Outcome, Option<&str>)> = r
            .records
            .iter()
            .map(|r| (r.outcome, r.assignment_id.as_deref()))
            .collect();
        assert_eq!(
            got,
            [(Outcome::Created, Some("0Pa1")), (Outcome::Unknown, None)]
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("00Dsecret"), "no token in the journal");
        assert_eq!(
            apply_records(&d, "https://ACME.my.salesforce.com/").len(),
            2
        );
        assert!(apply_records(&d, "https://other.my.salesforce.com").is_empty());
        assert_eq!(
            latest_apply(&d, "https://acme.my.salesforce.com")
                .unwrap()
                .0,
            path
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(unix)]
    #[test]
    fn a_journal_others_can_write_or_a_symlink_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tmp("perm");
        let j = Journal::create_in(&d, Action::Apply, &actor()).unwrap();
        let path = j.path().to_path_buf();
        drop(j);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(read(&path).unwrap_err().contains("chmod 600"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = d.join("link.jsonl");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(read(&link).is_err(), "a symbolic link is refused");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn garbage_is_not_a_journal() {
        assert!(parse("").is_err());
        assert!(parse("{\"applied\":[]}\n").is_err());
        assert!(!is_journal("{\"applied\":[]}"));
    }
}
