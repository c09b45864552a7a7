//! A throw-away PostgreSQL for the tests: one cluster per test process, in a temporary
//! directory, listening on 127.0.0.1 on a free port only (no unix socket), password
//! (SCRAM) authentication, and a fresh database per test. It stops and its directory is deleted
//! when the test process ends: a small shell watches the process's end of a pipe and, at EOF,
//! stops the server and removes the directory (so a killed test run leaves nothing either).
//!
//! The binaries come from `/usr/lib/postgresql/*/bin` (Debian's packages) or PATH. As root,
//! they run as the `postgres` user (initdb refuses root) through `runuser`. Where PostgreSQL is
//! not installed, [`fresh_url`] prints one line saying the test is skipped and returns None.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Server {
    pub port: u16,
    pub user: String,
    pub password: String,
    /// Held open for the life of the process: its EOF stops the server.
    _keeper: Mutex<(Child, ChildStdin)>,
}

impl Server {
    /// The URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://{}:{}@127.0.0.1:{}/{db}",
            self.user, self.password, self.port
        )
    }
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The process's server, started at the first call; None (with the reason in [`skip_reason`])
/// where PostgreSQL is not installed.
pub fn server() -> Option<&'static Server> {
    SERVER.get_or_init(start).as_ref().ok()
}

/// Why [`server`] is None.
pub fn skip_reason() -> Option<&'static str> {
    match SERVER.get_or_init(start) {
        Ok(_) => None,
        Err(why) => Some(why),
    }
}

/// A fresh, empty database on the process's server, as a `postgres://` URL with its password;
/// None (after printing one "skipped: …" line naming `test`) where PostgreSQL is not installed.
pub async fn fresh_url(test: &str) -> Option<String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let server = tokio::task::spawn_blocking(server).await.unwrap();
    let Some(server) = server else {
        println!(
            "skipped: {} [{test}]",
            skip_reason().unwrap_or("PostgreSQL is not available")
        );
        return None;
    };
    let name = format!(
        "t{}_{}",
        N.fetch_add(1, Ordering::Relaxed),
        test.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect::<String>()
            .to_ascii_lowercase()
    );
    let (client, conn) = tokio_postgres::connect(&server.url("postgres"), tokio_postgres::NoTls)
        .await
        .expect("connect to the test PostgreSQL");
    let task = tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the test database");
    drop(client);
    let _ = task.await;
    Some(server.url(&name))
}

fn bin_dir() -> Option<PathBuf> {
    // SAGEDIAG_PG_BIN names the directory of initdb, pg_ctl and postgres (one that lacks them
    // makes the tests skip, as on a machine without PostgreSQL).
    if let Some(dir) = std::env::var_os("SAGEDIAG_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").is_file().then_some(dir);
    }
    let mut best: Option<(u32, PathBuf)> = None;
    if let Ok(rd) = std::fs::read_dir("/usr/lib/postgresql") {
        for e in rd.flatten() {
            let v: u32 = e.file_name().to_string_lossy().parse().unwrap_or(0);
            let bin = e.path().join("bin");
            if bin.join("initdb").is_file() && best.as_ref().is_none_or(|b| v > b.0) {
                best = Some((v, bin));
            }
        }
    }
    if let Some((_, bin)) = best {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("initdb"))
        .find(|p| p.is_file())
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
}

fn id_of(user: &str, flag: &str) -> Option<u32> {
    let out = Command::new("id").args([flag, user]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// A command run as `user` (through runuser) when we are root, else as ourselves.
fn as_user(user: Option<&str>, program: &Path) -> Command {
    match user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn start() -> Result<Server, String> {
    let Some(bin) = bin_dir() else {
        return Err(
            "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin, on PATH or in SAGEDIAG_PG_BIN)"
                .into(),
        );
    };
    let root = rustix::process::geteuid().is_root();
    let run_as = if root {
        let user = ["postgres", "nobody"]
            .into_iter()
            .find(|u| id_of(u, "-u").is_some());
        let Some(user) = user else {
            return Err(
                "PostgreSQL cannot run as root and no unprivileged user (postgres, \
                        nobody) exists here"
                    .into(),
            );
        };
        if Command::new("runuser").arg("--help").output().is_err() {
            return Err("PostgreSQL cannot run as root and runuser is not installed".into());
        }
        Some(user)
    } else {
        None
    };

    let dir = std::env::temp_dir().join(format!(
        "sagediag-pg-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("create the PostgreSQL test directory");
    let password = format!("pw{}x{}", std::process::id(), free_port());
    let pwfile = dir.join("pw");
    std::fs::write(&pwfile, &password).expect("write the password file");
    if let Some(user) = run_as {
        let (uid, gid) = (id_of(user, "-u"), id_of(user, "-g"));
        for p in [&dir, &pwfile] {
            std::os::unix::fs::chown(p, uid, gid).expect("give the test directory to postgres");
        }
    }
    let data = dir.join("data");
    let out = as_user(run_as, &bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "sagediag",
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "-N",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .output()
        .expect("run initdb");
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        panic!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_file(&pwfile);
    // TLS with the test CA's certificate for 127.0.0.1/localhost (tests/fixtures), so a test
    // can prove that sagediag verifies the server; plain connections stay allowed.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (from, to) in [
        ("leaf.cert.pem", "server.crt"),
        ("leaf.key.pem", "server.key"),
    ] {
        let dest = data.join(to);
        std::fs::copy(fixtures.join(from), &dest).expect("copy the test certificate");
        std::fs::set_permissions(&dest, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod the test key");
        if let Some(user) = run_as {
            std::os::unix::fs::chown(&dest, id_of(user, "-u"), id_of(user, "-g"))
                .expect("give the test key to postgres");
        }
    }
    let port = free_port();
    let mut conf = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .expect("open postgresql.conf");
    writeln!(
        conf,
        "\n# sagediag tests: loopback only, no unix socket, no durability\n\
         listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\n\
         fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n\
         shared_buffers = 32MB\nssl = on\n"
    )
    .expect("write postgresql.conf");
    drop(conf);

    // The keeper: starts the server, waits for EOF on stdin (this process's end), then stops
    // it (fast shutdown) and deletes the directory.
    let script = format!(
        "'{bin}/postgres' -D '{data}' >'{dir}/log' 2>&1 & pid=$!\n\
         read _ignored\n\
         kill -INT $pid 2>/dev/null\n\
         wait $pid\n\
         rm -rf '{dir}'\n",
        bin = bin.display(),
        data = data.display(),
        dir = dir.display()
    );
    let mut keeper = as_user(run_as, Path::new("/bin/sh"))
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start PostgreSQL");
    let stdin = keeper.stdin.take().expect("the keeper's stdin");

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = Command::new(bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            break;
        }
        if Instant::now() > deadline || keeper.try_wait().ok().flatten().is_some() {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            panic!("the test PostgreSQL did not start on 127.0.0.1:{port}:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Server {
        port,
        user: "sagediag".into(),
        password,
        _keeper: Mutex::new((keeper, stdin)),
    })
}
