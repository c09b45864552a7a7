//! sagediag: set up and diagnose the Salesforce OAuth connection of a Sage People integration.
//!
//! - [`sim`]: the simulated Salesforce + Sage People org (a server; shares nothing with the client side).

pub mod cli;
pub mod sim;
