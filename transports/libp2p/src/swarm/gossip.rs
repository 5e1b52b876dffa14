//! Gossip on gossipsub: publishing the kernel's broadcasts, delivering received items, rate
//! limits and bans.
//!
//! Relaying is the kernel's decision, as in bitmarkd (only accepted items travel on): a
//! received message is delivered as [`TransportEvent::Gossip`] and held unvalidated; when the
//! kernel broadcasts the same item (its handler said `Relay`), the held message is accepted and
//! gossipsub forwards it; when the kernel does not within [`HOLD`], it is dropped. A broadcast
//! of an item that was not received here is published as a new message.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageId, PublishError, TopicHash};
use libp2p::PeerId;
use peerd_api::{Item, ItemKind, Request, TransportEvent, MAX_MESSAGE_BYTES};
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;

use super::Node;
use crate::api_peer;
use crate::behaviour::{topic, TOPIC_KINDS};
use crate::wire::{decode_params, encode_params};

/// How long a received message waits for the kernel's relay decision (gossipsub keeps it
/// for 30 heartbeats of 1 s).
const HOLD: Duration = Duration::from_secs(25);

/// Most items held at once; beyond it, items are delivered but not held (not forwarded).
const MAX_HELD: usize = 4096;

/// Broadcasts waiting for a first subscriber to their topic, and how long they wait.
const MAX_UNSENT: usize = 256;
const UNSENT_TTL: Duration = Duration::from_secs(60);

/// Misbehaviours (gossip over the rate, undecodable or oversized messages) within one
/// [`STRIKE_WINDOW`] that get a peer banned.
pub(crate) const STRIKES_TO_BAN: u32 = 20;
const STRIKE_WINDOW: Duration = Duration::from_secs(60);

/// A token bucket: `rate` messages per second, bursts of as many.
struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Held {
    messages: Vec<(MessageId, PeerId)>,
    since: Instant,
}

/// The gossip state of a node.
pub(crate) struct Gossip {
    topics: HashMap<TopicHash, ItemKind>,
    by_kind: HashMap<ItemKind, IdentTopic>,
    held: HashMap<[u8; 32], Held>,
    unsent: VecDeque<(IdentTopic, Vec<u8>, Instant)>,
    buckets: HashMap<PeerId, Bucket>,
    strikes: HashMap<PeerId, u32>,
    strikes_since: Instant,
    bans: HashMap<PeerId, Instant>,
    rate: f64,
}

impl Gossip {
    pub(crate) fn new(chain: &str, rate: u32) -> Self {
        let by_kind: HashMap<ItemKind, IdentTopic> =
            TOPIC_KINDS.iter().map(|k| (k.clone(), topic(chain, k))).collect();
        Self {
            topics: by_kind.iter().map(|(k, t)| (t.hash(), k.clone())).collect(),
            by_kind,
            held: HashMap::new(),
            unsent: VecDeque::new(),
            buckets: HashMap::new(),
            strikes: HashMap::new(),
            strikes_since: Instant::now(),
            bans: HashMap::new(),
            rate: f64::from(rate.max(1)),
        }
    }

    /// Takes a token from `peer`'s bucket; false if it is empty.
    fn admit(&mut self, peer: PeerId, now: Instant) -> bool {
        let rate = self.rate;
        let bucket = self.buckets.entry(peer).or_insert(Bucket { tokens: rate, at: now });
        let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * rate;
        bucket.tokens = (bucket.tokens + refill).min(rate);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Identifies an item by content, whatever CBOR encoding carried it.
fn item_digest(item: &Item) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(item.kind.as_str().as_bytes());
    for param in &item.params {
        hash.update((param.len() as u64).to_be_bytes());
        hash.update(param);
    }
    hash.finalize().into()
}

fn item_size(chain: &str, item: &Item) -> usize {
    chain.len() + item.kind.as_str().len() + item.payload_len()
}

impl Node {
    /// `Broadcast`: forward the held message, or publish, or push by request (custom kinds).
    pub(crate) fn broadcast(&mut self, item: Item) {
        let size = item_size(&self.ctx.chain, &item);
        if size > MAX_MESSAGE_BYTES {
            return tracing::warn!(kind = %item.kind, size, "gossip item too large to broadcast");
        }
        let Some(topic) = self.gossip.by_kind.get(&item.kind).cloned() else {
            return self.push_all(&Request::Gossip(item));
        };
        if let Some(held) = self.gossip.held.remove(&item_digest(&item)) {
            for (id, source) in held.messages {
                self.validated(&id, &source, MessageAcceptance::Accept);
            }
            return;
        }
        self.publish(topic, encode_params(&item.params));
    }

    fn publish(&mut self, topic: IdentTopic, data: Vec<u8>) {
        let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
        match self.swarm.behaviour_mut().gossip.publish(topic.clone(), data.clone()) {
            Ok(id) => {
                self.meters.transport.bytes_out.inc_by(len);
                tracing::debug!(%topic, %id, "gossip published");
            }
            Err(PublishError::Duplicate) => tracing::debug!(%topic, "gossip already spread"),
            Err(PublishError::NoPeersSubscribedToTopic) => {
                if self.gossip.unsent.len() >= MAX_UNSENT {
                    self.gossip.unsent.pop_front();
                }
                tracing::debug!(%topic, "gossip waits for a subscriber");
                self.gossip.unsent.push_back((topic, data, Instant::now()));
            }
            Err(error) => tracing::warn!(%topic, %error, "gossip not published"),
        }
    }

    fn validated(&mut self, id: &MessageId, source: &PeerId, verdict: MessageAcceptance) {
        let gossip = &mut self.swarm.behaviour_mut().gossip;
        if !gossip.report_message_validation_result(id, source, verdict) {
            tracing::debug!(%id, "gossip message no longer cached");
        }
    }

    pub(crate) fn gossip_event(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message { propagation_source, message_id, message } => {
                self.received(propagation_source, message_id, message)
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                tracing::debug!(peer = %peer_id, %topic, "gossip subscriber");
                let (ready, waiting) =
                    self.gossip.unsent.drain(..).partition(|(t, _, _)| t.hash() == topic);
                self.gossip.unsent = waiting;
                for (topic, data, _) in ready {
                    self.publish(topic, data);
                }
            }
            other => tracing::debug!(event = ?other, "gossipsub"),
        }
    }

    fn received(&mut self, source: PeerId, id: MessageId, message: gossipsub::Message) {
        let len = u64::try_from(message.data.len()).unwrap_or(u64::MAX);
        self.meters.transport.bytes_in.inc_by(len);
        let Some(kind) = self.gossip.topics.get(&message.topic).cloned() else {
            return self.validated(&id, &source, MessageAcceptance::Reject);
        };
        if !self.gossip.admit(source, Instant::now()) {
            tracing::debug!(peer = %source, "gossip over the rate limit dropped");
            self.validated(&id, &source, MessageAcceptance::Ignore);
            return self.misbehaved(source, "gossip over the rate limit");
        }
        let params = match decode_params(&message.data) {
            Ok(params) => params,
            Err(error) => {
                tracing::warn!(peer = %source, %kind, %error, "undecodable gossip refused");
                self.validated(&id, &source, MessageAcceptance::Reject);
                return self.misbehaved(source, "undecodable gossip");
            }
        };
        let item = Item::new(kind, params);
        let size = item_size(&self.ctx.chain, &item);
        if size > MAX_MESSAGE_BYTES {
            tracing::warn!(peer = %source, size, "oversized gossip refused");
            self.validated(&id, &source, MessageAcceptance::Reject);
            return self.misbehaved(source, "oversized gossip");
        }
        let digest = item_digest(&item);
        let event = TransportEvent::Gossip {
            transport: crate::TRANSPORT_NAME.to_owned(),
            peer: Some(api_peer(&source)),
            item,
        };
        match self.ctx.events.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                tracing::warn!(peer = %source, "gossip dropped: the kernel is saturated");
                return self.validated(&id, &source, MessageAcceptance::Ignore);
            }
            Err(TrySendError::Closed(_)) => {
                return self.validated(&id, &source, MessageAcceptance::Ignore)
            }
        }
        if let Some(held) = self.gossip.held.get_mut(&digest) {
            held.messages.push((id, source));
        } else if self.gossip.held.len() < MAX_HELD {
            let held = Held { messages: vec![(id, source)], since: Instant::now() };
            self.gossip.held.insert(digest, held);
        } else {
            tracing::debug!(peer = %source, "gossip delivered but not held: too many held");
        }
    }

    /// Counts a misbehaviour; bans the peer (closing its connections) at the limit.
    pub(crate) fn misbehaved(&mut self, peer: PeerId, what: &str) {
        let strikes = self.gossip.strikes.entry(peer).or_default();
        *strikes += 1;
        if *strikes < STRIKES_TO_BAN || self.gossip.bans.contains_key(&peer) {
            return;
        }
        let secs = self.settings.ban.as_secs();
        tracing::warn!(%peer, last = what, strikes = *strikes, secs, "libp2p peer banned");
        self.gossip.bans.insert(peer, Instant::now() + self.settings.ban);
        self.swarm.behaviour_mut().blocked.block_peer(peer);
    }

    /// The kernel banned `peer` (its misbehaviour score): block it until then, as a ban of
    /// our own would. An unreadable peer id is not one of ours to block.
    pub(crate) fn kernel_ban(&mut self, peer: &peerd_api::PeerId, duration: std::time::Duration) {
        let Ok(peer) = PeerId::from_bytes(peer.as_bytes()) else { return };
        let until = Instant::now() + duration;
        let entry = self.gossip.bans.entry(peer).or_insert(until);
        *entry = (*entry).max(until);
        self.swarm.behaviour_mut().blocked.block_peer(peer);
        tracing::info!(%peer, secs = duration.as_secs(), "libp2p peer blocked (kernel ban)");
    }

    /// Drops held messages the kernel did not relay, stale broadcasts, old strikes and bans.
    pub(crate) fn gossip_maintain(&mut self, now: Instant) {
        let expired: Vec<[u8; 32]> = self
            .gossip
            .held
            .iter()
            .filter(|(_, h)| now.saturating_duration_since(h.since) >= HOLD)
            .map(|(d, _)| *d)
            .collect();
        for digest in expired {
            if let Some(held) = self.gossip.held.remove(&digest) {
                for (id, source) in held.messages {
                    self.validated(&id, &source, MessageAcceptance::Ignore);
                }
            }
        }
        self.gossip.unsent.retain(|(_, _, at)| now.saturating_duration_since(*at) < UNSENT_TTL);
        if now.saturating_duration_since(self.gossip.strikes_since) >= STRIKE_WINDOW {
            self.gossip.strikes.clear();
            self.gossip.strikes_since = now;
            self.gossip.buckets.retain(|_, b| now.saturating_duration_since(b.at) < STRIKE_WINDOW);
        }
        let lifted: Vec<PeerId> =
            self.gossip.bans.iter().filter(|(_, until)| **until <= now).map(|(p, _)| *p).collect();
        for peer in lifted {
            self.gossip.bans.remove(&peer);
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            tracing::info!(%peer, "libp2p peer ban lifted");
        }
    }
}
