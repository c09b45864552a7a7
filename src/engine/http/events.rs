//! What the client tells as it goes, in its own terms: a request sent, its answer received.
//! The client knows no run; whoever builds it passes a [`Listener`] (a run adapts these to its
//! `Event`s, in `model.rs`).

use std::sync::Arc;

/// One exchange's progress, as the log numbers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeEvent {
    /// The request went out (its URL redacted, as logged).
    Sent {
        id: u64,
        method: String,
        url: String,
    },
    /// Its answer came back (`status` None: no answer).
    Received {
        id: u64,
        status: Option<u16>,
        duration_ms: u64,
        bytes: usize,
    },
}

/// Where a client sends its [`ExchangeEvent`]s: nowhere (the default), or a callback.
#[derive(Clone, Default)]
pub struct Listener(Option<Arc<dyn Fn(ExchangeEvent) + Send + Sync>>);

impl Listener {
    /// Events go to `f`, in the order they happen.
    pub fn new(f: impl Fn(ExchangeEvent) + Send + Sync + 'static) -> Listener {
        Listener(Some(Arc::new(f)))
    }

    /// Events go nowhere.
    pub fn none() -> Listener {
        Listener(None)
    }

    pub(super) fn emit(&self, e: ExchangeEvent) {
        if let Some(f) = &self.0 {
            f(e);
        }
    }
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Listener(..)"
        } else {
            "Listener(none)"
        })
    }
}
