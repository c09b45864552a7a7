//! Step 3 and 4: logging in by one of the flows, then checking the token (signature, identity,
//! userinfo, introspection, scopes, and a real refresh).

use super::findings::Code;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::classify;
use super::crypto;
use super::findings::Finding;
use super::http::{Request, Response};
use super::landing;
use super::model::{Event, Flow, Tokens};
use super::oauth;
use super::run::Run;
use super::trust;

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
        Flow::Web => web(run, &base).await,
        Flow::Device => device(run, &base).await,
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

/// POSTs a token request; returns the tokens or raises the findings of the error.
async fn token_request(run: &mut Run, url: &str, form: &[(&str, &str)]) -> Option<Tokens> {
    send_token(run, Request::post_form(url, form)).await
}

/// Sends a built token request; returns the tokens or raises the findings of the error.
async fn send_token(run: &mut Run, req: Request) -> Option<Tokens> {
    let (_, resp) = run.send_or_raise(req).await?;
    parse_token_response(run, &resp)
}

fn parse_token_response(run: &mut Run, resp: &Response) -> Option<Tokens> {
    if let Some(long) = super::bounds::long_token_field(&resp.body) {
        run.raise(super::bounds::finding(&long, resp.id));
        return None;
    }
    if let Some(f) = classify::redirect(resp) {
        run.raise(f);
        return None;
    }
    let Some(v) = resp.json() else {
        let f = if resp.status >= 500 {
            classify::api_error(resp, None)
        } else {
            Finding::new(
                Code::UNEXPECTED_RESPONSE,
                format!(
                    "The token endpoint answered {} with {}: {}",
                    resp.status,
                    if resp.is_html() {
                        "HTML"
                    } else {
                        "something that is not JSON"
                    },
                    classify::excerpt(&resp.text())
                ),
                vec![resp.id],
            )
            .titled("The token endpoint's answer is not JSON")
        };
        run.raise(f);
        return None;
    };
    if resp.status != 200 || v.get("access_token").is_none() {
        match classify::oauth_pair(resp) {
            Some((e, d)) => {
                for f in classify::oauth_error(&e, &d, run.cfg.flow, vec![resp.id]) {
                    run.raise(f);
                }
            }
            None => run.raise(classify::api_error(resp, None)),
        }
        return None;
    }
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let tokens = Tokens {
        access_token: s("access_token")?,
        refresh_token: s("refresh_token"),
        instance_url: s("instance_url")
            .unwrap_or_else(|| run.login_url.clone())
            .trim_end_matches('/')
            .to_string(),
        id_url: s("id"),
        issued_at: s("issued_at"),
        signature: s("signature"),
        scope: s("scope"),
        response_id: Some(resp.id),
    };
    accept_tokens(run, resp, tokens)
}

/// The tokens of oauth2's typed answer (Salesforce's fields are its extra fields).
fn tokens_of(run: &Run, t: &oauth::TokenResponse, resp: &Response) -> Tokens {
    use oauth2::TokenResponse as _;
    let extra = t.extra_fields();
    Tokens {
        access_token: t.access_token().secret().clone(),
        refresh_token: t.refresh_token().map(|r| r.secret().clone()),
        instance_url: extra
            .instance_url
            .clone()
            .unwrap_or_else(|| run.login_url.clone())
            .trim_end_matches('/')
            .to_string(),
        id_url: extra.id.clone(),
        issued_at: extra.issued_at.clone(),
        signature: extra.signature.clone(),
        scope: t
            .scopes()
            .map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" ")),
        response_id: Some(resp.id),
    }
}

/// The end of an exchange oauth2 sent: its typed tokens when Salesforce said yes, else the
/// findings read from Salesforce's raw answer (recorded by the transport).
fn finish_exchange(
    run: &mut Run,
    transport: oauth::Transport,
    typed: Option<oauth::TokenResponse>,
) -> Option<Tokens> {
    let (id, result) = transport.into_exchange();
    let resp = match result {
        Ok(r) => r,
        Err(f) => {
            run.raise(classify::failure(&f, id));
            return None;
        }
    };
    if let Some(long) = super::bounds::long_token_field(&resp.body) {
        run.raise(super::bounds::finding(&long, resp.id));
        return None;
    }
    match typed {
        Some(t) if resp.status == 200 => {
            let tokens = tokens_of(run, &t, &resp);
            accept_tokens(run, &resp, tokens)
        }
        // Salesforce's words, whatever oauth2 made of them.
        _ => parse_token_response(run, &resp),
    }
}

/// The oauth2 client for this run's app and `base`, or the finding that it cannot be built.
fn oauth_client(run: &mut Run, base: &str) -> Option<oauth::SalesforceClient> {
    match oauth::client(&run.cfg, base) {
        Ok(c) => Some(c),
        Err(e) => {
            run.raise(Finding::new(Code::LOGIN_URL_INVALID, e.to_string(), vec![]));
            None
        }
    }
}

/// Tokens Salesforce issued: registered as secrets, and the hosts they go to checked.
fn accept_tokens(run: &mut Run, resp: &Response, tokens: Tokens) -> Option<Tokens> {
    run.client.add_secret(&tokens.access_token);
    if let Some(r) = &tokens.refresh_token {
        run.client.add_secret(r);
    }
    // The token goes next to the hosts this answer names: check them before anything is sent.
    let named = [
        ("instance_url", Some(tokens.instance_url.as_str())),
        ("id", tokens.id_url.as_deref()),
    ];
    for (field, url) in named {
        let Some(url) = url else { continue };
        if let Err(refusal) = trust::check(url, &run.login_url, &run.cfg.trust_hosts) {
            let why = match &refusal {
                trust::Refusal::NotAUrl => "is not a URL".to_string(),
                trust::Refusal::Cleartext { host } => {
                    format!("sends the token to {host} over plain http")
                }
                trust::Refusal::ForeignHost { host } => {
                    format!(
                        "points at {host}, which is not a Salesforce host nor the login host's domain"
                    )
                }
            };
            let host = refusal.host().unwrap_or("(no host)").to_string();
            run.raise(
                Finding::new(Code::TOKEN_HOST_UNTRUSTED,
                    format!(
                        "The token response's `{field}` ({url}) {why}. sagediag stopped before sending the token anywhere. If {host} is yours, run again with --trust-host {host}."
                    ),
                    vec![resp.id],
                )
                .titled(format!("The token response sends the token to {host}")),
            );
            return None;
        }
    }
    Some(tokens)
}

async fn refresh(run: &mut Run, base: &str, refresh_token: &str) -> Option<Tokens> {
    let sf = oauth_client(run, base)?;
    let transport = oauth::Transport::new(run.client.clone());
    let typed = sf
        .exchange_refresh_token(&oauth2::RefreshToken::new(refresh_token.to_string()))
        .request_async(&transport)
        .await
        .ok();
    finish_exchange(run, transport, typed)
}

/// What came back to the callback (or was pasted): code, or error, with state.
fn parse_callback(url_or_query: &str) -> std::collections::HashMap<String, String> {
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

fn in_ssh() -> bool {
    std::env::var_os("SSH_CONNECTION").is_some() || std::env::var_os("SSH_TTY").is_some()
}

fn has_display() -> bool {
    cfg!(target_os = "macos")
        || cfg!(windows)
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

async fn web(run: &mut Run, base: &str) -> Option<Tokens> {
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
async fn wait_for_person(
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
    if !text.starts_with(base) && super::classify::is_error_landing(text) {
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

/// The loopback callback server on 127.0.0.1 and [::1] at one port. Closed when dropped.
struct CallbackServer {
    /// Dropping it tells both listeners to stop and their connections to close.
    _stop: tokio::sync::watch::Sender<bool>,
}

fn bind_now(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // SO_REUSEADDR lets a re-run bind over the last login's TIME_WAIT connections; on Linux a
    // port another socket *listens* on still fails here (that needs SO_REUSEPORT).
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(16)
}

impl CallbackServer {
    /// Listens on both loopback addresses (the redirect's `localhost` may resolve to either).
    /// Fails when either is taken: another process on `[::1]` could receive the code.
    fn start(
        port: u16,
        path: &str,
        state: &str,
        tx: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> std::io::Result<CallbackServer> {
        use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
        let v4 = bind_now(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
        let v6 = match bind_now(SocketAddr::from((Ipv6Addr::LOCALHOST, port))) {
            Ok(l) => Some(l),
            // No IPv6 loopback on this machine: nothing else can listen there either.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::Unsupported
                ) || e.raw_os_error() == Some(97) =>
            {
                None
            }
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("[::1]:{port} is taken ({e})"),
                ));
            }
        };
        let app = callback_app(path, state, tx);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        for listener in std::iter::once(v4).chain(v6) {
            let app = app.clone();
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        // Ends when the sender is dropped (or says stop).
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await;
            });
        }
        Ok(CallbackServer { _stop: stop })
    }
}

/// The callback route: this login's redirect is taken (once); anything else gets a 400 page
/// and the login keeps waiting (a stray `<img>` or an old tab cannot end it).
fn callback_app(
    path: &str,
    state: &str,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
) -> axum::Router {
    use axum::extract::OriginalUri;
    use axum::http::StatusCode;
    use axum::response::Html;
    let state = state.to_string();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    axum::Router::new().route(
        path,
        axum::routing::get(move |OriginalUri(uri): OriginalUri| {
            let tx = tx.clone();
            let state = state.clone();
            let taken = taken.clone();
            async move {
                let url = uri.to_string();
                let params = parse_callback(&url);
                let ours = params.get("state") == Some(&state)
                    && (params.contains_key("code") || params.contains_key("error"));
                let close = [(axum::http::header::CONNECTION, "close")];
                if !ours {
                    return (
                        StatusCode::BAD_REQUEST,
                        close,
                        Html("<!DOCTYPE html><html><body><h1>Not this login</h1><p>This request does not carry the login sagediag is waiting for (its state is missing or from another attempt). sagediag keeps waiting: finish the login in the tab sagediag opened, or paste that tab's URL in the terminal.</p></body></html>"),
                    );
                }
                if !taken.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    let _ = tx.send(url);
                }
                (
                    StatusCode::OK,
                    close,
                    Html("<!DOCTYPE html><html><body><h1>sagediag received the login</h1><p>You can close this window and return to the terminal.</p></body></html>"),
                )
            }
        }),
    )
}

/// What holds a local TCP port, when the OS tells (Linux: /proc, processes this user may see).
pub fn port_holder(port: u16) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        let mut inodes = Vec::new();
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let Ok(text) = std::fs::read_to_string(table) else {
                continue;
            };
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; inode is field 9.
                let (Some(local), Some(st), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else {
                    continue;
                };
                let p = local
                    .rsplit_once(':')
                    .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
                if p == Some(port) && *st == "0A" && *inode != "0" {
                    inodes.push(format!("socket:[{inode}]"));
                }
            }
        }
        if inodes.is_empty() {
            return None;
        }
        let procs = std::fs::read_dir("/proc").ok()?;
        for entry in procs.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !pid.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
                continue;
            };
            for fd in fds.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                if inodes.iter().any(|i| target.as_os_str() == i.as_str()) {
                    let comm = std::fs::read_to_string(entry.path().join("comm"))
                        .map(|c| c.trim().to_string())
                        .unwrap_or_default();
                    return Some(format!("{} (pid {pid})", super::sanitize::line(&comm)));
                }
            }
        }
        Some("another process".into())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = port;
        None
    }
}

fn open_browser(url: &str) {
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

async fn device(run: &mut Run, base: &str) -> Option<Tokens> {
    let scope = run
        .cfg
        .scopes
        .clone()
        .unwrap_or_else(|| "api refresh_token".into());
    let form = [
        ("response_type", "device_code"),
        ("client_id", run.cfg.client_id.as_str()),
        ("scope", scope.as_str()),
    ];
    let (id, resp) = run
        .send_or_raise(Request::post_form(token_url(base), &form))
        .await?;
    let v = resp.json().unwrap_or(Value::Null);
    let (Some(device_code), Some(user_code)) = (v["device_code"].as_str(), v["user_code"].as_str())
    else {
        match classify::oauth_pair(&resp) {
            Some((e, d)) => run.raise_all(classify::oauth_error(&e, &d, Flow::Device, vec![id])),
            None => run.raise(classify::api_error(&resp, None)),
        }
        return None;
    };
    let device_code = device_code.to_string();
    run.client.add_secret(&device_code);
    // The server's interval, within reason: a hostile `interval` must not park the run.
    let mut interval = Duration::from_secs(
        v["interval"]
            .as_u64()
            .unwrap_or(5)
            .clamp(1, MAX_DEVICE_INTERVAL_SECS),
    );
    let verification_uri = v["verification_uri"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    run.emit(Event::DeviceCode {
        user_code: user_code.to_string(),
        verification_uri,
    });
    let deadline = tokio::time::Instant::now() + run.cfg.login_timeout;
    loop {
        // Never sleep past the deadline (--login-timeout).
        tokio::time::sleep_until((tokio::time::Instant::now() + interval).min(deadline)).await;
        if tokio::time::Instant::now() >= deadline {
            run.raise(
                Finding::new(
                    Code::TIMEOUT,
                    "Nobody approved the device code in time.",
                    vec![id],
                )
                .titled("The device login was not approved"),
            );
            return None;
        }
        let form = [
            ("grant_type", "device"),
            ("client_id", run.cfg.client_id.as_str()),
            ("code", device_code.as_str()),
        ];
        let (_, resp) = run
            .send_or_raise(Request::post_form(token_url(base), &form))
            .await?;
        match classify::oauth_pair(&resp).map(|(e, _)| e).as_deref() {
            Some("authorization_pending") => continue,
            Some("slow_down") => {
                interval = (interval + Duration::from_secs(5))
                    .min(Duration::from_secs(MAX_DEVICE_INTERVAL_SECS));
                continue;
            }
            _ => return parse_token_response(run, &resp),
        }
    }
}

/// Step 4. Returns a one-line summary. Identity, userinfo, introspection and the refresh test
/// are independent: they are sent together and read in order.
pub async fn token_checks(run: &mut Run, tokens: &mut Tokens) -> String {
    let mut notes = Vec::new();
    let findings_before = run.findings.len();
    // The signature.
    if let (Some(sig), Some(id), Some(at), Some(secret)) = (
        &tokens.signature,
        &tokens.id_url,
        &tokens.issued_at,
        &run.cfg.client_secret,
    ) {
        if crypto::signature_valid(secret, id, at, sig) {
            notes.push("signature verified".to_string());
        } else {
            run.raise(Finding::new(Code::SIGNATURE_INVALID,
                "HMAC-SHA256(consumer secret, id + issued_at) does not match the token response's signature.",
                tokens.response_id.into_iter().collect(),
            ));
        }
    }
    let client = run.client.clone();
    let bearer = super::http::Bearer::new(&tokens.access_token);
    let identity_req = tokens.id_url.clone().map(|u| Request::get(u).auth(&bearer));
    let userinfo_req =
        Request::get(format!("{}/services/oauth2/userinfo", tokens.instance_url)).auth(&bearer);
    let introspect_req = run.cfg.client_secret.clone().map(|secret| {
        let form = [
            ("token", tokens.access_token.as_str()),
            ("token_type_hint", "access_token"),
            ("client_id", run.cfg.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ];
        Request::post_form(
            format!("{}/services/oauth2/introspect", run.login_url),
            &form,
        )
    });
    // The refresh test refreshes the run's own token only: in the refresh flow the login was the
    // one refresh of the token given (never a second: under rotation that retires it).
    let can_refresh = matches!(run.cfg.flow, Flow::Web | Flow::Device);
    if run.cfg.flow == Flow::Refresh {
        run.refresh_token_issued = Some(true);
        run.refresh_rotated = Some(run.rotation.is_some());
        notes.push(if run.rotation.is_some() {
            "refresh works (rotated: the token given is retired; the integration needs the new one)"
                .into()
        } else {
            "refresh works (refreshed once, the login)".to_string()
        });
    }
    let old_refresh = tokens.refresh_token.clone();
    // The refresh-flow login itself rotated the token given: whoever else holds that token
    // now holds a rotated-out one.
    let login_rotated = run.cfg.flow == Flow::Refresh
        && run.cfg.refresh_token.is_some()
        && old_refresh.is_some()
        && old_refresh != run.cfg.refresh_token;
    // The real refresh goes through oauth2 like the login; its raw answer is judged below.
    let sf = oauth::client(&run.cfg, &run.login_url).ok();
    let refresh_token = old_refresh.clone().filter(|_| can_refresh);
    let refresh_client = client.clone();
    let refreshing = async move {
        let (sf, rt) = (sf?, refresh_token?);
        let transport = oauth::Transport::new(refresh_client);
        let _ = sf
            .exchange_refresh_token(&oauth2::RefreshToken::new(rt))
            .request_async(&transport)
            .await;
        Some(transport.into_exchange())
    };
    let maybe = |r: Option<Request>| {
        let client = client.clone();
        async move {
            match r {
                Some(r) => Some(client.send(r).await),
                None => None,
            }
        }
    };
    let (identity, userinfo, introspect, refreshed) = tokio::join!(
        maybe(identity_req),
        client.send(userinfo_req),
        maybe(introspect_req),
        refreshing
    );

    // Identity.
    match identity {
        Some((_, Ok(r))) if r.status == 200 => {
            let v = r.json().unwrap_or(Value::Null);
            run.org.username = v["username"].as_str().map(str::to_string);
            run.org.user_id = v["user_id"].as_str().map(str::to_string);
            notes.push(format!(
                "identity {}",
                run.org.username.clone().unwrap_or_default()
            ));
        }
        // A redirect is not a warning: the host is wrong for every later call too.
        Some((_, Ok(r))) if (300..400).contains(&r.status) => {
            run.raise(classify::api_error(&r, None));
        }
        Some((_, Ok(r))) => run.raise(classify::as_warning(classify::api_error(&r, None))),
        Some((rid, Err(f))) => run.raise(classify::failure(&f, rid)),
        None => {}
    }
    // Userinfo (also how the token flow learns who it is).
    match userinfo {
        (_, Ok(r)) if r.status == 200 => {
            let v = r.json().unwrap_or(Value::Null);
            if run.org.user_id.is_none() {
                run.org.user_id = v["user_id"].as_str().map(str::to_string);
                run.org.username = v["preferred_username"].as_str().map(str::to_string);
            }
        }
        (_, Ok(r)) if r.status == 401 || r.text().trim() == "Bad_OAuth_Token" => {
            run.raise(classify::api_error(&r, None));
        }
        (_, Ok(r)) if (300..400).contains(&r.status) => run.raise(classify::api_error(&r, None)),
        (_, Ok(_)) => {}
        (rid, Err(f)) => run.raise(classify::failure(&f, rid)),
    }
    // Introspection.
    if let Some((_, Ok(r))) = introspect
        && let Some(exp) = r
            .json()
            .filter(|v| v["active"] == true)
            .and_then(|v| v["exp"].as_u64())
    {
        let now = super::clock::now_secs();
        notes.push(format!(
            "session valid for {} min",
            exp.saturating_sub(now) / 60
        ));
    }
    // Scopes.
    run.scopes = tokens.scope.clone();
    if let Some(scope) = &tokens.scope {
        if !scope.split_whitespace().any(|s| s == "api" || s == "full") {
            run.raise(Finding::new(
                Code::API_SCOPE_MISSING,
                format!("Granted scopes: {scope}."),
                tokens.response_id.into_iter().collect(),
            ));
        }
        notes.push(format!("scopes {scope}"));
    }
    // Refresh, for real.
    if can_refresh {
        run.refresh_token_issued = Some(old_refresh.is_some());
        match (old_refresh, refreshed) {
            (None, _) => run.raise(Finding::new(
                Code::REFRESH_TOKEN_MISSING,
                format!(
                    "The token response has no refresh_token; granted scopes: {}.",
                    tokens.scope.clone().unwrap_or_else(|| "?".into())
                ),
                tokens.response_id.into_iter().collect(),
            )),
            (Some(rt), Some((rid, answer))) => {
                run.refresh_request = Some(rid);
                let before = run.findings.len();
                let new = match answer {
                    Ok(resp) if login_rotated && landing::refused_as_expired(&resp) => {
                        run.raise(Finding::new(
                            Code::RTR_TOKEN_REUSE,
                            "The refresh-flow login worked and rotated the refresh token given (Refresh Token Rotation is on); a moment later a refresh with the new token answered invalid_grant / expired access/refresh token. Another holder presented the rotated-out token, and Salesforce revoked the current refresh and access tokens (Salesforce Help 005316711).",
                            vec![rid],
                        ));
                        None
                    }
                    Ok(resp) => parse_token_response(run, &resp),
                    Err(f) => {
                        run.raise(classify::failure(&f, rid));
                        None
                    }
                };
                match new {
                    Some(new) => {
                        let rotated = new.refresh_token.as_ref().is_some_and(|n| *n != rt);
                        run.refresh_rotated = Some(rotated);
                        let base = run.login_url.clone();
                        run.cfg.ledger.refreshed(
                            &base,
                            &rt,
                            &new.access_token,
                            new.refresh_token.as_deref().filter(|_| rotated),
                        );
                        if rotated && let Some(n) = &new.refresh_token {
                            super::ledger::keep_now(run, n).await;
                        }
                        notes.push(if rotated {
                            "refresh works (rotated: store the new refresh token each time)".into()
                        } else {
                            "refresh works".to_string()
                        });
                        tokens.access_token = new.access_token;
                        if rotated {
                            tokens.refresh_token = new.refresh_token;
                        }
                    }
                    None if run.findings.len() == before => run.raise(Finding::new(
                        Code::REFRESH_TOKEN_EXPIRED,
                        "The refresh failed.",
                        vec![rid],
                    )),
                    None => {}
                }
            }
            (Some(_), None) => {}
        }
    }
    // The refresh flow's own refresh rotated the token given, and the new session was refused
    // at once: another holder presented the rotated-out token (the family is revoked).
    if login_rotated
        && !run.has(Code::RTR_TOKEN_REUSE)
        && run
            .findings
            .get(findings_before..)
            .is_some_and(|new| new.iter().any(|f| f.code == Code::SESSION_INVALID))
    {
        run.raise(Finding::new(
            Code::RTR_TOKEN_REUSE,
            "The refresh-flow login worked and rotated the refresh token given (Refresh Token Rotation is on); a moment later the new access token was refused. Another holder presented the rotated-out token, and Salesforce revoked the current refresh and access tokens (Salesforce Help 005316711).",
            tokens.response_id.into_iter().collect(),
        ));
    }
    notes.join("; ")
}
