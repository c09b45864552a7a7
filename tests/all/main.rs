//! Every integration test in one binary: the crate is linked once, not once per file.
//! Each module is what a file under `tests/` used to be; `common` holds the helpers that start
//! simulated orgs on loopback.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::format_push_string
)] // test code: Cargo.toml's [lints] are for the program

mod common;

mod bounds;
mod check;
mod cli;
mod engine_login;
mod field2026;
mod files;
mod fix;
mod fuzz;
mod harm;
mod hostile;
mod network;
mod oauth_errors;
mod package;
mod pg;
mod record;
mod setup_sheet;
mod sim_api;
mod sim_cli_calls;
mod sim_fleet;
mod sim_hardening;
mod sim_oauth;
mod sim_paging;
mod sim_props;
mod sim_record;
mod sim_scenarios;
mod sim_soap;
mod sim_sobjects;
mod sim_tls;
mod tui_fix;
mod tui_fleet;
mod tui_inspect;
mod tui_loop;
mod tui_screens;
mod tui_snapshots;
mod tui_tmux;
mod tui_update;
mod watch_alerts;
mod watch_cli;
mod watch_serve;
mod watch_store;
mod watch_team;
