//! Step 3 and 4: logging in by one of the flows, then checking the token (signature, identity,
//! userinfo, introspection, scopes, and a real refresh).
//!
//! - `mod.rs`: the login by the configured flow.
//! - `token.rs`: token requests and reading their answers (the `oauth2` crate's or ours).
//! - `web.rs`: the web flow (authorize URL, waiting for the person, a pasted redirect).
//! - `callback.rs`: the loopback callback server, and what holds its port.
//! - `device.rs`: the device flow.
//! - `checks.rs`: step 4, the token checks.

mod callback;
mod checks;
mod device;
mod token;
mod web;

pub use callback::port_holder;
pub use checks::token_checks;
pub use web::{PasteRefusal, check_pasted};

use callback::*;
use token::*;
use web::*;

use std::fmt::Write as _;

use super::context::Run;
use super::findings::{Code, Finding};
use super::model::{Event, Flow, Tokens};
use super::{crypto, oauth};

/// The longest wait between device-flow polls, whatever the server asks.
const MAX_DEVICE_INTERVAL_SECS: u64 = 60;

fn token_url(base: &str) -> String {
    format!("{base}/services/oauth2/token")
}

/// Reads the JWT private key file the user named, on a blocking thread: a regular PEM file
/// under the key's size cap. The message names the path, never the content.
async fn read_key_file(path: std::path::PathBuf) -> Result<String, String> {
    let shown = path.display().to_string();
    let read = tokio::task::spawn_blocking(move || {
        super::files::read_user_file(&path, super::files::PRIVATE_KEY)
    })
    .await;
    let pem = match read {
        Ok(Ok(pem)) => pem,
        Ok(Err(e)) => return Err(format!("Private key file {e}")),
        Err(e) => return Err(format!("Private key file {shown}: {e}")),
    };
    if pem.contains("PRIVATE KEY-----") {
        Ok(pem)
    } else {
        Err(format!(
            "Private key file {shown}: not a PEM private key (-----BEGIN PRIVATE KEY-----)"
        ))
    }
}

/// Logs in by the configured flow. None: the findings say why. What the login obtained goes in
/// the run's ledger (given back at the end); a refresh token given is refreshed only with
/// consent, once, and a rotation of it is kept at once and said loudly.
pub async fn login(run: &mut Run) -> Option<Tokens> {
    let given = run.cfg.refresh_token.clone();
    if run.cfg.flow == Flow::Refresh && given.is_some() && !run.cfg.allow_rotation {
        run.raise(Finding::new(
            Code::ROTATION_CONSENT_NEEDED,
            "The refresh flow refreshes the refresh token given; under rotation (on, or not known to be off) that retires it. Nothing was sent: run again with --allow-rotation to proceed.",
            vec![],
        ));
        return None;
    }
    let tokens = by_flow(run).await?;
    super::ledger::after_login(run, given, &tokens).await;
    Some(tokens)
}

async fn by_flow(run: &mut Run) -> Option<Tokens> {
    let base = run.login_url.clone();
    match run.cfg.flow {
        Flow::Web => web::web(run, &base).await,
        Flow::Device => device::device(run, &base).await,
        Flow::Jwt => {
            let pem = match (&run.cfg.private_key_pem, &run.cfg.private_key_path) {
                (Some(pem), _) => pem.clone(),
                (None, Some(path)) => match read_key_file(path.clone()).await {
                    Ok(pem) => pem,
                    Err(e) => {
                        run.raise(Finding::new(Code::JWT_ASSERTION_INVALID, e, vec![]));
                        return None;
                    }
                },
                (None, None) => {
                    run.raise(Finding::new(
                        Code::JWT_ASSERTION_INVALID,
                        "No private key was given (--private-key FILE).",
                        vec![],
                    ));
                    return None;
                }
            };
            let Some(user) = run.cfg.username.clone() else {
                run.raise(Finding::new(
                    Code::JWT_ASSERTION_INVALID,
                    "No username was given (--username).",
                    vec![],
                ));
                return None;
            };
            let aud = run
                .cfg
                .jwt_audience
                .clone()
                .unwrap_or_else(|| run.cfg.environment.jwt_audience());
            let exp = super::clock::now_secs() + 180;
            let assertion = match crypto::jwt_assertion(&pem, &run.cfg.client_id, &user, &aud, exp)
            {
                Ok(a) => a,
                Err(e) => {
                    run.raise(Finding::new(
                        Code::JWT_ASSERTION_INVALID,
                        e.to_string(),
                        vec![],
                    ));
                    return None;
                }
            };
            run.client.add_secret(&assertion);
            let form = [
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ];
            token_request(run, &token_url(&base), &form).await
        }
        Flow::ClientCredentials => {
            let sf = oauth_client(run, &base)?;
            let transport = oauth::Transport::new(run.client.clone());
            let typed = sf
                .exchange_client_credentials()
                .request_async(&transport)
                .await
                .ok();
            let tokens = finish_exchange(run, transport, typed);
            if run.has(Code::CLIENT_CREDENTIALS_WRONG_HOST)
                && let Some(f) = run
                    .findings
                    .iter_mut()
                    .find(|f| f.code == Code::CLIENT_CREDENTIALS_WRONG_HOST)
            {
                let _ = write!(f.detail, " The request went to {base}.");
            }
            tokens
        }
        Flow::Password => {
            let (Some(user), Some(pw)) = (run.cfg.username.clone(), run.cfg.password.clone())
            else {
                run.raise(Finding::new(
                    Code::AUTHENTICATION_FAILURE,
                    "The password flow needs --username and a password (SAGEDIAG_PASSWORD).",
                    vec![],
                ));
                return None;
            };
            run.emit(Event::Progress("The username-password flow is legacy: orgs created since Summer '23 block it by default.".into()));
            let sf = oauth_client(run, &base)?;
            let transport = oauth::Transport::new(run.client.clone());
            let typed = sf
                .exchange_password(
                    &oauth2::ResourceOwnerUsername::new(user),
                    &oauth2::ResourceOwnerPassword::new(pw),
                )
                .request_async(&transport)
                .await
                .ok();
            finish_exchange(run, transport, typed)
        }
        Flow::Refresh => {
            let Some(rt) = run.cfg.refresh_token.clone() else {
                run.raise(Finding::new(
                    Code::REFRESH_TOKEN_MISSING,
                    "No refresh token was given (SAGEDIAG_REFRESH_TOKEN or --refresh-token).",
                    vec![],
                ));
                return None;
            };
            let mut tokens = refresh(run, &base, &rt).await?;
            tokens.refresh_token.get_or_insert(rt);
            Some(tokens)
        }
        Flow::Token => {
            let (Some(at), Some(instance)) =
                (run.cfg.access_token.clone(), run.cfg.instance_url.clone())
            else {
                run.raise(Finding::new(Code::SESSION_INVALID, "The token flow needs an access token (SAGEDIAG_ACCESS_TOKEN) and --instance-url.", vec![]));
                return None;
            };
            Some(Tokens {
                access_token: at,
                instance_url: instance.trim_end_matches('/').to_string(),
                ..Tokens::default()
            })
        }
    }
}
