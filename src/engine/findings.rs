//! Findings: what went wrong (or is worth knowing), with a stable code, a severity, the
//! evidence and the fix as numbered steps naming the Salesforce Setup path. The catalog below is
//! the one source of each code's title and fix, for `check`, the console and
//! `docs/troubleshooting.md` alike.

use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    /// The one label every front end prints (`ERROR`, `WARNING`, `INFO`).
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub title: String,
    /// What was seen: the requests and what they said.
    pub detail: String,
    pub fix: Vec<String>,
    /// Ids of the logged requests that are the evidence.
    pub request_ids: Vec<u64>,
    /// What the finding is about, when it is about one thing (the permission set of a probe):
    /// front ends match on it, never on the title's words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Where the evidence comes from when not from this run's own requests: `login_history`
    /// (the org's record of the integration's logins), `oauth_token`, `user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'static str>,
    /// For a finding from the org's record: what it saw, how often, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordEvidence>,
}

/// The org's record behind a finding (see [`Finding::source`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordEvidence {
    /// LoginHistory.Status, as Salesforce wrote it (sanitised).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    pub count: u64,
    /// The first and last time seen (as Salesforce sent them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

/// One entry of the catalog.
pub struct CodeInfo {
    pub code: Code,
    pub severity: Severity,
    pub title: &'static str,
    pub symptom: &'static str,
    pub cause: &'static str,
    pub fix: &'static [&'static str],
}

macro_rules! catalog {
    ($( $code:ident, $sev:ident, $title:literal, $symptom:literal, $cause:literal, [$($fix:literal),* $(,)?] ;)*) => {
        /// Every finding code: the catalog is its one source. Serialised as its name
        /// (`"PKCE_REQUIRED"`), so `--json`, reports and docs read as before.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $code, )*
        }

        impl Code {
            /// Every code, in catalog order.
            pub const ALL: &[Code] = &[$( Code::$code, )*];

            /// The code's stable name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Code::$code => stringify!($code), )*
                }
            }
        }

        pub const CATALOG: &[CodeInfo] = &[
            $( CodeInfo { code: Code::$code, severity: Severity::$sev, title: $title, symptom: $symptom, cause: $cause, fix: &[$($fix),*] }, )*
        ];
    };
}

catalog! {
    LOGIN_URL_INVALID, Error, "The login URL is not usable",
        "sagediag refuses the environment before sending anything.",
        "The URL is not https (plain http is allowed only for loopback addresses), has no host, or is a Lightning UI host (*.lightning.force.com), which does not serve OAuth.",
        ["Use https://login.salesforce.com for production, https://test.salesforce.com for a sandbox, or your My Domain https://NAME.my.salesforce.com.", "Find your My Domain under Setup > Company Settings > My Domain."];
    HOST_UNREACHABLE, Error, "The login host cannot be reached",
        "DNS lookup or TCP connection to the login host fails.",
        "A typo in the host, no network route, a firewall, or a proxy that must be configured.",
        ["Check the host name (Setup > Company Settings > My Domain shows yours).", "From this machine, try: curl -sI https://HOST/services/data/", "Behind a proxy, set HTTPS_PROXY (and NO_PROXY for hosts that bypass it)."];
    TLS_UNTRUSTED, Error, "The TLS certificate is not trusted",
        "The TLS handshake fails certificate verification.",
        "A corporate TLS-inspection proxy re-signs traffic with a CA this machine does not trust, or the host is not Salesforce.",
        ["Ask IT for the inspection CA certificate and install it in the OS trust store.", "Or exempt *.salesforce.com and *.my.salesforce.com from TLS inspection."];
    NOT_SALESFORCE, Error, "The host does not answer like Salesforce",
        "GET /services/data/ does not return Salesforce's API version list.",
        "The URL points to another site, or a proxy or captive portal answers instead.",
        ["Use the login host (login.salesforce.com / test.salesforce.com) or your My Domain URL, not a Lightning or Experience page URL."];
    CLIENT_ID_INVALID, Error, "The consumer key is not known to this org",
        "Salesforce answers invalid_client_id / client identifier invalid.",
        "A mistyped consumer key, a key from another org (production vs sandbox), or an app created or edited in the last 2-20 minutes and not yet active.",
        ["Copy the key again from Setup > App Manager > [app] > View > Manage Consumer Details.", "Check that you log in to the org (production or sandbox) where the app lives.", "A new or edited app takes up to 20 minutes to become active: wait and retry."];
    CLIENT_SECRET_INVALID, Error, "The consumer secret is wrong or missing",
        "The token endpoint answers invalid_client / invalid client credentials.",
        "The secret is mistyped or missing while Require Secret for Web Server Flow (or Refresh Token Flow) is on.",
        ["Copy the secret from Setup > App Manager > [app] > View > Manage Consumer Details.", "For a public client that holds no secret, untick Require Secret for Web Server Flow and Require Secret for Refresh Token Flow (Setup > App Manager > [app] > Edit > API (Enable OAuth Settings)). Integrations such as StackOne send the secret: keep them ticked there."];
    REDIRECT_URI_MISMATCH, Error, "The callback URL is not registered on the connected app",
        "The browser shows redirect_uri_mismatch / redirect_uri must match configuration.",
        "The redirect URI sent differs from every Callback URL of the app (scheme, host, port, path and trailing slash must match exactly).",
        ["Setup > App Manager > [app] > Edit > API (Enable OAuth Settings) > Callback URL: add the exact URL, one per line.", "Save, then wait up to 10 minutes for the change to take effect."];
    PKCE_REQUIRED, Error, "The connected app requires PKCE but no code challenge was sent",
        "Authorization ends with error=invalid_request&error_description=missing required code challenge.",
        "\"Require Proof Key for Code Exchange (PKCE) Extension for Supported Authorization Flows\" is ticked, and the integration (e.g. StackOne) sends no code_challenge.",
        ["Setup > App Manager > [app] > Edit > API (Enable OAuth Settings): untick Require Proof Key for Code Exchange (PKCE) Extension for Supported Authorization Flows.", "Also check Setup > Identity > OAuth and OpenID Connect Settings: the org-wide PKCE requirement applies to all apps.", "Or use a client that sends a code challenge."];
    PKCE_VERIFIER_REJECTED, Error, "The PKCE code verifier was rejected",
        "The token endpoint answers invalid_grant / invalid code verifier.",
        "The verifier does not match the challenge sent at authorize, is missing, or contains characters Salesforce refuses (such as ~).",
        ["Send the same verifier that produced the code_challenge (S256: base64url(SHA-256(verifier)) without padding).", "Use only letters, digits, '-', '.' and '_' in the verifier."];
    CONSENT_DENIED, Error, "The user denied access",
        "Authorization ends with error=access_denied.",
        "Deny was clicked on the consent page.",
        ["Log in again and click Allow.", "To skip consent, set Permitted Users to \"Admin approved users are pre-authorized\" and assign the user (Setup > Connected Apps > Manage Connected Apps > [app] > Edit Policies)."];
    APP_NOT_INSTALLED, Error, "The connected app is not installed in the org",
        "Authorization fails with OAUTH_APPROVAL_ERROR_GENERIC / app must be installed into org.",
        "Since September 2025 users without Approve Uninstalled Connected Apps cannot authorize an app that is not installed in the org.",
        ["Setup > Connected Apps OAuth Usage > find the app > Install.", "Or give the user the Approve Uninstalled Connected Apps permission (or Use Any API Client with API Access Control)."];
    USER_NOT_ADMIN_APPROVED, Error, "The user is not approved for this admin-approved app",
        "The code exchange answers invalid_app_access / user is not admin approved to access this app.",
        "Permitted Users is \"Admin approved users are pre-authorized\" and the user's profile or permission sets are not assigned to the app.",
        ["Setup > Connected Apps > Manage Connected Apps > [app] > Manage Profiles or Manage Permission Sets: add the API user's profile or a permission set the user has."];
    USER_NOT_PREAUTHORIZED, Error, "The user has not approved this app (JWT)",
        "The JWT grant answers invalid_grant / user hasn't approved this consumer.",
        "The JWT flow needs the user pre-authorized, or a prior approval through a web login with the refresh_token scope.",
        ["Manage Connected Apps > [app] > Edit Policies > Permitted Users: Admin approved users are pre-authorized; then Manage Profiles / Manage Permission Sets: add the user's.", "Or log in once with the web flow as that user and approve the app."];
    AUTHENTICATION_FAILURE, Error, "Authentication failed",
        "The token endpoint answers invalid_grant / authentication failure.",
        "Wrong username or password, a missing security token, a locked or frozen user, or a user of another org (production vs sandbox).",
        ["Check the username and that it belongs to this environment (sandbox usernames usually end in .sandboxname).", "Append the security token to the password when logging in from outside trusted IP ranges.", "Check Setup > Users > [user] for lock-out."];
    USERNAME_PASSWORD_FLOW_BLOCKED, Warning, "The username-password flow may be blocked in this org",
        "The password grant answers authentication failure although the credentials may be right.",
        "Orgs created since Summer '23 block the OAuth username-password flow by default; Salesforce still answers only authentication failure (Login History shows Username-Password Flow Disabled).",
        ["Prefer the web-server or JWT flow.", "Or enable Setup > Identity > OAuth and OpenID Connect Settings > Allow OAuth Username-Password Flows.", "Check Setup > Users > Login History for \"Username-Password Flow Disabled\"."];
    IP_RESTRICTED, Error, "Login refused from this IP address",
        "The token endpoint answers invalid_grant / ip restricted.",
        "The user's profile has Login IP Ranges that exclude this address, and the app enforces IP restrictions.",
        ["Manage Connected Apps > [app] > Edit Policies > IP Relaxation: Relax IP restrictions (or relax for refresh tokens).", "Or add this machine's address to Setup > Profiles > [profile] > Login IP Ranges."];
    CLIENT_CREDENTIALS_WRONG_HOST, Error, "Client credentials must use the My Domain host",
        "The token endpoint answers invalid_grant / request not supported on this domain.",
        "The client-credentials grant was sent to login.salesforce.com or test.salesforce.com.",
        ["Send it to https://YOURDOMAIN.my.salesforce.com/services/oauth2/token (Setup > Company Settings > My Domain)."];
    CLIENT_CREDENTIALS_NO_RUN_AS_USER, Error, "Client credentials flow has no Run As user",
        "The token endpoint answers invalid_grant / no client credentials user enabled.",
        "Enable Client Credentials Flow is on but no execution user is set.",
        ["Manage Connected Apps > [app] > Edit Policies > Client Credentials Flow > Run As: choose the API user."];
    GRANT_TYPE_NOT_ENABLED, Error, "This OAuth flow is not enabled on the connected app",
        "The token endpoint answers unsupported_grant_type / grant type not supported.",
        "The flow (client credentials, device, JWT) is not enabled on the app, or the request body was not a form.",
        ["Setup > App Manager > [app] > Edit > API (Enable OAuth Settings): tick Enable Client Credentials Flow / Enable for Device Flow / Use digital signatures as needed."];
    AUTH_CODE_INVALID, Error, "The authorization code was rejected",
        "The token endpoint answers invalid_grant / invalid or expired authorization code.",
        "The code was already used, is older than 15 minutes, or was copied incompletely; for JWT, the assertion's exp is in the past (clock skew).",
        ["Log in again and exchange the new code at once, only once.", "Paste the whole redirect URL, including the code's trailing %3D%3D.", "For JWT, check this machine's clock and keep exp within 3 minutes."];
    JWT_AUDIENCE_INVALID, Error, "The JWT audience is wrong",
        "The JWT grant answers invalid_grant / audience is invalid.",
        "aud must be https://login.salesforce.com (production) or https://test.salesforce.com (sandbox), or the Experience Cloud site URL.",
        ["Set aud to the login host that matches the org: production https://login.salesforce.com, sandbox https://test.salesforce.com."];
    JWT_ASSERTION_INVALID, Error, "The JWT assertion was rejected",
        "The JWT grant answers invalid_grant / invalid assertion.",
        "The assertion is not signed with the private key matching the certificate uploaded to the app, or is malformed.",
        ["Upload the certificate of this private key under Setup > App Manager > [app] > Edit > Use digital signatures.", "Sign with RS256; claims iss = consumer key, sub = username, aud = login host, exp = now + up to 3 minutes."];
    LOGIN_RATE_EXCEEDED, Error, "Too many logins for this user",
        "The token endpoint refuses with a login-rate error; Login History shows Login Rate Exceeded.",
        "About 3,600 logins per user per hour: the integration logs in for every call instead of reusing the access token.",
        ["Reuse access tokens until they expire and refresh them; do not log in per request.", "Wait up to an hour for the counter to fall."];
    USER_INACTIVE, Error, "The user is inactive",
        "Salesforce answers inactive_user / user is inactive (or invalid_grant / inactive user).",
        "The API user has been deactivated (or frozen), so Salesforce refuses every login and refresh for it.",
        ["Setup > Users > [API user] > Edit: tick Active; save (a frozen user: Setup > Users > [API user] > Unfreeze).", "If the user left on purpose, choose another integration user and log in again as that user: tokens of a deactivated user stay revoked.", "A frozen integration user after traffic from a VPN, proxy or high-risk IP: since 24 April 2026 Salesforce freezes the user and revokes all of their refresh tokens (Salesforce Help 005318944). Unfreeze the user, route the integration through a static, non-VPN egress address, and log it in again."];
    ORG_INACTIVE, Error, "The org is locked, closed or suspended",
        "Salesforce answers inactive_org / Org is locked, closed, or suspended.",
        "The org itself is not active: a trial or sandbox that expired or was deleted, a closed contract, or an org locked by Salesforce.",
        ["Check that you log in to the right org (a refreshed or deleted sandbox has a new login).", "Ask the org's administrator or your Salesforce account executive about the org's status."];
    SCOPE_NOT_ALLOWED, Error, "A requested scope is not allowed for this app",
        "Salesforce answers invalid_scope / the requested scope is not allowed (or not available).",
        "The request asks for a scope that is not among the connected app's Selected OAuth Scopes (sagediag asks only for what --scope names; by default the app's).",
        ["Setup > App Manager > [app] > Edit > API (Enable OAuth Settings) > Selected OAuth Scopes: add every scope the integration requests (Manage user data via APIs (api); Perform requests at any time (refresh_token, offline_access)).", "Or request only the scopes the app has (sagediag: --scope).", "Log in again after the change; wait up to 10 minutes for an edited app."];
    IMMEDIATE_UNSUCCESSFUL, Error, "Authorization with immediate=true could not complete silently",
        "Authorization ends with error=immediate_unsuccessful.",
        "immediate=true was sent, and the user is not logged in to Salesforce in this browser or has not yet approved the app.",
        ["Log in without immediate=true (sagediag never sends it; the integration that does must fall back to a normal login).", "Or approve the app once, then retry."];
    APP_BLOCKED, Error, "The connected app is blocked in this org",
        "Salesforce answers app_blocked (or fail_close_app_blocked).",
        "An administrator blocked the app under Connected Apps OAuth Usage, or API Access Control allows only approved apps.",
        ["Setup > Connected Apps OAuth Usage > [app] > Unblock.", "With API Access Control, install the app and allow it for the user's profile or permission set (or grant Use Any API Client)."];
    SESSION_LEVEL_REQUIRED, Error, "The app needs a high-assurance session",
        "Salesforce answers invalid_session_level.",
        "The connected app's session policy requires a High Assurance session (multi-factor authentication), and the login was standard.",
        ["Log in with multi-factor authentication, or", "Manage Connected Apps > [app] > Edit Policies > Session Policies > High Assurance session required: untick it for a headless integration user."];
    DEVICE_FLOW_PENDING, Error, "The device login was not approved in time",
        "Polling the token endpoint ended with authorization_pending, slow_down or expired_token.",
        "The user code was not entered and approved at the verification URL before the device code expired (10 minutes), or polling was too fast.",
        ["Open the verification URL shown, log in, enter the user code and click Allow, within 10 minutes.", "Check that the connected app has Enable for Device Flow ticked and Require Secret for Refresh Token Flow unticked."];
    OAUTH_TOKEN_INVALID, Error, "The token sent was not accepted",
        "The revoke or introspection endpoint answers invalid_token / Token was invalid, or unsupported_token_type / Token type not supported.",
        "The token was already revoked or expired, belongs to another org or app, or is not an access or refresh token.",
        ["Nothing to revoke: the token is already unusable. Log in again for a new one.", "Send the access or refresh token itself (form field token) to https://HOST/services/oauth2/revoke of the org that issued it."];
    OAUTH_INVALID_REQUEST, Error, "Salesforce refused the OAuth request as malformed",
        "Salesforce answers invalid_request (or unsupported_response_type, redirect_uri_missing) with a description sagediag quotes.",
        "A required parameter is missing or wrong, the request was not HTTPS, used the wrong HTTP method (authorize is GET, token is a POST form), or asked for an unsupported response type.",
        ["Read Salesforce's description in this finding: it names the parameter.", "Send authorize as a GET with response_type=code, client_id and redirect_uri; send token requests as an HTTPS POST with Content-Type application/x-www-form-urlencoded.", "Use https://, never http://, for the login host."];
    OAUTH_INVALID_GRANT_OTHER, Error, "Salesforce refused the grant",
        "The token endpoint answers invalid_grant with a description sagediag has no specific finding for.",
        "The credential presented (password, authorization code, refresh token, JWT assertion or device code) was refused; Salesforce's description says why.",
        ["Read Salesforce's description in this finding, and Setup > Users > [API user] > Login History for the failed attempt's status.", "Web-server flow: log in again and exchange the new code once, at once. Refresh: log in again for a new refresh token. JWT: check the certificate, iss, sub, aud and exp. Password: check the username, password and security token.", "Check that the user is active and allowed on the connected app (Manage Connected Apps > [app] > Manage Profiles / Manage Permission Sets)."];
    OAUTH_ERROR_OTHER, Error, "Salesforce refused the login with an error sagediag has no specific finding for",
        "An OAuth error value sagediag does not know, quoted with its description.",
        "A newer or rarer Salesforce OAuth error; the error value and description name the cause.",
        ["Read Salesforce's error and description in this finding and search them in Salesforce Help (Identify Your Users and Manage Access > OAuth 2.0 Authorization Errors).", "Check Setup > Users > [API user] > Login History for the attempt's status.", "Check the connected app: Setup > App Manager > [app] > View, and Manage Connected Apps > [app] > Edit Policies."];
    REFRESH_TOKEN_MISSING, Error, "No refresh token was issued",
        "The token response has no refresh_token.",
        "The connected app or the request lacks the refresh_token (offline_access) scope; the integration will need a new login when the session expires (about 2 hours).",
        ["Setup > App Manager > [app] > Edit > Selected OAuth Scopes: add Perform requests on your behalf at any time (refresh_token, offline_access).", "Request scope refresh_token (or offline_access) at authorize; Nango sends offline_access.", "Log in again after the change: existing grants keep their old scopes."];
    API_SCOPE_MISSING, Error, "The token lacks the api scope",
        "The token's scope has no api (or full); REST calls answer INVALID_SESSION_ID.",
        "The connected app's Selected OAuth Scopes lack Manage user data via APIs (api), or the request asked for fewer scopes.",
        ["Setup > App Manager > [app] > Edit > Selected OAuth Scopes: add Manage user data via APIs (api).", "Request scope api at authorize, then log in again."];
    REFRESH_TOKEN_EXPIRED, Error, "The refresh token does not work",
        "Refreshing answers invalid_grant / expired access/refresh token.",
        "The refresh-token policy expires tokens (Immediately expire refresh token is the common cause), the token was revoked, rotated out, or pushed out by the five-approvals-per-user limit.",
        ["Setup > Connected Apps > Manage Connected Apps > [app] > Edit Policies > Refresh Token Policy: Refresh token is valid until revoked.", "With Refresh Token Rotation on, store the new refresh token each refresh returns.", "Log in again to get a new refresh token."];
    ROTATION_CONSENT_NEEDED, Error, "Refreshing the token given needs consent",
        "The refresh flow (or a refresh token kept from an earlier run) was asked for without consent; sagediag sent nothing.",
        "Under Refresh Token Rotation (on, or not known to be off), one refresh retires the refresh token given: the integration's next refresh with it fails, and reusing it revokes the new one too.",
        ["Run again with --allow-rotation (the console asks): sagediag refreshes the token once, keeps the new one where --keep-secrets says, and says loudly that the old one is retired.", "Or test with a token of sagediag's own: --flow web or --flow device (sagediag revokes it at the end)."];
    REFRESH_POLICY_EXPIRES, Warning, "The refresh-token policy expires tokens",
        "ConnectedApplication shows a refresh-token validity period.",
        "Refresh tokens expire after a period or when unused, and the integration will then need a new login.",
        ["Setup > Connected Apps > Manage Connected Apps > [app] > Edit Policies > Refresh Token Policy: Refresh token is valid until revoked (recommended by Sage People integrations)."];
    SESSION_INVALID, Error, "The access token is not accepted",
        "REST calls answer 401 INVALID_SESSION_ID.",
        "The token expired (session timeout), was revoked, belongs to another instance, or is not valid for the REST API.",
        ["Refresh the token or log in again.", "Use the instance_url returned with the token.", "Check the session timeout under Manage Connected Apps > [app] > Edit Policies > Timeout Value."];
    API_DISABLED_FOR_ORG, Error, "The org has no REST API access",
        "REST calls answer 403 API_DISABLED_FOR_ORG / The REST API is not enabled for this Organization.",
        "The org's edition does not include API access. Salesforce also sends this code to a user without API Enabled, so unless sagediag confirmed the user has API Enabled, the finding names both candidates.",
        ["Check the edition: Setup > Company Information > Organization Edition. API access needs Enterprise, Unlimited, Performance or Developer edition (Professional only with the API add-on): contact your Salesforce account executive.", "If the edition has API access, the user lacks API Enabled: Setup > Permission Sets > [set] > System Permissions > Edit: tick API Enabled; assign the set to the API user."];
    API_DISABLED_FOR_USER, Error, "The API user lacks API Enabled",
        "REST calls answer API_CURRENTLY_DISABLED / API is disabled for this User, or 401 INVALID_SESSION_ID although the identity URL accepts the same token.",
        "Neither the user's profile nor their permission sets grant the API Enabled system permission. When Salesforce's words do not name the user, the finding says which other candidates remain (API Access Control, a temporary Salesforce-side disablement).",
        ["Setup > Permission Sets > New (or an existing set) > System Permissions > Edit: tick API Enabled; save.", "Assign that set: Setup > Users > [API user] > Permission Set Assignments > Edit Assignments.", "With API Access Control on, also allow the connected app for the user (or grant Use Any API Client)."];
    PACKAGE_NOT_INSTALLED, Error, "The Sage People API package is not installed",
        "Sage People endpoints answer 404 NOT_FOUND \"Could not find a match for URL\"; no installed package has the spapi namespace.",
        "The Sage People API managed package (namespace spapi) is missing, or the path lacks /spapi/v4.",
        ["Ask Sage People support to install the Sage People API package in this org (it is installed on request).", "Check Setup > Installed Packages for Sage People API.", "Call /services/apexrest/spapi/v4/... (with the namespace and version)."];
    PERMISSION_SET_MISSING, Error, "A Sage People API permission set is not assigned",
        "The endpoint answers 403 MISSING_API_PERMISSION.",
        "Each Sage People endpoint is gated by its own permission set, and the API user lacks this one.",
        ["Setup > Users > Users > [API user] > Permission Set Assignments > Edit Assignments.", "Add the permission set named in this finding; save.", "Run the check again."];
    PERMISSION_SET_MISMATCH, Warning, "The endpoint and the permission-set assignments disagree",
        "A probe result does not match what the PermissionSetAssignment query says.",
        "The set may be assigned through a permission set group, expired, or the endpoint also needs object or field access (View All).",
        ["Setup > Users > [API user] > Permission Set Assignments: check expiry dates and permission set groups.", "Check the set's object permissions (Read, View All) on the Sage People objects."];
    API_LIMIT_EXCEEDED, Error, "The org's daily API allocation is spent",
        "API calls answer 403 REQUEST_LIMIT_EXCEEDED / TotalRequests Limit exceeded.",
        "All integrations together used the org's 24-hour API request allocation.",
        ["Setup > Company Information shows API Requests, Last 24 Hours.", "Reduce polling by integrations, or buy more API capacity.", "The allocation frees up over a rolling 24 hours."];
    API_LIMIT_NEAR, Warning, "The org is close to its daily API allocation",
        "Sforce-Limit-Info shows more than 90% of the daily allocation used.",
        "Integrations poll heavily; calls will soon be refused with REQUEST_LIMIT_EXCEEDED.",
        ["Setup > Company Information > API Requests, Last 24 Hours: find the heaviest integration.", "Reduce polling frequency or page sizes."];
    SERVER_ERROR, Error, "The server answered with an error",
        "A 5xx status.",
        "A transient Salesforce or Sage People error, maintenance, or an Apex exception in the package.",
        ["Retry in a few minutes; check https://status.salesforce.com for the instance.", "If it persists, raise a case with Sage People support quoting the ErrorId."];
    TIMEOUT, Error, "The server did not answer in time",
        "A request got no answer within the time-out.",
        "A slow network, a proxy that holds connections, or an overloaded instance.",
        ["Retry with a longer --timeout.", "Check the proxy (HTTPS_PROXY) and the network path."];
    UNEXPECTED_RESPONSE, Error, "The answer is not what Salesforce sends",
        "HTML or other non-JSON content, or an error sagediag does not recognise (shown raw).",
        "A proxy or captive portal, a maintenance page, or a new Salesforce error.",
        ["Read the raw response in the request log.", "Behind a corporate proxy, allow *.salesforce.com and *.my.salesforce.com or set NO_PROXY."];
    TOKEN_HOST_UNTRUSTED, Error, "The token response names a host the token must not go to",
        "The token response's instance_url or identity (id) URL is not an https Salesforce host (or the login host's own domain); sagediag stopped before sending the token there.",
        "A hostile or misconfigured login host, a proxy rewriting responses, or an org served from a custom domain sagediag cannot know.",
        ["If the host is yours (a custom domain or an API gateway in front of Salesforce), allow it for this run with --trust-host HOST (or trust_hosts in the config file); plain http is never allowed except between loopback addresses.", "Otherwise do not use this login URL: check the environment (Setup > Company Settings > My Domain shows your org's host) and any proxy in between."];
    RESPONSE_TOO_LARGE, Error, "A response was larger than sagediag reads",
        "A response body went past the size cap; sagediag stopped reading it and kept what it had read.",
        "A proxy or server sending something other than Salesforce's answer (a file, an endless stream), or a page size far above what Salesforce sends.",
        ["Read the request in the log: the URL and the first bytes show what was sent.", "If the response is legitimate (a very large page), raise the cap with --max-response-mb N (or max_response_mb in the config file)."];
    TOKEN_FIELD_TOO_LONG, Error, "The token response holds a field far longer than a Salesforce token",
        "A field of the token response (access_token, refresh_token, id_token, instance_url, id…) is longer than sagediag accepts; sagediag refused the answer and sent the token nowhere.",
        "Salesforce's tokens are about 112 characters and its URLs a few dozen: an answer with kilobytes in one of them comes from a proxy or server that is not Salesforce, or is broken.",
        ["Read the token request in the log: the first bytes of the answer show what sent it.", "Check that the login URL is your org's (Setup > Company Settings > My Domain) and that no proxy rewrites answers between sagediag and Salesforce."];
    CREDENTIAL_FORMAT, Warning, "A credential looks mistyped",
        "The consumer key or secret has an unusual shape.",
        "Stray whitespace or a newline from pasting, or a value that is not a consumer key.",
        ["Copy the value again from Manage Consumer Details; a consumer key usually starts with 3MVG and is 85 characters long."];
    SYNC_KEY_PROBLEMS, Warning, "Email cannot serve as a unique sync key",
        "Field coverage finds employees without an email, or emails shared by several records.",
        "Integrations that load employees into another system (asset or identity platforms) key on Email: a record without one, or two with the same one, cannot be synced.",
        ["Fill in the Team Member's work email in Sage People for the records listed.", "Resolve duplicated emails (often a rehire or a test record).", "Or choose the Sage People ID as the sync key in the integration's field mapping."];
    ECA_USER_NOT_PREAUTHORIZED, Error, "The API user is not pre-authorized for this External Client App",
        "The External Client App's Permitted Users is \"Admin approved users are pre-authorized\" and the API user holds none of the permission sets or profiles linked to its policies (the token endpoint answers invalid_app_access / user is not admin approved to access this app).",
        "An External Client App starts closed: only users whose permission set or profile is linked to the app's OAuth policies may use it. Switching an app to admin-approved also cuts off everyone not linked.",
        ["Setup > External Client Apps > External Client Apps Manager > [app] > Edit Policies > OAuth Policies > Permitted Users \"Admin approved users are pre-authorized\": under Select Permission Sets (or Select Profiles), add a permission set the API user holds — for a Sage People integration, the Sage People API sets it needs (this finding names the sets linked now, if any); save.", "Or assign one of the linked permission sets to the API user: Setup > Users > [API user] > Permission Set Assignments > Edit Assignments.", "The broad alternative is the Use Any API Client permission on the API user: it lets the user use any External Client App whatever its Permitted Users, so the app's pre-authorization no longer controls anything — grant it only to a dedicated integration user, if at all."];
    ECA_SECRET_REQUIRED_FOR_REFRESH, Error, "The External Client App requires the secret to refresh, and the client sends none",
        "The first login works, but the refresh answers invalid_client / invalid client credentials, and the client holds no consumer secret.",
        "The app's OAuth settings have Require secret for Refresh Token Flow ticked while the integration is a public client (no secret, often with Require secret for Web Server Flow unticked); every refresh fails and the integration needs a new login when the session expires.",
        ["Setup > External Client Apps > External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Flow Enablement / Security: untick Require secret for Refresh Token Flow for a public client (device flow and browser clients must).", "Or give the integration the consumer secret (External Client Apps Manager > [app] > Settings > OAuth Settings > Consumer Key and Secret) and keep the box ticked: StackOne and Nango hold the secret.", "Wait up to 10 minutes for an edited app, then run the check again."];
    ECA_FLOW_DISABLED, Error, "This OAuth flow is not enabled on the External Client App",
        "The token endpoint answers unsupported_grant_type / grant type not supported for client credentials, JWT bearer or device flow.",
        "External Client Apps enable each flow on its own: client credentials is off by default (isClientCredentialsFlowEnabled false) and also needs a Run As user in the policies; JWT bearer needs a certificate; device flow its own switch.",
        ["Setup > External Client Apps > External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Flow Enablement: tick Enable Client Credentials Flow (or Enable for Device Flow, or for JWT upload the certificate under Enable JWT Bearer Flow); save.", "Client credentials: then Edit Policies > OAuth Policies > OAuth Flows and External Client App Enhancements: tick Enable Client Credentials Flow and choose the Run As user (an API Only user).", "Wait up to 10 minutes, then run the check again."];
    CONNECTED_APP_LEGACY, Info, "The integration uses a connected app created before Spring '26",
        "ConnectedApplication shows the app was created before Spring '26 (February 2026).",
        "Since Spring '26 new connected apps cannot be created without a Salesforce Support request; existing ones keep working and can be edited. Salesforce's newer controls (and its new defaults) come with External Client Apps.",
        ["Nothing breaks now: the connected app keeps working.", "When convenient, move to an External Client App: create it (Setup > External Client Apps > External Client Apps Manager > New External Client App, same callback URL and scopes, sagediag setup-sheet --kind eca lists every box), pre-authorize the API user through the Sage People API permission sets, give the integration the new consumer key and secret, log in again, run sagediag check, then revoke and delete the old connected app (docs/external-client-apps.md)."];
    SIGNATURE_INVALID, Warning, "The token response signature does not verify",
        "base64(HMAC-SHA256(secret, id + issued_at)) differs from signature.",
        "The consumer secret used is not the app's, or a proxy altered the response.",
        ["Check the consumer secret under Manage Consumer Details."];
    // Salesforce as it answers in 2026 (docs/oauth-errors.md, "2026" rows).
    RTR_CONCURRENT_REFRESH, Error, "Two refreshes of the same token ran at once",
        "Refreshing answers invalid_grant / token request is already being processed (before Summer '24: expired authorization code); Login History shows Failed: Token request is already being processed.",
        "Since Summer '24 Salesforce refuses a refresh while another refresh of the same token is in flight. Two processes refresh the same refresh token: the integration and a second worker, a scheduled job, a CLI or sagediag itself.",
        ["Serialise refreshes in the integration: one refresher per token (a lock or a single worker), and let the others wait for its new access token. The Salesforce CLI takes a lock file (<authfile>.token-rotation.lock) for this.", "Retry a refused refresh once after a short pause: the other process's refresh has usually finished.", "Do not run sagediag --flow refresh with the integration's own refresh token while the integration runs."];
    RTR_TOKEN_REUSE, Error, "A rotated-out refresh token was used again: Salesforce revoked the current tokens",
        "With Refresh Token Rotation on, a refresh works and returns a new refresh token, then a refresh with the new token answers invalid_grant / expired access/refresh token.",
        "Presenting a refresh token that was already rotated out revokes the current refresh token and access token (Salesforce Help 005316711, March 2026). Another holder of the old token (usually the integration, storing the first refresh token instead of the one each refresh returns) presented it after the rotation.",
        ["Make the integration store the refresh token each refresh returns, atomically, before using the new access token; every copy of the token (workers, backups, config snapshots) must read the stored one.", "Log the integration in again once: the whole token family is revoked.", "Do not refresh the integration's own token from another tool (sagediag --flow refresh): under rotation the integration then holds a rotated-out token."];
    ECA_NOT_FOUND, Error, "The External Client App is not installed or not enabled in this org",
        "Authorization (after the login) ends with OAUTH_EC_APP_NOT_FOUND.",
        "The consumer key belongs to an External Client App that this org does not have: a packaged app whose package is not installed here, a local app of another org (a sandbox refresh does not copy it), or an app disabled in this org.",
        ["Setup > External Client Apps > External Client Apps Manager: check the app is listed and enabled in this org (production and each sandbox separately).", "A packaged External Client App: install its package (Setup > Installed Packages) in this org; a local one: create it here with the same settings (sagediag setup-sheet --kind eca).", "Log in again; a new or changed app takes up to 10 minutes to take effect."];
    LEGACY_HOST_REDIRECT, Error, "The host redirects to another Salesforce host: use that host",
        "The token, identity or REST call answers 301, 302, 307 or 308 with a Location on another host (usually the org's My Domain).",
        "With enhanced domains (enforced since Winter '24) legacy login and instance hosts (NAxx.salesforce.com, old My Domain forms, Visualforce and Experience hosts) only redirect. sagediag never follows a redirect with a token or a secret, so the call fails.",
        ["Configure the integration (and sagediag: --env URL or --instance-url URL) with the host this finding names: the org's My Domain https://NAME.my.salesforce.com.", "Find your My Domain under Setup > Company Settings > My Domain.", "Use the instance_url of each token response rather than a stored host."];
    AUTHORIZE_ERROR_PAGE, Error, "Salesforce showed its authorization error page instead of returning to the callback",
        "The authorize step lands on Salesforce's error page (/setup/secur/RemoteAccessErrorPage.apexp) or another page, never on the callback; the page names the error.",
        "Salesforce stops the authorization before the consent page when a policy forbids it (an uninstalled or blocked app, a user not allowed to use it) and shows its own page rather than redirecting to the integration's callback.",
        ["Read the error and the description quoted in this finding: a second finding names its fix when sagediag recognises it.", "Check Setup > Users > [API user] > Login History for the attempt's status."];
    AUTH_HEADER_REFUSED, Error, "The Authorization header itself was refused",
        "REST calls answer 401 INVALID_AUTH_HEADER (often with INVALID_HEADER_TYPE).",
        "The request's Authorization header is missing, empty or not \"Bearer <token>\": a proxy or API gateway removed or rewrote it, or the client sends another scheme (Basic, OAuth, a lower-case bearer with extra spaces).",
        ["Send Authorization: Bearer ACCESS_TOKEN exactly, on every REST call.", "Behind a proxy or gateway, check that it forwards the Authorization header unchanged (some strip it, or replace it with their own).", "Compare the request in sagediag's log with the one the integration sends."];
    APP_KIND_MISMATCH, Warning, "The declared app kind differs from the app the org shows",
        "--app-kind (or app_kind in the config file) names one kind, and the org's setup objects show the other.",
        "The consumer key belongs to an app of the other kind (a connected app migrated to an External Client App, or the other way round), or the kind was declared by mistake.",
        ["sagediag words the findings for the kind the org shows; run again without --app-kind, or with the kind this finding names.", "Check which app holds the consumer key: Setup > App Manager, and Setup > External Client Apps > External Client Apps Manager."];
    USER_FROZEN, Error, "The API user is frozen",
        "UserLogin.IsFrozen is true for the API user; Login History shows User is frozen, and token requests answer invalid_grant / inactive user.",
        "An administrator froze the user, or — since 24 April 2026 — Salesforce froze it after API traffic came from an anonymising VPN, proxy or high-risk IP address, and revoked all of the user's OAuth refresh tokens (Salesforce Help 005318944; a \"Salesforce Security notification\" email is sent).",
        ["Find out why: Setup > Users > [API user] > Login History shows the logins from the unusual address; check the integration's egress (a VPN, a proxy or a cloud host with a shared IP).", "Move the integration's traffic to a static, non-VPN address (and add it to the profile's Login IP Ranges if you use them).", "Unfreeze: Setup > Users > [API user] > Unfreeze (an admin with Manage Users; the API equivalent is PATCH /services/data/vXX.X/sobjects/UserLogin/<UserLogin Id> with {\"IsFrozen\": false}).", "Re-authorize the integration: its refresh tokens were revoked with the freeze, so it needs a new login."];
    REFRESH_TOKEN_EXPIRING, Warning, "The integration's refresh token expires soon",
        "The app's refresh-token policy expires tokens not used for a period, and the integration's grant (OauthToken) was last used close to that period ago.",
        "Under \"Expire refresh token if not used for N\" a grant idle for N dies; the integration then fails with invalid_grant / expired access/refresh token and needs a new login.",
        ["Make the integration refresh (or call the API) at least once within the period, e.g. a scheduled daily call.", "Or change the policy: Setup > Connected Apps > Manage Connected Apps > [app] > Edit Policies > Refresh Token Policy: Refresh token is valid until revoked (External Client App: External Client Apps Manager > [app] > Edit Policies > OAuth Policies > Refresh Token Policy)."];
    GRANT_CAP_CONSENT_NEEDED, Error, "The login would evict the user's oldest grant",
        "The user holds five grants (OauthToken rows) for the app; sagediag made no token request without consent.",
        "Salesforce keeps five grants per user per app and revokes the oldest when a sixth is made, usually the production integration's.",
        ["Revoke a stale grant first: Setup > Connected Apps OAuth Usage > [app] > the user > Revoke (or, as an admin, send the grant's OauthToken.DeleteToken to /services/oauth2/revoke).", "Or log in as another user, or run again with --allow-grant-eviction (the console asks) knowing which grant goes."];
    GRANT_EVICTED, Error, "This run's login evicted a grant",
        "After sagediag's login an earlier grant of the user for the app is gone (or the user is at five grants and was not counted before).",
        "Salesforce revoked the oldest grant to make room for the new one; its refresh token now answers invalid_grant / expired access/refresh token.",
        ["Check that the integration still refreshes; if not, log it in again (it gets a new grant).", "Next time give --admin-username so that sagediag counts the grants first and asks before evicting one."];
    GRANT_CAP_RISK, Warning, "The API user is at the five-grant limit for this app",
        "OauthToken holds four or five grants of the API user for the app.",
        "Salesforce keeps at most five grants (refresh tokens) per user per app; the next login revokes the oldest (its help also says the least recently used), which is often the production integration's.",
        ["Revoke the grants nobody uses: Setup > Users > [API user] > OAuth Connected Apps (or Setup > Connected Apps OAuth Usage > [app] > the user > Revoke).", "Do not authorize the integration user from new places (testing tools, colleagues' laptops); give tools their own user.", "sagediag revokes the tokens it obtains at the end of a run."];
    LOGIN_HISTORY_FAILURE, Warning, "Login History shows failed logins sagediag has no finding for",
        "LoginHistory of the API user has failed attempts whose Status sagediag does not map to a finding (quoted in the finding).",
        "A rarer Salesforce login status; its words name the cause (Salesforce Help: EventLogFile Login event, LOGIN_STATUS).",
        ["Read the Status quoted in this finding and look it up in Salesforce Help (Login History status values).", "Setup > Users > [API user] > Login History lists each attempt with its time, source IP and application."];
    FIX_NOT_PERMITTED, Error, "The session may not assign permission sets",
        "sagediag fix applies nothing: the logged-in user lacks Assign Permission Sets (PermissionsAssignPermissionSets), or Salesforce answered INSUFFICIENT_ACCESS_OR_READONLY.",
        "The integration user rightly holds no admin permission; assigning a permission set needs a user with Assign Permission Sets (or Manage Users).",
        ["Run sagediag fix again with an admin's login: --admin-username ADMIN --admin-flow web (or password with SAGEDIAG_ADMIN_PASSWORD, or jwt with --admin-private-key).", "Or give the printed sf command to an admin: sf org assign permset --name SET --on-behalf-of USER --target-org ADMIN_ORG_ALIAS.", "Or Setup > Users > [API user] > Permission Set Assignments > Edit Assignments."];
    FIX_ALREADY_ASSIGNED, Info, "The permission set was already assigned",
        "Creating the PermissionSetAssignment answered DUPLICATE_VALUE.",
        "The set was assigned meanwhile (by an admin, or an earlier run), so nothing was changed.",
        ["Nothing to do; the re-run probe says whether the endpoint now answers."];
    FIX_LICENSE_MISSING, Error, "The permission set needs a licence the user lacks",
        "Creating the PermissionSetAssignment answered FIELD_INTEGRITY_EXCEPTION (the user license doesn't allow the permission).",
        "The permission set is tied to a user licence or a permission set license that the API user does not have.",
        ["Assign the permission set license first: sf org assign permsetlicense --name LICENSE --on-behalf-of USER (Setup > Users > [API user] > Permission Set License Assignments).", "Or give the API user a licence the set allows (Salesforce Integration with the Minimum Access - API Only Integrations profile, as Sage People documents), then run sagediag fix again."];
    FIX_PERMISSION_SET_NOT_FOUND, Error, "The permission set to assign is not in the org",
        "No PermissionSet has the set's label or name, or Salesforce answered INVALID_CROSS_REFERENCE_KEY / NOT_FOUND for its id.",
        "The Sage People API package is not installed (or an older version without per-endpoint sets), or the set was renamed.",
        ["Check Setup > Installed Packages for Sage People API, and Setup > Permission Sets for the set.", "Ask Sage People support to install or upgrade the Sage People API package."];
    FIX_GROUP_RECALCULATING, Warning, "A permission set group is being recalculated",
        "Assigning answered that the permission set group is being updated (its status is Updating).",
        "A change to the group (or a set in it) started a recalculation; until it ends the group cannot be assigned.",
        ["Wait for Setup > Permission Set Groups > [group] to show Status: Updated, then run sagediag fix again."];
    FIX_FAILED, Error, "A fix did not take effect",
        "A change sagediag made (or tried) was refused, or the re-run probe still fails after it.",
        "An error Salesforce answered while changing the org, or another cause of the probe's failure (see its own finding).",
        ["Read the request in the log (its id is listed) for what Salesforce answered.", "Fix the remaining finding as its own entry says, then run sagediag check again."];
    WATCH_LOGIN_FAILED, Error, "The watcher could not sign in to the org, or the org did not answer",
        "sagediag watch shows the org in state ERROR: the monitoring app's own login (JWT bearer or client credentials) was refused, or the org did not answer within the cycle's time-out.",
        "The monitoring app's consumer key, secret or certificate changed, the monitoring user was frozen or lost its permissions, the org is unreachable or hung, or a proxy answers instead of Salesforce. The integration itself may still work: the watcher cannot tell.",
        ["Read the detail: it names the flow, the host and what was answered.", "Check the monitoring External Client App: Setup > External Client Apps > External Client Apps Manager > [monitoring app] (its consumer key, the certificate for JWT, or the client credentials Run As user).", "Run the same login by hand: sagediag check --env ENV --flow jwt|client-credentials --client-id KEY --username MONITOR_USER --private-key KEY.pem", "Re-add the org with the right credentials: sagediag watch add NAME …"];
}

/// The fix of a code for an External Client App, where the Setup path differs from the
/// connected app's (External Client Apps Manager > [app] > Edit Policies / Edit Settings).
/// None: the catalog's fix holds for both kinds.
pub fn eca_fix(code: Code) -> Option<&'static [&'static str]> {
    Some(match code {
        Code::CLIENT_ID_INVALID => &[
            "Copy the key again from Setup > External Client Apps > External Client Apps Manager > [app] > Settings > OAuth Settings > Consumer Key and Secret (identity verification).",
            "Check that you log in to the org (production or sandbox) where the app lives: a sandbox copy or refresh does not copy a local External Client App.",
            "A new or edited app takes up to 20 minutes to become active: wait and retry.",
        ],
        Code::CLIENT_SECRET_INVALID => &[
            "Copy the secret from Setup > External Client Apps > External Client Apps Manager > [app] > Settings > OAuth Settings > Consumer Key and Secret.",
            "For a public client that holds no secret, untick Require secret for Web Server Flow and Require secret for Refresh Token Flow (External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Security). Integrations such as StackOne send the secret: keep them ticked there.",
        ],
        Code::REDIRECT_URI_MISMATCH => &[
            "Setup > External Client Apps > External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Callback URL: add the exact URL, one per line.",
            "Save, then wait up to 10 minutes for the change to take effect.",
        ],
        Code::PKCE_REQUIRED => &[
            "Setup > External Client Apps > External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Security: untick Require Proof Key for Code Exchange (PKCE) extension for Supported Authorization Flows.",
            "Also check Setup > Identity > OAuth and OpenID Connect Settings: the org-wide PKCE requirement applies to all apps.",
            "Or use a client that sends a code challenge.",
        ],
        Code::CONSENT_DENIED => &[
            "Log in again and click Allow.",
            "To skip consent, set Permitted Users to \"Admin approved users are pre-authorized\" and link a permission set the user holds (External Client Apps Manager > [app] > Edit Policies > OAuth Policies).",
        ],
        Code::USER_NOT_ADMIN_APPROVED => &[
            "Setup > External Client Apps > External Client Apps Manager > [app] > Edit Policies > OAuth Policies: under Select Permission Sets (or Select Profiles), add a permission set the API user holds (for Sage People, the Sage People API sets) or the user's profile.",
            "The broad alternative, Use Any API Client on the user, bypasses every app's pre-authorization: avoid it.",
        ],
        Code::USER_NOT_PREAUTHORIZED => &[
            "External Client Apps Manager > [app] > Edit Policies > OAuth Policies > Permitted Users: Admin approved users are pre-authorized; then link a permission set or profile the user holds.",
            "Or log in once with the web flow as that user and approve the app.",
        ],
        Code::IP_RESTRICTED => &[
            "External Client Apps Manager > [app] > Edit Policies > OAuth Policies > IP Relaxation: Relax IP restrictions (or relax for refresh tokens).",
            "Or add this machine's address to Setup > Profiles > [profile] > Login IP Ranges.",
            "If the app has Enforce Refresh Token IP Allowlist on (External Client Apps Manager > [app] > Edit Settings), the web-server and refresh-token flows are blocked outright from outside its ranges: add the integration's egress range there (Salesforce's answer for that block is not documented; sagediag reads it as an IP refusal only if it says so).",
        ],
        Code::CLIENT_CREDENTIALS_NO_RUN_AS_USER => &[
            "External Client Apps Manager > [app] > Edit Policies > OAuth Policies > OAuth Flows and External Client App Enhancements > Enable Client Credentials Flow > Run As (Username): choose the API user (it needs API Only).",
        ],
        Code::GRANT_TYPE_NOT_ENABLED => &[
            "External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Flow Enablement: tick Enable Client Credentials Flow / Enable for Device Flow / Enable JWT Bearer Flow (with the certificate) as needed; for client credentials also Edit Policies > OAuth Flows: enable it and choose the Run As user.",
        ],
        Code::JWT_ASSERTION_INVALID => &[
            "Upload the certificate of this private key under External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Flow Enablement > Enable JWT Bearer Flow.",
            "Sign with RS256; claims iss = consumer key, sub = username, aud = login host, exp = now + up to 3 minutes.",
        ],
        Code::SCOPE_NOT_ALLOWED => &[
            "External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Selected OAuth Scopes: add every scope the integration requests (Manage user data via APIs (api); Perform requests at any time (refresh_token, offline_access)).",
            "Or request only the scopes the app has (sagediag: --scope).",
            "Log in again after the change; wait up to 10 minutes for an edited app.",
        ],
        Code::REFRESH_TOKEN_MISSING => &[
            "External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Selected OAuth Scopes: add Perform requests at any time (refresh_token, offline_access).",
            "Request scope refresh_token (or offline_access) at authorize; Nango sends offline_access.",
            "Log in again after the change: existing grants keep their old scopes.",
        ],
        Code::API_SCOPE_MISSING => &[
            "External Client Apps Manager > [app] > Edit Settings > OAuth Settings > Selected OAuth Scopes: add Manage user data via APIs (api).",
            "Request scope api at authorize, then log in again.",
        ],
        Code::REFRESH_TOKEN_EXPIRED => &[
            "External Client Apps Manager > [app] > Edit Policies > OAuth Policies > Refresh Token Policy: Refresh token is valid until revoked.",
            "With refresh token rotation on (Edit Settings > OAuth Settings > Security), store the new refresh token each refresh returns.",
            "Log in again to get a new refresh token.",
        ],
        Code::REFRESH_POLICY_EXPIRES => &[
            "External Client Apps Manager > [app] > Edit Policies > OAuth Policies > Refresh Token Policy: Refresh token is valid until revoked (recommended by Sage People integrations).",
        ],
        Code::GRANT_CAP_CONSENT_NEEDED => &[
            "Revoke a stale grant first: Setup > Users > [API user] > OAuth Apps > Revoke (or, as an admin, send the grant's OauthToken.DeleteToken to /services/oauth2/revoke).",
            "Or log in as another user, or run again with --allow-grant-eviction (the console asks) knowing which grant goes.",
        ],
        Code::REFRESH_TOKEN_EXPIRING => &[
            "Make the integration refresh (or call the API) at least once within the period, e.g. a scheduled daily call.",
            "Or change the policy: External Client Apps Manager > [app] > Edit Policies > OAuth Policies > Refresh Token Policy: Refresh token is valid until revoked.",
        ],
        Code::GRANT_CAP_RISK => &[
            "Revoke the grants nobody uses: Setup > Users > [API user] > OAuth Apps (or, as an admin with Manage Users, DELETE the grant through the OAuth Usage API, /services/data/vXX.X/apps/oauth/usage/tokens/{tokenId}).",
            "Do not authorize the integration user from new places (testing tools, colleagues' laptops); give tools their own user.",
            "sagediag revokes the tokens it obtains at the end of a run.",
        ],
        Code::SESSION_LEVEL_REQUIRED => &[
            "Log in with multi-factor authentication, or",
            "External Client Apps Manager > [app] > Edit Policies > App Policies / Session Policies: remove the High Assurance requirement for a headless integration user.",
        ],
        Code::DEVICE_FLOW_PENDING => &[
            "Open the verification URL shown, log in, enter the user code and click Allow, within 10 minutes.",
            "Check that the External Client App has Enable for Device Flow ticked and Require secret for Refresh Token Flow unticked (Edit Settings > OAuth Settings).",
        ],
        Code::CREDENTIAL_FORMAT => &[
            "Copy the value again from External Client Apps Manager > [app] > Settings > OAuth Settings > Consumer Key and Secret; a consumer key usually starts with 3MVG and is 85 characters long.",
        ],
        Code::SIGNATURE_INVALID => &[
            "Check the consumer secret under External Client Apps Manager > [app] > Settings > OAuth Settings > Consumer Key and Secret.",
        ],
        Code::APP_NOT_INSTALLED => &[
            "A packaged External Client App must be installed in the org: install its package (Setup > Installed Packages), or create a local one (External Client Apps Manager > New External Client App).",
        ],
        // Salesforce as it answers in 2026, and the kind's words for every fix.
        Code::APP_BLOCKED => &[
            "Setup > External Client Apps > External Client Apps Manager > [app]: check the app is enabled (not blocked) for this org; an admin who blocked it on the OAuth usage page (Setup > Quick Find \"OAuth Usage\") unblocks it there.",
            "With API Access Control, allow the app for the user's profile or permission set (External Client Apps Manager > [app] > Edit Policies), or grant Use Any API Client.",
        ],
        Code::OAUTH_INVALID_GRANT_OTHER => &[
            "Read Salesforce's description in this finding, and Setup > Users > [API user] > Login History for the failed attempt's status.",
            "Web-server flow: log in again and exchange the new code once, at once. Refresh: log in again for a new refresh token. JWT: check the certificate, iss, sub, aud and exp.",
            "Check that the user is active and allowed on the External Client App (External Client Apps Manager > [app] > Edit Policies > OAuth Policies: permitted users, linked permission sets and profiles).",
        ],
        Code::OAUTH_ERROR_OTHER => &[
            "Read Salesforce's error and description in this finding and search them in Salesforce Help (Identify Your Users and Manage Access > OAuth 2.0 Authorization Errors).",
            "Check Setup > Users > [API user] > Login History for the attempt's status.",
            "Check the External Client App: Setup > External Client Apps > External Client Apps Manager > [app] > Settings and Policies.",
        ],
        Code::API_DISABLED_FOR_USER => &[
            "Setup > Permission Sets > New (or an existing set) > System Permissions > Edit: tick API Enabled; save.",
            "Assign that set: Setup > Users > [API user] > Permission Set Assignments > Edit Assignments.",
            "With API Access Control on, also allow the External Client App for the user (or grant Use Any API Client).",
        ],
        Code::SESSION_INVALID => &[
            "Refresh the token or log in again.",
            "Use the instance_url returned with the token.",
            "Check the session timeout under External Client Apps Manager > [app] > Edit Policies > App Policies / Session Policies > Timeout Value.",
        ],
        _ => return None,
    })
}

/// The title of a code for an External Client App, where the catalog's names the connected
/// app. None: the catalog's title holds for both kinds.
pub fn eca_title(code: Code) -> Option<&'static str> {
    Some(match code {
        Code::REDIRECT_URI_MISMATCH => {
            "The callback URL is not registered on the External Client App"
        }
        Code::PKCE_REQUIRED => {
            "The External Client App requires PKCE but no code challenge was sent"
        }
        Code::APP_NOT_INSTALLED => "The External Client App is not installed in the org",
        Code::APP_BLOCKED => "The External Client App is blocked in this org",
        Code::GRANT_TYPE_NOT_ENABLED => "This OAuth flow is not enabled on the External Client App",
        _ => return None,
    })
}

impl Code {
    /// The code's catalog entry (every code has one: the enum is generated from the catalog).
    pub fn info(self) -> &'static CodeInfo {
        // `Code::ALL` and `CATALOG` are generated in the same order.
        &CATALOG[self as usize]
    }

    /// The code named `s`, if there is one.
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A code's catalog entry.
pub fn info(code: Code) -> &'static CodeInfo {
    code.info()
}

impl Finding {
    /// A finding of a catalogued code, with what was seen.
    pub fn new(code: Code, detail: impl Into<String>, request_ids: Vec<u64>) -> Finding {
        let i = code.info();
        Finding {
            code: i.code,
            severity: i.severity,
            title: i.title.to_string(),
            detail: detail.into(),
            fix: i.fix.iter().map(|s| s.to_string()).collect(),
            request_ids,
            subject: None,
            source: None,
            record: None,
        }
    }

    /// The same finding, its evidence from the org's record rather than this run's requests.
    pub fn from_record(mut self, source: &'static str, record: Option<RecordEvidence>) -> Finding {
        self.source = Some(source);
        self.record = record;
        self
    }

    /// The same finding, about one thing (e.g. a permission set).
    pub fn about(mut self, subject: impl Into<String>) -> Finding {
        self.subject = Some(subject.into());
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Finding {
        self.detail = detail.into();
        self
    }

    pub fn titled(mut self, title: impl Into<String>) -> Finding {
        self.title = title.into();
        self
    }

    pub fn severity(mut self, s: Severity) -> Finding {
        self.severity = s;
        self
    }
}

/// `docs/troubleshooting.md`, generated from the catalog (a test keeps the file in step).
pub fn troubleshooting_markdown() -> String {
    let mut out = String::from(
        "# Troubleshooting: every finding\n\nGenerated from `src/engine/findings.rs` (`cargo test` checks this file is current).\nEach finding sagediag raises has a stable code; the console and `sagediag check` show the same text.\nWhich Salesforce OAuth error or REST error code leads to which finding, with sources: [oauth-errors.md](oauth-errors.md).\n",
    );
    for c in CATALOG {
        let _ = write!(
            out,
            "\n## `{}` — {}\n\n- **Severity:** {:?}\n- **Symptom:** {}\n- **Cause:** {}\n- **Evidence:** the requests listed with the finding (`request_ids`), whose raw responses are in the request log.\n- **Fix:**\n",
            c.code, c.title, c.severity, c.symptom, c.cause
        );
        for (i, step) in c.fix.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", i + 1, step);
        }
        if let Some(title) = eca_title(c.code) {
            let _ = writeln!(out, "- **Title for an External Client App:** {title}");
        }
        if let Some(eca) = eca_fix(c.code) {
            out.push_str("- **Fix for an External Client App** (the fix above is the connected app's; before login, when sagediag cannot tell the kind, the finding lists both):\n");
            for (i, step) in eca.iter().enumerate() {
                let _ = writeln!(out, "  {}. {}", i + 1, step);
            }
        }
    }
    out
}
