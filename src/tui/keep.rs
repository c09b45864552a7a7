//! Secrets kept (OS keyring, owner-only file) and recalled, the config file's defaults, and
//! profiles: the form's side of what outlives a session.

use super::form::{EnvChoice, Form, VaultKey, first_line, masked, text};
use super::msg::{Cmd, Effect, KeepWrite, VaultMsg};
use super::profile::Profile;
use super::screens::environment::EnvironmentScreen;
use super::state::Prefs;
use crate::engine::vault::{self, Keep, Kind, Vault};
use crate::engine::{Environment, Flow, Report};

/// Secrets kept and recalled, and profiles.
#[derive(Default)]
pub struct KeepState {
    pub vault: Vault,
    pub keyring: Option<Result<(), crate::engine::vault::VaultError>>,
    pub recalled_for: Option<VaultKey>,
    pub profiles: Vec<Profile>,
    pub profile_index: usize,
}

fn say(s: impl Into<String>) -> Cmd {
    Cmd::Say(s.into())
}

impl KeepState {
    /// Memory → OS keyring → owner-only file → memory; the keyring only where there is one.
    pub fn cycle_keep(&self, form: &mut Form) -> Vec<Cmd> {
        match form.keep {
            Keep::Memory => match &self.keyring {
                None => vec![Cmd::Effect(Effect::ProbeKeyring {
                    select: true,
                    vault: self.vault.clone(),
                })],
                Some(Ok(())) => {
                    form.keep = Keep::Keyring;
                    vec![say(format!(
                        "After a successful login the consumer secret and refresh token go to {}.",
                        self.vault.describe(Keep::Keyring)
                    ))]
                }
                Some(Err(_)) => self.keep_file(form),
            },
            Keep::Keyring => self.keep_file(form),
            Keep::File => {
                form.keep = Keep::Memory;
                vec![say("Secrets are kept in memory only (forgotten on exit).")]
            }
        }
    }

    fn keep_file(&self, form: &mut Form) -> Vec<Cmd> {
        form.keep = Keep::File;
        vec![say(format!(
            "After a successful login the consumer secret and refresh token go to {}: plain text on disk, readable by you only.",
            self.vault.describe(Keep::File)
        ))]
    }

    /// A secret store answered.
    pub fn on_vault(
        &mut self,
        msg: VaultMsg,
        form: &mut Form,
        report: Option<&Report>,
    ) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        match msg {
            VaultMsg::Keyring { result, select } => {
                match (&result, select) {
                    (Ok(()), true) => {
                        form.keep = Keep::Keyring;
                        cmds.push(say(format!(
                            "After a successful login the consumer secret and refresh token go to {}.",
                            self.vault.describe(Keep::Keyring)
                        )));
                    }
                    (Err(why), true) => {
                        cmds.push(say(format!(
                            "No OS keyring here: {why}. Enter again offers an owner-only file (plain text, readable by you only); otherwise secrets stay in memory only."
                        )));
                    }
                    (Err(why), false) if form.keep == Keep::Keyring => {
                        form.keep = Keep::Memory;
                        cmds.push(say(format!(
                            "The config's keep_secrets = \"keyring\" cannot be honoured — no OS keyring here: {why}. Secrets stay in memory; step 2 offers an owner-only file."
                        )));
                    }
                    _ => {}
                }
                self.keyring = Some(result);
            }
            VaultMsg::Recalled {
                key,
                secret,
                refresh,
                problems,
                then_run,
            } => {
                if form.vault_key().as_ref() != Some(&key) {
                    return cmds;
                }
                self.recalled_for = Some(key);
                let mut said = Vec::new();
                if let Some((s, keep)) = secret
                    && first_line(&form.client_secret).is_empty()
                {
                    form.client_secret = text(&s);
                    if !form.reveal_secret {
                        form.client_secret.set_mask_char('•');
                    }
                    form.secret_from = Some(keep);
                    said.push(format!(
                        "consumer secret from {}",
                        self.vault.describe(keep)
                    ));
                }
                if let Some((r, keep)) = refresh {
                    form.refresh_token = Some(r);
                    form.refresh_key = form.vault_key();
                    form.refresh_from = Some(keep);
                    said.push(format!("refresh token from {}", self.vault.describe(keep)));
                }
                let mut status = if said.is_empty() {
                    String::new()
                } else {
                    format!("Kept secrets: {}. ", said.join("; "))
                };
                if let Some(p) = problems.first() {
                    status.push_str("Kept secrets: ");
                    status.push_str(p);
                }
                if !status.is_empty() {
                    cmds.push(say(status.trim_end().to_string()));
                }
                if then_run {
                    cmds.push(Cmd::Run);
                }
            }
            VaultMsg::Kept(results) => {
                // Short enough for the status line of an 80-column terminal.
                let prefix = report
                    .map(|r| format!("Done: {} · ", r.outcome.word()))
                    .unwrap_or_default();
                let mut kept: Vec<(Keep, Vec<&str>)> = Vec::new();
                let mut failed = None;
                for r in results {
                    match r {
                        Ok((kind, keep)) => {
                            let what = match kind {
                                Kind::ClientSecret => "secret",
                                Kind::RefreshToken => "refresh token",
                            };
                            match kept.iter_mut().find(|(k, _)| *k == keep) {
                                Some((_, w)) => w.push(what),
                                None => kept.push((keep, vec![what])),
                            }
                        }
                        Err(e) => failed = failed.or(Some(e)),
                    }
                }
                let mut parts: Vec<String> = kept
                    .into_iter()
                    .map(|(keep, whats)| {
                        let place = match (keep, &self.vault.file) {
                            (Keep::File, Some(p)) => p.display().to_string(),
                            (Keep::Keyring, _) => "the OS keyring".to_string(),
                            _ => self.vault.describe(keep),
                        };
                        format!("kept {} in {place}", whats.join(" + "))
                    })
                    .collect();
                if let Some(e) = failed {
                    parts.push(format!("could not keep a secret: {e}"));
                }
                cmds.push(say(format!("{prefix}{}", parts.join(" · "))));
            }
        }
        cmds
    }

    /// A run logged in: the refresh token stays in memory for the refresh flow, and secrets are
    /// kept where the user asked (a rotated refresh token goes back where it came from).
    pub fn on_session(&self, form: &mut Form, refresh_token: Option<String>) -> Option<Effect> {
        let key = form.vault_key()?;
        if form.refresh_key.as_ref() != Some(&key) {
            form.refresh_token = None;
            form.refresh_from = None;
        }
        let given = form.refresh_token.clone();
        if refresh_token.is_some() {
            form.refresh_token = refresh_token.clone();
            form.refresh_key = Some(key.clone());
        }
        let (login, client_id, username) = key;
        let secret = first_line(&form.client_secret);
        // The one keep/rotation policy, the same as `check`'s.
        let writes: Vec<KeepWrite> = vault::plan_keep(vault::AfterLogin {
            login_url: &login,
            client_id: &client_id,
            username: username.as_deref(),
            keep: form.keep,
            client_secret: Some(secret.as_str()),
            secret_from: form.secret_from,
            refresh_given: given.as_deref(),
            refresh_now: refresh_token.as_deref(),
            refresh_from: form.refresh_from,
        })
        .into_iter()
        .map(|w| KeepWrite {
            keep: w.keep,
            account: w.account,
            kind: w.kind,
            secret: w.secret,
        })
        .collect();
        for w in &writes {
            match w.kind {
                Kind::ClientSecret => form.secret_from = Some(w.keep),
                Kind::RefreshToken => form.refresh_from = Some(w.keep),
            }
        }
        (!writes.is_empty()).then(|| Effect::Keep {
            writes,
            vault: self.vault.clone(),
        })
    }

    /// Profiles were saved and read back, or could not be.
    pub fn saved(&mut self, r: Result<Vec<Profile>, super::error::ProfileError>) -> Vec<Cmd> {
        match r {
            Ok(p) => {
                self.profiles = p;
                Vec::new()
            }
            Err(e) => vec![say(format!("Could not save the profile: {e}"))],
        }
    }

    /// `P`: the next saved profile fills the form; its kept secrets are looked for.
    pub fn next_profile(&mut self, form: &mut Form, env: &mut EnvironmentScreen) -> Vec<Cmd> {
        if self.profiles.is_empty() {
            return Vec::new();
        }
        self.profile_index = (self.profile_index + 1) % self.profiles.len();
        let p = self.profiles[self.profile_index].clone();
        let mut cmds = self.apply_profile(&p, form, env);
        cmds.push(Cmd::Effect(Effect::Recall {
            then_run: false,
            key: form.vault_key(),
            vault: self.vault.clone(),
        }));
        cmds
    }

    /// Fills the form from a saved profile (never secrets).
    pub fn apply_profile(
        &self,
        p: &Profile,
        form: &mut Form,
        env: &mut EnvironmentScreen,
    ) -> Vec<Cmd> {
        match p.env.as_str() {
            "production" => {
                form.env = EnvChoice::Production;
                env.selected = 0;
            }
            "sandbox" => {
                form.env = EnvChoice::Sandbox;
                env.selected = 1;
            }
            url => {
                form.env = EnvChoice::Custom;
                env.selected = 2;
                form.custom_url = text(url);
            }
        }
        form.client_id = text(&p.client_id);
        form.username = text(&p.username);
        form.client_secret = masked("");
        form.credential = text("");
        form.reveal_secret = false;
        form.secret_from = None;
        form.refresh_from = None;
        form.flow = p.flow;
        if let Some(path) = p
            .private_key_path
            .as_deref()
            .filter(|_| form.flow == Flow::Jwt)
        {
            form.credential = text(path);
        }
        form.pkce = p.pkce;
        form.app_kind = p.app_kind.unwrap_or_default();
        form.preset = p.preset;
        vec![say(format!(
            "Profile {} ({} of {}; P cycles). Profiles hold no secrets: enter the consumer secret, or keep it (step 2, Keep secrets).",
            p.label(),
            self.profile_index + 1,
            self.profiles.len()
        ))]
    }
}

/// Defaults from the config file: theme, environment, flow, and the form's limits (the
/// coverage limit among them: `coverage_limit`, docs/console.md).
pub fn apply_settings(
    s: &crate::settings::Settings,
    form: &mut Form,
    prefs: &mut Prefs,
    env: &mut EnvironmentScreen,
) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    prefs.keys = s.key_style;
    form.insecure_hosts = crate::settings::host_list(&s.insecure_hosts);
    form.trust_hosts = crate::settings::host_list(&s.trust_hosts);
    form.max_response_bytes = s
        .max_response_mb
        .map(|mb| (mb as usize).saturating_mul(1024 * 1024));
    prefs.har_bodies = s.har_bodies.unwrap_or_default();
    form.ca_certs_pem.clear();
    for path in &s.ca_certs {
        match crate::settings::read_ca(path) {
            Ok(pem) => form.ca_certs_pem.push(pem),
            Err(e) => cmds.push(say(format!("CA certificate not used: {e}"))),
        }
    }
    prefs.set_theme(s.theme);
    if let Some(choice) = &s.environment {
        match choice {
            Environment::Production => form.env = EnvChoice::Production,
            Environment::Sandbox => {
                form.env = EnvChoice::Sandbox;
                env.selected = 1;
            }
            Environment::Custom(u) => {
                form.env = EnvChoice::Custom;
                env.selected = 2;
                form.custom_url = text(u);
            }
        }
    }
    if let Some(flow) = s.flow {
        form.flow = flow;
    }
    if let Some(keep) = s.keep_secrets {
        form.keep = keep;
    }
    if let Some(t) = s.timeout_secs {
        form.timeout_secs = t;
    }
    if let Some(t) = s.connect_timeout_secs {
        form.connect_timeout_secs = t;
    }
    if let Some(d) = s.history_days {
        form.history_days = d;
    }
    if let Some(n) = s.coverage_limit {
        form.coverage_limit = n;
    }
    cmds
}

/// The form as a profile (no secrets).
pub fn profile_of(form: &Form) -> Option<Profile> {
    let env = match form.env {
        EnvChoice::Production => "production".to_string(),
        EnvChoice::Sandbox => "sandbox".to_string(),
        EnvChoice::Custom => first_line(&form.custom_url),
        EnvChoice::Demo => return None,
    };
    Some(Profile {
        env,
        client_id: first_line(&form.client_id).trim().to_string(),
        username: first_line(&form.username).trim().to_string(),
        flow: form.flow,
        pkce: form.pkce,
        preset: form.preset,
        callback: form.callback(),
        private_key_path: (form.flow == Flow::Jwt)
            .then(|| first_line(&form.credential).trim().to_string())
            .filter(|p| !p.is_empty()),
        app_kind: form.app_kind.arg().and(Some(form.app_kind)),
    })
}
