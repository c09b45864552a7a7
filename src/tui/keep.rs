//! Secrets kept (OS keyring, owner-only file) and recalled, the config file's defaults, and
//! profiles: the form's side of what outlives a session.

use super::app::App;
use super::form::{EnvChoice, first_line, masked, text};
use super::msg::{Effect, KeepWrite, VaultMsg};
use crate::engine::vault::{self, Keep, Kind};
use crate::engine::{Environment, Flow};

impl App {
    /// Memory → OS keyring → owner-only file → memory; the keyring only where there is one.
    pub fn cycle_keep(&mut self) -> Option<Effect> {
        match self.form.keep {
            Keep::Memory => match &self.keep.keyring {
                None => return Some(Effect::ProbeKeyring { select: true }),
                Some(Ok(())) => {
                    self.form.keep = Keep::Keyring;
                    self.say(format!(
                        "After a successful login the consumer secret and refresh token go to {}.",
                        self.keep.vault.describe(Keep::Keyring)
                    ));
                }
                Some(Err(_)) => self.keep_file(),
            },
            Keep::Keyring => self.keep_file(),
            Keep::File => {
                self.form.keep = Keep::Memory;
                self.say("Secrets are kept in memory only (forgotten on exit).");
            }
        }
        None
    }

    fn keep_file(&mut self) {
        self.form.keep = Keep::File;
        self.say(format!(
            "After a successful login the consumer secret and refresh token go to {}: plain text on disk, readable by you only.",
            self.keep.vault.describe(Keep::File)
        ));
    }

    /// A secret store answered.
    pub fn on_vault(&mut self, msg: VaultMsg) -> Option<Effect> {
        match msg {
            VaultMsg::Keyring { result, select } => {
                match (&result, select) {
                    (Ok(()), true) => {
                        self.form.keep = Keep::Keyring;
                        self.say(format!(
                            "After a successful login the consumer secret and refresh token go to {}.",
                            self.keep.vault.describe(Keep::Keyring)
                        ));
                    }
                    (Err(why), true) => {
                        self.say(format!(
                            "No OS keyring here: {why}. Enter again offers an owner-only file (plain text, readable by you only); otherwise secrets stay in memory only."
                        ));
                    }
                    (Err(why), false) if self.form.keep == Keep::Keyring => {
                        self.form.keep = Keep::Memory;
                        self.say(format!(
                            "The config's keep_secrets = \"keyring\" cannot be honoured — no OS keyring here: {why}. Secrets stay in memory; step 2 offers an owner-only file."
                        ));
                    }
                    _ => {}
                }
                self.keep.keyring = Some(result);
                None
            }
            VaultMsg::Recalled {
                key,
                secret,
                refresh,
                problems,
                then_run,
            } => {
                if self.form.vault_key().as_ref() != Some(&key) {
                    return None;
                }
                self.keep.recalled_for = Some(key);
                let mut said = Vec::new();
                if let Some((s, keep)) = secret
                    && first_line(&self.form.client_secret).is_empty()
                {
                    self.form.client_secret = text(&s);
                    if !self.form.reveal_secret {
                        self.form.client_secret.set_mask_char('•');
                    }
                    self.form.secret_from = Some(keep);
                    said.push(format!(
                        "consumer secret from {}",
                        self.keep.vault.describe(keep)
                    ));
                }
                if let Some((r, keep)) = refresh {
                    self.form.refresh_token = Some(r);
                    self.form.refresh_key = self.form.vault_key();
                    self.form.refresh_from = Some(keep);
                    said.push(format!(
                        "refresh token from {}",
                        self.keep.vault.describe(keep)
                    ));
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
                    self.say(status.trim_end().to_string());
                }
                if then_run {
                    return self.start_run();
                }
                None
            }
            VaultMsg::Kept(results) => {
                // Short enough for the status line of an 80-column terminal.
                let prefix = self
                    .run
                    .report
                    .as_ref()
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
                        let place = match (keep, &self.keep.vault.file) {
                            (Keep::File, Some(p)) => p.display().to_string(),
                            (Keep::Keyring, _) => "the OS keyring".to_string(),
                            _ => self.keep.vault.describe(keep),
                        };
                        format!("kept {} in {place}", whats.join(" + "))
                    })
                    .collect();
                if let Some(e) = failed {
                    parts.push(format!("could not keep a secret: {e}"));
                }
                self.say(format!("{prefix}{}", parts.join(" · ")));
                None
            }
        }
    }

    /// A run logged in: the refresh token stays in memory for the refresh flow, and secrets are
    /// kept where the user asked (a rotated refresh token goes back where it came from).
    pub fn on_session(&mut self, refresh_token: Option<String>) -> Option<Effect> {
        let key = self.form.vault_key()?;
        if self.form.refresh_key.as_ref() != Some(&key) {
            self.form.refresh_token = None;
            self.form.refresh_from = None;
        }
        let given = self.form.refresh_token.clone();
        if refresh_token.is_some() {
            self.form.refresh_token = refresh_token.clone();
            self.form.refresh_key = Some(key.clone());
        }
        let (login, client_id, username) = key;
        let secret = first_line(&self.form.client_secret);
        // The one keep/rotation policy, the same as `check`'s.
        let writes: Vec<KeepWrite> = vault::plan_keep(vault::AfterLogin {
            login_url: &login,
            client_id: &client_id,
            username: username.as_deref(),
            keep: self.form.keep,
            client_secret: Some(secret.as_str()),
            secret_from: self.form.secret_from,
            refresh_given: given.as_deref(),
            refresh_now: refresh_token.as_deref(),
            refresh_from: self.form.refresh_from,
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
                Kind::ClientSecret => self.form.secret_from = Some(w.keep),
                Kind::RefreshToken => self.form.refresh_from = Some(w.keep),
            }
        }
        (!writes.is_empty()).then_some(Effect::Keep(writes))
    }

    /// Defaults from the config file: theme, environment, flow.
    pub fn apply_settings(&mut self, s: &crate::settings::Settings) {
        self.prefs.keys = s.key_style;
        self.form.insecure_hosts = crate::settings::host_list(&s.insecure_hosts);
        self.form.trust_hosts = crate::settings::host_list(&s.trust_hosts);
        self.form.max_response_bytes = s
            .max_response_mb
            .map(|mb| (mb as usize).saturating_mul(1024 * 1024));
        self.prefs.har_bodies = s.har_bodies.unwrap_or_default();
        self.form.ca_certs_pem.clear();
        for path in &s.ca_certs {
            match crate::settings::read_ca(path) {
                Ok(pem) => self.form.ca_certs_pem.push(pem),
                Err(e) => self.say(format!("CA certificate not used: {e}")),
            }
        }
        self.prefs.set_theme(s.theme);
        if let Some(env) = &s.environment {
            match env {
                Environment::Production => self.form.env = EnvChoice::Production,
                Environment::Sandbox => {
                    self.form.env = EnvChoice::Sandbox;
                    self.screens.environment.selected = 1;
                }
                Environment::Custom(u) => {
                    self.form.env = EnvChoice::Custom;
                    self.screens.environment.selected = 2;
                    self.form.custom_url = text(u);
                }
            }
        }
        if let Some(flow) = s.flow {
            self.form.flow = flow;
        }
        if let Some(keep) = s.keep_secrets {
            self.form.keep = keep;
        }
        if let Some(t) = s.timeout_secs {
            self.form.timeout_secs = t;
        }
        if let Some(t) = s.connect_timeout_secs {
            self.form.connect_timeout_secs = t;
        }
        if let Some(d) = s.history_days {
            self.form.history_days = d;
        }
        if let Some(n) = s.coverage_limit {
            self.form.coverage_limit = n;
        }
    }

    /// Fills the form from a saved profile (never secrets).
    pub fn apply_profile(&mut self, p: &super::profile::Profile) {
        match p.env.as_str() {
            "production" => {
                self.form.env = EnvChoice::Production;
                self.screens.environment.selected = 0;
            }
            "sandbox" => {
                self.form.env = EnvChoice::Sandbox;
                self.screens.environment.selected = 1;
            }
            url => {
                self.form.env = EnvChoice::Custom;
                self.screens.environment.selected = 2;
                self.form.custom_url = text(url);
            }
        }
        self.form.client_id = text(&p.client_id);
        self.form.username = text(&p.username);
        self.form.client_secret = masked("");
        self.form.credential = text("");
        self.form.reveal_secret = false;
        self.form.secret_from = None;
        self.form.refresh_from = None;
        self.form.flow = p.flow;
        if let Some(path) = p
            .private_key_path
            .as_deref()
            .filter(|_| self.form.flow == Flow::Jwt)
        {
            self.form.credential = text(path);
        }
        self.form.pkce = p.pkce;
        self.form.app_kind = p.app_kind.unwrap_or_default();
        self.form.preset = p.preset;
        self.say(format!(
            "Profile {} ({} of {}; P cycles). Profiles hold no secrets: enter the consumer secret, or keep it (step 2, Keep secrets).",
            p.label(),
            self.keep.profile_index + 1,
            self.keep.profiles.len()
        ));
    }

    /// The current form as a profile (no secrets).
    pub fn profile(&self) -> Option<super::profile::Profile> {
        let env = match self.form.env {
            EnvChoice::Production => "production".to_string(),
            EnvChoice::Sandbox => "sandbox".to_string(),
            EnvChoice::Custom => first_line(&self.form.custom_url),
            EnvChoice::Demo => return None,
        };
        Some(super::profile::Profile {
            env,
            client_id: first_line(&self.form.client_id).trim().to_string(),
            username: first_line(&self.form.username).trim().to_string(),
            flow: self.form.flow,
            pkce: self.form.pkce,
            preset: self.form.preset,
            callback: self.form.callback(),
            private_key_path: (self.form.flow == Flow::Jwt)
                .then(|| first_line(&self.form.credential).trim().to_string())
                .filter(|p| !p.is_empty()),
            app_kind: self.form.app_kind.arg().and(Some(self.form.app_kind)),
        })
    }
}
