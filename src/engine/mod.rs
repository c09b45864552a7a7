//! The diagnostics engine: environment, credentials, login, token checks, org checks and
//! permission-set probes. It knows nothing of the terminal: it emits [`Event`]s on a channel and
//! returns a [`Report`]. The console and `sagediag check` are two front ends over it.

pub mod app;
pub mod bounds;
pub mod change;
pub mod classify;
pub mod clock;
pub mod context;
pub mod coverage;
pub mod crypto;
pub mod environment;
pub mod export;
pub mod files;
pub mod findings;
pub mod fix;
pub mod fix_metadata;
pub mod grant_fix;
pub mod guard;
pub mod hints;
pub mod http;
pub mod journal;
pub mod landing;
pub mod ledger;
pub mod login;
pub mod model;
pub mod oauth;
pub mod org;
pub mod paths;
pub mod recall;
pub mod record;
pub mod render;
pub mod run;
pub mod sanitize;
pub mod setup;
pub mod tls;
pub mod trust;
pub mod undo;
pub mod vault;
pub mod verdict;
pub mod watch;

pub use environment::Environment;
pub use findings::{Code, Finding, Severity};
pub use model::*;
pub use run::{Finished, Run, RunOptions, run};
