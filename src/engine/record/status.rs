//! LoginHistory.Status → the finding the engine raises when it meets that failure itself. The
//! table with its sources is docs/integration-record.md; the Status words are Salesforce's
//! (EventLogFile Login event LOGIN_STATUS, and rows seen in real orgs).

use crate::engine::findings::Code;

/// Matched case-insensitively on the Status containing the words (the first match wins).
pub const STATUS_MAP: &[(&str, Code)] = &[
    ("invalid code verifier", Code::PKCE_VERIFIER_REJECTED),
    ("invalid code challenge", Code::PKCE_REQUIRED),
    ("not approved for access", Code::USER_NOT_ADMIN_APPROVED),
    ("restricted ip", Code::IP_RESTRICTED),
    ("ip address not allowed", Code::IP_RESTRICTED),
    ("restricted time", Code::IP_RESTRICTED),
    (
        "token request is already being processed",
        Code::RTR_CONCURRENT_REFRESH,
    ),
    (
        "username-password flow disabled",
        Code::USERNAME_PASSWORD_FLOW_BLOCKED,
    ),
    ("user is frozen", Code::USER_FROZEN),
    ("user is inactive", Code::USER_INACTIVE),
    ("login rate exceeded", Code::LOGIN_RATE_EXCEEDED),
    ("maximum logins exceeded", Code::LOGIN_RATE_EXCEEDED),
    ("get access token limit exceeded", Code::LOGIN_RATE_EXCEEDED),
    ("consumer deleted", Code::CLIENT_ID_INVALID),
    (
        "package for this consumer is not installed",
        Code::APP_NOT_INSTALLED,
    ),
    ("oauth api access disabled", Code::API_DISABLED_FOR_USER),
    ("invalid callback url", Code::REDIRECT_URI_MISMATCH),
    ("signature invalid", Code::JWT_ASSERTION_INVALID),
    // A guess: the status of a refresh with an expired or revoked token (docs).
    ("failed: invalid token", Code::REFRESH_TOKEN_EXPIRED),
    ("invalid password", Code::AUTHENTICATION_FAILURE),
    ("invalid login", Code::AUTHENTICATION_FAILURE),
    ("login invalid", Code::AUTHENTICATION_FAILURE),
    ("password lockout", Code::AUTHENTICATION_FAILURE),
    ("organization closed", Code::ORG_INACTIVE),
    ("organization is inactive", Code::ORG_INACTIVE),
    ("organization locked", Code::ORG_INACTIVE),
    ("organization suspended", Code::ORG_INACTIVE),
    ("trial expired", Code::ORG_INACTIVE),
];

/// Whether a Status is a successful login.
pub fn is_success(status: &str) -> bool {
    status.trim().eq_ignore_ascii_case("success")
}

/// The finding code a failed login's Status maps to (None: unmapped, or a success).
pub fn map_status(status: &str) -> Option<Code> {
    if is_success(status) {
        return None;
    }
    let s = status.to_lowercase();
    STATUS_MAP
        .iter()
        .find(|(words, _)| s.contains(words))
        .map(|(_, code)| *code)
}

/// The table as Markdown rows (`| words | CODE |`), for docs/integration-record.md.
#[cfg(test)]
pub fn table_markdown() -> String {
    STATUS_MAP
        .iter()
        .map(|(w, c)| format!("| `{w}` | `{c}` |\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_statuses_map_to_the_engines_codes() {
        for (status, code) in [
            (
                "Failed: Invalid Code Verifier",
                Code::PKCE_VERIFIER_REJECTED,
            ),
            (
                "Failed: Not approved for access",
                Code::USER_NOT_ADMIN_APPROVED,
            ),
            ("Restricted IP", Code::IP_RESTRICTED),
            ("Failed: IP Address Not Allowed", Code::IP_RESTRICTED),
            (
                "Failed: Token request is already being processed",
                Code::RTR_CONCURRENT_REFRESH,
            ),
            ("User is frozen", Code::USER_FROZEN),
            ("User is Frozen", Code::USER_FROZEN),
            ("User is inactive", Code::USER_INACTIVE),
            ("Login rate exceeded", Code::LOGIN_RATE_EXCEEDED),
            (
                "Username-Password Flow Disabled",
                Code::USERNAME_PASSWORD_FLOW_BLOCKED,
            ),
            ("Invalid password", Code::AUTHENTICATION_FAILURE),
            ("Organization locked", Code::ORG_INACTIVE),
        ] {
            assert_eq!(map_status(status), Some(code), "{status}");
        }
        for s in [
            "Success",
            " success ",
            "Lightning Login required",
            "Failed: API Version Removed",
            "",
        ] {
            assert_eq!(map_status(s), None, "{s}");
        }
        assert!(is_success("Success") && !is_success("Failed: Invalid Code Verifier"));
    }

    #[test]
    fn the_docs_table_is_current() {
        let doc = include_str!("../../../docs/integration-record.md");
        assert!(
            doc.contains(&table_markdown()),
            "docs/integration-record.md's Status table is out of date: paste the rows of record::status::table_markdown()"
        );
    }
}
