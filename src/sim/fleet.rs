//! Many simulated orgs in one process (`sagediag sim --orgs N`, `--fleet FILE`), for
//! `sagediag watch`, its tests and its bench. Each org has its own port (127.0.0.1:P its login
//! host, localhost:P its My Domain), its own state, and a monitoring app and user
//! (`monitor.rs`); the fleet shares one JWT key pair for the monitors, whose private key it
//! writes owner-only to a directory of its own, deleted when the fleet is dropped.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::monitor::MonitorSpec;
use super::sage::PageCache;
use super::scenario::{Scenario, ScenarioError};
use super::seed::{self, Ago, OauthTokenSeed};
use super::{Options, Org, RunningSim, SimInfo};

/// At most this many orgs in one fleet.
pub const MAX_ORGS: usize = 5_000;
/// A fleet file is at most this long.
const MAX_FLEET_FILE_BYTES: u64 = 1024 * 1024;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// One org of a fleet: its name and scenario.
#[derive(Debug, Clone)]
pub struct FleetSpec {
    pub name: String,
    pub scenario: Scenario,
}

/// What a client needs of one org: `SimInfo`'s fields, its name, and the monitoring app's.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FleetOrgInfo {
    pub name: String,
    #[serde(flatten)]
    pub sim: SimInfo,
    pub monitor_client_id: String,
    pub monitor_client_secret: String,
    pub monitor_username: String,
    /// The monitors' JWT private key (PKCS#8 PEM, owner-only), shared by the fleet.
    pub monitor_key_file: String,
    /// The integration user's username (the user a watch watches).
    pub integration_user: String,
    /// The integration's app (LoginHistory.Application, OauthToken.AppName).
    pub integration_app: String,
}

/// `sagediag sim --fleet FILE`: `[[org]] name = "…", scenario = "…"`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFile {
    #[serde(default)]
    org: Vec<FleetFileOrg>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFileOrg {
    name: String,
    #[serde(default = "healthy")]
    scenario: String,
}

fn healthy() -> String {
    "healthy".into()
}

/// Why a fleet cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
}

impl FleetSpec {
    /// `org-001` … : `n` orgs of the healthy scenario.
    pub fn healthy(n: usize) -> Result<Vec<FleetSpec>, FleetError> {
        let scenario = Scenario::load("healthy")?;
        Ok((1..=n)
            .map(|i| FleetSpec {
                name: format!("org-{i:03}"),
                scenario: scenario.clone(),
            })
            .collect())
    }

    /// The orgs a fleet file lists. A scenario is a shipped name or a path (relative to the
    /// file's directory).
    pub fn load(path: &Path) -> Result<Vec<FleetSpec>, FleetError> {
        let file = path.display().to_string();
        let err = |message: String| FleetError::File {
            file: file.clone(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if meta.len() > MAX_FLEET_FILE_BYTES {
            return Err(err(format!("larger than {MAX_FLEET_FILE_BYTES} bytes")));
        }
        let src = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        FleetSpec::parse(&src, &file, dir)
    }

    /// Parses a fleet file's text; `dir` resolves relative scenario paths.
    pub fn parse(src: &str, file: &str, dir: &Path) -> Result<Vec<FleetSpec>, FleetError> {
        let err = |message: String| FleetError::File {
            file: file.to_string(),
            message,
        };
        let parsed: FleetFile = toml::from_str(src).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!("line {}: ", crate::toml_at::line_of(src, s.start)))
                .unwrap_or_default();
            err(format!("{at}{}", e.message().trim()))
        })?;
        if parsed.org.is_empty() {
            return Err(err(
                "no orgs: list each as [[org]] with name = \"…\" and scenario = \"…\"".into(),
            ));
        }
        if parsed.org.len() > MAX_ORGS {
            return Err(err(format!("at most {MAX_ORGS} orgs")));
        }
        let mut loaded: HashMap<String, Scenario> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(parsed.org.len());
        for o in parsed.org {
            check_name(&o.name).map_err(|m| err(format!("org `{}`: {m}", o.name)))?;
            if !seen.insert(o.name.to_ascii_lowercase()) {
                return Err(err(format!("org `{}` is listed twice", o.name)));
            }
            let scenario = match loaded.get(&o.scenario) {
                Some(s) => s.clone(),
                None => {
                    // A name (no `/`, no `.`) is a shipped scenario's; a path is relative
                    // to the fleet file.
                    let is_name = !o.scenario.contains(['/', '.']);
                    let target = if is_name || Path::new(&o.scenario).is_absolute() {
                        o.scenario.clone()
                    } else {
                        dir.join(&o.scenario).display().to_string()
                    };
                    let s = Scenario::load(&target)?;
                    loaded.insert(o.scenario.clone(), s.clone());
                    s
                }
            };
            out.push(FleetSpec {
                name: o.name,
                scenario,
            });
        }
        Ok(out)
    }
}

/// An org name: 1 to 40 of ASCII letters, digits, `-` and `_` (it names a host in the demo and
/// a row in the watch list).
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err("a name is 1 to 40 letters, digits, `-` or `_`".into())
    }
}

/// A running fleet. Dropping it stops every org and deletes the key directory.
pub struct Fleet {
    pub orgs: Vec<FleetOrgInfo>,
    sims: Vec<RunningSim>,
    key_dir: KeyDir,
}

impl Fleet {
    /// The org named `name`'s state (tests read and change it directly).
    pub fn org(&self, name: &str) -> Option<&Arc<Org>> {
        let i = self.orgs.iter().position(|o| o.name == name)?;
        self.sims.get(i).map(|s| &s.org)
    }

    /// The address the org named `name` listens on.
    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        let i = self.orgs.iter().position(|o| o.name == name)?;
        self.sims.get(i).map(|s| s.addr)
    }

    /// The monitors' JWT private key file (PKCS#8 PEM, owner-only).
    pub fn key_file(&self) -> &Path {
        &self.key_dir.key
    }

    /// The line `sagediag sim --orgs` prints: `{"orgs":[…]}`.
    pub fn json_line(&self) -> String {
        serde_json::json!({ "orgs": self.orgs }).to_string()
    }

    /// Stops every org (requests in flight get up to two seconds).
    pub async fn stop(mut self) {
        let sims = std::mem::take(&mut self.sims);
        futures_util::future::join_all(sims.into_iter().map(RunningSim::stop)).await;
    }
}

/// The fleet's own directory for the monitors' private key: 0700, removed on drop.
struct KeyDir {
    dir: PathBuf,
    key: PathBuf,
}

impl KeyDir {
    fn create(pem: &str) -> io::Result<KeyDir> {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!(
            "sagediag-fleet-{}-{}",
            std::process::id(),
            super::crypto::random_from(BASE62, 12)
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir)?;
        let key = dir.join("monitor-jwt.key.pem");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let written = opts
            .open(&key)
            .and_then(|mut f| f.write_all(pem.as_bytes()));
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
        Ok(KeyDir { dir, key })
    }
}

impl Drop for KeyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The monitors' key pair: (PKCS#8 private key PEM, SubjectPublicKeyInfo DER).
fn monitor_key() -> io::Result<(String, Vec<u8>)> {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
    use aws_lc_rs::signature::KeyPair;
    use base64::Engine;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|e| io::Error::other(format!("cannot make the monitors' JWT key: {e}")))?;
    let private: Pkcs8V1Der = pair
        .as_der()
        .map_err(|e| io::Error::other(format!("cannot encode the monitors' JWT key: {e}")))?;
    let public: PublicKeyX509Der = pair
        .public_key()
        .as_der()
        .map_err(|e| io::Error::other(format!("cannot encode the monitors' JWT key: {e}")))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(private.as_ref());
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    let chars: Vec<char> = b64.chars().collect();
    for line in chars.chunks(64) {
        pem.extend(line);
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    Ok((pem, public.as_ref().to_vec()))
}

/// Raises the soft limit of open files to the hard limit: a fleet holds a listener per org
/// and a connection per client.
pub fn raise_open_files_limit() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let mut limit = getrlimit(Resource::Nofile);
        if limit.current < limit.maximum {
            limit.current = limit.maximum;
            let _ = setrlimit(Resource::Nofile, limit);
        }
    }
}

/// Gives a fleet org its own identity: org id, My Domain name, and, when the scenario seeds no
/// grant, one grant of the integration user (an integration in service holds one).
fn individualise(scenario: &mut Scenario, index: usize, name: &str) {
    scenario.org.id = format!("00D5g{:010}", 1_000 + index);
    scenario.org.my_domain = name.to_ascii_lowercase();
    let user = seed::integration_user(scenario);
    let frozen = scenario.users.get(user).is_some_and(|u| u.frozen);
    if scenario.oauth_tokens.is_empty() && !frozen {
        scenario.oauth_tokens.push(OauthTokenSeed {
            created_ago: Ago("30d".into()),
            last_used_ago: Ago("1h".into()),
            use_count: 720,
            ..Default::default()
        });
    }
}

/// Starts every org on loopback (free ports).
pub async fn start_fleet(specs: Vec<FleetSpec>, opts: Options) -> io::Result<Fleet> {
    start_fleet_on(specs, opts, IpAddr::V4(Ipv4Addr::LOCALHOST), 0).await
}

/// Starts every org on `ip`: on free ports when `first_port` is 0, else on consecutive ports
/// from it.
pub async fn start_fleet_on(
    specs: Vec<FleetSpec>,
    opts: Options,
    ip: IpAddr,
    first_port: u16,
) -> io::Result<Fleet> {
    if specs.len() > MAX_ORGS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("at most {MAX_ORGS} orgs in a fleet"),
        ));
    }
    raise_open_files_limit();
    let (pem, public) = monitor_key()?;
    let key_dir = KeyDir::create(&pem)?;
    let public = Arc::new(public);
    let key_file = key_dir.key.display().to_string();
    let mut orgs = Vec::with_capacity(specs.len());
    let mut sims = Vec::with_capacity(specs.len());
    // One page cache (and one memory budget) per kind of data, not per org.
    let mut caches: HashMap<String, Arc<PageCache>> = HashMap::new();
    for (i, spec) in specs.into_iter().enumerate() {
        let FleetSpec { name, mut scenario } = spec;
        individualise(&mut scenario, i, &name);
        let monitor = MonitorSpec {
            consumer_key: format!(
                "3MVG9SagediagMonitor{}",
                super::crypto::random_from(BASE62, 60)
            ),
            consumer_secret: super::crypto::random_from(b"0123456789ABCDEF", 64),
            username: format!("monitor@{}.sagediag.example", name.to_ascii_lowercase()),
            jwt_public_der: public.clone(),
        };
        let port = match first_port {
            0 => 0,
            p => u16::try_from(usize::from(p) + i).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the fleet's ports run past 65535: choose a lower --port",
                )
            })?,
        };
        let integration_user = scenario
            .users
            .get(seed::integration_user(&scenario))
            .map(|u| u.username.clone())
            .unwrap_or_default();
        let integration_app = scenario.app.name.clone();
        let data_key = serde_json::to_string(&(&scenario.data, &scenario.org.sage_api_version))
            .unwrap_or_default();
        let pages = caches.entry(data_key).or_default().clone();
        let running = super::start_org(
            scenario,
            SocketAddr::new(ip, port),
            opts.clone(),
            Some((&monitor, pages)),
        )
        .await?;
        orgs.push(FleetOrgInfo {
            name,
            sim: running.info.clone(),
            monitor_client_id: monitor.consumer_key,
            monitor_client_secret: monitor.consumer_secret,
            monitor_username: monitor.username,
            monitor_key_file: key_file.clone(),
            integration_user,
            integration_app,
        });
        sims.push(running);
    }
    Ok(Fleet {
        orgs,
        sims,
        key_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_files_parse_and_refuse_mistakes() {
        let dir = Path::new(".");
        let ok = FleetSpec::parse(
            "[[org]]\nname = \"acme\"\nscenario = \"user-frozen\"\n[[org]]\nname = \"globex\"\n",
            "f.toml",
            dir,
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].scenario.name, "user-frozen");
        assert_eq!(ok[1].scenario.name, "healthy");
        for (src, want) in [
            ("", "no orgs"),
            ("[[org]]\nname = \"a b\"\n", "a name is"),
            (
                "[[org]]\nname = \"a\"\n[[org]]\nname = \"A\"\n",
                "listed twice",
            ),
            (
                "[[org]]\nname = \"a\"\nscenario = \"nope\"\n",
                "no shipped scenario",
            ),
            ("[[org]]\nname = \"a\"\ncolour = 1\n", "unknown field"),
        ] {
            let e = FleetSpec::parse(src, "f.toml", dir)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{src:?}: {e}");
        }
    }

    #[test]
    fn healthy_fleets_are_numbered() {
        let specs = FleetSpec::healthy(12).unwrap();
        assert_eq!(specs[0].name, "org-001");
        assert_eq!(specs[11].name, "org-012");
    }
}
