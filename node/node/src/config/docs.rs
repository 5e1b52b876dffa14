//! One line of documentation per configuration key, for `peerd config init`.
//!
//! A unit test checks that every key of the default configuration is listed here and that
//! every listed key parses, so the generated file cannot drift from the code.

/// Documentation of one key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Doc {
    /// Scope and key: `node.chain`, `store.sled.cache_capacity_mb`, `transports.memory.peers`.
    pub(crate) key: &'static str,
    /// One line on what it does.
    pub(crate) text: &'static str,
    /// For keys unset by default: a sample value, written commented out.
    pub(crate) example: Option<&'static str>,
}

const fn doc(key: &'static str, text: &'static str) -> Doc {
    Doc { key, text, example: None }
}

const fn unset(key: &'static str, text: &'static str, example: &'static str) -> Doc {
    Doc { key, text, example: Some(example) }
}

/// Section headers.
pub(crate) const SECTIONS: &[(&str, &str)] = &[
    ("node", "The node itself."),
    (
        "transports",
        "Transports to start, one [[transports]] entry each, chosen by `kind`: \"memory\" \
         (in-process, for tests and simulations), \"zmq\" (bitmarkd's protocol) or \"libp2p\". Two entries make a bridge node.",
    ),
    (
        "store",
        "The key-value store, chosen by `kind`: \"sled\", \"rocksdb\" or \"memory\" \
         (nothing on disk). Each kind has its own keys; see config/examples/.",
    ),
    (
        "handlers",
        "[handlers.<name>] switches a compiled-in handler plugin on or off (`enabled`) and \
         passes it the section's other keys as options. This build has no handler plugins yet.",
    ),
    ("sync", "The connector: how peers are polled, elected and synced from (bitmarkd's constants)."),
    ("http", "The HTTP API: /status, /peers, /metrics, /healthz, /readyz (docs/operating.md). Off unless `listen` is set."),
    ("producer", "Local block production, for test networks on the dev and local chains."),
    (
        "clients",
        "The inbound client pool (go-ethereum's vflux model, docs/operating.md \"Inbound clients\"): \
         which clients, on every transport, stay connected when there is no room for all. Clients \
         are named `transport:hexkey` (a CURVE public key, a libp2p peer id's bytes).",
    ),
];

/// Every key, by scope.
pub(crate) const KEYS: &[Doc] = &[
    doc("node.chain", "Chain to follow: \"bitmark\", \"testing\", \"local\" or \"dev\" (cheap digest, no peers needed)."),
    doc("node.data_dir", "Directory for the lock file, the store and an optional peerd.toml; relative to the working directory."),
    doc("node.name", "This node's name in logs and on the memory transport."),
    doc("transports.kind", "Which transport this entry configures."),
    unset("transports.memory.name", "Name on the in-process network; defaults to [node] name.", "\"peerd\""),
    doc("transports.memory.peers", "Names of nodes on the same in-process network to connect to."),
    unset("transports.memory.request_timeout_secs", "Seconds a request waits for its reply (60 when unset).", "60"),
    unset("transports.memory.queue_limit", "Requests that may wait on one connection (256 when unset).", "256"),
    doc("transports.zmq.listen", "Listen addresses \"host:port\"; \"*\" is dual-stack; empty: \"*:<chain port>\" (2136 on bitmark)."),
    doc("transports.zmq.announce", "Addresses announced to peers in registrations; empty: the bound non-wildcard listen addresses."),
    doc("transports.zmq.max_inbound_per_ip", "Most inbound clients counted as connected from one IP address (static and pinned peers excepted); past it a handshake is refused."),
    unset("transports.zmq.public_key", "This node's public key: a file path or \"PUBLIC:<64 hex>\"; derived from the private key when unset.", "\"peer.public\""),
    unset("transports.zmq.private_key", "This node's private key: a file path or \"PRIVATE:<64 hex>\" (peerd keys zmq). Required.", "\"peer.private\""),
    doc("transports.zmq.peers", "Static peers: [{ public_key = \"PUBLIC:<hex>\", address = \"host:port\" }]."),
    doc("transports.zmq.publish", "Local publisher (PUB) addresses for monitoring services; empty: no publisher."),
    doc("transports.zmq.prefer_ipv6", "Dial a peer's IPv6 listener when it announces one (bitmarkd's default)."),
    unset("transports.zmq.request_timeout_secs", "Seconds a request waits for its reply (60 when unset).", "60"),
    unset("transports.zmq.reconnect_secs", "Seconds between reconnection attempts (120 when unset, as bitmarkd).", "120"),
    unset("transports.zmq.queue_limit", "Requests that may wait on one connection (256 when unset).", "256"),
    unset("transports.libp2p.listen", "Listen multiaddrs; unset: /ip4/0.0.0.0/tcp/<chain port>.", "[\"/ip4/0.0.0.0/tcp/2137\"]"),
    doc("transports.libp2p.bootstrap", "Peers to connect to at start: multiaddrs ending in /p2p/<peer id>."),
    unset("transports.libp2p.identity", "Identity file (peerd keys libp2p), relative to data_dir; unset: a new key at every start.", "\"libp2p-identity.key\""),
    doc("transports.libp2p.max_connections", "Most established connections, inbound and outbound together."),
    doc("transports.libp2p.max_connections_per_peer", "Most established connections to one peer."),
    doc("transports.libp2p.max_inbound", "Most established inbound connections; below max_connections, the rest is kept for the connections this node dials."),
    doc("transports.libp2p.max_inbound_per_ip", "Most established inbound connections from one IP address."),
    doc("transports.libp2p.request_timeout_secs", "Seconds a request waits for its reply."),
    doc("transports.libp2p.queue_limit", "Requests that may wait on one connection behind the one in flight."),
    doc("transports.libp2p.gossip_rate", "Gossip messages per second accepted from one peer; persistent excess disconnects it."),
    doc("transports.libp2p.discover", "Dial peers found by Kademlia (or mDNS) while fewer than 8 are connected."),
    doc("transports.libp2p.mdns", "Discover peers on the local network with mDNS (needs the mdns cargo feature)."),
    doc("transports.libp2p.quic", "Also listen on QUIC at the UDP port of each TCP listen address (needs the quic cargo feature)."),
    doc("store.kind", "Which backend stores the data."),
    unset("store.sled.path", "Database directory; relative paths are under [node] data_dir. Default <data_dir>/sled.", "\"sled\""),
    doc("store.sled.cache_capacity_mb", "Size of sled's page cache in MiB."),
    doc("store.sled.flush_every_ms", "Background flush interval in ms (0: only on explicit flush and clean shutdown)."),
    doc("sync.min_upstreams", "Registered upstreams needed before an election (bitmarkd minimumClients)."),
    doc("sync.min_votes", "Votes a winning chain needs: 1 ..= min_upstreams + 1."),
    doc("sync.fork_protection", "Refuse forks whose common block is this many blocks or more below the tip."),
    doc("sync.sampling_limit", "Failed elections tolerated while in sync before resynchronising."),
    doc("sync.cycle_interval", "Connector tick, in seconds."),
    doc("sync.poll_interval", "How often upstreams are polled for height and digest, in seconds."),
    doc("sync.request_timeout", "Request timeout, in seconds."),
    doc("sync.active_time", "A voter must have answered a poll within this many seconds."),
    doc("sync.max_dynamic_upstreams", "Upstream slots filled from peer announcements (bitmarkd maximumDynamicClients)."),
    doc("sync.fast_sync", "Take each block's digest from the next block's header while far behind (bitmarkd fast sync)."),
    doc("sync.fast_sync_pivot", "Fast sync stops this many blocks below the target."),
    doc("sync.forgery_check_every", "In fast sync, verify one random block in this many in full."),
    doc("sync.fetch_window", "Blocks requested at once across the upstreams of the winning chain."),
    doc("sync.max_buffered_bytes", "Upper bound on fetched but not yet applied block bytes held in memory."),
    doc("sync.fork_walk_batch", "Digests asked at once while walking down to a fork point."),
    doc("sync.exclude_time", "Seconds an upstream that served an invalid block, claimed a height it could not serve or left a fork walk unanswered sits out elections and fetches."),
    doc("sync.ban_threshold", "Misbehaviour score at which a peer is banned: an invalid block scores 100, a claimed height it cannot serve or an invalid reply 50, a timeout 10. Static peers are never banned."),
    doc("sync.ban_duration", "Seconds a ban lasts; bans are kept in the store across restarts."),
    doc("sync.score_half_life", "Seconds in which a misbehaviour score halves."),
    doc("sync.max_concurrent_dials", "Outgoing connection attempts in flight at once; the rest wait in order."),
    doc("sync.dial_timeout", "Seconds a connection attempt may take before it is retried after a backoff (1 s doubling to 60 s; a dynamic target is given up after 5 failures)."),
    doc("clients.max_inbound", "Most inbound clients connected at once, over all transports (our static peers count, and are never refused)."),
    doc("clients.max_capacity", "Most capacity units connected at once; an ordinary peer connects with 1."),
    doc("clients.time_price", "Credits a connected client pays per second."),
    doc("clients.capacity_price", "Credits a connected client pays per second and capacity unit."),
    doc("clients.request_price", "Credits a client pays per request served (0: requests are free; a busy client then keeps its place)."),
    doc("clients.positive_decay_secs", "Time constant, in seconds, of the exponential decay of positive balances (0: never)."),
    doc("clients.negative_decay_secs", "Time constant, in seconds, of the exponential decay of debts (0: never)."),
    doc("clients.connected_bias_secs", "Seconds of priority a connected client has over a newcomer, so a marginally better one does not evict it."),
    doc("clients.inactive_timeout_secs", "Seconds a disconnected client is remembered (longer while a balance of its is at or above `floor`)."),
    doc("clients.floor", "Balances below this are worth nothing: not kept in the store."),
    doc("clients.evict_below", "A client whose priority (minus its debt) falls below this is disconnected even when there is room."),
    doc("clients.pinned", "Clients always admitted and never evicted, as \"transport:hexkey\" (static peers are pinned too)."),
    doc("clients.positive", "Credits given at start, as \"transport:hexkey\" = credits: a higher priority for those clients."),
    doc("producer.enabled", "Build blocks on the local tip while in sync (dev and local chains only)."),
    doc("producer.interval", "Seconds between two produced blocks."),
    unset("http.listen", "Address of the HTTP API, e.g. \"127.0.0.1:2131\"; unset means no HTTP server.", "\"127.0.0.1:2131\""),
    doc("http.ready_within", "GET /readyz answers 200 only in Normal mode and at most this many blocks below the network height."),
];

/// The documentation of `key` (`scope.key`).
pub(crate) fn find(key: &str) -> Option<&'static Doc> {
    KEYS.iter().find(|d| d.key == key)
}

/// The keys documented under `scope`, in order, without the scope.
pub(crate) fn keys_in(scope: &str) -> impl Iterator<Item = (&'static str, &'static Doc)> + '_ {
    KEYS.iter().filter_map(move |d| {
        let rest = d.key.strip_prefix(scope)?.strip_prefix('.')?;
        (!rest.contains('.')).then_some((rest, d))
    })
}

/// The header text of a section.
pub(crate) fn section(name: &str) -> &'static str {
    SECTIONS.iter().find(|(n, _)| *n == name).map_or("", |(_, text)| text)
}
