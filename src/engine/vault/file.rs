//! The owner-only secrets file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::VaultError;
use crate::engine::files;

/// The owner-only file: `SAGEDIAG_SECRETS`, else `secrets.json` in the user's data directory.
pub fn file_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SAGEDIAG_SECRETS") {
        return Some(PathBuf::from(p));
    }
    crate::engine::paths::secrets_file()
}

pub(super) fn file_error(path: &Path, what: &str, e: impl std::fmt::Display) -> VaultError {
    VaultError::File(format!("{}: {what}: {e}", path.display()))
}

/// The largest secrets file read (a few hundred bytes per kept secret).
pub(super) const FILE_CAP: u64 = 1024 * 1024;

/// Reads the file store; a missing file is empty. Refused (each with what to do): a symbolic
/// link, at the file or as its directory; a directory others can write; a file that is not ours
/// or that others can read (as ssh refuses a readable key).
pub(super) fn read_file(path: &Path) -> Result<BTreeMap<String, String>, VaultError> {
    let dir = files::dir_of(path);
    match files::check_private_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        r => r.map_err(|e| file_error(path, "cannot use the secrets file", e))?,
    }
    let text = match files::read_private(path, FILE_CAP) {
        Ok(Some(t)) => t,
        Ok(None) => return Ok(BTreeMap::new()),
        Err(e) => return Err(file_error(path, "cannot read the secrets file", e)),
    };
    // Only where it went wrong: serde's message can quote the file's text, which holds secrets.
    serde_json::from_str(&text).map_err(|e| {
        VaultError::File(format!(
            "{}: the secrets file is not sagediag's JSON (line {}, column {}; delete it to start again)",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// The lock file beside `path` (`secrets.json.lock`): kept, never removed (removing a lock file
/// lets two writers hold "the" lock at once).
pub(super) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Read-modify-write of the file store under an exclusive lock, so concurrent runs merge rather
/// than lose entries. `change` says whether it changed anything (nothing is written otherwise);
/// its answer is returned. The directory is created 0700 when missing.
pub(super) fn update_file<T>(
    path: &Path,
    change: impl FnOnce(&mut BTreeMap<String, String>) -> (bool, T),
) -> Result<T, VaultError> {
    let dir = files::dir_of(path);
    files::ensure_private_dir(dir)
        .map_err(|e| file_error(dir, "cannot use the directory of the secrets file", e))?;
    let lock = lock_path(path);
    let _held = files::lock_exclusive(&lock)
        .map_err(|e| file_error(&lock, "cannot lock the secrets file", e))?;
    let mut all = read_file(path)?;
    let (changed, answer) = change(&mut all);
    if changed {
        write_file(path, &all)?;
    }
    Ok(answer)
}

/// Writes the whole store (temp file created exclusively, fsync, rename, fsync of the
/// directory). Callers hold the lock ([`update_file`]).
pub(super) fn write_file(path: &Path, all: &BTreeMap<String, String>) -> Result<(), VaultError> {
    let text = serde_json::to_string_pretty(all)
        .map_err(|e| file_error(path, "cannot encode the secrets file", e))?;
    files::write_private(path, text.as_bytes())
        .map_err(|e| file_error(path, "cannot write the secrets file", e))
}

pub(super) fn no_file() -> VaultError {
    VaultError::NoFile
}
