//! Watching orgs over time (`sagediag watch`, the console's Fleet screen, the status page): the
//! shared vocabulary (`model.rs`), one org's cycle (`cycle.rs`), incidents with hysteresis
//! (`incident.rs`), the history store on SQLite or PostgreSQL (`store/`), alert deliveries
//! (`alerts.rs`) and the Prometheus metrics (`metrics.rs`). Like the rest of the engine it knows
//! nothing of the terminal; the front ends (`src/watch/`, `src/tui/`) only show what it decides.
//!
//! The one rule: a watch never touches the integration's own tokens. It signs in with the
//! watcher's own monitoring credentials (JWT bearer or client credentials of a monitoring app).

pub mod cycle;
mod cycle_app;
mod cycle_login;
mod cycle_read;
mod cycle_report;
pub mod incident;
pub mod model;
pub mod now;
pub mod schedule;
pub mod store;

pub use model::*;
pub mod alerts;
pub mod alerts_send;
pub mod metrics;
