//! The web flow: the authorize URL, waiting for the person (the callback server, a browser, a
//! pasted redirect), and checking a pasted redirect.

use super::*;
use crate::engine::context::Run;
use crate::engine::findings::{Code, Finding};
use crate::engine::http::Request;
use crate::engine::model::{Event, Flow, Tokens};
use crate::engine::{classify, landing, oauth};

/// What came back to the callback (or was pasted): code, or error, with state.
pub(super) fn parse_callback(url_or_query: &str) -> std::collections::HashMap<String, String> {
    let q = url_or_query
        .trim()
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or(url_or_query.trim());
    let q = q.split('#').next().unwrap_or(q);
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

pub(super) fn in_ssh() -> bool {
    std::env::var_os("SSH_CONNECTION").is_some() || std::env::var_os("SSH_TTY").is_some()
}

pub(super) fn has_display() -> bool {
    cfg!(target_os = "macos")
        || cfg!(windows)
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

pub(super) async fn web(run: &mut Run, base: &str) -> Option<Tokens> {
    let redirect = run.cfg.redirect_uri();
    let sf = oauth_client(run, base)?;
    // oauth2 draws the state and the PKCE verifier (S256) from the OS random source.
    let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
    run.client.add_secret(verifier.secret());
    let mut request = sf.authorize_url(oauth2::CsrfToken::new_random);
    if let Some(scope) = &run.cfg.scopes {
        request = request.add_scopes(
            scope
                .split_whitespace()
                .map(|s| oauth2::Scope::new(s.to_string())),
        );
    }
    if run.cfg.pkce {
        request = request.set_pkce_challenge(challenge);
    }
    if let Some(u) = &run.cfg.username {
        request = request.add_extra_param("login_hint", u);
    }
    let (url, csrf) = request.url();
    let state = csrf.secret().clone();
    let authorize_url = url.to_string();
    let loopback = run.cfg.redirect_uri.is_none();
    let ssh_tunnel = (loopback && in_ssh()).then(|| {
        format!(
            "ssh -L {0}:localhost:{0} <this host>",
            run.cfg.callback_port
        )
    });
    run.emit(Event::AuthorizeUrl {
        url: authorize_url.clone(),
        ssh_tunnel,
    });
    // Pre-flight: ask the authorize endpoint ourselves (no redirects followed). An unknown key or
    // an unregistered callback is diagnosed before anyone opens a browser; an org that approves
    // at once (the simulated org's auto_approve) hands the code back here.
    let (id, resp) = run.send_or_raise(Request::get(&authorize_url)).await?;
    let location = resp.header("location").map(str::to_string);
    let mut callback = None;
    match (resp.status, location) {
        (300..=399, Some(loc)) if loc.starts_with(&redirect) => callback = Some(loc),
        // Salesforce's error page (or an error) instead of the login page: the login's answer.
        (300..=399, Some(loc)) if classify::is_error_landing(&loc) => {
            landing::landed(run, &authorize_url, &loc, id).await;
            return None;
        }
        // The authorize endpoint itself moved: a legacy host after enhanced domains.
        (300..=399, Some(loc)) if landing::moved_authorize(&authorize_url, &loc) => {
            run.raise_all(classify::redirect(&resp).into_iter().collect());
            return None;
        }
        (400..=499, _) => {
            match classify::oauth_pair(&resp) {
                Some((e, d)) => run.raise_all(classify::oauth_error(&e, &d, Flow::Web, vec![id])),
                None => run.raise(classify::api_error(&resp, None)),
            }
            return None;
        }
        (500..=599, _) => {
            run.raise(classify::api_error(&resp, None));
            return None;
        }
        _ => {}
    }
    let callback = match callback {
        Some(c) => c,
        None => wait_for_person(run, &authorize_url, &redirect, loopback, &state).await?,
    };
    if !callback.starts_with(redirect.split('?').next().unwrap_or(&redirect))
        && classify::is_error_landing(&callback)
    {
        // A pasted error page: the login's answer.
        landing::landed(run, &authorize_url, &callback, id).await;
        return None;
    }
    let params = parse_callback(&callback);
    if let Some(code) = params.get("code") {
        run.client.add_secret(code);
    }
    if params.get("state") != Some(&state) {
        run.raise(
            Finding::new(Code::UNEXPECTED_RESPONSE, "The callback's state does not match the one sent: it belongs to another login attempt, or was tampered with.", vec![id])
                .titled("The callback's state does not match"),
        );
        return None;
    }
    if let Some(error) = params.get("error") {
        let d = params.get("error_description").cloned().unwrap_or_default();
        run.raise_all(classify::oauth_error(error, &d, Flow::Web, vec![id]));
        return None;
    }
    let Some(code) = params.get("code").cloned() else {
        run.raise(Finding::new(
            Code::UNEXPECTED_RESPONSE,
            "The callback carried neither a code nor an error.",
            vec![id],
        ));
        return None;
    };
    let mut exchange = sf.exchange_code(oauth2::AuthorizationCode::new(code));
    if run.cfg.pkce {
        exchange = exchange.set_pkce_verifier(verifier);
    }
    let transport = oauth::Transport::new(run.client.clone());
    let typed = exchange.request_async(&transport).await.ok();
    finish_exchange(run, transport, typed)
}

/// Waits for the loopback callback or a pasted redirect URL, whichever comes first. A busy
/// port never ends the login: paste mode takes over at once, and the run says what holds it.
pub(super) async fn wait_for_person(
    run: &mut Run,
    authorize_url: &str,
    redirect: &str,
    loopback: bool,
    state: &str,
) -> Option<String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    // Dropped (the run ends, is cancelled or re-run): the callback server closes with it.
    let mut _server = None;
    if loopback {
        match CallbackServer::start(run.cfg.callback_port, &run.cfg.callback_path, state, tx) {
            Ok(server) => _server = Some(server),
            Err(e) => {
                let port = run.cfg.callback_port;
                let holder = port_holder(port)
                    .map(|h| format!(" (held by {h})"))
                    .unwrap_or_default();
                run.emit(Event::PasteNeeded {
                    reason: format!(
                        "The callback port {port} cannot be used{holder}: {e}. Log in with the URL above, then paste the URL the browser lands on (it will not load). Or run again with another port registered as a callback URL of the app (--callback-port N with http://localhost:N{}).",
                        run.cfg.callback_path
                    ),
                });
            }
        }
    } else {
        drop(tx);
    }
    if run.cfg.open_browser && has_display() && !in_ssh() {
        open_browser(authorize_url);
    }
    run.emit(Event::Progress(format!(
        "Waiting for the login: open the URL, or paste the URL the browser lands on ({redirect}…)."
    )));
    let mut pasted = run.pasted.take();
    let deadline = tokio::time::Instant::now() + run.cfg.login_timeout;
    let mut server_open = _server.is_some();
    let mut paste_open = pasted.is_some();
    let result = loop {
        if !server_open && !paste_open {
            break Err(true);
        }
        let next = tokio::select! {
            r = rx.recv(), if server_open => match r {
                Some(url) => Some(url),
                None => { server_open = false; None }
            },
            r = async { pasted.as_mut()?.recv().await }, if paste_open => match r {
                Some(line) => match check_pasted(&line, redirect, state) {
                    Ok(()) => Some(line.trim().to_string()),
                    Err(why) => {
                        run.emit(Event::PasteRefused { reason: why.to_string() });
                        None
                    }
                },
                None => { paste_open = false; None }
            },
            _ = tokio::time::sleep_until(deadline) => break Err(false),
        };
        if let Some(url) = next {
            break Ok(url);
        }
    };
    run.pasted = pasted;
    match result {
        Ok(url) => Some(url),
        Err(nothing_can_arrive) => {
            let detail = if nothing_can_arrive {
                format!(
                    "The callback server on port {} could not be started and no redirect URL can be pasted (standard input is closed). Free the port, choose another registered one with --callback-port, or run in a terminal and paste the URL the browser lands on.",
                    run.cfg.callback_port
                )
            } else {
                format!(
                    "No login completed within {} s: neither the callback nor a pasted redirect URL arrived.",
                    run.cfg.login_timeout.as_secs()
                )
            };
            run.raise(
                Finding::new(Code::TIMEOUT, detail, vec![]).titled("The login was not completed"),
            );
            None
        }
    }
}

/// Why a pasted text is not this login's redirect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasteRefusal {
    #[error(
        "That is not the redirect URL: paste the whole URL the browser lands on, starting {base}?code=…"
    )]
    NotARedirect { base: String },
    #[error(
        "That redirect is from an earlier login attempt (its state does not match): log in with the current URL and paste where it lands."
    )]
    EarlierAttempt,
    #[error("That redirect has no state parameter: paste the whole URL, query included.")]
    NoState,
}

/// Whether a pasted text is this login's redirect: why not when it is not.
pub fn check_pasted(text: &str, redirect: &str, state: &str) -> Result<(), PasteRefusal> {
    let text = text.trim();
    let base = redirect.split('?').next().unwrap_or(redirect);
    if !text.starts_with(base) && crate::engine::classify::is_error_landing(text) {
        // Salesforce's error page (or any page carrying an OAuth error): the login's answer.
        return Ok(());
    }
    let params = parse_callback(text);
    if !params.contains_key("code") && !params.contains_key("error") {
        let base = redirect.split('?').next().unwrap_or(redirect).to_string();
        return Err(PasteRefusal::NotARedirect { base });
    }
    match params.get("state") {
        Some(s) if s == state => Ok(()),
        Some(_) => Err(PasteRefusal::EarlierAttempt),
        None => Err(PasteRefusal::NoState),
    }
}

pub(super) fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(cmd)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
