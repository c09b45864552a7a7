//! The human report of `sagediag check`: the one rendering of a report
//! ([`crate::engine::render`]) as plain text, the same sections as the report file.

use crate::engine::Report;
use crate::engine::render::{self, Style};

/// The human report: permission sets, findings with fixes, changes made, org checks.
pub fn human(r: &Report) -> String {
    render::report(r, Style::Text, None)
}
