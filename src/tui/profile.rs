//! Profiles: the environment, consumer key, username, flow and callback of each org, saved
//! under the user's config directory and offered next time. Secrets and tokens are never
//! written here; the file is created owner-only.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// `production`, `sandbox` or a URL.
    pub env: String,
    pub client_id: String,
    pub username: String,
    pub flow: String,
    pub pkce: bool,
    pub preset: String,
    pub callback: String,
    /// The JWT flow's private key file: its path, never its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_path: Option<String>,
    /// The app's kind as declared in step 2 (`eca` or `connected-app`, as `--app-kind` takes
    /// it); absent when it was left to be found after login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_kind: Option<String>,
}

impl Profile {
    pub fn label(&self) -> String {
        let key = if self.client_id.chars().count() > 12 {
            format!("{}…", self.client_id.chars().take(12).collect::<String>())
        } else {
            self.client_id.clone()
        };
        format!("{} · {} · {}", self.env, key, self.flow)
    }
}

pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SAGEDIAG_PROFILES") {
        return Some(PathBuf::from(p));
    }
    crate::engine::paths::profiles_file()
}

/// Saved profiles, most recent first; a missing or unreadable file gives none.
pub fn load() -> Vec<Profile> {
    path().map(|p| load_from(&p)).unwrap_or_default()
}

pub fn load_from(path: &std::path::Path) -> Vec<Profile> {
    crate::engine::files::read_user_file(path, crate::engine::files::PROFILES)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// Puts `p` first (replacing the same env + consumer key) and writes the file, owner-only.
pub fn save(p: &Profile) -> std::io::Result<()> {
    match path() {
        Some(path) => save_to(&path, p),
        None => Ok(()),
    }
}

pub fn save_to(path: &std::path::Path, p: &Profile) -> std::io::Result<()> {
    let mut all = load_from(path);
    all.retain(|x| !(x.env == p.env && x.client_id == p.client_id));
    all.insert(0, p.clone());
    all.truncate(20);
    if let Some(dir) = path.parent() {
        crate::engine::files::create_private_dir(dir)?;
    }
    let text = serde_json::to_string_pretty(&all).map_err(std::io::Error::other)?;
    crate::engine::files::write_private(path, text.as_bytes())
}
