//! The org's queryable objects as SOQL tables, as the caller may see them: users, profiles,
//! permission sets and their assignments, the installed packages (Tooling), the External Client
//! App objects. REST queries, sObjects, the CLI's calls and the Sage People API read them.

use serde_json::{Value, json};

use super::crypto::sf_id18;
use super::scenario::{
    AppKind, PERMISSION_SETS, PermissionSetDef, PermittedUsers, RefreshPolicy,
    parse_package_version,
};
use super::soql::Table;
use super::state::Org;

/// The "Date Assigned" (SystemModstamp) of the assignments a scenario starts with.
const SCENARIO_ASSIGNED: &str = "2025-01-06T09:00:00.000+0000";

pub fn permset_id(i: usize) -> String {
    sf_id18(&format!("0PS5g00000{:05}", 20_000 + i))
}

fn profile_permset_id(user: usize) -> String {
    sf_id18(&format!("0PS5g00000{:05}", 10_000 + user))
}

/// The org's queryable objects as the caller may see them. Setup objects need "View Setup and
/// Configuration"; without it Salesforce answers as if the object did not exist.
pub fn tables(org: &Org, caller: usize, tooling: bool) -> Vec<Table> {
    let sc = &org.scenario;
    let sees_setup = org.user(caller).view_setup;
    if tooling {
        if !sees_setup {
            return Vec::new();
        }
        let mut rows = vec![json!({
            "Id": "0A35g0000008OaAAAU", "SubscriberPackageId": "0330X000000ShcBQAS",
            "SubscriberPackage": {"__type": "SubscriberPackage", "Id": "0330X000000ShcBQAS", "NamespacePrefix": "fHCM2", "Name": "Sage People HCM"},
            "SubscriberPackageVersion": {"__type": "SubscriberPackageVersion", "Id": "04t0X000001hYvEQAU", "Name": "Winter 26", "MajorVersion": 26, "MinorVersion": 3, "PatchVersion": 0, "BuildNumber": 4},
        })];
        if sc.org.package_installed {
            let [major, minor, patch, build] =
                parse_package_version(&sc.org.package_version).unwrap_or([4, 8, 0, 0]);
            rows.push(json!({
                "Id": "0A35g0000008ObBAAU", "SubscriberPackageId": "0330X000000SpApQAS",
                "SubscriberPackage": {"__type": "SubscriberPackage", "Id": "0330X000000SpApQAS", "NamespacePrefix": "spapi", "Name": "Sage People API"},
                "SubscriberPackageVersion": {"__type": "SubscriberPackageVersion", "Id": "04t0X000001SpApQAS", "Name": format!("API {major}.{minor}"), "MajorVersion": major, "MinorVersion": minor, "PatchVersion": patch, "BuildNumber": build},
            }));
        }
        return vec![Table {
            name: "InstalledSubscriberPackage",
            fields: &[
                "Id",
                "SubscriberPackageId",
                "SubscriberPackage.Id",
                "SubscriberPackage.NamespacePrefix",
                "SubscriberPackage.Name",
                "SubscriberPackageVersion.Id",
                "SubscriberPackageVersion.Name",
                "SubscriberPackageVersion.MajorVersion",
                "SubscriberPackageVersion.MinorVersion",
                "SubscriberPackageVersion.PatchVersion",
                "SubscriberPackageVersion.BuildNumber",
            ],
            rows,
        }];
    }
    let users: Vec<Value> = (0..sc.users.len())
        .map(|i| {
            let u = &sc.users[i];
            json!({
                "Id": org.user_id18(i), "Username": u.username, "Name": format!("{} {}", u.first_name, u.last_name),
                "FirstName": u.first_name, "LastName": u.last_name, "Email": u.email, "IsActive": u.active,
                "UserType": "Standard", "ProfileId": profile_id(i),
                "Profile": {"__type": "Profile", "Id": profile_id(i), "Name": "Minimum Access - API Only Integrations",
                            "UserLicense": {"__type": "UserLicense", "Id": "1005g000000XyZaAAK", "Name": "Salesforce Integration"}},
            })
        })
        .collect();
    let mut out = vec![Table {
        name: "User",
        fields: &[
            "Id",
            "Username",
            "Name",
            "FirstName",
            "LastName",
            "Email",
            "IsActive",
            "UserType",
            "ProfileId",
            "Profile.Id",
            "Profile.Name",
            "Profile.UserLicense.Name",
        ],
        rows: users,
    }];
    let licence = |ns: &str, used: usize| {
        json!({"Id": format!("0500X0000000{ns}AAA"), "NamespacePrefix": ns, "Status": "Active", "ExpirationDate": null,
               "AllowedLicenses": -1, "UsedLicenses": used, "IsProvisioned": true})
    };
    let mut licences = vec![licence("fHCM2", sc.users.len())];
    if sc.org.package_installed {
        licences.push(licence("spapi", sc.users.len()));
    }
    out.push(Table {
        name: "PackageLicense",
        fields: &[
            "Id",
            "NamespacePrefix",
            "Status",
            "ExpirationDate",
            "AllowedLicenses",
            "UsedLicenses",
            "IsProvisioned",
        ],
        rows: licences,
    });
    let kind = match sc.org.kind {
        super::scenario::OrgKind::Production => false,
        super::scenario::OrgKind::Sandbox => true,
    };
    out.push(Table {
        name: "Organization",
        fields: &[
            "Id",
            "Name",
            "OrganizationType",
            "IsSandbox",
            "InstanceName",
            "NamespacePrefix",
            "LanguageLocaleKey",
            "TimeZoneSidKey",
            "DefaultLocaleSidKey",
            "TrialExpirationDate",
        ],
        rows: vec![json!({
            "Id": org.org_id18(), "Name": sc.org.my_domain, "OrganizationType": "Enterprise Edition",
            "IsSandbox": kind, "InstanceName": "SIM1", "NamespacePrefix": null, "LanguageLocaleKey": "en_US",
            "TimeZoneSidKey": "Europe/London", "DefaultLocaleSidKey": "en_GB",
            // null but in a trial org (the Salesforce CLI reads it in its background calls).
            "TrialExpirationDate": null,
        })],
    });
    out.push(Table {
        name: "Profile",
        fields: &["Id", "Name", "UserType", "UserLicenseId"],
        rows: (0..sc.users.len())
            .map(|i| {
                json!({"Id": profile_id(i), "Name": "Minimum Access - API Only Integrations",
                       "UserType": "Standard", "UserLicenseId": "1005g000000XyZaAAK"})
            })
            .collect(),
    });
    out.push(Table {
        name: "Account",
        fields: &[
            "Id",
            "Name",
            "Type",
            "Industry",
            "BillingCountry",
            "CreatedDate",
            "OwnerId",
        ],
        rows: vec![
            json!({"Id": sf_id18("0015g00000Acme1"), "Name": "Acme HR Ltd", "Type": "Customer", "Industry": "Technology",
                   "BillingCountry": "United Kingdom", "CreatedDate": "2024-03-04T09:00:00.000+0000", "OwnerId": org.user_id18(0)}),
            json!({"Id": sf_id18("0015g00000Acme2"), "Name": "Société Générale d'Exemple", "Type": "Partner", "Industry": "Banking",
                   "BillingCountry": "France", "CreatedDate": "2026-11-01T12:30:00.000+0000", "OwnerId": org.user_id18(0)}),
        ],
    });
    // Every user reads their own record; Manage Users reads everyone's.
    out.extend(org.record_tables(caller));
    if !sees_setup {
        return out;
    }
    let set_row = |i: usize| {
        let p = &PERMISSION_SETS[i];
        json!({"__type": "PermissionSet", "Id": permset_id(i), "Name": p.name, "Label": p.label, "IsOwnedByProfile": false,
               "ProfileId": null, "NamespacePrefix": if sc.org.package_installed { json!("spapi") } else { Value::Null },
               "PermissionsApiEnabled": false, "PermissionsViewSetup": false, "PermissionsAssignPermissionSets": false, "Profile": null})
    };
    let profile_set = |user: usize| {
        let u = &sc.users[user];
        json!({"__type": "PermissionSet", "Id": profile_permset_id(user), "Name": format!("X00e5g000000{:03}", user),
               "Label": "Minimum Access - API Only Integrations", "IsOwnedByProfile": true, "ProfileId": profile_id(user),
               "NamespacePrefix": null, "PermissionsApiEnabled": u.api_enabled, "PermissionsViewSetup": u.view_setup,
               "PermissionsAssignPermissionSets": u.assign_permission_sets,
               "Profile": {"__type": "Profile", "Id": profile_id(user), "Name": "Minimum Access - API Only Integrations"}})
    };
    let mut sets: Vec<Value> = if sc.org.package_installed {
        (0..PERMISSION_SETS.len()).map(set_row).collect()
    } else {
        Vec::new()
    };
    sets.extend((0..sc.users.len()).map(profile_set));
    let mut assignments = Vec::new();
    for ui in 0..sc.users.len() {
        let mut assign = |set: Value, n: usize| {
            assignments.push(json!({
                "Id": sf_id18(&format!("0Pa5g0000{:03}{:03}", ui, n)), "AssigneeId": org.user_id18(ui),
                "PermissionSetId": set["Id"], "PermissionSetGroupId": null, "IsActive": true, "ExpirationDate": null,
                "SystemModstamp": SCENARIO_ASSIGNED, "PermissionSet": set,
            }));
        };
        assign(profile_set(ui), 0);
    }
    if sc.org.package_installed {
        // The Sage People sets' rows as they are now (`sagediag fix` creates and deletes them).
        let current = org.lock().assignments.clone();
        for a in current {
            let set = set_row(a.set);
            let stamp = a
                .assigned_ms
                .map_or_else(|| SCENARIO_ASSIGNED.to_string(), super::soql::datetime);
            assignments.push(json!({
                "Id": a.id, "AssigneeId": org.user_id18(a.user),
                "PermissionSetId": set["Id"], "PermissionSetGroupId": null, "IsActive": true, "ExpirationDate": null,
                "SystemModstamp": stamp, "PermissionSet": set,
            }));
        }
    }
    out.push(Table {
        name: "PermissionSet",
        fields: &[
            "Id",
            "Name",
            "Label",
            "IsOwnedByProfile",
            "ProfileId",
            "NamespacePrefix",
            "PermissionsApiEnabled",
            "PermissionsViewSetup",
            "PermissionsAssignPermissionSets",
            "Profile.Name",
        ],
        rows: sets.clone(),
    });
    out.push(Table {
        name: "PermissionSetAssignment",
        fields: &[
            "Id",
            "AssigneeId",
            "PermissionSetId",
            "PermissionSetGroupId",
            "IsActive",
            "ExpirationDate",
            "SystemModstamp",
            "PermissionSet.Id",
            "PermissionSet.Name",
            "PermissionSet.Label",
            "PermissionSet.IsOwnedByProfile",
            "PermissionSet.NamespacePrefix",
            "PermissionSet.PermissionsApiEnabled",
            "PermissionSet.PermissionsAssignPermissionSets",
            "PermissionSet.Profile.Name",
        ],
        rows: assignments,
    });
    let app = &sc.app;
    // How "valid until revoked" and "expire immediately" show in these fields is not
    // documented: modelled as no period, and a period of 0.
    let (metric, period) = match app.refresh_token_policy {
        RefreshPolicy::UntilRevoked => (false, Value::Null),
        RefreshPolicy::ExpireImmediately => (false, json!(0)),
        RefreshPolicy::ExpireIfUnused => (true, json!(app.refresh_token_validity_hours)),
        RefreshPolicy::ExpireAfter => (false, json!(app.refresh_token_validity_hours)),
    };
    let created = format!("{}T09:00:00.000+0000", app.created_date);
    {
        out.push(Table {
            name: "ConnectedApplication",
            fields: &[
                "Id", "Name", "OptionsAllowAdminApprovedUsersOnly", "OptionsRefreshTokenValidityMetric",
                "RefreshTokenValidityPeriod", "OptionsHasSessionLevelPolicy", "MobileSessionTimeout", "StartUrl",
                "CreatedDate",
            ],
            rows: [json!({
                "Id": "0H45g000000XyZaCAK", "Name": app.name,
                "OptionsAllowAdminApprovedUsersOnly": app.permitted_users == PermittedUsers::AdminApproved,
                "OptionsRefreshTokenValidityMetric": metric, "RefreshTokenValidityPeriod": period,
                "OptionsHasSessionLevelPolicy": false, "MobileSessionTimeout": null, "StartUrl": null,
                "CreatedDate": created,
            })]
            .into_iter()
            .filter(|_| app.kind == AppKind::ConnectedApp)
            .collect(),
        });
    }
    // Every org of API 59.0+ has the ECA objects; they hold rows only for an ECA.
    let mut eca = eca_tables(org, &sets, &created);
    if app.kind != AppKind::ExternalClientApp {
        for t in &mut eca {
            t.rows.clear();
        }
    }
    out.extend(eca);
    out
}

/// The ECA's id (the key prefix of ExternalClientApplication is not documented: a guess).
pub(super) const ECA_ID: &str = "0xI5g000000XyZaEAK";

/// An External Client App as an admin's standard SOQL sees it: the header
/// (`ExternalClientApplication`, seen queried by public tools), its OAuth policies
/// (`ExtlClntAppOauthPlcyCnfg`, likewise; behind `shapes.eca_policies_queryable`), its OAuth
/// settings (`ExtlClntAppOauthSettings`: scope booleans seen in public tools; the security
/// switches behind `shapes.eca_security_fields` are a guess) and the permission sets and
/// profiles linked to its policies (`SetupEntityAccess`, `SetupEntityId` = the app's id).
fn eca_tables(org: &Org, sets: &[Value], created: &str) -> Vec<Table> {
    let sc = &org.scenario;
    let app = &sc.app;
    let mut out = vec![Table {
        name: "ExternalClientApplication",
        fields: &[
            "Id",
            "MasterLabel",
            "DeveloperName",
            "DistributionState",
            "NamespacePrefix",
            "CreatedDate",
        ],
        rows: vec![json!({
            "Id": ECA_ID, "MasterLabel": app.name,
            "DeveloperName": app.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>(),
            "DistributionState": "Local", "NamespacePrefix": null, "CreatedDate": created,
        })],
    }];
    let (policy, period, unit) = match app.refresh_token_policy {
        RefreshPolicy::UntilRevoked => ("Infinite", Value::Null, Value::Null),
        RefreshPolicy::ExpireImmediately => ("Zero", Value::Null, Value::Null),
        RefreshPolicy::ExpireIfUnused => (
            "SpecificInactivity",
            json!(app.refresh_token_validity_hours),
            json!("Hours"),
        ),
        RefreshPolicy::ExpireAfter => (
            "SpecificLifetime",
            json!(app.refresh_token_validity_hours),
            json!("Hours"),
        ),
    };
    if sc.shapes.eca_policies_queryable {
        out.push(Table {
            name: "ExtlClntAppOauthPlcyCnfg",
            fields: if sc.shapes.eca_security_fields {
                &[
                    "Id",
                    "ExternalClientApplicationId",
                    "PermittedUsersPolicyType",
                    "RefreshTokenPolicyType",
                    "RefreshTokenValidityPeriod",
                    "RefreshTokenValidityUnit",
                    "IpRelaxationPolicyType",
                    "IsClientCredentialsFlowEnabled",
                    "ClientCredentialsFlowUser",
                ]
            } else {
                &[
                    "Id",
                    "ExternalClientApplicationId",
                    "PermittedUsersPolicyType",
                    "RefreshTokenPolicyType",
                    "RefreshTokenValidityPeriod",
                    "RefreshTokenValidityUnit",
                    "IpRelaxationPolicyType",
                ]
            },
            rows: vec![json!({
                "Id": "0xP5g000000XyZaEAK", "ExternalClientApplicationId": ECA_ID,
                "PermittedUsersPolicyType": if app.permitted_users == PermittedUsers::AdminApproved { "AdminApprovedPreAuthorized" } else { "AllSelfAuthorized" },
                "RefreshTokenPolicyType": policy, "RefreshTokenValidityPeriod": period, "RefreshTokenValidityUnit": unit,
                "IpRelaxationPolicyType": app.ip_relaxation.token(),
                "IsClientCredentialsFlowEnabled": app.client_credentials_flow,
                "ClientCredentialsFlowUser": if app.client_credentials_run_as.is_empty() { Value::Null } else { json!(app.client_credentials_run_as) },
            })],
        });
    }
    let has_refresh = app
        .scopes
        .iter()
        .any(|s| s == "refresh_token" || s == "offline_access");
    let mut settings = json!({
        "Id": "0xS5g000000XyZaEAK", "ExternalClientApplicationId": ECA_ID,
        "OauthScopesAPI": app.scopes.iter().any(|s| s == "api"),
        "OauthScopesREFRESH_TOKEN": has_refresh,
        "ClientAssertionCertificate": app.jwt_public_key.as_ref().map(|_| "-----BEGIN CERTIFICATE-----…"),
    });
    if sc.shapes.eca_security_fields
        && let Some(o) = settings.as_object_mut()
    {
        o.insert("IsPkceRequired".into(), json!(app.require_pkce));
        o.insert(
            "IsConsumerSecretOptional".into(),
            json!(!app.require_secret_web_server),
        );
        o.insert(
            "IsSecretRequiredForRefreshToken".into(),
            json!(app.require_secret_refresh),
        );
        o.insert(
            "IsRefreshTokenRotationEnabled".into(),
            json!(app.refresh_token_rotation),
        );
        o.insert(
            "IsClientCredentialsFlowEnabled".into(),
            json!(app.client_credentials_flow),
        );
    }
    const BASE: &[&str] = &[
        "Id",
        "ExternalClientApplicationId",
        "OauthScopesAPI",
        "OauthScopesREFRESH_TOKEN",
        "ClientAssertionCertificate",
    ];
    const SECURITY: &[&str] = &[
        "Id",
        "ExternalClientApplicationId",
        "OauthScopesAPI",
        "OauthScopesREFRESH_TOKEN",
        "ClientAssertionCertificate",
        "IsPkceRequired",
        "IsConsumerSecretOptional",
        "IsSecretRequiredForRefreshToken",
        "IsRefreshTokenRotationEnabled",
        "IsClientCredentialsFlowEnabled",
    ];
    out.push(Table {
        name: "ExtlClntAppOauthSettings",
        fields: if sc.shapes.eca_security_fields {
            SECURITY
        } else {
            BASE
        },
        rows: vec![settings],
    });
    // Permission sets (and profiles, through their profile-owned sets) linked to the policies.
    let mut access = Vec::new();
    for set in sets {
        let label = set["Label"].as_str().unwrap_or_default();
        let linked = if set["IsOwnedByProfile"] == true {
            app.preauthorized_profiles
                .iter()
                .any(|p| p.eq_ignore_ascii_case(label))
        } else {
            app.preauthorized_permission_sets
                .iter()
                .filter_map(|s| PermissionSetDef::lookup(s))
                .any(|d| d.label == label)
        };
        if linked {
            access.push(json!({
                "Id": sf_id18(&format!("0J05g00000{:05}", access.len())), "ParentId": set["Id"],
                "SetupEntityId": ECA_ID, "SetupEntityType": "ExternalClientApplication",
                "Parent": set,
            }));
        }
    }
    out.push(Table {
        name: "SetupEntityAccess",
        fields: &[
            "Id",
            "ParentId",
            "SetupEntityId",
            "SetupEntityType",
            "Parent.Id",
            "Parent.Name",
            "Parent.Label",
            "Parent.IsOwnedByProfile",
            "Parent.Profile.Name",
        ],
        rows: access,
    });
    out
}

fn profile_id(user: usize) -> String {
    sf_id18(&format!("00e5g00000{:05}", 30_000 + user))
}

/// Three-character key prefix and plural label of the objects the simulator has.
pub fn key_prefix(name: &str) -> &'static str {
    meta(name).0
}

pub(crate) fn meta(name: &str) -> (&'static str, &'static str) {
    match name {
        "User" => ("005", "Users"),
        "Organization" => ("00D", "Organizations"),
        "Profile" => ("00e", "Profiles"),
        "PermissionSet" => ("0PS", "Permission Sets"),
        "PermissionSetAssignment" => ("0Pa", "Permission Set Assignments"),
        "PackageLicense" => ("050", "Package Licenses"),
        "ConnectedApplication" => ("0H4", "Connected Apps"),
        "Account" => ("001", "Accounts"),
        "LoginHistory" => ("0Ya", "Login History"),
        "OauthToken" => ("0CR", "OAuth Tokens"),
        "UserLogin" => ("060", "User Logins"),
        _ => ("000", ""),
    }
}
