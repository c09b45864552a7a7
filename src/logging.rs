//! Diagnostics through `tracing`: the engine emits events (requests, steps, findings) and knows
//! nothing of where they go; a front end chooses here. The console writes them to
//! `sagediag.log` in the state directory — owner-only, rotated at a size cap, timestamped, every
//! line through the sanitiser — and `check --verbose` to stderr. `RUST_LOG` (or `--log-level`)
//! sets the level: `info`, `debug`, `sagediag=debug,hyper=info`, …

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The console's log file: `sagediag.log` in the user's state directory (created 0700).
pub fn default_log_path() -> Option<PathBuf> {
    let dir = crate::engine::paths::log_dir()?;
    crate::engine::files::create_private_dir(&dir).ok()?;
    Some(dir.join("sagediag.log"))
}

/// The largest log file before it is rotated to `sagediag.log.1` (one old file is kept).
pub const MAX_LOG_BYTES: u64 = 5 * 1024 * 1024;

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log level `{spec}`: {reason} (e.g. info, debug, sagediag=trace)")]
    Level { spec: String, reason: String },
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("logging already set up: {0}")]
    AlreadySet(String),
}

/// Keeps the background writer alive; dropping it flushes what is pending.
pub struct Guard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// The filter: `--log-level` wins, then `RUST_LOG`, then `default`.
pub fn filter(level: Option<&str>, default: &str) -> Result<Targets, LogError> {
    let spec = level
        .map(str::to_string)
        .or_else(|| {
            std::env::var("RUST_LOG")
                .ok()
                .filter(|s| !s.trim().is_empty())
        })
        .unwrap_or_else(|| default.to_string());
    let spec = if spec.contains('=') || spec.contains(',') {
        spec
    } else {
        // A bare level applies to sagediag; dependencies stay at warn.
        format!("warn,sagediag={spec}")
    };
    spec.parse::<Targets>().map_err(|e| LogError::Level {
        reason: e.to_string(),
        spec,
    })
}

/// A file that rotates at [`MAX_LOG_BYTES`], created owner-only, each write sanitised.
pub struct RotatingFile {
    path: PathBuf,
    file: std::fs::File,
    written: u64,
}

impl RotatingFile {
    pub fn open(path: &Path) -> io::Result<RotatingFile> {
        let file = crate::engine::files::append_private(path)?;
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(RotatingFile {
            path: path.to_path_buf(),
            file,
            written,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        let old = self.path.with_extension("log.1");
        std::fs::rename(&self.path, old)?;
        self.file = crate::engine::files::append_private(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written >= MAX_LOG_BYTES {
            // A log that cannot rotate keeps writing rather than losing lines.
            let _ = self.rotate();
        }
        let text = String::from_utf8_lossy(buf);
        let clean = crate::engine::sanitize::text(&text);
        self.file.write_all(clean.as_bytes())?;
        self.written += clean.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Sends the engine's events to a rotating owner-only file, written on a background thread.
/// Does nothing (and says why) when a subscriber is already installed.
pub fn to_file(path: &Path, level: Option<&str>) -> Result<Guard, LogError> {
    let targets = filter(level, "info")?;
    let file = RotatingFile::open(path).map_err(|source| LogError::File {
        path: path.display().to_string(),
        source,
    })?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_target(true),
        )
        .with(targets)
        .try_init()
        .map_err(|e| LogError::AlreadySet(e.to_string()))?;
    Ok(Guard(Some(guard)))
}

/// Sends the engine's events to stderr, each line through the sanitiser (`check --verbose`).
pub fn to_stderr(level: Option<&str>) -> Result<Guard, LogError> {
    let targets = filter(level, "debug")?;
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(SanitisedStderr)
                .with_ansi(false),
        )
        .with(targets)
        .try_init()
        .map_err(|e| LogError::AlreadySet(e.to_string()))?;
    Ok(Guard(None))
}

/// Stderr through the sanitiser.
#[derive(Clone, Copy)]
struct SanitisedStderr;

struct StderrLine;

impl Write for StderrLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        io::stderr().write_all(crate::engine::sanitize::text(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for SanitisedStderr {
    type Writer = StderrLine;
    fn make_writer(&'a self) -> StderrLine {
        StderrLine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_bad_ones_say_what_to_write() {
        assert!(filter(Some("debug"), "info").is_ok());
        assert!(filter(Some("sagediag=trace,hyper=info"), "info").is_ok());
        let e = filter(Some("loud"), "info").unwrap_err().to_string();
        assert!(e.contains("e.g. info"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_owner_only_sanitised_and_rotates() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("sagediag-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sagediag.log");
        let mut f = RotatingFile::open(&path).unwrap();
        f.write_all(b"request #1 \x1b]0;pwned\x07\n").unwrap();
        f.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\\x1b]0;pwned\\x07") && !text.contains('\u{1b}'));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        f.written = MAX_LOG_BYTES;
        f.write_all(b"after rotation\n").unwrap();
        assert!(dir.join("sagediag.log.1").exists());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "after rotation\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
