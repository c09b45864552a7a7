//! sagediag: set up and diagnose the Salesforce OAuth connection of a Sage People integration.
//!
//! - [`engine`]: the diagnostics engine (client side): steps, findings, the recorded HTTP log.
//! - [`tui`]: the console, a front end over the engine.
//! - [`check`]: `sagediag check`, the non-interactive front end.
//! - [`config`]: the one configuration pipeline (typed layers built once into the engine's `Config`).
//! - [`front`]: the program (`src/main.rs` calls [`front::main`]).
//! - [`sim`]: the simulated Salesforce + Sage People org (a server; shares nothing with the client side).

// Lint settings are all in Cargo.toml `[lints]` (and clippy.toml): they cover the program too,
// since `src/main.rs` only calls `front::main`.

// `demo_org.rs` names the crate `sagediag` (tests include it by path, too).
extern crate self as sagediag;

pub mod check;
pub mod cli;
pub mod config;
/// `sagediag demo --watch`: a simulated fleet under watch, changing over time.
mod demo_fleet;
/// The demo org as the console sees it: the simulator behind `tui::DemoOrg`.
pub mod demo_org;
pub mod engine;
pub mod front;
pub mod logging;
pub mod settings;
pub mod sim;
pub mod toml_at;
pub mod tui;
pub mod watch;
