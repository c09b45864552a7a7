//! Where a bearer token may go. A token response names the hosts the client talks to next
//! (`instance_url`, the identity `id` URL); a hostile or compromised login host could point them
//! anywhere. Before the token is sent, each such URL is checked here: https (plain http only
//! between loopback addresses), and a Salesforce host, the login host's own domain, or a host
//! the user allowed with `--trust-host`.

use super::model::environment::is_loopback_url;

/// The domains Salesforce serves orgs, My Domains, sites and identity from (Salesforce Help,
/// "Allow the Required Domains"; My Domain URL formats; docs/security.md lists the sources).
pub const SALESFORCE_DOMAINS: &[&str] = &[
    "salesforce.com",
    "force.com",
    "salesforce.mil",
    "cloudforce.com",
    "cloudforce.mil",
    "my.site.com",
    "salesforce-sites.com",
    "database.com",
    "sfcrmproducts.cn",
    "sfcrmapps.cn",
];

/// Why a URL may not receive the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a URL, or no host.
    NotAUrl,
    /// Plain http to a host that is not loopback (or loopback reached from a real login host).
    Cleartext { host: String },
    /// A host outside Salesforce's domains and the login host's own.
    ForeignHost { host: String },
}

impl Refusal {
    pub fn host(&self) -> Option<&str> {
        match self {
            Refusal::NotAUrl => None,
            Refusal::Cleartext { host } | Refusal::ForeignHost { host } => Some(host),
        }
    }
}

fn under(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// The login host's own domain: `login.acme.com` → `acme.com`. A two-label host is its own,
/// and so is one whose parent looks like a public suffix (`acme.co.uk` never trusts `co.uk`).
fn own_domain(login_host: &str) -> &str {
    match login_host.split_once('.') {
        Some((_, rest))
            if rest.contains('.')
                && rest
                    .split('.')
                    .next()
                    .is_some_and(|l| l.chars().count() > 3) =>
        {
            rest
        }
        _ => login_host,
    }
}

/// Checks a URL named by a token response before the token is sent to it.
pub fn check(url: &str, login_url: &str, trusted: &[String]) -> Result<(), Refusal> {
    let u = url::Url::parse(url).map_err(|_| Refusal::NotAUrl)?;
    let host = u
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(Refusal::NotAUrl)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let login_loopback = is_loopback_url(login_url);
    let target_loopback = is_loopback_url(url);
    // Loopback only from a loopback login (the simulated org); a real org never names one, and
    // on a shared host another user could be listening there.
    if target_loopback {
        return if login_loopback {
            Ok(())
        } else {
            Err(Refusal::ForeignHost { host })
        };
    }
    if u.scheme() != "https" {
        return Err(Refusal::Cleartext { host });
    }
    if trusted.iter().any(|t| t.eq_ignore_ascii_case(&host)) {
        return Ok(());
    }
    if SALESFORCE_DOMAINS.iter().any(|d| under(&host, d)) {
        return Ok(());
    }
    let login_host = url::Url::parse(login_url)
        .ok()
        .and_then(|l| l.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    if !login_loopback && !login_host.is_empty() && under(&host, own_domain(&login_host)) {
        return Ok(());
    }
    Err(Refusal::ForeignHost { host })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROD: &str = "https://login.salesforce.com";

    #[test]
    fn salesforce_hosts_pass() {
        for ok in [
            "https://acme.my.salesforce.com",
            "https://acme--uat.sandbox.my.salesforce.com/",
            "https://na1.salesforce.com",
            "https://login.salesforce.com/id/00D/005",
            "https://acme.my.site.com",
            "https://acme.my.salesforce.mil",
            "https://acme.my.sfcrmproducts.cn",
        ] {
            assert_eq!(check(ok, PROD, &[]), Ok(()), "{ok}");
        }
    }

    #[test]
    fn foreign_and_cleartext_hosts_are_refused() {
        let r = check("http://another-host.example", PROD, &[]);
        assert_eq!(
            r,
            Err(Refusal::Cleartext {
                host: "another-host.example".into()
            })
        );
        assert!(matches!(
            check("https://salesforce.com.evil.example", PROD, &[]),
            Err(Refusal::ForeignHost { .. })
        ));
        assert!(matches!(
            check("https://evilsalesforce.com", PROD, &[]),
            Err(Refusal::ForeignHost { .. })
        ));
        assert!(matches!(
            check("http://127.0.0.1:9/", PROD, &[]),
            Err(Refusal::ForeignHost { .. })
        ));
        assert_eq!(check("not a url", PROD, &[]), Err(Refusal::NotAUrl));
    }

    #[test]
    fn the_login_hosts_domain_and_trusted_hosts_pass() {
        assert_eq!(
            check("https://api.acme.com", "https://login.acme.com", &[]),
            Ok(())
        );
        assert!(check("https://api.other.com", "https://login.acme.com", &[]).is_err());
        assert!(check("https://evil.co.uk", "https://acme.co.uk", &[]).is_err());
        assert_eq!(
            check(
                "https://api.acmehr.co.uk",
                "https://login.acmehr.co.uk",
                &[]
            ),
            Ok(())
        );
        assert_eq!(
            check("https://gw.corp.example", PROD, &["gw.corp.example".into()]),
            Ok(())
        );
        // Trust never turns on cleartext.
        assert!(check("http://gw.corp.example", PROD, &["gw.corp.example".into()]).is_err());
    }

    #[test]
    fn loopback_only_from_a_loopback_login() {
        assert_eq!(
            check("http://localhost:4000", "http://127.0.0.1:4000", &[]),
            Ok(())
        );
        assert!(check("http://evil.example:4000", "http://127.0.0.1:4000", &[]).is_err());
    }
}
