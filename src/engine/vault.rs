//! Secrets the user chooses to keep between runs: the consumer secret and the refresh token of
//! one connected app in one environment. They go to the OS keyring (macOS Keychain, Windows
//! Credential Manager, the Secret Service on Linux/BSD) or, only when the user says so, to an
//! owner-only file. Nothing falls back silently: when the keyring is not available the caller is
//! told why and offers the file or memory only.
//!
//! Keyring calls block (D-Bus, Keychain): call them from `spawn_blocking` or a plain thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use keyring_core::CredentialStore;

/// The keyring's service name: every entry sagediag keeps is under it.
pub const SERVICE: &str = "sagediag";

/// Where kept secrets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Keep {
    /// Not kept: forgotten when the program ends.
    #[default]
    Memory,
    /// The OS keyring.
    Keyring,
    /// A JSON file readable and writable by its owner only (plain text on disk).
    File,
}

impl Keep {
    pub const ALL: [Keep; 3] = [Keep::Memory, Keep::Keyring, Keep::File];

    pub fn name(self) -> &'static str {
        match self {
            Keep::Memory => "memory",
            Keep::Keyring => "keyring",
            Keep::File => "file",
        }
    }

    pub fn parse(s: &str) -> Option<Keep> {
        Keep::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// What is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ClientSecret,
    RefreshToken,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::ClientSecret => "consumer secret",
            Kind::RefreshToken => "refresh token",
        }
    }
}

/// The entry name of one secret: the kind, the consumer key and the login URL; refresh tokens
/// also carry the username (one user's grant).
pub fn account(kind: Kind, login_url: &str, client_id: &str, username: Option<&str>) -> String {
    match kind {
        Kind::ClientSecret => format!("client_secret {client_id} {login_url}"),
        Kind::RefreshToken => format!(
            "refresh_token {client_id} {login_url} {}",
            username.unwrap_or("-")
        ),
    }
}

/// The platform's keyring, by name.
pub fn keyring_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(target_os = "windows") {
        "Windows Credential Manager"
    } else {
        "Secret Service"
    }
}

static KEYRING: OnceLock<Result<Arc<CredentialStore>, String>> = OnceLock::new();

fn open_keyring() -> Result<Arc<CredentialStore>, keyring_core::Error> {
    #[cfg(target_os = "macos")]
    let store = apple_native_keyring_store::keychain::Store::new()?;
    #[cfg(target_os = "windows")]
    let store = windows_native_keyring_store::Store::new()?;
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    let store = zbus_secret_service_keyring_store::Store::new()?;
    #[cfg(any(
        target_os = "macos",
        target_os = "windows",
        all(
            unix,
            not(any(target_os = "macos", target_os = "ios", target_os = "android"))
        )
    ))]
    {
        Ok(store)
    }
    #[cfg(not(any(
        target_os = "macos",
        target_os = "windows",
        all(
            unix,
            not(any(target_os = "macos", target_os = "ios", target_os = "android"))
        )
    )))]
    Err(keyring_core::Error::NotSupportedByStore(
        "no OS keyring on this platform".into(),
    ))
}

/// The OS keyring, opened once; `Err` says why it cannot be used here. Blocks.
pub fn keyring() -> Result<Arc<CredentialStore>, String> {
    KEYRING
        .get_or_init(|| {
            open_keyring().map_err(|e| {
                let why = e.to_string();
                if cfg!(target_os = "macos") || cfg!(target_os = "windows") {
                    format!("the {} cannot be opened: {why}", keyring_name())
                } else {
                    format!(
                        "no Secret Service answers on the D-Bus session bus ({why}); a headless \
                         box or an SSH session usually has none"
                    )
                }
            })
        })
        .clone()
}

/// The owner-only file: `SAGEDIAG_SECRETS`, else `secrets.json` in the user's data directory.
pub fn file_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SAGEDIAG_SECRETS") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "sagediag").map(|d| d.data_dir().join("secrets.json"))
}

fn file_error(path: &Path, what: &str, e: impl std::fmt::Display) -> String {
    format!("{}: {what}: {e}", path.display())
}

/// Reads the file store; a missing file is empty. A file others can read is refused (as ssh does).
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(file_error(path, "cannot read the secrets file", e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| file_error(path, "cannot read the secrets file", e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{}: the secrets file can be read by others (mode {:o}); refusing to use it. Fix: chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    // Only where it went wrong: serde's message can quote the file's text, which holds secrets.
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: the secrets file is not sagediag's JSON (line {}, column {}; delete it to start again)",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

fn write_file(path: &Path, all: &BTreeMap<String, String>) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir)
            .map_err(|e| file_error(dir, "cannot create the directory", e))?;
    }
    let text = serde_json::to_string_pretty(all).map_err(|e| e.to_string())?;
    // Written beside, then renamed: a crash never leaves half a file.
    let tmp = path.with_extension("json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    opts.open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|_| f.sync_all()))
        .map_err(|e| file_error(&tmp, "cannot write the secrets file", e))?;
    std::fs::rename(&tmp, path).map_err(|e| file_error(path, "cannot write the secrets file", e))
}

fn no_file() -> String {
    "no place for the secrets file (no home directory; set SAGEDIAG_SECRETS=FILE)".into()
}

/// The stores: the OS keyring (one per machine, when `keyring`) and the owner-only file at
/// `file`. `Vault::default()` uses neither (tests); [`Vault::from_env`] both.
#[derive(Debug, Clone, Default)]
pub struct Vault {
    pub file: Option<PathBuf>,
    pub keyring: bool,
}

impl Vault {
    /// The OS keyring and the file from `SAGEDIAG_SECRETS` or the user's data directory.
    pub fn from_env() -> Vault {
        Vault {
            file: file_path(),
            keyring: true,
        }
    }

    /// Whether this vault's keyring can be used; `Err` says why not. Blocks.
    pub fn keyring_status(&self) -> Result<(), String> {
        self.keyring().map(|_| ())
    }

    /// The keyring, if this vault uses one and it answers.
    fn keyring(&self) -> Result<Arc<CredentialStore>, String> {
        if self.keyring {
            keyring()
        } else {
            Err("the OS keyring is not used here".into())
        }
    }

    fn file(&self) -> Result<&Path, String> {
        self.file.as_deref().ok_or_else(no_file)
    }

    /// Where `keep` puts secrets, for people.
    pub fn describe(&self, keep: Keep) -> String {
        match (keep, &self.file) {
            (Keep::Memory, _) => "memory only (forgotten on exit)".into(),
            (Keep::Keyring, _) => format!("the OS keyring ({})", keyring_name()),
            (Keep::File, Some(p)) => format!("the owner-only file {}", p.display()),
            (Keep::File, None) => "an owner-only file (no home directory found)".into(),
        }
    }

    /// Keeps `secret` under `account`. Memory keeps nothing. Blocks.
    pub fn store(&self, keep: Keep, account: &str, secret: &str) -> Result<(), String> {
        match keep {
            Keep::Memory => Ok(()),
            Keep::Keyring => self
                .keyring()?
                .build(SERVICE, account, None)
                .and_then(|e| e.set_password(secret))
                .map_err(|e| format!("the {} refused the secret: {e}", keyring_name())),
            Keep::File => {
                let path = self.file()?;
                let mut all = read_file(path)?;
                all.insert(account.to_string(), secret.to_string());
                write_file(path, &all)
            }
        }
    }

    /// The secret kept under `account` in `keep`, if any. Blocks.
    pub fn load(&self, keep: Keep, account: &str) -> Result<Option<String>, String> {
        match keep {
            Keep::Memory => Ok(None),
            Keep::Keyring => match self
                .keyring()?
                .build(SERVICE, account, None)
                .and_then(|e| e.get_password())
            {
                Ok(s) => Ok(Some(s)),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(format!("the {} cannot be read: {e}", keyring_name())),
            },
            Keep::File => Ok(read_file(self.file()?)?.remove(account)),
        }
    }

    /// Looks in the keyring (when there is one) and then the file (when it exists): the secret
    /// and where it was. Problems reading a store come back beside, never fatal. Blocks.
    pub fn find(&self, account: &str) -> (Option<(String, Keep)>, Vec<String>) {
        let mut problems = Vec::new();
        if self.keyring().is_ok() {
            match self.load(Keep::Keyring, account) {
                Ok(Some(s)) => return (Some((s, Keep::Keyring)), problems),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
        if self.file.as_ref().is_some_and(|p| p.exists()) {
            match self.load(Keep::File, account) {
                Ok(Some(s)) => return (Some((s, Keep::File)), problems),
                Ok(None) => {}
                Err(e) => problems.push(e),
            }
        }
        (None, problems)
    }

    /// The names (never the values) kept in the file.
    pub fn file_accounts(&self) -> Result<Vec<String>, String> {
        match self.file.as_deref() {
            Some(p) => Ok(read_file(p)?.into_keys().collect()),
            None => Ok(Vec::new()),
        }
    }

    /// Removes `account` from the keyring (when there is one) and the file; says where it was.
    pub fn forget(&self, account: &str) -> Result<Vec<Keep>, String> {
        let mut gone = Vec::new();
        if let Ok(k) = self.keyring() {
            match k
                .build(SERVICE, account, None)
                .and_then(|e| e.delete_credential())
            {
                Ok(()) => gone.push(Keep::Keyring),
                Err(keyring_core::Error::NoEntry) => {}
                Err(e) => return Err(format!("the {} refused: {e}", keyring_name())),
            }
        }
        if let Some(path) = self.file.as_deref().filter(|p| p.exists()) {
            let mut all = read_file(path)?;
            if all.remove(account).is_some() {
                write_file(path, &all)?;
                gone.push(Keep::File);
            }
        }
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_name_the_app_the_environment_and_the_user() {
        assert_eq!(
            account(
                Kind::ClientSecret,
                "https://login.salesforce.com",
                "3MVG9",
                Some("a@b")
            ),
            "client_secret 3MVG9 https://login.salesforce.com"
        );
        assert_eq!(
            account(
                Kind::RefreshToken,
                "https://test.salesforce.com",
                "3MVG9",
                Some("a@b")
            ),
            "refresh_token 3MVG9 https://test.salesforce.com a@b"
        );
    }

    #[test]
    fn file_store_is_owner_only_and_refuses_a_readable_file() {
        let dir = std::env::temp_dir().join(format!("sagediag-vault-{}", std::process::id()));
        let path = dir.join("sub").join("secrets.json");
        let mut all = BTreeMap::new();
        all.insert("a".to_string(), "s3cr3t".to_string());
        write_file(&path, &all).unwrap();
        assert_eq!(read_file(&path).unwrap(), all);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = read_file(&path).unwrap_err();
            assert!(err.contains("chmod 600"), "{err}");
            assert!(!err.contains("s3cr3t"), "{err}");
        }
        std::fs::write(dir.join("bad.json"), "\"s3cr3t-in-a-broken-file\"").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.join("bad.json"), std::fs::Permissions::from_mode(0o600))
                .unwrap();
        }
        let err = read_file(&dir.join("bad.json")).unwrap_err();
        assert!(err.contains("not sagediag's JSON"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
        assert!(read_file(&dir.join("missing.json")).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
