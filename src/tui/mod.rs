//! The console: a ratatui front end over the engine. Every input, engine event, job result,
//! timer and signal becomes a [`Msg`] on one queue; [`App::update`] turns each into state and
//! [`Effect`]s; [`Ctx`] carries the effects out as tasks (nothing on the loop waits on the
//! network or a file). The screen is redrawn only when something changed.

pub mod app;
pub mod demo;
pub mod error;
pub mod fix;
mod fix_draw;
pub mod form;
pub mod harness;
pub mod inspector;
pub mod keep;
pub mod keymap;
pub mod log;
mod mouse;
pub mod msg;
pub mod overlay;
pub mod profile;
mod run;
pub mod screens;
pub mod state;
pub mod theme;
pub mod timeline;
pub mod ui;
pub mod verdict;
mod work;

use std::io;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyEventKind};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::time::Instant;

use crate::engine::vault;
use app::{App, Autoplay};
pub use demo::{DemoInfo, DemoOrg, DemoPreset, DemoScenario};
use engine_keep::Keep;
use msg::{Effect, Msg};
pub use work::{Ctx, console_request};

use crate::engine::vault as engine_keep;

pub struct DemoOptions {
    pub scenario: String,
    pub manual: bool,
    pub org: Box<dyn DemoOrg>,
}

/// Runs the console in the real terminal until the user quits.
pub async fn run(
    demo: Option<DemoOptions>,
    mouse: bool,
    settings: crate::settings::Settings,
    store: Option<String>,
) -> io::Result<()> {
    let mut app = App::new();
    app.keep.vault = vault::Vault::from_env();
    app.update(Msg::Settings(Box::new(settings.clone())));
    app.prefs.mouse = mouse;
    let mut ctx = Ctx::new();
    ctx.terminal_io = true;
    ctx.mouse = mouse;
    // The log file is tracing's, set up by main before the console starts.
    app.log.path = crate::logging::default_log_path().map(|p| p.display().to_string());
    let mut first = Vec::new();
    match demo {
        None => {
            app.keep.profiles = profile::load();
            if let Some(p) = app.keep.profiles.first().cloned() {
                let said = app
                    .keep
                    .apply_profile(&p, &mut app.form, &mut app.screens.environment);
                app.apply(said);
                first.push(Effect::Recall {
                    then_run: false,
                    key: app.form.vault_key(),
                    vault: app.keep.vault.clone(),
                });
            }
            // A watch store with orgs: the console opens on the Fleet screen.
            app.screens.fleet.settings = std::sync::Arc::new(settings.clone());
            if let Some(url) = screens::fleet::store_at_start(store) {
                let by_itself = url.is_none();
                first.extend(app.update(Msg::Fleet(screens::fleet::FleetMsg::Start {
                    url,
                    by_itself,
                })));
            }
        }
        Some(d) => {
            ctx.demo = Some(std::sync::Arc::new(tokio::sync::Mutex::new(d.org)));
            ctx.start_demo(&mut app, &d.scenario)
                .await
                .map_err(io::Error::other)?;
            // The demo org's credentials are throwaway: kept only if chosen on the form.
            app.form.keep = Keep::Memory;
            if !d.manual {
                app.demo.autoplay = Some(Autoplay::ShowEnvironment);
            }
        }
    }
    if app.form.keep == Keep::Keyring {
        first.push(Effect::ProbeKeyring {
            select: false,
            vault: app.keep.vault.clone(),
        });
    }
    for e in first {
        ctx.apply(e);
    }
    in_terminal(&mut app, &mut ctx, mouse).await
}

/// `sagediag demo --watch`: the console over the demo fleet's watch store (`store`, a store
/// URL), opened on the Fleet screen; each line from `banner` becomes the demo's one-line
/// banner there. Nothing of the user's (profiles, vault, default store) is read.
pub async fn run_fleet_demo(
    store: String,
    mut banner: tokio::sync::mpsc::UnboundedReceiver<String>,
    mouse: bool,
    settings: crate::settings::Settings,
) -> io::Result<()> {
    let mut app = App::new();
    app.update(Msg::Settings(Box::new(settings.clone())));
    app.prefs.mouse = mouse;
    let mut ctx = Ctx::new();
    ctx.terminal_io = true;
    ctx.mouse = mouse;
    app.log.path = crate::logging::default_log_path().map(|p| p.display().to_string());
    if let Ok(first) = banner.try_recv() {
        app.demo.banner = Some(first);
    }
    for e in app.update(Msg::Fleet(screens::fleet::FleetMsg::Start {
        url: Some(store),
        by_itself: false,
    })) {
        ctx.apply(e);
    }
    let tx = ctx.tx.clone();
    let forward = tokio::spawn(async move {
        while let Some(b) = banner.recv().await {
            if tx.send(Msg::DemoBanner(b)).is_err() {
                break;
            }
        }
    });
    let result = in_terminal(&mut app, &mut ctx, mouse).await;
    forward.abort();
    result
}

/// Runs the console's loop in the real terminal, restored however it ends.
async fn in_terminal(app: &mut App, ctx: &mut Ctx, mouse: bool) -> io::Result<()> {
    // ratatui::init enters the alternate screen, raw mode, and restores the terminal on panic.
    let mut terminal = ratatui::init();
    work::enter_extras(mouse);
    // A panic restores the terminal (ratatui's hook); paste and mouse reporting go off first.
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        work::leave_extras(mouse);
        restore(info);
    }));
    let result = run_loop(
        &mut terminal,
        app,
        ctx,
        crossterm::event::EventStream::new(),
    )
    .await;
    work::leave_extras(mouse);
    ratatui::restore();
    ctx.stop().await;
    result
}

async fn until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// The signals that end the console from outside (SIGTERM, SIGINT, SIGHUP, SIGQUIT): each
/// quits through the same path as `q`, so the terminal is always restored.
#[cfg(unix)]
fn ending_signals() -> Vec<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    [
        SignalKind::terminate(),
        SignalKind::interrupt(),
        SignalKind::hangup(),
        SignalKind::quit(),
    ]
    .into_iter()
    .filter_map(|k| signal(k).ok())
    .collect()
}

/// SIGTSTP from outside (`kill -TSTP`, a job-control stop not typed as Ctrl-Z in raw mode) and
/// SIGCONT: caught so that the console leaves the alternate screen and raw mode before it stops
/// (as Ctrl-Z does) and re-enters them and redraws when continued, whoever stopped it.
#[cfg(unix)]
struct JobSignals {
    tstp: Option<tokio::signal::unix::Signal>,
    cont: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl JobSignals {
    fn new(terminal_io: bool) -> JobSignals {
        use tokio::signal::unix::{SignalKind, signal};
        if !terminal_io {
            return JobSignals {
                tstp: None,
                cont: None,
            };
        }
        let raw = |s: rustix::process::Signal| SignalKind::from_raw(s.as_raw());
        JobSignals {
            tstp: signal(raw(rustix::process::Signal::TSTP)).ok(),
            cont: signal(raw(rustix::process::Signal::CONT)).ok(),
        }
    }
}

#[cfg(unix)]
async fn recv_or_pending(s: &mut Option<tokio::signal::unix::Signal>) {
    match s {
        Some(s) => {
            if s.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
async fn terminate(sigs: &mut [tokio::signal::unix::Signal]) {
    if sigs.is_empty() {
        return std::future::pending().await;
    }
    let waits = sigs.iter_mut().map(|s| Box::pin(s.recv()));
    let _ = futures_util::future::select_all(waits).await;
}

/// A terminal event as a message (`None`: nothing the console answers).
fn from_terminal(ev: TermEvent) -> Option<Msg> {
    match ev {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        TermEvent::Paste(text) => Some(Msg::Paste(text)),
        TermEvent::Mouse(m) => Some(Msg::Mouse(m)),
        TermEvent::Resize(..) => Some(Msg::Resize),
        _ => None,
    }
}

/// The event loop, over any backend and any input stream (the real terminal, or a test's).
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    ctx: &mut Ctx,
    mut input: S,
) -> io::Result<()>
where
    B: Backend,
    B::Error: std::fmt::Display,
    S: Stream<Item = io::Result<TermEvent>> + Unpin,
{
    #[cfg(unix)]
    let mut term_signal = ending_signals();
    #[cfg(unix)]
    let mut job = JobSignals::new(ctx.terminal_io);
    let mut dirty = true;
    let mut autoplay_at: Option<Instant> = None;
    // A long message hides the key hints for a few seconds only (it stays whole in `m`).
    let mut fold: (u64, Option<Instant>) = (0, None);
    loop {
        if app
            .demo
            .autoplay
            .is_some_and(|a| !matches!(a, Autoplay::WaitRun | Autoplay::Done))
            && autoplay_at.is_none()
        {
            autoplay_at = Some(Instant::now() + ctx.autoplay_delay);
        }
        if app.status.seq != fold.0 {
            fold = (app.status.seq, Some(Instant::now() + state::FOLD_AFTER));
        }
        if dirty {
            let mut hits = app::HitMap::default();
            let completed = terminal
                .draw(|f| hits = ui::draw(f, app))
                .map_err(|e| io::Error::other(e.to_string()))?;
            app.update(Msg::Drawn(hits));
            if let Some(tx) = &ctx.frames {
                let _ = tx.send(buffer_text(completed.buffer));
            }
        }
        if app.quit {
            return Ok(());
        }
        #[cfg(unix)]
        let sigterm = terminate(&mut term_signal);
        #[cfg(not(unix))]
        let sigterm = std::future::pending::<()>();
        #[cfg(unix)]
        let (tstp, cont) = (
            recv_or_pending(&mut job.tstp),
            recv_or_pending(&mut job.cont),
        );
        #[cfg(not(unix))]
        let (tstp, cont) = (std::future::pending::<()>(), std::future::pending::<()>());
        // Every source becomes a message on the one queue.
        let first = tokio::select! {
            biased;
            _ = sigterm => Some(Msg::Quit),
            // Stopped from outside: the same path as Ctrl-Z (restore, stop, come back).
            _ = tstp => {
                work::suspend(ctx.mouse);
                redraw_all(terminal)?;
                dirty = true;
                continue;
            }
            // Continued (after any stop): raw mode and the alternate screen again, redrawn.
            _ = cont => {
                work::resume(ctx.mouse);
                redraw_all(terminal)?;
                dirty = true;
                continue;
            }
            Some(m) = ctx.rx.recv() => Some(m),
            ev = input.next() => match ev {
                Some(Ok(ev)) => from_terminal(ev),
                Some(Err(e)) => return Err(e),
                None => Some(Msg::Quit),
            },
            _ = until(autoplay_at) => {
                autoplay_at = None;
                Some(Msg::Autoplay)
            }
            _ = until(fold.1) => {
                fold.1 = None;
                Some(Msg::FoldStatus(fold.0))
            }
            _ = tokio::time::sleep(Duration::from_millis(250)), if app.run.running() => Some(Msg::Tick(std::time::Instant::now())),
        };
        dirty = first.is_some();
        let mut next = first;
        while let Some(msg) = next.take().or_else(|| ctx.rx.try_recv().ok()) {
            for effect in app.update(msg) {
                match effect {
                    Effect::Suspend => {
                        if ctx.terminal_io {
                            work::suspend(ctx.mouse);
                            redraw_all(terminal)?;
                        }
                    }
                    e => ctx.apply(e),
                }
            }
            if app.quit {
                break;
            }
        }
    }
}

/// Clears the screen and makes the next draw write every cell. Not `Terminal::clear`, which
/// asks the terminal for the cursor position: an answer the input stream, reading at the same
/// time, may take first (the console then ended with "the cursor position could not be read").
fn redraw_all<B>(terminal: &mut Terminal<B>) -> io::Result<()>
where
    B: Backend,
    B::Error: std::fmt::Display,
{
    terminal
        .backend_mut()
        .clear()
        .map_err(|e| io::Error::other(e.to_string()))?;
    // Both buffers blank: the next draw differs from "before" in every cell it paints.
    terminal.swap_buffers();
    terminal.swap_buffers();
    Ok(())
}

/// A drawn buffer as plain text, one line per row.
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
