//! Step 1 and 2: the environment (login URL, DNS, TCP, TLS, proxy, "is this Salesforce") and
//! the shape of the credentials.

use super::findings::Code;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::classify;
use super::findings::Finding;
use super::http::Request;
use super::model::Event;
use super::run::Run;

/// Where the org logs in. The config file's `environment` and `--env` are read straight into
/// it (`production`, `sandbox`, or a login URL, validated as [`Environment::parse`] says).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum Environment {
    Production,
    Sandbox,
    /// A validated base URL (scheme, host, port), e.g. a My Domain.
    Custom(String),
}

impl Environment {
    pub fn login_url(&self) -> String {
        match self {
            Environment::Production => "https://login.salesforce.com".into(),
            Environment::Sandbox => "https://test.salesforce.com".into(),
            Environment::Custom(u) => u.clone(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Sandbox => "sandbox",
            Environment::Custom(u) if u.contains(".sandbox.my.salesforce.com") => "sandbox",
            Environment::Custom(_) => "custom",
        }
    }

    /// `production`, `sandbox`, or a URL (validated: https and a host; http only for loopback;
    /// no Lightning UI host).
    pub fn parse(s: &str) -> Result<Environment, LoginUrlError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "production" | "prod" | "login" => return Ok(Environment::Production),
            "sandbox" | "test" => return Ok(Environment::Sandbox),
            _ => {}
        }
        validate_login_url(s.trim()).map(Environment::Custom)
    }

    /// The JWT audience for this environment.
    pub fn jwt_audience(&self) -> String {
        match self {
            Environment::Sandbox => "https://test.salesforce.com".into(),
            Environment::Custom(u) if is_loopback_url(u) => u.clone(),
            Environment::Custom(u)
                if u.contains(".sandbox.my.salesforce.com")
                    || u.contains("test.salesforce.com") =>
            {
                "https://test.salesforce.com".into()
            }
            _ => "https://login.salesforce.com".into(),
        }
    }
}

impl TryFrom<String> for Environment {
    type Error = LoginUrlError;
    fn try_from(s: String) -> Result<Environment, LoginUrlError> {
        Environment::parse(&s)
    }
}

impl std::str::FromStr for Environment {
    type Err = LoginUrlError;
    fn from_str(s: &str) -> Result<Environment, LoginUrlError> {
        Environment::parse(s)
    }
}

pub fn is_loopback_url(u: &str) -> bool {
    url::Url::parse(u).ok().is_some_and(|u| match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    })
}

/// Why a login URL cannot be used, and what to use instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginUrlError {
    #[error("`{input}` is not a URL ({reason})")]
    NotAUrl { input: String, reason: String },
    #[error("`{input}` has no host")]
    NoHost { input: String },
    #[error(
        "`{host}` is a Lightning UI host and does not serve OAuth: use https://{name}.my.salesforce.com instead"
    )]
    LightningHost { host: String, name: String },
    #[error(
        "`{input}` uses plain http: Salesforce needs https (plain http is allowed only for loopback addresses)"
    )]
    PlainHttp { input: String },
    #[error("`{input}` uses {scheme}: use an https URL")]
    Scheme { input: String, scheme: String },
}

/// Checks a login URL and returns its base (`scheme://host[:port]`), or says what to use instead.
pub fn validate_login_url(s: &str) -> Result<String, LoginUrlError> {
    let with_scheme = if s.contains("://") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    let u = url::Url::parse(&with_scheme).map_err(|e| LoginUrlError::NotAUrl {
        input: s.to_string(),
        reason: e.to_string(),
    })?;
    let host = u
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| LoginUrlError::NoHost {
            input: s.to_string(),
        })?
        .to_ascii_lowercase();
    if let Some(prefix) = host.strip_suffix(".lightning.force.com") {
        let name = prefix
            .strip_suffix(".sandbox")
            .map(|p| format!("{p}.sandbox"))
            .unwrap_or_else(|| prefix.to_string());
        return Err(LoginUrlError::LightningHost { host, name });
    }
    match u.scheme() {
        "https" => {}
        "http" if is_loopback_url(&with_scheme) => {}
        "http" => {
            return Err(LoginUrlError::PlainHttp {
                input: s.to_string(),
            });
        }
        other => {
            return Err(LoginUrlError::Scheme {
                input: s.to_string(),
                scheme: other.to_string(),
            });
        }
    }
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{}://{host}{port}", u.scheme()))
}

/// The proxy that applies to a URL, from HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
pub fn proxy_for(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    let get = |k: &str| {
        std::env::var(k)
            .or_else(|_| std::env::var(k.to_ascii_lowercase()))
            .ok()
            .filter(|v| !v.is_empty())
    };
    if let Some(no) = get("NO_PROXY") {
        let bypass = no
            .split(',')
            .map(|p| p.trim().trim_start_matches('.').to_ascii_lowercase())
            .any(|p| {
                p == "*" || (!p.is_empty() && (host == p || host.ends_with(&format!(".{p}"))))
            });
        if bypass {
            return None;
        }
    }
    let var = if u.scheme() == "https" {
        "HTTPS_PROXY"
    } else {
        "HTTP_PROXY"
    };
    get(var).map(|p| super::http::redact_url(&strip_userinfo(&p)))
}

fn strip_userinfo(p: &str) -> String {
    match url::Url::parse(p) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            let _ = u.set_username("");
            u.to_string()
        }
        Err(_) => p.to_string(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_urls_are_validated() {
        assert_eq!(
            validate_login_url("https://acme.my.salesforce.com/some/path").unwrap(),
            "https://acme.my.salesforce.com"
        );
        assert_eq!(
            validate_login_url("acme.my.salesforce.com").unwrap(),
            "https://acme.my.salesforce.com"
        );
        assert_eq!(
            validate_login_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            validate_login_url("http://localhost:8080/").unwrap(),
            "http://localhost:8080"
        );
        assert!(
            validate_login_url("http://acme.my.salesforce.com")
                .unwrap_err()
                .to_string()
                .contains("plain http")
        );
        let e = validate_login_url("https://acme.lightning.force.com")
            .unwrap_err()
            .to_string();
        assert!(e.contains("https://acme.my.salesforce.com"), "{e}");
        let e = validate_login_url("https://acme--uat.sandbox.lightning.force.com")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("https://acme--uat.sandbox.my.salesforce.com"),
            "{e}"
        );
        assert!(validate_login_url("https://").is_err());
        assert_eq!(Environment::parse("sandbox").unwrap(), Environment::Sandbox);
    }
}
