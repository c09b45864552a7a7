//! Secrets the user chooses to keep between runs: the consumer secret and the refresh token of
//! one connected app in one environment. They go to the OS keyring (macOS Keychain, Windows
//! Credential Manager, the Secret Service on Linux/BSD) or, only when the user says so, to an
//! owner-only file. Nothing falls back silently: when the keyring is not available the caller is
//! told why and offers the file or memory only.
//!
//! Keyring calls block (D-Bus, Keychain): call them from `spawn_blocking` or a plain thread.

//!
//! `keep.rs` holds the keep/rotation policy ([`plan_keep`]), `keyring.rs` the OS keyring,
//! `file.rs` the owner-only file.

mod file;
mod keep;
mod keyring;

pub use file::file_path;
pub use keep::{AfterLogin, Keep, Write, plan_keep};
pub use keyring::{keyring, keyring_name};

use file::*;
use keyring::os;

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
    use crate::engine::files;
    use std::collections::BTreeMap;

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
