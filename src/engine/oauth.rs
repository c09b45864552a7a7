//! OAuth 2.0 through the `oauth2` crate: the authorize URL (PKCE S256, state), the code
//! exchange, refresh, password and client-credentials grants are built and sent by it, over the
//! engine's one recording client ([`Transport`]), so every request is logged and redacted like
//! any other. Salesforce's extra token fields (`instance_url`, `id`, `issued_at`, `signature`)
//! are typed extra fields of the token response.
//!
//! Diagnosis does not depend on oauth2's parse: the recorded raw answer of each exchange comes
//! back beside the typed result, and the classifier reads Salesforce's own words from it.
//!
//! Not through oauth2, because Salesforce's versions are not the standard ones: the device flow
//! (Salesforce asks `response_type=device_code` at the token endpoint and polls with
//! `grant_type=device&code=…`, not RFC 8628's grant and endpoint) and the JWT bearer grant
//! (oauth2 5 has no extension-grant request); both stay in `login.rs`.

use std::sync::Mutex;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields,
    HttpRequest, HttpResponse, RedirectUrl, StandardRevocableToken, StandardTokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::http::{self, Body, Failure, Request, Response};
use super::model::Config;

/// Salesforce's fields beside the standard ones in a token response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SalesforceFields {
    /// The org's instance (My Domain) URL: where the REST API is.
    pub instance_url: Option<String>,
    /// The identity URL (`…/id/ORG_ID/USER_ID`).
    pub id: Option<String>,
    /// Milliseconds since the epoch, as a string.
    pub issued_at: Option<String>,
    /// base64(HMAC-SHA256(consumer secret, id + issued_at)).
    pub signature: Option<String>,
}

impl ExtraTokenFields for SalesforceFields {}

/// A Salesforce token response, typed.
pub type TokenResponse = StandardTokenResponse<SalesforceFields, BasicTokenType>;

/// An oauth2 client for one Salesforce login host: authorize and token endpoints set, the
/// client authenticating in the request body as Salesforce documents.
pub type SalesforceClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// An endpoint or the redirect URI that is not a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {what} `{url}` is not a URL: {reason}")]
pub struct SetupError {
    pub what: &'static str,
    pub url: String,
    pub reason: String,
}

fn url_of<T>(
    what: &'static str,
    url: String,
    make: impl FnOnce(String) -> Result<T, url::ParseError>,
) -> Result<T, SetupError> {
    make(url.clone()).map_err(|e| SetupError {
        what,
        url,
        reason: e.to_string(),
    })
}

/// The oauth2 client for `base` (the login host) and the run's app.
pub fn client(cfg: &Config, base: &str) -> Result<SalesforceClient, SetupError> {
    let auth = url_of(
        "authorize URL",
        format!("{base}/services/oauth2/authorize"),
        AuthUrl::new,
    )?;
    let token = url_of(
        "token URL",
        format!("{base}/services/oauth2/token"),
        TokenUrl::new,
    )?;
    let redirect = url_of("redirect URI", cfg.redirect_uri(), RedirectUrl::new)?;
    let client = oauth2::Client::new(ClientId::new(cfg.client_id.clone()))
        .set_auth_uri(auth)
        .set_token_uri(token)
        .set_redirect_uri(redirect)
        .set_auth_type(AuthType::RequestBody);
    Ok(match &cfg.client_secret {
        Some(s) => client.set_client_secret(ClientSecret::new(s.clone())),
        None => client,
    })
}

/// The error oauth2 sees when the recording client could not get an answer.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub Failure);

/// oauth2's HTTP client: one exchange through the engine's recording client, kept for
/// diagnosis ([`Transport::into_exchange`]).
pub struct Transport {
    client: http::Client,
    last: Mutex<Option<(u64, Result<Response, Failure>)>>,
}

impl Transport {
    pub fn new(client: http::Client) -> Transport {
        Transport {
            client,
            last: Mutex::new(None),
        }
    }

    /// The recorded exchange: its log id and the raw response (or why there was none).
    pub fn into_exchange(self) -> (u64, Result<Response, Failure>) {
        self.last
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(|| {
                (
                    0,
                    Err(Failure::Other(
                        "the OAuth request could not be built (check the login URL)".into(),
                    )),
                )
            })
    }

    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (parts, body) = req.into_parts();
        let mut request = Request::get(parts.uri.to_string()).with_method(parts.method);
        for (name, value) in &parts.headers {
            // The recording client sets the content type of the form it sends.
            if name == oauth2::http::header::CONTENT_TYPE {
                continue;
            }
            if let Ok(v) = value.to_str() {
                request = request.header(name.as_str(), v);
            }
        }
        if !body.is_empty() {
            let form = url::form_urlencoded::parse(&body).into_owned().collect();
            request.body = Some(Body::Form(form));
        }
        let (id, result) = self.client.send(request).await;
        let answer = match &result {
            // Refused unread (no copy for oauth2 to parse): `login` names the field.
            Ok(r) if super::bounds::long_token_field(&r.body).is_some() => Err(TransportError(
                Failure::Other("a token response field is too long".into()),
            )),
            Ok(r) => {
                let mut builder = oauth2::http::Response::builder().status(r.status);
                for (k, v) in &r.headers {
                    builder = builder.header(k, v);
                }
                builder
                    .body(r.body.clone())
                    .map_err(|e| TransportError(Failure::Other(e.to_string())))
            }
            Err(f) => Err(TransportError(f.clone())),
        };
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((id, result));
        answer
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Transport {
    type Error = TransportError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_token_responses_parse_with_their_extra_fields() {
        let body = r#"{"access_token":"00Dx!AQ.tok","refresh_token":"5Aep","signature":"c2ln","scope":"refresh_token api","instance_url":"https://acme.my.salesforce.com","id":"https://login.salesforce.com/id/00Dx/005x","token_type":"Bearer","issued_at":"1700000000000"}"#;
        let t: TokenResponse = serde_json::from_str(body).unwrap();
        use oauth2::TokenResponse as _;
        assert_eq!(t.access_token().secret(), "00Dx!AQ.tok");
        assert_eq!(
            t.extra_fields().instance_url.as_deref(),
            Some("https://acme.my.salesforce.com")
        );
        assert_eq!(t.extra_fields().issued_at.as_deref(), Some("1700000000000"));
        assert_eq!(t.scopes().map(Vec::len), Some(2));
    }
}
