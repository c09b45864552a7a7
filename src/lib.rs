//! sagediag: set up and diagnose the Salesforce OAuth connection of a Sage People integration.
//!
//! - [`engine`]: the diagnostics engine (client side): steps, findings, the recorded HTTP log.
//! - [`sim`]: the simulated Salesforce + Sage People org (a server; shares nothing with the client side).

pub mod check;
pub mod cli;
pub mod engine;
pub mod sim;
