//! An HTTP/1.1 proxy that makes a server answer 5xx: every Nth request, or every request
//! during an outage, gets an S3-style error answer (`503 SlowDown`, or `500 InternalError`
//! during an outage) instead of being forwarded. Other requests go to the upstream server
//! unchanged, one request per connection (`Connection: close` both ways), so no response
//! needs parsing.
//!
//! ```ignore
//! let faults = HttpFaults::start("127.0.0.1:4566").await?;
//! faults.fail_every(11);   // S3 answers every 11th request with 503 SlowDown
//! faults.outage(true);     // … and every request with 500 until outage(false)
//! ```

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy on 127.0.0.1; its accept loop stops when it is dropped.
pub struct HttpFaults {
    addr: SocketAddr,
    state: Arc<State>,
    accept_loop: tokio::task::JoinHandle<()>,
}

struct State {
    upstream: String,
    every: AtomicU64,
    outage: AtomicBool,
    requests: AtomicU64,
    injected: AtomicU64,
}

/// The largest request head read (S3 GET and HEAD requests are far smaller).
const MAX_HEAD: usize = 64 * 1024;

impl HttpFaults {
    /// Starts a proxy to `upstream` (`host:port`) on a free port.
    pub async fn start(upstream: impl Into<String>) -> std::io::Result<HttpFaults> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            upstream: upstream.into(),
            every: AtomicU64::new(0),
            outage: AtomicBool::new(false),
            requests: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        });
        let shared = state.clone();
        let accept_loop = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(client, &state).await;
                });
            }
        });
        Ok(HttpFaults {
            addr,
            state,
            accept_loop,
        })
    }

    /// A proxy to the host and port of `url` (`http://host:port`).
    pub async fn for_url(url: &str) -> std::io::Result<HttpFaults> {
        let hostport = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        Self::start(hostport).await
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every `n`th request (counted from the start) answers 503 SlowDown; 0: none.
    pub fn fail_every(&self, n: u64) {
        self.state.every.store(n, Ordering::SeqCst);
    }

    /// While on, every request answers 500 InternalError.
    pub fn outage(&self, on: bool) {
        self.state.outage.store(on, Ordering::SeqCst);
    }

    /// Requests seen so far.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Requests answered with an injected error so far.
    pub fn injected(&self) -> u64 {
        self.state.injected.load(Ordering::SeqCst)
    }
}

impl Drop for HttpFaults {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

/// The end of the head (after its blank line), if `buf` holds it.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

async fn serve(mut client: TcpStream, state: &State) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let end = loop {
        if let Some(end) = head_end(&buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Ok(());
        }
        let mut chunk = [0u8; 4096];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut headers: Vec<String> = Vec::new();
    let mut length = 0usize;
    for line in lines.filter(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("connection") {
            continue;
        }
        if name.eq_ignore_ascii_case("content-length") {
            length = line[name.len() + 1..].trim().parse().unwrap_or(0);
        }
        headers.push(line.to_owned());
    }
    // The body (S3 reads have none; a PUT's is forwarded as it came).
    while buf.len() < end + length {
        let mut chunk = vec![0u8; (end + length - buf.len()).min(64 * 1024)];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }

    let n = state.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let every = state.every.load(Ordering::SeqCst);
    let injected = if state.outage.load(Ordering::SeqCst) {
        Some((
            "500 Internal Server Error",
            "InternalError",
            "We encountered an internal error. Please try again.",
        ))
    } else if every > 0 && n % every == 0 {
        Some((
            "503 Slow Down",
            "SlowDown",
            "Please reduce your request rate.",
        ))
    } else {
        None
    };
    if let Some((status, code, message)) = injected {
        state.injected.fetch_add(1, Ordering::SeqCst);
        let is_head = request_line.starts_with("HEAD ");
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
             <Message>{message}</Message><RequestId>ork-soak-{n}</RequestId></Error>"
        );
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
             x-amz-request-id: ork-soak-{n}\r\nConnection: close\r\n\r\n{}",
            body.len(),
            if is_head { "" } else { body.as_str() }
        );
        client.write_all(answer.as_bytes()).await?;
        return client.shutdown().await;
    }

    let mut upstream = TcpStream::connect(&state.upstream).await?;
    let mut out = Vec::with_capacity(end + length + 32);
    out.extend_from_slice(request_line.as_bytes());
    out.extend_from_slice(b"\r\n");
    for h in &headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&buf[end..end + length]);
    upstream.write_all(&out).await?;
    tokio::io::copy(&mut upstream, &mut client).await?;
    client.shutdown().await
}
