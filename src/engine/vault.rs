//! Secrets the user chooses to keep between runs: the consumer secret and the refresh token of
//! one connected app in one environment. They go to the OS keyring (macOS Keychain, Windows
//! Credential Manager, the Secret Service on Linux/BSD) or, only when the user says so, to an
//! owner-only file. Nothing falls back silently: when the keyring is not available the caller is
//! told why and offers the file or memory only.
//!
//! Keyring calls block (D-Bus, Keychain): call them from `spawn_blocking` or a plain thread.

use super::files;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a secret could not be kept, read or forgotten. Never quotes a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The OS keyring cannot be used here (not built, no Secret Service, locked, refused).
    #[error("{0}")]
    Keyring(String),
    /// This vault does not use the OS keyring (tests, `Vault::default()`).
    #[error("the OS keyring is not used here")]
    KeyringNotUsed,
    /// No place for the owner-only file.
    #[error("no place for the secrets file (no home directory; set SAGEDIAG_SECRETS=FILE)")]
    NoFile,
    /// The owner-only file cannot be used: its path, what failed and what to do.
    #[error("{0}")]
    File(String),
}

/// The keyring's service name: every entry sagediag keeps is under it.
pub const SERVICE: &str = "sagediag";

pub use super::recall::{RecallFor, Recalled};

/// Where kept secrets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, clap::ValueEnum)]
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

/// One secret to keep, where, under which entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub keep: Keep,
    pub kind: Kind,
    pub account: String,
    pub secret: String,
}

/// What a successful login knows about its secrets, for [`plan_keep`].
#[derive(Debug, Clone, Copy)]
pub struct AfterLogin<'a> {
    pub login_url: &'a str,
    pub client_id: &'a str,
    pub username: Option<&'a str>,
    /// Where the user asked to keep secrets.
    pub keep: Keep,
    /// The consumer secret used, and the store it was recalled from (if any).
    pub client_secret: Option<&'a str>,
    pub secret_from: Option<Keep>,
    /// The refresh token the run started with, the one it ends with (after the token checks'
    /// refresh, which rotates it when rotation is on), and the store it was recalled from.
    pub refresh_given: Option<&'a str>,
    pub refresh_now: Option<&'a str>,
    pub refresh_from: Option<Keep>,
}

/// The one keep/rotation policy of both front ends: after a successful login, keep the consumer
/// secret and the current refresh token where the user asked; and even when the user keeps
/// nothing, put a rotated refresh token back where the old one came from (else the store would
/// hold a retired token whose reuse revokes the whole family).
pub fn plan_keep(a: AfterLogin<'_>) -> Vec<Write> {
    let mut writes = Vec::new();
    if let Some(secret) = a.client_secret.filter(|s| !s.is_empty())
        && a.keep != Keep::Memory
        && a.secret_from != Some(a.keep)
    {
        writes.push(Write {
            keep: a.keep,
            kind: Kind::ClientSecret,
            account: account(Kind::ClientSecret, a.login_url, a.client_id, None),
            secret: secret.to_string(),
        });
    }
    let rotated = a.refresh_now.is_some() && a.refresh_now != a.refresh_given;
    let target = if a.keep != Keep::Memory {
        Some(a.keep)
    } else if rotated {
        a.refresh_from
    } else {
        None
    };
    if let (Some(to), Some(rt)) = (target, a.refresh_now)
        && (rotated || a.refresh_from != Some(to))
    {
        writes.push(Write {
            keep: to,
            kind: Kind::RefreshToken,
            account: account(Kind::RefreshToken, a.login_url, a.client_id, a.username),
            secret: rt.to_string(),
        });
    }
    writes
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

/// The OS keyring, behind the `keyring` cargo feature (on by default). Without it the build has
/// no D-Bus/Keychain code at all and every keyring call says so.
#[cfg(feature = "keyring")]
mod os {
    use std::sync::{Arc, OnceLock};

    use keyring_core::CredentialStore;

    use super::{SERVICE, VaultError, keyring_name};

    static KEYRING: OnceLock<Result<Arc<CredentialStore>, VaultError>> = OnceLock::new();

    fn open() -> Result<Arc<CredentialStore>, keyring_core::Error> {
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
    pub fn status() -> Result<(), VaultError> {
        store().map(|_| ())
    }

    fn store() -> Result<Arc<CredentialStore>, VaultError> {
        KEYRING
            .get_or_init(|| {
                open().map_err(|e| {
                    let why = e.to_string();
                    VaultError::Keyring(
                        if cfg!(target_os = "macos") || cfg!(target_os = "windows") {
                            format!("the {} cannot be opened: {why}", keyring_name())
                        } else {
                            format!(
                                "no Secret Service answers on the D-Bus session bus ({why}); a headless \
                                 box or an SSH session usually has none"
                            )
                        },
                    )
                })
            })
            .clone()
    }

    pub fn set(account: &str, secret: &str) -> Result<(), VaultError> {
        store()?
            .build(SERVICE, account, None)
            .and_then(|e| e.set_password(secret))
            .map_err(|e| {
                VaultError::Keyring(format!("the {} refused the secret: {e}", keyring_name()))
            })
    }

    pub fn get(account: &str) -> Result<Option<String>, VaultError> {
        match store()?
            .build(SERVICE, account, None)
            .and_then(|e| e.get_password())
        {
            Ok(s) => Ok(Some(s)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(VaultError::Keyring(format!(
                "the {} cannot be read: {e}",
                keyring_name()
            ))),
        }
    }

    /// Whether there was an entry to delete.
    pub fn delete(account: &str) -> Result<bool, VaultError> {
        match store()?
            .build(SERVICE, account, None)
            .and_then(|e| e.delete_credential())
        {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(VaultError::Keyring(format!(
                "the {} refused: {e}",
                keyring_name()
            ))),
        }
    }
}

#[cfg(not(feature = "keyring"))]
mod os {
    use super::VaultError;

    const NOT_BUILT: &str = "this sagediag was built without OS keyring support (the `keyring` \
                             cargo feature); keep secrets in the owner-only file or in memory";

    pub fn status() -> Result<(), VaultError> {
        Err(VaultError::Keyring(NOT_BUILT.into()))
    }
    pub fn set(_: &str, _: &str) -> Result<(), VaultError> {
        Err(VaultError::Keyring(NOT_BUILT.into()))
    }
    pub fn get(_: &str) -> Result<Option<String>, VaultError> {
        Err(VaultError::Keyring(NOT_BUILT.into()))
    }
    pub fn delete(_: &str) -> Result<bool, VaultError> {
        Err(VaultError::Keyring(NOT_BUILT.into()))
    }
}

/// Whether the OS keyring can be used here; `Err` says why not. Blocks.
pub fn keyring() -> Result<(), VaultError> {
    os::status()
}

/// The owner-only file: `SAGEDIAG_SECRETS`, else `secrets.json` in the user's data directory.
pub fn file_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SAGEDIAG_SECRETS") {
        return Some(PathBuf::from(p));
    }
    super::paths::secrets_file()
}

fn file_error(path: &Path, what: &str, e: impl std::fmt::Display) -> VaultError {
    VaultError::File(format!("{}: {what}: {e}", path.display()))
}

/// The largest secrets file read (a few hundred bytes per kept secret).
const FILE_CAP: u64 = 1024 * 1024;

/// Reads the file store; a missing file is empty. Refused (each with what to do): a symbolic
/// link, at the file or as its directory; a directory others can write; a file that is not ours
/// or that others can read (as ssh refuses a readable key).
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, VaultError> {
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
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Read-modify-write of the file store under an exclusive lock, so concurrent runs merge rather
/// than lose entries. `change` says whether it changed anything (nothing is written otherwise);
/// its answer is returned. The directory is created 0700 when missing.
fn update_file<T>(
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
fn write_file(path: &Path, all: &BTreeMap<String, String>) -> Result<(), VaultError> {
    let text = serde_json::to_string_pretty(all)
        .map_err(|e| file_error(path, "cannot encode the secrets file", e))?;
    files::write_private(path, text.as_bytes())
        .map_err(|e| file_error(path, "cannot write the secrets file", e))
}

fn no_file() -> VaultError {
    VaultError::NoFile
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
    pub fn keyring_status(&self) -> Result<(), VaultError> {
        self.keyring()
    }

    /// Whether this vault uses the keyring and it answers.
    fn keyring(&self) -> Result<(), VaultError> {
        if self.keyring {
            keyring()
        } else {
            Err(VaultError::KeyringNotUsed)
        }
    }

    fn file(&self) -> Result<&Path, VaultError> {
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
    pub fn store(&self, keep: Keep, account: &str, secret: &str) -> Result<(), VaultError> {
        match keep {
            Keep::Memory => Ok(()),
            Keep::Keyring => self.keyring().and_then(|()| os::set(account, secret)),
            Keep::File => update_file(self.file()?, |all| {
                let same = all.get(account).is_some_and(|s| s == secret);
                if !same {
                    all.insert(account.to_string(), secret.to_string());
                }
                (!same, ())
            }),
        }
    }

    /// The secret kept under `account` in `keep`, if any. Blocks.
    pub fn load(&self, keep: Keep, account: &str) -> Result<Option<String>, VaultError> {
        match keep {
            Keep::Memory => Ok(None),
            Keep::Keyring => self.keyring().and_then(|()| os::get(account)),
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
                Err(e) => problems.push(e.to_string()),
            }
        }
        if self.file.as_ref().is_some_and(|p| p.exists()) {
            match self.load(Keep::File, account) {
                Ok(Some(s)) => return (Some((s, Keep::File)), problems),
                Ok(None) => {}
                Err(e) => problems.push(e.to_string()),
            }
        }
        (None, problems)
    }

    /// The names (never the values) kept in the file.
    pub fn file_accounts(&self) -> Result<Vec<String>, VaultError> {
        match self.file.as_deref() {
            Some(p) => Ok(read_file(p)?.into_keys().collect()),
            None => Ok(Vec::new()),
        }
    }

    /// Removes `account` from the keyring (when there is one) and the file; says where it was.
    pub fn forget(&self, account: &str) -> Result<Vec<Keep>, VaultError> {
        let mut gone = Vec::new();
        if self.keyring().is_ok() && os::delete(account)? {
            gone.push(Keep::Keyring);
        }
        let removed = |path: &Path| {
            update_file(path, |all| {
                let was = all.remove(account).is_some();
                (was, was)
            })
        };
        if let Some(path) = self.file.as_deref().filter(|p| p.exists())
            && removed(path)?
        {
            gone.push(Keep::File);
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
        update_file(&path, |a| {
            *a = all.clone();
            (true, ())
        })
        .unwrap();
        assert_eq!(read_file(&path).unwrap(), all);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = read_file(&path).unwrap_err().to_string();
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
        let err = read_file(&dir.join("bad.json")).unwrap_err().to_string();
        assert!(err.contains("not sagediag's JSON"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
        assert!(read_file(&dir.join("missing.json")).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A fresh owner-only scratch directory and a vault on a `secrets.json` inside it.
    fn scratch(name: &str) -> (PathBuf, Vault) {
        let dir =
            std::env::temp_dir().join(format!("sagediag-vault-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        files::ensure_private_dir(&dir).unwrap();
        let vault = Vault {
            file: Some(dir.join("secrets.json")),
            keyring: false,
        };
        (dir, vault)
    }

    /// Every file under `dir` whose bytes hold `needle`.
    #[cfg(unix)]
    fn holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                std::fs::read(p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle))
            })
            .collect()
    }

    /// Another local user pre-creates the temporary file (the old fixed name, as a file open to
    /// all and as a link to a file of theirs): it never receives the secret.
    #[cfg(unix)]
    #[test]
    fn a_pre_created_temp_file_never_receives_the_secret() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, vault) = scratch("tmp");
        let planted = dir.join("secrets.json.tmp");
        std::fs::write(&planted, "").unwrap();
        std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666)).unwrap();
        // The attacker keeps it open: whatever is written into that inode, they read.
        let mut attacker = std::fs::File::open(&planted).unwrap();
        let elsewhere =
            std::env::temp_dir().join(format!("sagediag-vault-attacker-{}", std::process::id()));
        std::fs::write(&elsewhere, "").unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.join("secrets.tmp")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.join(".secrets.json.tmp")).unwrap();

        vault
            .store(Keep::File, "refresh_token a", "rt-s3cr3t-value")
            .unwrap();
        assert_eq!(
            vault
                .load(Keep::File, "refresh_token a")
                .unwrap()
                .as_deref(),
            Some("rt-s3cr3t-value")
        );
        let mut got = String::new();
        std::io::Read::read_to_string(&mut attacker, &mut got).unwrap();
        assert_eq!(got, "", "the attacker's file received nothing");
        assert_eq!(std::fs::read(&planted).unwrap(), b"");
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"");
        assert_eq!(
            holding(&dir, "rt-s3cr3t-value"),
            vec![dir.join("secrets.json")],
            "only the secrets file holds the secret"
        );
        let _ = std::fs::remove_file(&elsewhere);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A symbolic link at the secrets path, or as its directory, is refused with what to do; the
    /// link's target is untouched.
    #[cfg(unix)]
    #[test]
    fn a_symlinked_secrets_file_or_directory_is_refused() {
        let (dir, vault) = scratch("link");
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "the victim's file").unwrap();
        std::os::unix::fs::symlink(&victim, dir.join("secrets.json")).unwrap();
        let err = vault
            .store(Keep::File, "a", "s3cr3t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "the victim's file"
        );
        let err = vault.load(Keep::File, "a").unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");

        let real = dir.join("real");
        files::ensure_private_dir(&real).unwrap();
        let linked = dir.join("linked");
        std::os::unix::fs::symlink(&real, &linked).unwrap();
        let via_link = Vault {
            file: Some(linked.join("secrets.json")),
            keyring: false,
        };
        let err = via_link
            .store(Keep::File, "a", "s3cr3t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        assert!(err.contains("give the real path"), "{err}");
        assert_eq!(
            std::fs::read_dir(&real).unwrap().count(),
            0,
            "nothing written"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A directory others can write (they could swap the file) is refused, with the chmod.
    #[cfg(unix)]
    #[test]
    fn a_secrets_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, vault) = scratch("open");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = vault
            .store(Keep::File, "a", "s3cr3t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("chmod 700 {}", dir.display())),
            "{err}"
        );
        assert!(!dir.join("secrets.json").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    const WRITER_ENV: &str = "SAGEDIAG_TEST_VAULT_WRITER";

    /// The body of a child process in `concurrent_writers_lose_no_entry` (does nothing unless
    /// started by it): keeps one entry in the file named by the environment.
    #[test]
    fn vault_writer_child() {
        let Some(spec) = std::env::var_os(WRITER_ENV) else {
            return;
        };
        let spec = spec.to_string_lossy().into_owned();
        let (file, name) = spec.split_once('\n').unwrap();
        let vault = Vault {
            file: Some(PathBuf::from(file)),
            keyring: false,
        };
        vault
            .store(Keep::File, name, &format!("secret of {name}"))
            .unwrap();
    }

    /// Writers at once, as threads and as processes, 30 rounds: every entry is there afterwards.
    #[test]
    fn concurrent_writers_lose_no_entry() {
        let (dir, vault) = scratch("race");
        let path = vault.file.clone().unwrap();
        let exe = std::env::current_exe().unwrap();
        for round in 0..30 {
            let _ = std::fs::remove_file(&path);
            let children: Vec<_> = (0..3)
                .map(|i| {
                    std::process::Command::new(&exe)
                        .args([
                            "--exact",
                            "engine::vault::tests::vault_writer_child",
                            "--quiet",
                        ])
                        .env(
                            WRITER_ENV,
                            format!("{}\nprocess {round}.{i}", path.display()),
                        )
                        .stdout(std::process::Stdio::null())
                        .spawn()
                        .unwrap()
                })
                .collect();
            std::thread::scope(|s| {
                for i in 0..4 {
                    let vault = vault.clone();
                    s.spawn(move || {
                        let name = format!("thread {round}.{i}");
                        vault
                            .store(Keep::File, &name, &format!("secret of {name}"))
                            .unwrap();
                    });
                }
            });
            for mut c in children {
                assert!(
                    c.wait().unwrap().success(),
                    "round {round}: a writer failed"
                );
            }
            let all = read_file(&path).unwrap();
            for name in (0..4)
                .map(|i| format!("thread {round}.{i}"))
                .chain((0..3).map(|i| format!("process {round}.{i}")))
            {
                assert_eq!(
                    all.get(&name).map(String::as_str),
                    Some(format!("secret of {name}").as_str()),
                    "round {round}: {name} lost; kept {:?}",
                    all.keys().collect::<Vec<_>>()
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    fn after<'a>(keep: Keep) -> AfterLogin<'a> {
        AfterLogin {
            login_url: "https://login.salesforce.com",
            client_id: "3MVG9x",
            username: Some("api@acme.com"),
            keep,
            client_secret: Some("s3cret"),
            secret_from: None,
            refresh_given: None,
            refresh_now: Some("rt-1"),
            refresh_from: None,
        }
    }

    #[test]
    fn keeps_what_was_asked_and_puts_rotated_tokens_back() {
        let kinds = |w: &[Write]| w.iter().map(|w| (w.kind, w.keep)).collect::<Vec<_>>();
        // Memory keeps nothing...
        assert!(plan_keep(after(Keep::Memory)).is_empty());
        // ...except a rotated refresh token recalled from a store: it goes back there.
        let rotated = AfterLogin {
            refresh_given: Some("rt-0"),
            refresh_from: Some(Keep::File),
            ..after(Keep::Memory)
        };
        assert_eq!(
            kinds(&plan_keep(rotated)),
            [(Kind::RefreshToken, Keep::File)]
        );
        // Keep = file: both, under their accounts.
        let w = plan_keep(after(Keep::File));
        assert_eq!(
            kinds(&w),
            [
                (Kind::ClientSecret, Keep::File),
                (Kind::RefreshToken, Keep::File)
            ]
        );
        assert!(w[1].account.contains("api@acme.com"));
        // Recalled from the same store and unchanged: nothing to write.
        let same = AfterLogin {
            secret_from: Some(Keep::File),
            refresh_given: Some("rt-1"),
            refresh_from: Some(Keep::File),
            ..after(Keep::File)
        };
        assert!(plan_keep(same).is_empty());
    }
}
