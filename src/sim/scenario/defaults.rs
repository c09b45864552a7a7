//! What a scenario leaves out.

use super::*;

impl Default for Scenario {
    fn default() -> Self {
        Self {
            name: "custom".into(),
            description: String::new(),
            pitfall: String::new(),
            org: OrgConfig::default(),
            app: AppConfig::default(),
            users: vec![UserConfig::default()],
            data: DataConfig::default(),
            faults: FaultConfig::default(),
            shapes: ShapeConfig::default(),
            answers: Default::default(),
            login_history: Vec::new(),
            oauth_tokens: Vec::new(),
        }
    }
}

impl Default for OrgConfig {
    fn default() -> Self {
        Self {
            id: "00D5g000004XyZa".into(),
            my_domain: "acme-hr".into(),
            kind: OrgKind::Production,
            api_enabled: true,
            daily_api_allocation: 100_000,
            api_used: 1_250,
            package_installed: true,
            package_version: "4.8.0.2".into(),
            sage_api_version: "4.8".into(),
            session_timeout_secs: 7_200,
            username_password_flow: true,
            login_rate_per_hour: 3_600,
            api_version: "67.0".into(),
            device_interval_secs: 5,
            device_auto_approve_after_polls: 2,
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            kind: AppKind::ConnectedApp,
            created_date: "2026-05-04".into(),
            preauthorized_permission_sets: Vec::new(),
            preauthorized_profiles: Vec::new(),
            ip_relaxation: IpRelaxation::Enforce,
            name: "Sage People Integration".into(),
            consumer_key:
                "3MVG9SimulatedOrgSagePeopleIntegrationConsumerKey0123456789abcdefghijklmnopqrstuv"
                    .into(),
            consumer_secret: "5A1D4E7C9B2F8E3A6D0C4B7E1F9A2D5C8B3E6F0A1D4C7B9E2F5A8D1C4B7E0F3A"
                .into(),
            callback_urls: vec![
                "http://localhost:1717/OauthRedirect".into(),
                "https://api.stackone.com/connect/oauth2/sagepeople/callback".into(),
                "https://api.nango.dev/oauth/callback".into(),
            ],
            scopes: vec![
                "api".into(),
                "refresh_token".into(),
                "offline_access".into(),
                "openid".into(),
                "web".into(),
            ],
            require_pkce: false,
            require_secret_web_server: true,
            require_secret_refresh: true,
            refresh_token_policy: RefreshPolicy::UntilRevoked,
            refresh_token_validity_hours: 0,
            refresh_token_rotation: false,
            permitted_users: PermittedUsers::AllUsers,
            installed: true,
            device_flow: true,
            client_credentials_flow: true,
            client_credentials_run_as: "integration@acme-hr.example".into(),
            jwt_public_key: Some(DEMO_JWT_PUBLIC_KEY.into()),
            introspect_all_tokens: false,
            share_secret: true,
        }
    }
}

impl Default for UserConfig {
    fn default() -> Self {
        Self {
            id: String::new(),
            username: "integration@acme-hr.example".into(),
            password: "Demo-Passw0rd!".into(),
            security_token: None,
            first_name: "Integration".into(),
            last_name: "User".into(),
            email: "integration@acme-hr.example".into(),
            active: true,
            api_enabled: true,
            view_setup: true,
            permission_sets: PERMISSION_SETS
                .iter()
                .map(|p| p.label.to_string())
                .collect(),
            permission_sets_via_group: Vec::new(),
            pre_authorized: true,
            use_any_api_client: false,
            auto_approve: true,
            denies_consent: false,
            ip_restricted: false,
            password_expired: false,
            assign_permission_sets: false,
            lacks_license_for: Vec::new(),
            frozen: false,
            manage_users: false,
            view_all_users: false,
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            employees: 300,
            salaries_per_employee: 1,
            bonuses_per_employee: 1,
            absences_per_employee: 2,
            absence_balances_per_employee: 1,
            timesheets_per_employee: 2,
            page_size: 200,
            leaver_percent: 8,
            missing_email_percent: 2,
            duplicate_email_percent: 1,
            absence_balance_calculation: true,
        }
    }
}

impl Default for ShapeConfig {
    fn default() -> Self {
        Self {
            missing_permission_status: 403,
            missing_permission_category: "REQUEST_ERROR".into(),
            missing_permission_message: "The user does not have the {label} permission set".into(),
            invalid_marker_status: 400,
            api_currently_disabled_status: 403,
            api_disabled_for_user_code: "API_DISABLED_FOR_ORG".into(),
            login_rate_error: "invalid_grant".into(),
            login_rate_description: "login rate exceeded".into(),
            refresh_secret_error: "invalid_client".into(),
            refresh_secret_description: "invalid client credentials".into(),
            eca_policies_queryable: true,
            eca_security_fields: true,
        }
    }
}
