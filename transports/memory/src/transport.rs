//! The `Transport` implementation: start-up and the command loop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use peerd_api::bytes::Bytes;
use peerd_api::{
    Addr, CancellationToken, DialTarget, GossipMode, PeerId, Transport, TransportCommand,
    TransportContext, TransportError, TransportEvent, TransportHandle, CHANNEL_CAPACITY,
    MAX_MESSAGE_BYTES,
};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;

use crate::connection::{Connection, Queued};
use crate::server::Server;
use crate::{MemoryNet, TRANSPORT_NAME};

/// How long a request waits for its reply unless configured otherwise (bitmarkd's 60 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How many requests may wait on one connection unless configured otherwise.
pub const DEFAULT_QUEUE_LIMIT: usize = 256;

/// A node's transport on a [`MemoryNet`], configured and ready to start.
///
/// Made by [`MemoryNet::transport`]. Starting it registers the node's name on the net
/// (a name can be running only once) and dials the configured peers.
#[derive(Debug)]
pub struct MemoryTransport {
    net: MemoryNet,
    name: String,
    peers: Vec<String>,
    timeout: Duration,
    queue_limit: usize,
}

impl MemoryNet {
    /// A transport for the node `name` on this network; configure it, then start it.
    pub fn transport(&self, name: impl Into<String>) -> MemoryTransport {
        MemoryTransport::new(self.clone(), name.into())
    }
}

impl MemoryTransport {
    pub(crate) fn new(net: MemoryNet, name: String) -> Self {
        Self {
            net,
            name,
            peers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            queue_limit: DEFAULT_QUEUE_LIMIT,
        }
    }

    /// Nodes to dial as soon as the transport starts, like the kernel's `Dial` commands.
    pub fn peers<I, S>(mut self, peers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.peers = peers.into_iter().map(Into::into).collect();
        self
    }

    /// The request timeout ([`DEFAULT_TIMEOUT`] unless set), counted from the moment the
    /// request leaves (after the requests queued before it were answered).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many requests may wait on one connection ([`DEFAULT_QUEUE_LIMIT`] unless set, at
    /// least 1); further requests fail at once.
    pub fn queue_limit(mut self, limit: usize) -> Self {
        self.queue_limit = limit.max(1);
        self
    }
}

impl Transport for MemoryTransport {
    fn name(&self) -> &str {
        TRANSPORT_NAME
    }

    fn start(self: Box<Self>, ctx: TransportContext) -> Result<TransportHandle, TransportError> {
        let addr = Addr::new(format!("mem://{}", self.name));
        if self.name.is_empty() {
            return Err(TransportError::Config {
                transport: TRANSPORT_NAME,
                reason: "empty node name".into(),
            });
        }
        let (inbox_tx, inbox) = mpsc::channel(CHANNEL_CAPACITY);
        let epoch =
            self.net.register(&self.name, inbox_tx).ok_or_else(|| TransportError::Bind {
                addr: addr.to_string(),
                reason: "another running node has this name".into(),
            })?;
        let (commands, command_rx) = mpsc::channel(CHANNEL_CAPACITY);
        let stopped = Arc::new(Notify::new());
        let local = Bytes::copy_from_slice(self.name.as_bytes());
        let local_id = PeerId::new(local.clone());
        let handle = TransportHandle::new(
            TRANSPORT_NAME,
            commands,
            GossipMode::PerPeer,
            local_id,
            stopped.clone(),
        )
        .with_listeners(local)
        .with_listen_addrs(vec![addr.clone()]);
        let stop = ctx.shutdown.child_token();
        let server = Server {
            net: self.net.clone(),
            name: self.name.clone(),
            chain: ctx.chain.clone(),
            events: ctx.events.clone(),
            stop: stop.clone(),
        };
        let node = Node {
            config: *self,
            ctx,
            stop,
            epoch,
            connections: HashMap::new(),
            tasks: JoinSet::new(),
        };
        tokio::spawn(node.run(addr, command_rx, server, inbox, stopped));
        Ok(handle)
    }
}

/// A running node's command side.
struct Node {
    config: MemoryTransport,
    ctx: TransportContext,
    /// Child of the node's shutdown token; also cancelled when the kernel drops the handle.
    stop: CancellationToken,
    epoch: u64,
    connections: HashMap<PeerId, Link>,
    /// Every connection task, closed ones included, so that stopping waits for all.
    tasks: JoinSet<()>,
}

/// The command loop's view of one outgoing connection.
struct Link {
    queue: mpsc::Sender<Queued>,
    cancel: CancellationToken,
}

impl Node {
    async fn run(
        mut self,
        addr: Addr,
        mut commands: mpsc::Receiver<TransportCommand>,
        server: Server,
        inbox: mpsc::Receiver<crate::wire::Envelope>,
        stopped: Arc<Notify>,
    ) {
        let name = self.config.name.clone();
        tracing::debug!(node = %name, "memory transport listening");
        let server = tokio::spawn(server.run(inbox));
        tokio::select! {
            biased;
            _ = self.stop.cancelled() => {}
            _ = self.ctx.events.send(TransportEvent::Listening(addr)) => {}
        }
        for peer in self.config.peers.clone() {
            self.dial(MemoryNet::target(&peer));
        }
        loop {
            tokio::select! {
                biased;
                _ = self.stop.cancelled() => break,
                Some(_) = self.tasks.join_next(), if !self.tasks.is_empty() => {}
                command = commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => break,
                },
            }
        }
        self.stop.cancel();
        self.config.net.unregister(&name, self.epoch);
        self.connections.clear();
        while self.tasks.join_next().await.is_some() {}
        let _ = server.await;
        // Fail the commands that arrived after the stop.
        commands.close();
        while let Ok(command) = commands.try_recv() {
            if let TransportCommand::Request { reply, .. } = command {
                let _ = reply.send(Err(TransportError::Stopped));
            }
        }
        tracing::debug!(node = %name, "memory transport stopped");
        stopped.notify_waiters();
        stopped.notify_one();
    }

    fn command(&mut self, command: TransportCommand) {
        match command {
            TransportCommand::Dial(target) => self.dial(target),
            TransportCommand::Request { id, peer, request, reply } => {
                let size = request.wire_size(&self.ctx.chain);
                if size > MAX_MESSAGE_BYTES {
                    let _ =
                        reply.send(Err(TransportError::TooLarge { size, max: MAX_MESSAGE_BYTES }));
                    return;
                }
                let Some(link) = self.connections.get(&peer) else {
                    let _ = reply.send(Err(TransportError::NotConnected(peer)));
                    return;
                };
                if let Err(error) = link.queue.try_send(Queued { id, request, reply }) {
                    let (full, queued) = match error {
                        mpsc::error::TrySendError::Full(q) => (true, q),
                        mpsc::error::TrySendError::Closed(q) => (false, q),
                    };
                    let error = if full {
                        TransportError::QueueFull { peer, limit: self.config.queue_limit }
                    } else {
                        TransportError::NotConnected(peer)
                    };
                    let _ = queued.reply.send(Err(error));
                }
            }
            TransportCommand::Broadcast(item) => {
                tracing::debug!(kind = %item.kind, "memory transport gossips per peer; broadcast ignored");
            }
            // Requests go to the kernel as events: simulations keep one ordered path.
            // Tests ban through the kernel; a memory peer's requests are the kernel's to refuse.
            TransportCommand::Serve(_)
            | TransportCommand::Ban { .. }
            | TransportCommand::Admit(_)
            | TransportCommand::Evict(_) => {}
            TransportCommand::Disconnect(peer) => {
                if let Some(link) = self.connections.remove(&peer) {
                    link.cancel.cancel();
                }
            }
        }
    }

    /// Opens (or re-opens) a connection to a memory target; the key and listeners must both
    /// name the node (an empty key means "whatever identity the name has").
    fn dial(&mut self, target: DialTarget) {
        if target.transport != TRANSPORT_NAME {
            tracing::warn!(transport = %target.transport, "memory transport cannot dial another transport's target");
            return;
        }
        let Ok(remote) = std::str::from_utf8(&target.listeners).map(str::to_owned) else {
            tracing::warn!(listeners = ?target.listeners, "memory dial target is not a node name");
            return;
        };
        if remote.is_empty() || !(target.key.is_empty() || target.key == target.listeners) {
            tracing::warn!(node = %remote, key = ?target.key, "memory dial target has a mismatched key");
            return;
        }
        let peer = MemoryNet::peer_id(&remote);
        if let Some(old) = self.connections.remove(&peer) {
            old.cancel.cancel();
        }
        let (queue, queue_rx) = mpsc::channel(self.config.queue_limit);
        let cancel = self.stop.child_token();
        let connection = Connection {
            net: self.config.net.clone(),
            local: self.config.name.clone(),
            remote,
            peer: peer.clone(),
            target,
            chain: self.ctx.chain.clone(),
            timeout: self.config.timeout,
            events: self.ctx.events.clone(),
            cancel: cancel.clone(),
            stopping: self.stop.clone(),
        };
        self.tasks.spawn(connection.run(queue_rx));
        self.connections.insert(peer, Link { queue, cancel });
    }
}
