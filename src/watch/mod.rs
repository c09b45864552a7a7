//! `sagediag watch`'s front end: the status page and its listener (`serve.rs`, `page.rs`).
pub mod page;
pub mod serve;
