//! The one recall of kept secrets (`check` and the console call it before a run): the consumer
//! secret and the refresh token, looked up in the OS keyring and the owner-only file.

use super::vault::{Keep, Kind, Vault, account};

/// What [`Vault::recall`] looks for: the app at a login host, and the user's refresh token.
#[derive(Debug, Clone)]
pub struct RecallFor {
    pub login_url: String,
    pub client_id: String,
    pub username: Option<String>,
    /// Look for the consumer secret.
    pub secret: bool,
    /// Look for the refresh token.
    pub refresh: bool,
}

/// What [`Vault::recall`] found, and where; problems reading a store beside.
#[derive(Debug, Default)]
pub struct Recalled {
    pub secret: Option<(String, Keep)>,
    pub refresh: Option<(String, Keep)>,
    pub problems: Vec<String>,
}

impl Vault {
    /// The one recall of kept secrets every front end uses before a run: the consumer secret
    /// kept for this app at this login host, and the refresh token kept for this user, each
    /// looked up only when wanted. Problems reading a store come back beside, never fatal.
    /// Blocks (a locked keyring may wait for its password): call it off the async threads.
    pub fn recall(&self, want: &RecallFor) -> Recalled {
        let mut out = Recalled::default();
        if want.secret {
            let (found, problems) = self.find(&account(
                Kind::ClientSecret,
                &want.login_url,
                &want.client_id,
                None,
            ));
            out.secret = found;
            out.problems.extend(problems);
        }
        if want.refresh {
            let (found, problems) = self.find(&account(
                Kind::RefreshToken,
                &want.login_url,
                &want.client_id,
                want.username.as_deref(),
            ));
            out.refresh = found;
            out.problems.extend(problems);
        }
        out
    }
}
