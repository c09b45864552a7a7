//! The program: `sagediag`'s command line dispatched to its front ends (the console, `check`
//! and `fix`, `sim`, `watch`, …). `src/main.rs` only calls [`main`], so the library's lints
//! cover all of it.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{CheckArgs, Cli, Command, DemoArgs, FixArgs, SecretsCommand, SimArgs};
use crate::engine::vault::Vault;
use crate::sim::{self, Scenario};
use crate::{demo_fleet, demo_org};

/// `eprintln!` through the sanitiser: every message here may echo a value from the command
/// line, the environment or a file (a terminal escape in a flag's value must not reach the
/// terminal).
macro_rules! eprintln {
    ($($t:tt)*) => {
        std::eprintln!("{}", crate::engine::sanitize::text(&format!($($t)*)))
    };
}

/// The program: parses the command line and runs what it asks; the exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Usage errors echo the value given: sanitised, like every message. Help and
        // --version go to stdout as clap prints them.
        Err(e) if e.use_stderr() => {
            eprintln!("{}", e.to_string().trim_end());
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    let tls = (cli.ca_cert, cli.insecure_host);
    if let Err(e) = crate::logging::filter(cli.log_level.as_deref(), "info") {
        eprintln!("sagediag: --log-level: {e}");
        return ExitCode::from(2);
    }
    // Kept until main returns: dropping it flushes the log.
    let _log = match &cli.command {
        Some(Command::Check(a)) if a.verbose => {
            crate::logging::to_stderr(cli.log_level.as_deref()).ok()
        }
        Some(Command::Fix(a)) if a.check.verbose => {
            crate::logging::to_stderr(cli.log_level.as_deref()).ok()
        }
        Some(Command::Demo(_)) | None => crate::logging::default_log_path()
            .and_then(|p| crate::logging::to_file(&p, cli.log_level.as_deref()).ok()),
        _ => None,
    };
    match cli.command {
        Some(Command::Sim(args)) => run_sim(args),
        Some(Command::Check(mut args)) => {
            // `sagediag --ca-cert X check` means the same as `sagediag check --ca-cert X`.
            args.ca_cert.extend(tls.0);
            args.insecure_host.extend(tls.1);
            let fix = args.fix_plan.then(crate::check::fix::FixOptions::default);
            run_check(*args, |_| Ok(fix))
        }
        Some(Command::Fix(mut args)) => {
            args.check.ca_cert.extend(tls.0);
            args.check.insecure_host.extend(tls.1);
            let FixArgs {
                check,
                yes,
                undo,
                undo_last,
            } = *args;
            run_check(check, move |_| {
                let undo = match &undo {
                    Some(path) => Some(crate::check::fix::read_record(path).map_err(|e| {
                        crate::check::Usage(format!("--undo {}: {e}", path.display()))
                    })?),
                    None => undo_last.then_some(crate::check::fix::Undo::Last),
                };
                Ok(Some(crate::check::fix::FixOptions {
                    fix: true,
                    yes,
                    admin: None,
                    undo,
                }))
            })
        }
        Some(Command::Demo(args)) => run_console(Some(args), cli.mouse, cli.theme, tls, None),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "sagediag", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Some(Command::Man) => {
            // The package version alone: the page shipped in release archives
            // (assets/release/) is the same whatever commit or target built it.
            let cmd = <Cli as clap::CommandFactory>::command().version(env!("CARGO_PKG_VERSION"));
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("sagediag man: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Secrets(cmd)) => run_secrets(cmd),
        Some(Command::Watch(args)) => run_watch(*args, tls.0),
        Some(Command::SetupSheet { preset, kind }) => {
            use crate::engine::{app::AppKind, setup};
            let (Some(preset), Some(kind)) = (setup::Preset::parse(&preset), AppKind::parse(&kind))
            else {
                eprintln!(
                    "sagediag setup-sheet: --preset stackone|nango|custom, --kind eca|connected-app"
                );
                return ExitCode::from(2);
            };
            print!("{}", setup::text(&setup::sheet(preset, kind)));
            ExitCode::SUCCESS
        }
        None => run_console(None, cli.mouse, cli.theme, tls, cli.store),
    }
}

fn run_watch(args: crate::cli::WatchArgs, ca_certs: Vec<std::path::PathBuf>) -> ExitCode {
    let settings = match settings_with_env() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sagediag watch: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    ExitCode::from(rt.block_on(crate::watch::main(args, settings, ca_certs)))
}

fn run_secrets(cmd: SecretsCommand) -> ExitCode {
    use crate::engine::vault::{self, Kind};
    let v = Vault::from_env();
    match cmd {
        SecretsCommand::Status => {
            match vault::keyring() {
                Ok(_) => println!(
                    "OS keyring: available ({}, service \"{}\")",
                    vault::keyring_name(),
                    vault::SERVICE
                ),
                Err(why) => println!(
                    "OS keyring: not available: {why}\n  (keep secrets in the owner-only file with --keep-secrets file, or not at all)"
                ),
            }
            match (&v.file, v.file_accounts()) {
                (None, _) => {
                    println!(
                        "Owner-only file: none (no home directory; set SAGEDIAG_SECRETS=FILE)"
                    );
                }
                (Some(p), Ok(names)) if names.is_empty() => {
                    println!("Owner-only file: {} (nothing kept)", p.display());
                }
                (Some(p), Ok(names)) => {
                    println!("Owner-only file: {} ({} kept):", p.display(), names.len());
                    for n in names {
                        println!("  {n}");
                    }
                }
                (Some(_), Err(e)) => {
                    println!("Owner-only file: {e}");
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        SecretsCommand::Forget {
            env,
            client_id,
            username,
        } => {
            let login = match crate::engine::Environment::parse(&env) {
                Ok(e) => e.login_url(),
                Err(e) => {
                    eprintln!("sagediag secrets forget: --env: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut accounts = vec![vault::account(Kind::ClientSecret, &login, &client_id, None)];
            if username.is_some() {
                accounts.push(vault::account(
                    Kind::RefreshToken,
                    &login,
                    &client_id,
                    username.as_deref(),
                ));
            }
            let mut code = ExitCode::SUCCESS;
            for a in accounts {
                match v.forget(&a) {
                    Ok(gone) if gone.is_empty() => println!("{a}: nothing kept"),
                    Ok(gone) => println!(
                        "{a}: forgotten from {}",
                        gone.iter()
                            .map(|k| v.describe(*k))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                    Err(e) => {
                        eprintln!("sagediag secrets forget: {a}: {e}");
                        code = ExitCode::FAILURE;
                    }
                }
            }
            code
        }
    }
}

fn run_console(
    demo: Option<DemoArgs>,
    mouse: bool,
    theme: Option<crate::settings::Theme>,
    (ca_certs, insecure_hosts): (Vec<std::path::PathBuf>, Vec<String>),
    store: Option<String>,
) -> ExitCode {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "sagediag: the console needs a terminal; for scripts use `sagediag check` (see --help)"
        );
        return ExitCode::from(2);
    }
    if let Some(d) = &demo
        && !d.watch
        && let Err(e) = Scenario::load(&d.scenario)
    {
        eprintln!("sagediag demo: bad scenario: {e}");
        return ExitCode::from(2);
    }
    let runtime = match runtime("sagediag") {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let file = match settings() {
        Ok(s) => s,
        Err(code) => return code,
    };
    for path in &ca_certs {
        if let Err(e) = crate::settings::read_ca(path) {
            eprintln!("sagediag: --ca-cert {e}");
            return ExitCode::from(2);
        }
    }
    // The flags over the environment over the config file: what the console's form goes over.
    let flags = crate::config::Layer {
        theme,
        mouse: Some(mouse),
        ca_certs,
        insecure_hosts,
        ..crate::config::Layer::default()
    };
    let below = match crate::config::console_below(&file, flags) {
        Ok(l) => l,
        Err(crate::config::Usage(msg)) => {
            eprintln!("sagediag: {msg}");
            return ExitCode::from(2);
        }
    };
    let settings = crate::config::settings_over(file, &below);
    if demo.as_ref().is_some_and(|d| d.watch) {
        let result = match std::env::current_exe() {
            Ok(exe) => runtime.block_on(demo_fleet::run(&exe, mouse, settings)),
            Err(e) => Err(std::io::Error::other(format!(
                "cannot find this program to start the demo fleet: {e}"
            ))),
        };
        runtime.shutdown_timeout(std::time::Duration::from_secs(1));
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sagediag demo --watch: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let demo = demo.map(|d| crate::tui::DemoOptions {
        scenario: d.scenario,
        manual: d.manual,
        // The org in a child process of its own: no simulator fault reaches the console.
        org: match std::env::current_exe() {
            Ok(exe) => Box::new(demo_org::SimDemo::apart(exe)),
            Err(_) => Box::new(demo_org::SimDemo::default()),
        },
    });
    let result = runtime.block_on(crate::tui::run(demo, mouse, settings, store));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sagediag: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The async runtime (two workers: the machine's size), or a message and a failure.
fn runtime(who: &str) -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("{who}: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        })
}

fn settings() -> Result<crate::settings::Settings, ExitCode> {
    crate::settings::load().map_err(|e| {
        eprintln!("sagediag: bad config file: {e}");
        ExitCode::from(2)
    })
}

/// The config file with the environment's `SAGEDIAG_*` options over it (the console and watch
/// are given settings; `check` takes the two as layers).
fn settings_with_env() -> Result<crate::settings::Settings, ExitCode> {
    let file = settings()?;
    match crate::config::Layer::from_env() {
        Ok(env) => Ok(crate::config::settings_over(file, &env)),
        Err(crate::config::Usage(msg)) => {
            eprintln!("sagediag: {msg}");
            Err(ExitCode::from(2))
        }
    }
}

type FixSetup = Result<Option<crate::check::fix::FixOptions>, crate::check::Usage>;

fn run_check(args: CheckArgs, fix: impl FnOnce(&crate::engine::Config) -> FixSetup) -> ExitCode {
    let settings = match settings() {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Flags (and secrets from the environment, through clap) over the environment over the
    // config file over the defaults: merged once, built once.
    let below = match crate::config::file_and_env(&settings) {
        Ok(l) => l,
        Err(crate::check::Usage(msg)) => {
            eprintln!("sagediag check: {msg}");
            return ExitCode::from(2);
        }
    };
    let layers = args.layer().over(below);
    let (keep, har_bodies) = (
        layers.keep_secrets.unwrap_or_default(),
        layers.har_bodies.unwrap_or_default(),
    );
    // The admin's login (`--admin-*`): reads the integration's whole record, and makes fix's
    // changes. Built by the same pipeline.
    let admin = layers.build_admin();
    let cfg = match layers.build() {
        Ok(c) => c,
        Err(crate::check::Usage(msg)) => {
            eprintln!("sagediag check: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut fix = match fix(&cfg) {
        Ok(f) => f,
        Err(crate::check::Usage(msg)) => {
            eprintln!("sagediag fix: {msg}");
            return ExitCode::from(2);
        }
    };
    let admin = match admin {
        Ok(a) => a,
        Err(crate::check::Usage(msg)) => {
            eprintln!("sagediag check: {msg}");
            return ExitCode::from(2);
        }
    };
    if let Some(f) = fix.as_mut() {
        f.admin = admin.clone();
    }
    let outputs = crate::check::Outputs {
        fix,
        admin,
        json: args.json,
        report: args.report.clone(),
        har: args.har.clone(),
        har_bodies,
        keep,
        vault: Vault::from_env(),
        show_new_token: args.show_new_token,
    };
    // Shared with the run: what it obtained, given back even when it is interrupted.
    let ours = cfg.clone();
    let admin = outputs.admin.clone();
    let runtime = match runtime("sagediag check") {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let code = runtime.block_on(async move {
        tokio::select! {
            code = crate::check::run(cfg, outputs) => code,
            code = interrupt() => {
                eprintln!("sagediag check: interrupted: giving back what this run obtained");
                crate::check::harm::interrupted(
                    &ours,
                    admin.as_ref(),
                    std::time::Duration::from_secs(10),
                )
                .await;
                code
            }
        }
    });
    // stdin may still be read by the paste thread: leave without waiting for it.
    runtime.shutdown_background();
    ExitCode::from(code)
}

/// Waits for Ctrl-C, SIGTERM or SIGHUP; the exit code for it (128 + the signal's number).
async fn interrupt() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return 130;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => 130,
            _ = term.recv() => 143,
            _ = hup.recv() => 129,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}

fn run_sim(args: SimArgs) -> ExitCode {
    if args.list {
        let list = Scenario::shipped();
        let width = list.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, description) in list {
            println!("{name:width$}  {description}");
        }
        return ExitCode::SUCCESS;
    }
    if args.orgs.is_some() || args.fleet.is_some() {
        return run_fleet(args);
    }
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sagediag sim: bad scenario: {e}");
            return ExitCode::from(2);
        }
    };
    if !args.bind.is_loopback() {
        eprintln!(
            "sagediag sim: warning: listening on {}, not loopback: anyone who can reach this machine can use the simulated org",
            args.bind
        );
    }
    let runtime = match runtime("sagediag sim") {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let opts = sim::Options { log: true, tls: args.tls, ..sim::Options::default() };
        let running = match sim::start_with(scenario, args.addr(), opts).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("sagediag sim: cannot listen on {}: {e} (choose another --port, or 0 for a free one)", args.addr());
                return ExitCode::FAILURE;
            }
        };
        #[allow(clippy::expect_used)] // Plain strings and numbers: serialising cannot fail.
        let line = serde_json::to_string(&running.info).expect("SimInfo serializes");
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            return ExitCode::FAILURE;
        }
        drop(out);
        eprintln!("sagediag sim: scenario `{}` at {} (Ctrl-C to stop)", running.info.scenario, running.info.login_url);
        if args.until_stdin_closes {
            // The demo console's org: it ends with the console, however the console ends.
            tokio::select! {
                () = shutdown_signal() => {}
                () = stdin_closed() => {}
            }
        } else {
            shutdown_signal().await;
        }
        eprintln!("sagediag sim: stopping");
        running.stop().await;
        ExitCode::SUCCESS
    })
}

/// `sagediag sim --orgs N` / `--fleet FILE`: many orgs, one JSON line.
fn run_fleet(args: SimArgs) -> ExitCode {
    let specs = match (&args.fleet, args.orgs) {
        (Some(path), _) => sim::fleet::FleetSpec::load(path),
        (None, n) => sim::fleet::FleetSpec::healthy(usize::from(n.unwrap_or(1))),
    };
    let specs = match specs {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sagediag sim: bad fleet: {e}");
            return ExitCode::from(2);
        }
    };
    if args.port != 0
        && usize::from(args.port) + specs.len().saturating_sub(1) > usize::from(u16::MAX)
    {
        eprintln!(
            "sagediag sim: {} orgs from port {} run past 65535: choose a lower --port, or 0 for free ones",
            specs.len(),
            args.port
        );
        return ExitCode::from(2);
    }
    if !args.bind.is_loopback() {
        eprintln!(
            "sagediag sim: a fleet listens on loopback only (its control API changes the orgs); leave out --bind {}",
            args.bind
        );
        return ExitCode::from(2);
    }
    let runtime = match runtime("sagediag sim") {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let opts = sim::Options { log: false, tls: args.tls, ..sim::Options::default() };
        let n = specs.len();
        let started = std::time::Instant::now();
        let fleet = match sim::fleet::start_fleet_on(specs, opts, args.bind, args.port).await {
            Ok(f) => f,
            Err(e) => {
                eprintln!("sagediag sim: cannot start the fleet: {e} (choose another --port, or 0 for free ones)");
                return ExitCode::FAILURE;
            }
        };
        let line = fleet.json_line();
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            return ExitCode::FAILURE;
        }
        drop(out);
        eprintln!(
            "sagediag sim: {n} orgs started in {} ms (Ctrl-C to stop)",
            started.elapsed().as_millis()
        );
        if args.until_stdin_closes {
            tokio::select! {
                () = shutdown_signal() => {}
                () = stdin_closed() => {}
            }
        } else {
            shutdown_signal().await;
        }
        eprintln!("sagediag sim: stopping");
        fleet.stop().await;
        ExitCode::SUCCESS
    })
}

/// Returns once stdin reaches its end (or fails).
async fn stdin_closed() {
    use tokio::io::AsyncReadExt;
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 64];
    while matches!(stdin.read(&mut buf).await, Ok(n) if n > 0) {}
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
