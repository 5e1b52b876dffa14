//! The `peer`, `rpc` and `heart` handler and the `R` hook.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use peerd_api::{
    Handler, HandlerContext, HandlerError, Item, ItemKind, NodeEvent, Origin, Outcome, Registration,
};
use rand::Rng;

use crate::config::Settings;
use crate::rebalance::RebalanceTrigger;
use crate::rpc::{RpcEntry, RpcTable};
use crate::table::{PeerEntry, PeerTable, Rules, Source};
use crate::{MAX_KEY_BYTES, MAX_LISTENER_BYTES, MAX_RPC_LISTENER_BYTES, RPC_FINGERPRINT_BYTES};

/// The announce handler: the peer table of each transport, the rpc table, heartbeats, and
/// the background announce cycle ([`Handler::run`]).
#[derive(Debug)]
pub struct AnnounceHandler {
    pub(crate) settings: Settings,
    state: Mutex<State>,
    pub(crate) trigger: RebalanceTrigger,
    heartbeats: AtomicU64,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    /// Peer tables by transport name.
    pub(crate) tables: BTreeMap<String, PeerTable>,
    pub(crate) rpc: RpcTable,
    selves_set: bool,
    /// Peers with listeners in internal ranges are kept out (`reach.rs`), from the
    /// setting or the chain.
    public_only: bool,
}

impl AnnounceHandler {
    /// A handler with its own [`RebalanceTrigger`].
    pub fn new(settings: Settings) -> Self {
        Self::with_trigger(settings, RebalanceTrigger::new())
    }

    /// A handler that rebalances whenever `trigger` is requested.
    pub fn with_trigger(settings: Settings, trigger: RebalanceTrigger) -> Self {
        Self { settings, state: Mutex::default(), trigger, heartbeats: AtomicU64::new(0) }
    }

    /// The trigger that makes this handler rebalance.
    pub fn rebalance_trigger(&self) -> RebalanceTrigger {
        self.trigger.clone()
    }

    /// The peer table of `transport`, in key order (this node included).
    pub fn peers(&self, transport: &str) -> Vec<PeerEntry> {
        self.lock().tables.get(transport).map(|t| t.entries().collect()).unwrap_or_default()
    }

    /// The rpc table, by fingerprint.
    pub fn rpcs(&self) -> Vec<RpcEntry> {
        self.lock().rpc.entries()
    }

    /// `heart` items received so far.
    pub fn heartbeats(&self) -> u64 {
        self.heartbeats.load(Ordering::Relaxed)
    }

    pub(crate) fn rules(&self) -> Rules {
        Rules {
            expiry: self.settings.expiry_secs,
            rebroadcast: self.settings.rebroadcast_secs,
            cap: self.settings.max_entries,
            per_source: self.settings.max_per_source,
        }
    }

    // Nothing panics while the lock is held, so a poisoned lock still guards valid tables.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts this node into its tables (bitmarkd's `SetSelf`), once, from the context.
    pub(crate) fn ensure_self(&self, ctx: &HandlerContext) {
        let mut state = self.lock();
        if state.selves_set {
            return;
        }
        let now = ctx.clock.unix_now();
        let chain = ctx.chain.name();
        state.public_only = self
            .settings
            .public_listeners_only
            .unwrap_or_else(|| crate::reach::public_by_default(chain));
        for id in ctx.identities.iter() {
            let table = state.tables.entry(id.transport.clone()).or_default();
            table.set_self(id.key.clone(), id.listeners.clone(), now);
        }
        if let Some(rpc) = &self.settings.rpc {
            state.rpc.set_self(rpc.fingerprint.clone(), rpc.listeners.clone(), now);
        }
        state.selves_set = true;
    }

    /// bitmarkd's `AddPeer` on `transport`'s table, for an entry learnt from `source`.
    pub(crate) fn add_peer(
        &self,
        now: u64,
        transport: &str,
        entry: PeerEntry,
        source: &Source,
    ) -> bool {
        let rules = self.rules();
        let mut state = self.lock();
        if state.public_only && crate::reach::points_inside(transport, &entry.listeners) {
            tracing::debug!(%transport, key = %hex::encode(&entry.key), "peer with internal listener addresses ignored");
            return false;
        }
        let table = state.tables.entry(transport.to_owned()).or_default();
        table.add_from(entry.key, entry.listeners, (entry.timestamp, now), &rules, source)
    }
}

fn rejected(text: String) -> HandlerError {
    HandlerError::Rejected(text)
}

/// The three frames of a `peer` or `rpc` item: key, listeners, BE64 timestamp.
fn announcement(item: &Item) -> Result<(&Bytes, &Bytes, u64), HandlerError> {
    let kind = item.kind.as_str();
    let [key, listeners, ts, ..] = item.params.as_slice() else {
        return Err(rejected(format!("{kind} with too few data: {} items", item.params.len())));
    };
    let ts: [u8; 8] = ts.as_ref().try_into().map_err(|_| {
        rejected(format!("{kind} timestamp is {} bytes, expected 8 (big-endian)", ts.len()))
    })?;
    Ok((key, listeners, u64::from_be_bytes(ts)))
}

/// Checks the sizes of a peer's key and listeners.
fn check_peer(key: &[u8], listeners: &[u8]) -> Result<(), HandlerError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(rejected(format!(
            "peer public key is {} bytes, expected 1 to {MAX_KEY_BYTES}",
            key.len()
        )));
    }
    if listeners.len() > MAX_LISTENER_BYTES {
        return Err(rejected(format!(
            "peer listeners are {} bytes, at most {MAX_LISTENER_BYTES}",
            listeners.len()
        )));
    }
    Ok(())
}

/// Relays an accepted announcement as bitmarkd does: its first three frames only.
fn relay(ctx: &HandlerContext, item: &Item, transport: Option<&str>) -> Outcome {
    if item.params.len() == 3 {
        return Outcome::Relay;
    }
    let trimmed = Item::new(item.kind.clone(), item.params[..3].to_vec());
    let sent = match transport {
        Some(transport) => ctx.node.broadcast_on(transport, trimmed),
        None => ctx.node.broadcast(trimmed),
    };
    if !sent {
        tracing::debug!(kind = %item.kind, "relay dropped: the kernel is busy");
    }
    Outcome::Accepted
}

impl AnnounceHandler {
    fn handle_peer(
        &self,
        ctx: &HandlerContext,
        origin: &Origin,
        item: &Item,
    ) -> Result<Outcome, HandlerError> {
        let (key, listeners, timestamp) = announcement(item)?;
        check_peer(key, listeners)?;
        let Some(transport) = origin.transport() else {
            return Err(rejected(
                "peer item without a transport: local peer items are not accepted".into(),
            ));
        };
        let entry =
            PeerEntry { key: key.clone(), listeners: listeners.clone(), timestamp, proven: false };
        let source = match origin {
            Origin::Remote { peer, .. } => {
                Source::Heard(peer.as_ref().map(|p| Bytes::copy_from_slice(p.as_bytes())))
            }
            Origin::Local => Source::Unproven,
        };
        if self.add_peer(ctx.clock.unix_now(), transport, entry, &source) {
            return Ok(relay(ctx, item, Some(transport)));
        }
        Ok(Outcome::Accepted)
    }

    fn handle_rpc(&self, ctx: &HandlerContext, item: &Item) -> Result<Outcome, HandlerError> {
        let (fingerprint, listeners, timestamp) = announcement(item)?;
        if fingerprint.len() != RPC_FINGERPRINT_BYTES {
            let got = fingerprint.len();
            return Err(rejected(format!("rpc fingerprint is {got} bytes, expected 32")));
        }
        if listeners.len() > MAX_RPC_LISTENER_BYTES {
            let got = listeners.len();
            return Err(rejected(format!("rpc listeners are {got} bytes, at most 100")));
        }
        let (rules, now) = (self.rules(), ctx.clock.unix_now());
        let added =
            self.lock().rpc.add(fingerprint.clone(), listeners.clone(), timestamp, now, &rules);
        Ok(if added { relay(ctx, item, None) } else { Outcome::Accepted })
    }
}

#[async_trait]
impl Handler for AnnounceHandler {
    fn name(&self) -> &str {
        "announce"
    }

    fn kinds(&self) -> Vec<ItemKind> {
        vec![ItemKind::Peer, ItemKind::Rpc, ItemKind::Heart]
    }

    async fn handle(
        &self,
        ctx: &HandlerContext,
        origin: &Origin,
        item: &Item,
    ) -> Result<Outcome, HandlerError> {
        self.ensure_self(ctx);
        match item.kind {
            ItemKind::Peer => self.handle_peer(ctx, origin, item),
            ItemKind::Rpc => self.handle_rpc(ctx, item),
            ItemKind::Heart if item.params.is_empty() => {
                Err(rejected("heart with too few data: 0 items".into()))
            }
            ItemKind::Heart => {
                self.heartbeats.fetch_add(1, Ordering::Relaxed);
                Ok(Outcome::Accepted)
            }
            ref other => Err(HandlerError::Internal(format!("announce got a {other} item"))),
        }
    }

    async fn on_registration(
        &self,
        ctx: &HandlerContext,
        transport: &str,
        registrant: &Registration,
    ) -> Result<Option<Registration>, HandlerError> {
        self.ensure_self(ctx);
        check_peer(&registrant.public_key, &registrant.listeners)?;
        let entry = PeerEntry {
            key: registrant.public_key.clone(),
            listeners: registrant.listeners.clone(),
            timestamp: registrant.timestamp,
            proven: true,
        };
        // The kernel refuses an `R` whose key is not its connection's: this one proved itself.
        self.add_peer(ctx.clock.unix_now(), transport, entry, &Source::Proven);
        let state = self.lock();
        let Some(table) = state.tables.get(transport) else { return Ok(None) };
        // bitmarkd tries 5 random ranks and fails ("invalid public key") if each is us or
        // the registrant; picking among the eligible entries always finds one if it exists.
        let pick = |n: usize| rand::thread_rng().gen_range(0..n);
        Ok(table.pick_other(&registrant.public_key, pick).map(|peer| Registration {
            chain: registrant.chain.clone(),
            public_key: peer.key,
            listeners: peer.listeners,
            timestamp: peer.timestamp,
        }))
    }

    async fn on_event(&self, ctx: &HandlerContext, event: &NodeEvent) -> Result<(), HandlerError> {
        self.ensure_self(ctx);
        let now = ctx.clock.unix_now();
        match event {
            NodeEvent::UpstreamAlive { transport, key } => {
                if let Some(table) = self.lock().tables.get_mut(transport) {
                    if !table.update_time(key, now) {
                        tracing::debug!(%transport, key = %hex::encode(key), "live upstream not in the peer table");
                    }
                }
            }
            NodeEvent::PeerIntroduced { transport, peer } => {
                if let Err(error) = check_peer(&peer.public_key, &peer.listeners) {
                    tracing::debug!(%transport, %error, "ignoring an introduced peer");
                    return Ok(());
                }
                let entry = PeerEntry {
                    key: peer.public_key.clone(),
                    listeners: peer.listeners.clone(),
                    timestamp: peer.timestamp,
                    proven: false,
                };
                self.add_peer(now, transport, entry, &Source::Unproven);
            }
            _ => {}
        }
        Ok(())
    }

    async fn run(&self, ctx: HandlerContext) -> Result<(), HandlerError> {
        self.run_timers(ctx).await
    }
}
