//! The transport boundary: how the kernel talks to peers over ZeroMQ, libp2p or memory.
//!
//! A transport runs as its own task (or threads) and talks to the kernel over two bounded
//! channels: [`TransportCommand`]s in, [`TransportEvent`]s out. Every outgoing request
//! carries a [`RequestId`] and a one-shot reply slot; inbound requests carry a reply slot
//! the kernel fills.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::{Addr, DialTarget, Item, PeerId, Request, Response};

/// Capacity of the command and event channels the kernel creates.
pub const CHANNEL_CAPACITY: usize = 1024;

/// Identifies one outgoing request, for correlation in logs and replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "req-{}", self.0)
    }
}

/// How a transport spreads gossip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GossipMode {
    /// The kernel pushes each item to every upstream as a [`Request::Gossip`] (bitmarkd).
    PerPeer,
    /// The transport spreads items itself on [`TransportCommand::Broadcast`] (gossipsub).
    Broadcast,
}

/// A command from the kernel to a transport.
#[derive(Debug)]
pub enum TransportCommand {
    /// Open (or re-open) an outgoing connection; reported by [`TransportEvent::Connected`].
    Dial(DialTarget),
    /// Send a request on an outgoing connection. One request is in flight per peer; the
    /// transport queues the rest in order. The reply slot always receives an answer.
    Request {
        /// Correlation id.
        id: RequestId,
        /// The upstream to ask.
        peer: PeerId,
        /// What to ask.
        request: Request,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<Response, TransportError>>,
    },
    /// Spread a gossip item to all peers (only for [`GossipMode::Broadcast`] transports).
    Broadcast(Item),
    /// Close an outgoing connection.
    Disconnect(PeerId),
    /// Refuse `peer` for `duration`: new connections from it, and requests on connections it
    /// already has. The kernel sends it to every transport when it bans a peer, and for the
    /// bans it restores at start. A transport that cannot tell who is asking ignores it.
    Ban {
        /// The banned peer, as the transport names it.
        peer: PeerId,
        /// How long from now.
        duration: std::time::Duration,
    },
    /// The kernel's read-only answers to `I N H B`, sent once at start. A transport may use
    /// them to answer those requests on its own threads, without a round trip through the
    /// kernel's loop; one that ignores this command sends them to the kernel as events.
    Serve(Arc<dyn Server>),
    /// The kernel's client pool, sent once at start: ask it about every inbound client
    /// (see [`crate::gate`]). A transport that ignores this command admits everyone.
    Admit(Arc<dyn crate::Gate>),
    /// The pool took `peer`'s place away (a better client came, or its debt grew too
    /// large): close its inbound connections, or drop its requests until it connects again
    /// and is admitted anew. A transport that cannot tell who is asking ignores it.
    Evict(PeerId),
}

/// Read-only answers a transport may give without the kernel (see [`TransportCommand::Serve`]).
pub trait Server: Send + Sync + std::fmt::Debug + 'static {
    /// The answer if it comes from memory (`I`, `N`): cheap enough for a socket thread.
    fn answer_now(&self, request: &Request) -> Option<Response>;

    /// The answer if it comes from the store (`H`, `B`; `I` and `N` too): it may block on a
    /// read, so call it from a thread that may block, and let no slow read hold up other
    /// requests. `None` for what only the kernel answers (`R`, gossip).
    fn answer_blocking(&self, request: &Request) -> Option<Response>;
}

/// An inbound request the kernel must answer through `reply`.
#[derive(Debug)]
pub struct InboundRequest {
    /// The name of the transport it arrived on.
    pub transport: String,
    /// The requester, when the transport knows it.
    pub peer: Option<PeerId>,
    /// The chain name the requester sent (checked by the transport against its own).
    pub request: Request,
    /// Where the answer goes; dropping it makes the transport answer with an error.
    pub reply: oneshot::Sender<Response>,
}

/// An event from a transport to the kernel.
#[derive(Debug)]
pub enum TransportEvent {
    /// The transport listens on this address.
    Listening(Addr),
    /// An outgoing connection is up (after the security handshake); register on it now.
    Connected {
        /// The peer's identity.
        peer: PeerId,
        /// What was dialled.
        target: DialTarget,
    },
    /// An outgoing connection went down; the transport will keep redialling it.
    Disconnected {
        /// The peer's identity.
        peer: PeerId,
    },
    /// An attempt to reach `target` failed (refused, unreachable, handshake failed). The
    /// kernel's dialer frees the attempt's slot and retries after a backoff. A transport
    /// that cannot tell (ZeroMQ retries inside libzmq) need not send it: the kernel's
    /// `dial_timeout` ends such attempts too.
    DialFailed {
        /// What was dialled.
        target: DialTarget,
        /// Why it failed, in one word (the `reason` label of `peerd_dial_failures_total`).
        failure: DialFailure,
        /// Why it failed, in full, for the log.
        reason: String,
    },
    /// The transport's own discovery (Kademlia, mDNS) found a peer. The kernel does not dial
    /// it here: it hands the peer to the peer layer (as [`crate::NodeEvent::PeerIntroduced`]),
    /// whose rebalance may ask for it, and every dial then goes through the kernel's dialer
    /// (its cap, timeout and backoff) like any other.
    Discovered(DialTarget),
    /// A peer asked something.
    Inbound(InboundRequest),
    /// A gossip item arrived outside a request (gossipsub); no reply is expected.
    Gossip {
        /// The name of the transport it arrived on.
        transport: String,
        /// The peer that forwarded it, if known.
        peer: Option<PeerId>,
        /// The item.
        item: Item,
    },
}

/// Why a dial failed, from a fixed set (metric labels stay bounded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DialFailure {
    /// The address answered with a refusal (nothing listening, or a firewall's reset).
    Refused,
    /// No route, or every address failed to connect.
    Unreachable,
    /// Connected, but the security or multiplexing handshake failed.
    Handshake,
    /// The peer on the other end is not the one dialled.
    WrongPeer,
    /// The target is this node itself.
    Ourselves,
    /// Refused by a local rule (a connection limit, a ban).
    Denied,
    /// Anything else.
    Other,
}

impl DialFailure {
    /// The label value: `refused`, `unreachable`, `handshake`, `wrong_peer`, `ourselves`,
    /// `denied` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Unreachable => "unreachable",
            Self::Handshake => "handshake",
            Self::WrongPeer => "wrong_peer",
            Self::Ourselves => "ourselves",
            Self::Denied => "denied",
            Self::Other => "other",
        }
    }
}

/// What a transport is given when it starts.
#[derive(Clone, Debug)]
pub struct TransportContext {
    /// The chain name; requests for another chain are refused.
    pub chain: String,
    /// Version string reported to peers.
    pub version: String,
    /// Where events go. Bounded: a transport that cannot deliver must apply backpressure
    /// or drop with a log line, never grow without limit.
    pub events: mpsc::Sender<TransportEvent>,
    /// Cancelled when the node shuts down.
    pub shutdown: CancellationToken,
    /// The node's metrics: [`MetricsRegistry::transport`] for the shared byte and inbound
    /// counts, [`MetricsRegistry::register`] for the transport's own.
    pub metrics: crate::MetricsRegistry,
}

/// A running transport. Built with [`TransportHandle::new`] (the fields may grow).
#[derive(Debug)]
#[non_exhaustive]
pub struct TransportHandle {
    /// The transport's name (`zmq`, `libp2p`, `memory`).
    pub name: String,
    /// Commands to the transport.
    pub commands: mpsc::Sender<TransportCommand>,
    /// How it spreads gossip.
    pub gossip: GossipMode,
    /// This node's identity on this transport.
    pub local_id: PeerId,
    /// This node's own listeners in the transport's format, announced in registrations.
    pub listeners: bytes::Bytes,
    /// Human-readable listen addresses for the startup summary.
    pub listen_addrs: Vec<Addr>,
    /// Resolves when the transport has stopped.
    pub stopped: Arc<tokio::sync::Notify>,
}

impl TransportHandle {
    /// The handle of transport `name`: its command channel, how it spreads gossip, this
    /// node's identity on it, and the notifier it signals once stopped. Listeners are empty
    /// until set with [`TransportHandle::with_listeners`] and
    /// [`TransportHandle::with_listen_addrs`].
    pub fn new(
        name: impl Into<String>,
        commands: mpsc::Sender<TransportCommand>,
        gossip: GossipMode,
        local_id: PeerId,
        stopped: Arc<tokio::sync::Notify>,
    ) -> Self {
        Self {
            name: name.into(),
            commands,
            gossip,
            local_id,
            listeners: bytes::Bytes::new(),
            listen_addrs: Vec::new(),
            stopped,
        }
    }

    /// This node's listeners in the transport's format (announced in registrations).
    pub fn with_listeners(mut self, listeners: bytes::Bytes) -> Self {
        self.listeners = listeners;
        self
    }

    /// Human-readable listen addresses (the startup summary).
    pub fn with_listen_addrs(mut self, addrs: Vec<Addr>) -> Self {
        self.listen_addrs = addrs;
        self
    }
}

/// A transport plugin, configured and ready to start.
pub trait Transport: Send + 'static {
    /// The transport's name, equal to the `kind` of its config section.
    fn name(&self) -> &str;

    /// True if this transport can dial `target` (its `transport` field names this one).
    fn supports(&self, target: &DialTarget) -> bool {
        target.transport == self.name()
    }

    /// Binds listeners and starts the transport's task. Fails if a listener cannot bind.
    fn start(self: Box<Self>, ctx: TransportContext) -> Result<TransportHandle, TransportError>;
}

/// Errors of the transport boundary.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// A listener could not bind its address.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The peer did not answer in time.
    #[error("request to {peer} timed out after {secs} s")]
    Timeout {
        /// The peer.
        peer: PeerId,
        /// The timeout.
        secs: u64,
    },
    /// No outgoing connection to this peer is up.
    #[error("not connected to {0}")]
    NotConnected(PeerId),
    /// The peer answered something that is not a valid reply (`invalid peer response`).
    #[error("invalid peer response from {peer}: {reason}")]
    InvalidResponse {
        /// The peer.
        peer: PeerId,
        /// What was wrong.
        reason: String,
    },
    /// A message exceeded the size limit.
    #[error("message of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Size seen.
        size: usize,
        /// Limit.
        max: usize,
    },
    /// The transport's configuration is invalid.
    #[error("invalid {transport} transport configuration: {reason}")]
    Config {
        /// Transport name.
        transport: &'static str,
        /// Why.
        reason: String,
    },
    /// The transport has stopped.
    #[error("transport stopped")]
    Stopped,
    /// Too many requests are waiting for this peer (the transport's queue limit).
    #[error("request queue to {peer} is full ({limit} waiting)")]
    QueueFull {
        /// The peer.
        peer: PeerId,
        /// The queue limit.
        limit: usize,
    },
    /// An I/O or library failure under the transport, with the error that caused it.
    #[error("{context}: {source}")]
    Io {
        /// What the transport was doing.
        context: String,
        /// The underlying error (shared, so that the error stays cheap to clone).
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl TransportError {
    /// Builds [`TransportError::Io`]: `context` says what the transport was doing.
    pub fn io(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        TransportError::Io { context: context.into(), source: Arc::new(source) }
    }

    /// Checks every entry of the list `key` of a transport's configuration and reports all
    /// the malformed ones at once (as bitmarkd does for its peers), each with its index:
    /// an operator fixes a file in one pass, not one error per start.
    ///
    /// # Errors
    ///
    /// [`TransportError::Config`] listing every entry whose check failed.
    pub fn check_all<T>(
        transport: &'static str,
        key: &str,
        entries: impl IntoIterator<Item = Result<T, String>>,
    ) -> Result<Vec<T>, TransportError> {
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for (index, entry) in entries.into_iter().enumerate() {
            match entry {
                Ok(value) => good.push(value),
                Err(reason) => bad.push(format!("{key}[{index}]: {reason}")),
            }
        }
        match bad.len() {
            0 => Ok(good),
            1 => Err(TransportError::Config { transport, reason: bad.remove(0) }),
            n => Err(TransportError::Config {
                transport,
                reason: format!("{n} malformed {key} entries: {}", bad.join("; ")),
            }),
        }
    }
}

#[cfg(test)]
mod check_all_tests {
    use super::TransportError;

    fn even(n: u32) -> Result<u32, String> {
        if n.is_multiple_of(2) {
            Ok(n)
        } else {
            Err(format!("{n} is odd"))
        }
    }

    #[test]
    fn every_bad_entry_is_listed_with_its_index() {
        assert_eq!(TransportError::check_all("t", "peers", [2, 4].map(even)).unwrap(), [2, 4]);
        let one = TransportError::check_all("t", "peers", [2, 3].map(even)).unwrap_err();
        assert_eq!(one.to_string(), "invalid t transport configuration: peers[1]: 3 is odd");
        let all = TransportError::check_all("t", "peers", [1, 2, 5].map(even)).unwrap_err();
        assert_eq!(
            all.to_string(),
            "invalid t transport configuration: 2 malformed peers entries: \
             peers[0]: 1 is odd; peers[2]: 5 is odd"
        );
    }
}
