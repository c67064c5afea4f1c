//! A TCP proxy for fault injection: it forwards every connection to an upstream address, and
//! can be told to cut all connections (now, or once a number of further bytes came from the
//! clients) and to refuse new ones, as a server that crashes or stops would. `restore` makes
//! it a plain proxy again.
//!
//! ```ignore
//! let proxy = Proxy::start("127.0.0.1:7687").await?;
//! config.uri = proxy.uri("bolt");
//! proxy.stop_after(10_000); // the "server" dies mid-transaction and stays down
//! proxy.restore();          // and is back
//! ```

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

/// A running proxy on 127.0.0.1; its accept loop stops when it is dropped.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_loop: tokio::task::JoinHandle<()>,
}

struct Shared {
    upstream: String,
    faults: Mutex<Faults>,
    /// Bumped on every cut; each connection ends when it changes.
    generation: watch::Sender<u64>,
    /// Whether new connections are refused (the listening socket is closed meanwhile).
    refusing: watch::Sender<bool>,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    connections: AtomicU64,
    cuts: AtomicU64,
    /// Times a client started sending after it had last received (or for the first time): the
    /// request-response round trips, however many messages each batch held.
    turns: AtomicU64,
}

#[derive(Default)]
struct Faults {
    /// Client bytes still forwarded before every connection is cut; `None`: no limit. Once
    /// spent it stays at 0, so any later client byte cuts again, until `restore`.
    budget: Option<u64>,
    /// Refuse new connections once the budget is spent.
    refuse_when_spent: bool,
}

impl Shared {
    /// How many of `n` client bytes may go upstream; cuts everything when fewer than `n`.
    fn take(&self, n: u64) -> u64 {
        let (allowed, spent, refuse) = {
            let mut f = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
            match f.budget {
                None => (n, false, false),
                Some(left) => {
                    let allowed = left.min(n);
                    f.budget = Some(left - allowed);
                    (allowed, allowed < n, f.refuse_when_spent)
                }
            }
        };
        self.bytes_up.fetch_add(allowed, Ordering::SeqCst);
        if spent {
            if refuse {
                self.refusing.send_replace(true);
            }
            self.cut();
        }
        allowed
    }

    fn cut(&self) {
        self.cuts.fetch_add(1, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }
}

impl Proxy {
    /// Listens on a free 127.0.0.1 port and forwards to `upstream` (`host:port`).
    pub async fn start(upstream: impl Into<String>) -> std::io::Result<Proxy> {
        let listener = listen("127.0.0.1:0".parse().expect("address"))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream: upstream.into(),
            faults: Mutex::new(Faults::default()),
            generation: watch::channel(0).0,
            refusing: watch::channel(false).0,
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            cuts: AtomicU64::new(0),
            turns: AtomicU64::new(0),
        });
        let accept_loop = tokio::spawn(accept_loop(listener, addr, Arc::clone(&shared)));
        Ok(Proxy {
            addr,
            shared,
            accept_loop,
        })
    }

    /// A proxy to the host and port of a `scheme://host:port` URI (the scheme is dropped).
    pub async fn for_uri(uri: &str) -> std::io::Result<Proxy> {
        let target = uri.split("://").nth(1).unwrap_or(uri);
        let target = target.split(['/', '?']).next().unwrap_or(target);
        Proxy::start(target.to_owned()).await
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `scheme://127.0.0.1:<port>`.
    pub fn uri(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// Cuts every open connection once `bytes` more client bytes went upstream (across all
    /// connections; the chunk that crosses the line is forwarded only up to it). From then
    /// on any client byte cuts its connection again, until [`restore`](Self::restore).
    /// New connections are still accepted.
    pub fn cut_after(&self, bytes: u64) {
        self.arm(bytes, false);
    }

    /// As [`cut_after`](Self::cut_after), and new connections are refused from the cut on:
    /// the server stopped mid-stream and stays down until [`restore`](Self::restore).
    pub fn stop_after(&self, bytes: u64) {
        self.arm(bytes, true);
    }

    fn arm(&self, bytes: u64, refuse: bool) {
        let mut f = self
            .shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f.budget = Some(bytes);
        f.refuse_when_spent = refuse;
    }

    /// Cuts every open connection now (new ones are accepted as before).
    pub fn cut_now(&self) {
        self.shared.cut();
    }

    /// Refuses (`true`) or accepts again (`false`) new connections. Refusing closes the
    /// listening socket, so clients get "connection refused"; open connections are kept.
    pub fn refuse(&self, refuse: bool) {
        self.shared.refusing.send_replace(refuse);
    }

    /// Cuts everything and refuses new connections: the server is down.
    pub fn stop_now(&self) {
        self.refuse(true);
        self.cut_now();
    }

    /// A plain proxy again: no byte limit, new connections accepted.
    pub fn restore(&self) {
        *self
            .shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Faults::default();
        self.refuse(false);
    }

    /// Client bytes forwarded upstream so far.
    pub fn bytes_up(&self) -> u64 {
        self.shared.bytes_up.load(Ordering::SeqCst)
    }

    /// Server bytes forwarded to clients so far.
    pub fn bytes_down(&self) -> u64 {
        self.shared.bytes_down.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Times every connection was cut (by a spent budget or [`cut_now`](Self::cut_now)).
    /// Round trips so far: each time a client sent after it had received (or first sent).
    pub fn round_trips(&self) -> u64 {
        self.shared.turns.load(Ordering::SeqCst)
    }

    pub fn cuts(&self) -> u64 {
        self.shared.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept_loop.abort();
        self.shared.cut();
    }
}

/// A listening socket that can be re-bound to the same port after it was closed.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}

async fn accept_loop(listener: TcpListener, addr: SocketAddr, shared: Arc<Shared>) {
    let mut listener = Some(listener);
    let mut refusing = shared.refusing.subscribe();
    loop {
        if *refusing.borrow_and_update() {
            listener = None;
            if refusing.changed().await.is_err() {
                return;
            }
            continue;
        }
        let current = match listener.take() {
            Some(l) => l,
            None => match listen(addr) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("proxy: cannot listen on {addr} again: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        tokio::select! {
            accepted = current.accept() => {
                listener = Some(current);
                let Ok((client, _)) = accepted else { continue };
                if *shared.refusing.borrow() {
                    continue; // refused meanwhile: dropped unanswered
                }
                shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(forward(client, Arc::clone(&shared)));
            }
            changed = refusing.changed() => {
                listener = Some(current);
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// Forwards one connection until either side closes or the proxy cuts it.
async fn forward(client: TcpStream, shared: Arc<Shared>) {
    let mut generation = shared.generation.subscribe();
    let Ok(server) = TcpStream::connect(&shared.upstream).await else {
        return;
    };
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    // Who sent last on this connection: 0 nobody, 1 the client, 2 the server.
    let last = std::sync::atomic::AtomicU8::new(0);
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if last.swap(1, Ordering::SeqCst) != 1 {
                shared.turns.fetch_add(1, Ordering::SeqCst);
            }
            let allowed = shared.take(n as u64) as usize;
            if allowed > 0 && sw.write_all(&buf[..allowed]).await.is_err() {
                return;
            }
            if allowed < n {
                return;
            }
        }
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            last.store(2, Ordering::SeqCst);
            if cw.write_all(&buf[..n]).await.is_err() {
                return;
            }
            shared.bytes_down.fetch_add(n as u64, Ordering::SeqCst);
        }
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = generation.changed() => {}
    }
    // Dropping the halves closes both sockets.
}
