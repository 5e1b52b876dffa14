//! Asking every node for its `/status`, and the table made of the answers.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::manifest::{Network, Node};
use super::procs;

/// How long one `/status` request may take.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// The part of a node's `GET /status` the table shows (docs/operating.md).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Status {
    /// `normal`, `resynchronise` or `stopped`.
    pub mode: String,
    /// Height of the highest stored block.
    pub height: u64,
    /// Tip digest (byte-reversed hex).
    pub tip: Option<String>,
    /// Upstreams per transport.
    #[serde(default)]
    pub peers: BTreeMap<String, Peers>,
}

/// Upstream counts of one transport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peers {
    /// Connected upstreams.
    pub connected: usize,
    /// Of those, registered.
    pub registered: usize,
}

/// One row: a node and what it answered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// `node-N`.
    pub name: String,
    /// Its pid in network.json.
    pub pid: u32,
    /// Whether that process runs.
    pub running: bool,
    /// `zmq`, `libp2p` or `zmq+libp2p`.
    pub transports: String,
    /// Its mode, or `down` (process gone) or `unreachable` (no answer).
    pub mode: String,
    /// Its height (null without an answer).
    pub height: Option<u64>,
    /// Its tip digest (null without an answer).
    pub tip: Option<String>,
    /// Upstreams per transport.
    pub peers: BTreeMap<String, Peers>,
    /// Blocks per second over the last polls (foreground table only).
    pub blocks_per_s: Option<f64>,
    /// Its HTTP API address.
    pub http: SocketAddr,
}

/// Why a node's `/status` could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PollError {
    /// No answer within the poll's timeout.
    #[error("no answer from {addr} within {TIMEOUT:?}")]
    Timeout {
        /// The node's HTTP address.
        addr: SocketAddr,
    },
    /// Connecting, writing or reading failed.
    #[error("{addr}: {source}")]
    Io {
        /// The node's HTTP address.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
    /// The reply was not HTTP.
    #[error("{addr}: malformed reply")]
    Malformed {
        /// The node's HTTP address.
        addr: SocketAddr,
    },
    /// The reply's status was not 200.
    #[error("{addr}{path}: HTTP {code}")]
    Status {
        /// The node's HTTP address.
        addr: SocketAddr,
        /// The path asked for.
        path: &'static str,
        /// The HTTP status code.
        code: String,
    },
    /// The body was not the status JSON.
    #[error("{addr}/status: {source}")]
    Json {
        /// The node's HTTP address.
        addr: SocketAddr,
        /// The decoding error.
        source: serde_json::Error,
    },
    /// The polling task failed.
    #[error("poll task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// `GET /status` of `addr`.
///
/// # Errors
///
/// [`PollError`]: connection, timeout, HTTP status or JSON.
pub async fn status(addr: SocketAddr) -> Result<Status, PollError> {
    let body = tokio::time::timeout(TIMEOUT, get(addr, "/status"))
        .await
        .map_err(|_| PollError::Timeout { addr })??;
    serde_json::from_str(&body).map_err(|source| PollError::Json { addr, source })
}

async fn get(addr: SocketAddr, path: &'static str) -> Result<String, PollError> {
    let fail = |source: std::io::Error| PollError::Io { addr, source };
    let mut stream = TcpStream::connect(addr).await.map_err(fail)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(fail)?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.map_err(fail)?;
    let text = String::from_utf8_lossy(&bytes);
    let (head, body) = text.split_once("\r\n\r\n").ok_or(PollError::Malformed { addr })?;
    let code = head.split(' ').nth(1).unwrap_or("?");
    if code != "200" {
        return Err(PollError::Status { addr, path, code: code.to_owned() });
    }
    Ok(body.to_owned())
}

/// Polls every node once, concurrently.
pub async fn rows(network: &Network) -> Vec<Row> {
    let tasks: Vec<_> = network.nodes.iter().map(|n| tokio::spawn(status(n.http))).collect();
    let mut out = Vec::with_capacity(tasks.len());
    for (node, task) in network.nodes.iter().zip(tasks) {
        let answer = task.await.unwrap_or_else(|e| Err(PollError::Task(e)));
        out.push(row(node, answer));
    }
    out
}

fn row(node: &Node, answer: Result<Status, PollError>) -> Row {
    let running = procs::alive(node.pid, node);
    let (mode, height, tip, peers) = match answer {
        Ok(s) => (s.mode, Some(s.height), s.tip, s.peers),
        Err(_) if !running => ("down".into(), None, None, BTreeMap::new()),
        Err(_) => ("unreachable".into(), None, None, BTreeMap::new()),
    };
    Row {
        name: node.name.clone(),
        pid: node.pid,
        running,
        transports: node.transport_names(),
        mode,
        height,
        tip,
        peers,
        blocks_per_s: None,
        http: node.http,
    }
}

/// `zmq 2/2 libp2p 1/1`: registered / connected upstreams per transport.
pub fn peers_text(peers: &BTreeMap<String, Peers>) -> String {
    let parts: Vec<String> =
        peers.iter().map(|(t, p)| format!("{t} {}/{}", p.registered, p.connected)).collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(" ")
    }
}

/// The table: a header and one line per row.
pub fn table(rows: &[Row]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<8} {:<11} {:<13} {:>7} {:<12} {:<22} {:>8}",
        "NODE", "TRANSPORT", "MODE", "HEIGHT", "TIP", "PEERS (reg/conn)", "BLOCKS/S"
    );
    for r in rows {
        let height = r.height.map_or("-".into(), |h| h.to_string());
        let tip = r.tip.as_deref().map_or("-", |d| &d[..d.len().min(12)]);
        let rate = r.blocks_per_s.map_or("-".into(), |b| format!("{b:.2}"));
        let _ = writeln!(
            t,
            "{:<8} {:<11} {:<13} {:>7} {:<12} {:<22} {:>8}",
            r.name,
            r.transports,
            r.mode,
            height,
            tip,
            peers_text(&r.peers),
            rate
        );
    }
    t
}

/// `{"nodes": [...]}` of `peerd testnet status --json`.
pub fn json(rows: &[Row]) -> String {
    serde_json::json!({ "nodes": rows }).to_string()
}
