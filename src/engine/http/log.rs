//! The client's bounded log: at most [`LOG_CAPACITY`] entries, bulk paging folded every
//! [`FOLD_EVERY`], the bodies held within [`LOG_BODY_BUDGET`].

use std::collections::VecDeque;

use super::exchange::Exchange;
use super::{FOLD_EVERY, LOG_BODY_BUDGET, LOG_CAPACITY};

#[derive(Default)]
pub(super) struct Log {
    pub(super) entries: VecDeque<Exchange>,
    pub(super) next_id: u64,
    /// Folded exchanges not yet summarised in an entry.
    fold: Option<Fold>,
}

/// Successful folded exchanges waiting for their summary entry.
struct Fold {
    first_id: u64,
    count: u64,
    bytes: usize,
    started_unix_ms: u64,
    ended_unix_ms: u64,
    /// How many answered with each status.
    statuses: std::collections::BTreeMap<u16, u64>,
    /// The last of them: the summary entry shows it.
    last: Exchange,
}

impl Log {
    pub(super) fn push(&mut self, entry: Exchange) {
        let id = entry.id;
        self.entries.push_back(entry);
        while self.entries.len() > LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.bound_bodies(id, LOG_BODY_BUDGET);
    }

    /// Keeps the bodies the log holds within `budget` bytes: drops the largest bodies first (the
    /// oldest among equals), so that the small ones findings cite as evidence stay, and never
    /// those of entry `keep` (the one just written) or of the newest entry.
    pub(super) fn bound_bodies(&mut self, keep: u64, budget: usize) {
        let size = |e: &Exchange| {
            e.request_body.as_ref().map_or(0, |b| b.len())
                + e.response_body.as_ref().map_or(0, |b| b.len())
        };
        let mut total: usize = self.entries.iter().map(size).sum();
        let newest = self.entries.back().map(|e| e.id);
        while total > budget {
            let victim = self
                .entries
                .iter_mut()
                .filter(|e| e.id != keep && Some(e.id) != newest)
                .filter(|e| size(e) > 0)
                .reduce(|a, b| if size(b) > size(a) { b } else { a });
            let Some(e) = victim else {
                break;
            };
            total -= size(e);
            e.request_body = None;
            e.response_body = None;
            e.body_truncated = true;
            e.body_dropped = true;
        }
    }

    /// Adds a successful folded exchange; every [`FOLD_EVERY`] the summary goes to the log.
    pub(super) fn fold(&mut self, entry: Exchange) {
        let ended = entry.started_unix_ms + entry.duration_ms;
        let f = self.fold.get_or_insert_with(|| Fold {
            first_id: entry.id,
            count: 0,
            bytes: 0,
            started_unix_ms: entry.started_unix_ms,
            ended_unix_ms: ended,
            statuses: Default::default(),
            last: entry.clone(),
        });
        f.count += 1;
        f.bytes += entry.response_bytes;
        f.ended_unix_ms = f.ended_unix_ms.max(ended);
        *f.statuses.entry(entry.status.unwrap_or(0)).or_insert(0) += 1;
        f.last = entry;
        if f.count >= FOLD_EVERY {
            self.flush_fold();
        }
    }

    /// The pending folded exchanges as one entry.
    pub(super) fn flush_fold(&mut self) {
        let Some(f) = self.fold.take() else {
            return;
        };
        let mut e = f.last;
        if f.count > 1 {
            let statuses = f
                .statuses
                .iter()
                .map(|(s, n)| format!("HTTP {s} x{n}"))
                .collect::<Vec<_>>()
                .join(", ");
            e.summary = Some(format!(
                "{} requests (#{}-#{}) folded into this entry: {statuses}; {} response bytes in all; shown: the last of them",
                f.count, f.first_id, e.id, f.bytes
            ));
            e.started_unix_ms = f.started_unix_ms;
            e.duration_ms = f.ended_unix_ms - f.started_unix_ms;
            e.response_bytes = f.bytes;
        }
        self.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(id: u64, body: usize) -> Exchange {
        Exchange {
            id,
            method: "GET".into(),
            url: format!("http://127.0.0.1/{id}"),
            status: Some(200),
            response_body: Some("x".repeat(body).into()),
            response_bytes: body,
            duration_ms: 1,
            ..Exchange::default()
        }
    }

    #[test]
    fn the_log_bounds_its_bodies_largest_first_never_the_newest() {
        let mut log = Log::default();
        // Small evidence, two big pages, small evidence.
        for (id, size) in [(1, 10), (2, 600), (3, 500), (4, 10)] {
            log.entries.push_back(logged(id, size));
        }
        log.bound_bodies(4, 1000);
        let kept: Vec<(u64, bool, bool)> = log
            .entries
            .iter()
            .map(|e| (e.id, e.response_body.is_some(), e.body_dropped))
            .collect();
        assert_eq!(
            kept,
            [
                (1, true, false),
                (2, false, true),
                (3, true, false),
                (4, true, false)
            ]
        );
        assert!(log.entries[1].body_truncated);
        // A body alone over the budget: the newest is kept, the others go.
        log.entries.push_back(logged(5, 2000));
        log.bound_bodies(5, 1000);
        let held: Vec<bool> = log
            .entries
            .iter()
            .map(|e| e.response_body.is_some())
            .collect();
        assert_eq!(held, [false, false, false, false, true]);
        // The entry just written is kept even when it is not the newest one.
        let mut log = Log::default();
        for (id, size) in [(1, 900), (2, 900), (3, 10)] {
            log.entries.push_back(logged(id, size));
        }
        log.bound_bodies(1, 1000);
        assert!(log.entries[0].response_body.is_some() && log.entries[1].body_dropped);
        // Within the budget nothing changes; serialised, a kept entry has no `body_dropped`.
        log.bound_bodies(3, usize::MAX);
        let v = serde_json::to_value(&log.entries[0]).unwrap();
        assert!(v.get("body_dropped").is_none() && v["response_body"].is_string());
        assert_eq!(
            serde_json::to_value(&log.entries[1]).unwrap()["body_dropped"],
            true
        );
    }
}
