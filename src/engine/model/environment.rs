//! The vocabulary of where the org logs in: the [`Environment`], login URLs and their checks,
//! the proxy a URL would go through. The pre-flight step is `engine::environment`.

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
    get(var).map(|p| crate::engine::http::redact_url(&strip_userinfo(&p)))
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
