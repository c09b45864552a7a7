//! The diagnostics engine: environment, credentials, login, token checks, org checks and
//! permission-set probes. It knows nothing of the terminal: it emits [`Event`]s on a channel and
//! returns a [`Report`]. The console and `sagediag check` are two front ends over it.

pub mod app;
pub mod bounds;
pub mod change;
pub mod classify;
pub mod clock;
pub(crate) mod context;
pub mod coverage;
pub mod crypto;
pub(crate) mod environment;
pub mod export;
pub mod files;
pub mod findings;
pub mod fix;
pub(crate) mod fix_metadata;
pub(crate) mod grant_fix;
pub(crate) mod guard;
pub(crate) mod hints;
pub mod http;
pub(crate) mod journal;
pub(crate) mod landing;
pub(crate) mod ledger;
pub mod login;
pub(crate) mod model;
pub(crate) mod oauth;
pub(crate) mod org;
pub(crate) mod paths;
pub(crate) mod recall;
pub(crate) mod record;
pub(crate) mod render;
pub mod run;
pub mod sanitize;
pub mod setup;
pub(crate) mod tls;
pub(crate) mod trust;
pub(crate) mod undo;
pub mod vault;
pub(crate) mod verdict;
pub mod watch;

pub use environment::Environment;
pub use findings::{Code, Finding, Severity};
pub use model::*;
pub use run::{Finished, Run, RunOptions, run};
