//! The `metadata` fixes: the connected app's (or External Client App's) metadata element to
//! change for a finding, with the retrieve and deploy commands around it.

use super::app::AppKind;
use super::findings::Code;
use super::fix::MetadataChange;

/// The metadata change that fixes `code` for an app of `kind` (None: not a metadata fix).
pub fn metadata_for(code: Code, kind: AppKind) -> Option<MetadataChange> {
    if kind == AppKind::ExternalClientApp {
        return eca_metadata_for(code);
    }
    let element = match code {
        Code::PKCE_REQUIRED => "<oauthConfig><isPkceRequired>false</isPkceRequired></oauthConfig>",
        Code::REDIRECT_URI_MISMATCH => {
            "<oauthConfig><callbackUrl>…existing lines…\nTHE_INTEGRATION_CALLBACK</callbackUrl></oauthConfig>"
        }
        Code::REFRESH_POLICY_EXPIRES => {
            "<oauthPolicy><refreshTokenPolicy>infinite</refreshTokenPolicy></oauthPolicy>"
        }
        Code::REFRESH_TOKEN_MISSING | Code::API_SCOPE_MISSING => {
            "<oauthConfig><scopes>Api</scopes><scopes>RefreshToken</scopes>…</oauthConfig>"
        }
        Code::CLIENT_CREDENTIALS_NO_RUN_AS_USER => {
            "<oauthConfig><isClientCredentialEnabled>true</isClientCredentialEnabled><oauthClientCredentialUser>API_USERNAME</oauthClientCredentialUser></oauthConfig>"
        }
        _ => return None,
    };
    Some(MetadataChange {
        file: "force-app/main/default/connectedApps/APP.connectedApp-meta.xml".into(),
        element: element.into(),
        retrieve: "sf project retrieve start --metadata ConnectedApp:APP --target-org ADMIN".into(),
        deploy: "sf project deploy start --metadata ConnectedApp:APP --target-org ADMIN".into(),
    })
}

/// An External Client App's metadata for a code: its settings and policies are three types of
/// their own (docs/external-client-apps.md), never `ConnectedApp`.
fn eca_metadata_for(code: Code) -> Option<MetadataChange> {
    // (type, folder, suffix, element)
    let (ty, folder, suffix, element) = match code {
        Code::PKCE_REQUIRED => (
            "ExtlClntAppGlobalOauthSettings",
            "extlClntAppGlobalOauthSets",
            "ecaGlblOauth",
            "<isPkceRequired>false</isPkceRequired>",
        ),
        Code::REDIRECT_URI_MISMATCH => (
            "ExtlClntAppGlobalOauthSettings",
            "extlClntAppGlobalOauthSets",
            "ecaGlblOauth",
            "<callbackUrl>…existing lines…\nTHE_INTEGRATION_CALLBACK</callbackUrl>",
        ),
        Code::REFRESH_POLICY_EXPIRES => (
            "ExtlClntAppOauthConfigurablePolicies",
            "extlClntAppOauthPolicies",
            "ecaOauthPlcy",
            "<refreshTokenPolicyType>Infinite</refreshTokenPolicyType>",
        ),
        Code::REFRESH_TOKEN_MISSING | Code::API_SCOPE_MISSING => (
            "ExtlClntAppOauthSettings",
            "extlClntAppOauthSettings",
            "ecaOauth",
            "<commaSeparatedOauthScopes>Api, RefreshToken, …</commaSeparatedOauthScopes>",
        ),
        Code::CLIENT_CREDENTIALS_NO_RUN_AS_USER => (
            "ExtlClntAppOauthConfigurablePolicies",
            "extlClntAppOauthPolicies",
            "ecaOauthPlcy",
            "<isClientCredentialsFlowEnabled>true</isClientCredentialsFlowEnabled><clientCredentialsFlowUser>API_USERNAME</clientCredentialsFlowUser>",
        ),
        _ => return None,
    };
    Some(MetadataChange {
        file: format!("force-app/main/default/{folder}/APP.{suffix}-meta.xml"),
        element: element.into(),
        retrieve: format!("sf project retrieve start --metadata {ty}:APP --target-org ADMIN"),
        deploy: format!("sf project deploy start --metadata {ty}:APP --target-org ADMIN"),
    })
}
