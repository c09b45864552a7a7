//! Step 1 and 2: the environment (login URL, DNS, TCP, TLS, proxy, "is this Salesforce") and
//! the shape of the credentials.

use super::findings::Code;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::classify;
use super::context::Run;
use super::findings::Finding;
use super::http::Request;
use super::model::Event;

pub use super::model::environment::{Environment, is_loopback_url, proxy_for, validate_login_url};

/// DNS, TCP, proxy, and `GET /services/data/` on the login host.
pub async fn preflight(run: &mut Run) -> String {
    let base = run.login_url.clone();
    let Ok(u) = url::Url::parse(&base) else {
        run.raise(Finding::new(
            Code::LOGIN_URL_INVALID,
            format!("`{base}` is not a URL"),
            vec![],
        ));
        return "invalid login URL".into();
    };
    let host = u.host_str().unwrap_or_default().to_string();
    let port = u.port_or_known_default().unwrap_or(443);
    let mut notes = Vec::new();
    run.proxy = proxy_for(&base);
    if let Some(p) = &run.proxy {
        notes.push(format!("proxy {p}"));
    }
    if run.proxy.is_none() {
        let started = Instant::now();
        let lookup = tokio::time::timeout(
            run.cfg.timeout,
            tokio::net::lookup_host((host.as_str(), port)),
        )
        .await;
        let addrs: Vec<std::net::SocketAddr> = match lookup {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(e)) => {
                run.raise(Finding::new(
                    Code::HOST_UNREACHABLE,
                    format!("DNS lookup of {host} failed: {e}"),
                    vec![],
                ));
                return format!("DNS lookup of {host} failed");
            }
            Err(_) => {
                run.raise(Finding::new(
                    Code::HOST_UNREACHABLE,
                    format!(
                        "DNS lookup of {host} got no answer within {:?}",
                        run.cfg.timeout
                    ),
                    vec![],
                ));
                return format!("DNS lookup of {host} timed out");
            }
        };
        notes.push(format!(
            "DNS {host} → {} ({} ms)",
            addrs
                .iter()
                .map(|a| a.ip().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            started.elapsed().as_millis()
        ));
        let started = Instant::now();
        let connect = tokio::time::timeout(run.cfg.timeout.min(Duration::from_secs(10)), async {
            let mut last = None;
            for a in &addrs {
                match tokio::net::TcpStream::connect(a).await {
                    Ok(_) => return Ok(*a),
                    Err(e) => last = Some(e),
                }
            }
            Err(last
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no address".into()))
        })
        .await;
        match connect {
            Ok(Ok(a)) => notes.push(format!("TCP {} ({} ms)", a, started.elapsed().as_millis())),
            Ok(Err(e)) => {
                run.raise(Finding::new(
                    Code::HOST_UNREACHABLE,
                    format!("TCP connection to {host}:{port} failed: {e}"),
                    vec![],
                ));
                return format!("cannot connect to {host}:{port}");
            }
            Err(_) => {
                run.raise(Finding::new(
                    Code::HOST_UNREACHABLE,
                    format!("TCP connection to {host}:{port} got no answer"),
                    vec![],
                ));
                return format!("connection to {host}:{port} timed out");
            }
        }
    }
    if u.scheme() == "https" {
        notes.push(super::tls::roots().note(run.cfg.ca_certs_pem.len()));
    } else if host
        .parse::<IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(host == "localhost")
    {
        notes.push("plain http (loopback only)".into());
    }
    let (id, result) = run
        .client
        .send(Request::get(format!("{base}/services/data/")))
        .await;
    match result {
        Err(f) => {
            let finding = classify::failure(&f, id);
            run.raise(finding);
        }
        Ok(resp) if super::classify::redirect(&resp).is_some() => {
            // A legacy host after enhanced domains: name the host to use, and stop here.
            run.raise_all(super::classify::redirect(&resp).into_iter().collect());
        }
        Ok(resp) => {
            let versions = resp.json().filter(|v| {
                v.as_array()
                    .is_some_and(|a| a.iter().any(|x| x.get("version").is_some()))
            });
            match versions {
                Some(v) if resp.status == 200 => {
                    let newest = v
                        .as_array()
                        .and_then(|a| a.last())
                        .and_then(|x| x["version"].as_str())
                        .unwrap_or("?")
                        .to_string();
                    notes.push(format!("Salesforce REST API, newest version {newest}"));
                }
                _ => {
                    let what = if resp.is_html() {
                        "an HTML page"
                    } else {
                        "something that is not Salesforce's version list"
                    };
                    run.raise(Finding::new(
                        Code::NOT_SALESFORCE,
                        format!(
                            "GET {base}/services/data/ answered {} with {what}: {}",
                            resp.status,
                            classify::excerpt(&resp.text())
                        ),
                        vec![id],
                    ));
                }
            }
        }
    }
    run.emit(Event::Progress(notes.join("; ")));
    notes.join("; ")
}

/// Warns about credentials that look mistyped; never refuses.
pub fn credential_shapes(run: &mut Run) -> String {
    let mut notes = Vec::new();
    let key = run.cfg.client_id.clone();
    if matches!(run.cfg.flow, super::model::Flow::Token) {
        return "not needed for the token flow".into();
    }
    if key != key.trim() || key.contains(['\n', '\r', ' ', '\t']) {
        run.raise(
            Finding::new(
                Code::CREDENTIAL_FORMAT,
                "The consumer key contains whitespace or a line break (from pasting?).",
                vec![],
            )
            .titled("The consumer key contains whitespace"),
        );
    } else if !key.starts_with("3MVG") || !(60..=120).contains(&key.len()) {
        run.raise(Finding::new(Code::CREDENTIAL_FORMAT,
            format!("The consumer key is {} characters and starts `{}`; Salesforce consumer keys usually start 3MVG and are about 85 characters.", key.len(), key.chars().take(4).collect::<String>()),
            vec![],
        ).titled("The consumer key does not look like a Salesforce consumer key"));
    } else {
        notes.push(format!(
            "consumer key {}…{} ({} chars)",
            key.chars().take(4).collect::<String>(),
            {
                let tail: Vec<char> = key.chars().rev().take(4).collect();
                tail.into_iter().rev().collect::<String>()
            },
            key.chars().count()
        ));
    }
    if let Some(secret) = run.cfg.client_secret.clone() {
        if secret != secret.trim() || secret.contains(['\n', '\r']) {
            run.raise(
                Finding::new(
                    Code::CREDENTIAL_FORMAT,
                    "The consumer secret has leading or trailing whitespace or a line break.",
                    vec![],
                )
                .titled("The consumer secret contains whitespace"),
            );
        } else {
            notes.push(format!("consumer secret given ({} chars)", secret.len()));
        }
    } else {
        notes.push("no consumer secret".into());
    }
    notes.join("; ")
}
