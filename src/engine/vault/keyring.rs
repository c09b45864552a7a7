//! The OS keyring, behind the `keyring` cargo feature.

use super::VaultError;

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
pub(super) mod os {
    use std::sync::{Arc, OnceLock};

    use keyring_core::CredentialStore;

    use super::super::SERVICE;
    use super::{VaultError, keyring_name};

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
pub(super) mod os {
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
