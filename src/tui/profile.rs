//! Profiles: the environment, consumer key, username, flow and callback of each org, saved
//! under the user's config directory and offered next time. Secrets and tokens are never
//! written here; the file is created owner-only.
//!
//! The flow, the integration preset and the app's kind are typed; they are written with the
//! names the file always had (`"client-credentials"`, `"StackOne"`, `"eca"`), so an older file
//! still loads. An entry that does not read is named with what is wrong ([`read_from`]), and a
//! file with one is not overwritten.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::form::Preset;
use crate::engine::Flow;
use crate::engine::app::AppKind;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// `production`, `sandbox` or a URL.
    pub env: String,
    pub client_id: String,
    pub username: String,
    /// Written as `--flow` names it (`client-credentials`).
    pub flow: Flow,
    pub pkce: bool,
    /// Written as its name (`Custom`, `StackOne`, `Nango`).
    #[serde(with = "preset_name")]
    pub preset: Preset,
    pub callback: String,
    /// The JWT flow's private key file: its path, never its content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key_path: Option<String>,
    /// The app's kind as declared in step 2 (`eca` or `connected-app`, as `--app-kind` takes
    /// it); absent when it was left to be found after login.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "app_kind_arg"
    )]
    pub app_kind: Option<AppKind>,
}

/// The preset as the file names it: `Custom`, `StackOne`, `Nango` (any case).
mod preset_name {
    use super::Preset;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(p: &Preset, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(p.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Preset, D::Error> {
        let name = String::deserialize(d)?;
        [Preset::Custom, Preset::StackOne, Preset::Nango]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "preset `{name}` is not Custom, StackOne or Nango"
                ))
            })
    }
}

/// The app's kind as `--app-kind` names it: `eca`, `connected-app`.
mod app_kind_arg {
    use super::AppKind;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(k: &Option<AppKind>, s: S) -> Result<S::Ok, S::Error> {
        match k.and_then(AppKind::arg) {
            Some(arg) => s.serialize_str(arg),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AppKind>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(name) => AppKind::parse(&name).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("app_kind `{name}` is not eca or connected-app"))
            }),
        }
    }
}

impl Profile {
    pub fn label(&self) -> String {
        let key = if self.client_id.chars().count() > 12 {
            format!("{}…", self.client_id.chars().take(12).collect::<String>())
        } else {
            self.client_id.clone()
        };
        format!("{} · {} · {}", self.env, key, self.flow.name())
    }
}

pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SAGEDIAG_PROFILES") {
        return Some(PathBuf::from(p));
    }
    crate::engine::paths::profiles_file()
}

/// A profiles file, or an entry of it, that does not read: the path and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProfilesError(pub String);

/// What a profiles file holds: the profiles that read, and what is wrong with the others.
#[derive(Debug, Default)]
pub struct Read {
    pub profiles: Vec<Profile>,
    /// One line per entry (or for the file) that did not read, naming the file and the entry.
    pub problems: Vec<ProfilesError>,
}

/// Saved profiles, most recent first; a missing file gives none. What does not read is left
/// out (and logged); [`read_from`] says what it is.
pub fn load() -> Vec<Profile> {
    path().map(|p| load_from(&p)).unwrap_or_default()
}

pub fn load_from(path: &std::path::Path) -> Vec<Profile> {
    let read = read_from(path);
    for p in &read.problems {
        tracing::warn!("{p}");
    }
    read.profiles
}

/// Every profile of the file that reads, and a clear line for each one that does not (a flow,
/// preset or app kind no version wrote, a missing field, a file that is not a JSON list).
pub fn read_from(path: &std::path::Path) -> Read {
    let file = path.display();
    let text = match crate::engine::files::read_user_file(path, crate::engine::files::PROFILES) {
        Ok(t) => t,
        Err(_) if !path.exists() => return Read::default(),
        Err(e) => {
            return Read {
                profiles: Vec::new(),
                problems: vec![ProfilesError(format!("{file}: {e}"))],
            };
        }
    };
    let entries: Vec<serde_json::Value> = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Read {
                profiles: Vec::new(),
                problems: vec![ProfilesError(format!(
                    "{file}: not a list of profiles: {e}"
                ))],
            };
        }
    };
    let mut read = Read::default();
    for (i, v) in entries.into_iter().enumerate() {
        match Profile::deserialize(v) {
            Ok(p) => read.profiles.push(p),
            Err(e) => read.problems.push(ProfilesError(format!(
                "{file}: profile {}: {} (fix or delete that entry)",
                i + 1,
                crate::engine::sanitize::line(&e.to_string())
            ))),
        }
    }
    read
}

/// Puts `p` first (replacing the same env + consumer key) and writes the file, owner-only.
pub fn save(p: &Profile) -> std::io::Result<()> {
    match path() {
        Some(path) => save_to(&path, p),
        None => Ok(()),
    }
}

/// As [`save`], to `path`. A file with an entry that does not read is not overwritten: the
/// error names the entry.
pub fn save_to(path: &std::path::Path, p: &Profile) -> std::io::Result<()> {
    let read = read_from(path);
    if let Some(problem) = read.problems.into_iter().next() {
        return Err(std::io::Error::other(format!(
            "{problem}; profile not saved, so as not to lose it"
        )));
    }
    let mut all = read.profiles;
    all.retain(|x| !(x.env == p.env && x.client_id == p.client_id));
    all.insert(0, p.clone());
    all.truncate(20);
    if let Some(dir) = path.parent() {
        crate::engine::files::create_private_dir(dir)?;
    }
    let text = serde_json::to_string_pretty(&all).map_err(std::io::Error::other)?;
    crate::engine::files::write_private(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_file_still_loads_typed_and_a_bad_entry_is_named_and_kept() {
        let dir = std::env::temp_dir().join(format!("sagediag-profile-{}", std::process::id()));
        crate::engine::files::create_private_dir(&dir).unwrap();
        let path = dir.join("profiles.json");
        // As earlier versions wrote it: the flow, preset and app kind as strings.
        let old = r#"[{"env":"sandbox","client_id":"3MVG9a","username":"api@acme.example","flow":"client-credentials","pkce":false,"preset":"StackOne","callback":"https://x.example/cb","app_kind":"eca"},
                      {"env":"production","client_id":"3MVG9b","username":"","flow":"web","pkce":true,"preset":"Custom","callback":""}]"#;
        crate::engine::files::write_private(&path, old.as_bytes()).unwrap();
        let read = read_from(&path);
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        assert_eq!(read.profiles.len(), 2);
        let p = &read.profiles[0];
        assert_eq!(
            (p.flow, p.preset, p.app_kind),
            (
                Flow::ClientCredentials,
                Preset::StackOne,
                Some(AppKind::ExternalClientApp)
            )
        );
        assert_eq!(read.profiles[1].app_kind, None);
        // Written back with the same names.
        save_to(&path, &read.profiles[1]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        for name in [
            r#""flow": "client-credentials""#,
            r#""preset": "StackOne""#,
            r#""app_kind": "eca""#,
        ] {
            assert!(text.contains(name), "{text}");
        }
        // A flow no version wrote: named, the good entry still offered, the file kept.
        let bad = old.replace(r#""flow":"web""#, r#""flow":"webb""#);
        crate::engine::files::write_private(&path, bad.as_bytes()).unwrap();
        let read = read_from(&path);
        assert_eq!(read.profiles.len(), 1);
        let why = read.problems[0].to_string();
        assert!(why.contains("profile 2") && why.contains("webb"), "{why}");
        assert!(why.contains(&path.display().to_string()), "{why}");
        let e = save_to(&path, &read.profiles[0]).unwrap_err().to_string();
        assert!(e.contains("profile 2") && e.contains("not saved"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
        let _ = std::fs::remove_dir_all(dir);
    }
}
