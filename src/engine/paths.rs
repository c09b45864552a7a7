//! Where sagediag keeps its files, in the user's platform directories (XDG on Linux, Library on
//! macOS, AppData on Windows). Each can be overridden by an environment variable.

use std::path::PathBuf;

fn dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "sagediag")
}

/// The config file: `config.toml` in the config directory (`SAGEDIAG_CONFIG` overrides).
pub fn config_file() -> Option<PathBuf> {
    dirs().map(|d| d.config_dir().join("config.toml"))
}

/// Saved console profiles: `profiles.json` in the config directory (`SAGEDIAG_PROFILES`).
pub fn profiles_file() -> Option<PathBuf> {
    dirs().map(|d| d.config_dir().join("profiles.json"))
}

/// The owner-only secrets file: `secrets.json` in the data directory (`SAGEDIAG_SECRETS`).
pub fn secrets_file() -> Option<PathBuf> {
    dirs().map(|d| d.data_dir().join("secrets.json"))
}

/// The directory of the console's log: the state directory (or the cache directory).
pub fn log_dir() -> Option<PathBuf> {
    dirs().map(|d| d.state_dir().unwrap_or(d.cache_dir()).to_path_buf())
}
