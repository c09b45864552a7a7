//! The dependent round trips of a run, from its requests' start and end times: shared by the
//! benches (`support::levels`) and the test that holds the critical path
//! (`tests/all/check.rs`).

/// The longest chain of requests (start, end in ms) each sent after the previous one's answer.
pub fn levels(spans: &[(u64, u64)]) -> usize {
    let mut spans = spans.to_vec();
    spans.sort_unstable();
    let mut depth = vec![0usize; spans.len()];
    for i in 0..spans.len() {
        depth[i] = 1
            + (0..i)
                .filter(|&j| spans[j].1 <= spans[i].0)
                .map(|j| depth[j])
                .max()
                .unwrap_or(0);
    }
    depth.into_iter().max().unwrap_or(0)
}
