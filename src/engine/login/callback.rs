//! The loopback callback server on 127.0.0.1 and [::1] at one port, and what holds a port.

use super::*;

/// The loopback callback server on 127.0.0.1 and [::1] at one port. Closed when dropped.
pub(super) struct CallbackServer {
    /// Dropping it tells both listeners to stop and their connections to close.
    _stop: tokio::sync::watch::Sender<bool>,
}

pub(super) fn bind_now(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // SO_REUSEADDR lets a re-run bind over the last login's TIME_WAIT connections; on Linux a
    // port another socket *listens* on still fails here (that needs SO_REUSEPORT).
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(16)
}

impl CallbackServer {
    /// Listens on both loopback addresses (the redirect's `localhost` may resolve to either).
    /// Fails when either is taken: another process on `[::1]` could receive the code.
    pub(super) fn start(
        port: u16,
        path: &str,
        state: &str,
        tx: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> std::io::Result<CallbackServer> {
        use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
        let v4 = bind_now(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
        let v6 = match bind_now(SocketAddr::from((Ipv6Addr::LOCALHOST, port))) {
            Ok(l) => Some(l),
            // No IPv6 loopback on this machine: nothing else can listen there either.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::AddrNotAvailable | std::io::ErrorKind::Unsupported
                ) || e.raw_os_error() == Some(97) =>
            {
                None
            }
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("[::1]:{port} is taken ({e})"),
                ));
            }
        };
        let app = callback_app(path, state, tx);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        for listener in std::iter::once(v4).chain(v6) {
            let app = app.clone();
            let mut stopped = stopped.clone();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        // Ends when the sender is dropped (or says stop).
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await;
            });
        }
        Ok(CallbackServer { _stop: stop })
    }
}

/// The callback route: this login's redirect is taken (once); anything else gets a 400 page
/// and the login keeps waiting (a stray `<img>` or an old tab cannot end it).
pub(super) fn callback_app(
    path: &str,
    state: &str,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
) -> axum::Router {
    use axum::extract::OriginalUri;
    use axum::http::StatusCode;
    use axum::response::Html;
    let state = state.to_string();
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    axum::Router::new().route(
        path,
        axum::routing::get(move |OriginalUri(uri): OriginalUri| {
            let tx = tx.clone();
            let state = state.clone();
            let taken = taken.clone();
            async move {
                let url = uri.to_string();
                let params = parse_callback(&url);
                let ours = params.get("state") == Some(&state)
                    && (params.contains_key("code") || params.contains_key("error"));
                let close = [(axum::http::header::CONNECTION, "close")];
                if !ours {
                    return (
                        StatusCode::BAD_REQUEST,
                        close,
                        Html("<!DOCTYPE html><html><body><h1>Not this login</h1><p>This request does not carry the login sagediag is waiting for (its state is missing or from another attempt). sagediag keeps waiting: finish the login in the tab sagediag opened, or paste that tab's URL in the terminal.</p></body></html>"),
                    );
                }
                if !taken.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    let _ = tx.send(url);
                }
                (
                    StatusCode::OK,
                    close,
                    Html("<!DOCTYPE html><html><body><h1>sagediag received the login</h1><p>You can close this window and return to the terminal.</p></body></html>"),
                )
            }
        }),
    )
}

/// What holds a local TCP port, when the OS tells (Linux: /proc, processes this user may see).
pub fn port_holder(port: u16) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        let mut inodes = Vec::new();
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let Ok(text) = std::fs::read_to_string(table) else {
                continue;
            };
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; inode is field 9.
                let (Some(local), Some(st), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else {
                    continue;
                };
                let p = local
                    .rsplit_once(':')
                    .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
                if p == Some(port) && *st == "0A" && *inode != "0" {
                    inodes.push(format!("socket:[{inode}]"));
                }
            }
        }
        if inodes.is_empty() {
            return None;
        }
        let procs = std::fs::read_dir("/proc").ok()?;
        for entry in procs.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !pid.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
                continue;
            };
            for fd in fds.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                if inodes.iter().any(|i| target.as_os_str() == i.as_str()) {
                    let comm = std::fs::read_to_string(entry.path().join("comm"))
                        .map(|c| c.trim().to_string())
                        .unwrap_or_default();
                    return Some(format!(
                        "{} (pid {pid})",
                        crate::engine::sanitize::line(&comm)
                    ));
                }
            }
        }
        Some("another process".into())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = port;
        None
    }
}
