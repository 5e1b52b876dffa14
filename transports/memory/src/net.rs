//! The in-process network: who listens, who can reach whom, and what happens to each message.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use peerd_api::{DialTarget, Item, ItemKind, PeerId};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::{mpsc, watch};

use crate::wire::Envelope;
use crate::{Faults, TRANSPORT_NAME};

mod delivery;

/// A handle on one in-process network. Cheap to clone; every clone is the same network.
///
/// Nodes join by starting a [`MemoryTransport`] made with [`MemoryNet::transport`]; they are
/// addressed by name. Faults, partitions and kills change at run time and take effect on the
/// next message (kills and partitions also take connections down at once). All randomness
/// comes from one generator seeded by [`MemoryNet::new`], so a run is reproducible from its
/// seed when the tasks run in a deterministic order (tokio's current-thread runtime).
#[derive(Clone, Debug)]
pub struct MemoryNet {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    seed: u64,
    state: Mutex<State>,
    /// Bumped on every change of reachability, so connections re-check their link.
    topology: watch::Sender<u64>,
}

#[derive(Debug)]
struct State {
    rng: StdRng,
    listeners: HashMap<String, Listener>,
    next_epoch: u64,
    killed: HashSet<String>,
    /// Partition group of each named node; unnamed nodes share the group `None`.
    groups: Option<HashMap<String, usize>>,
    faults: Faults,
    links: HashMap<(String, String), Faults>,
    /// Gossip items to be lost on their way to a node, by receiver and kind.
    gossip_losses: HashMap<(String, ItemKind), GossipLoss>,
    stats: NetStats,
}

/// What [`MemoryNet::lose_gossip`] still has to lose for one receiver and kind.
#[derive(Debug, Default)]
struct GossipLoss {
    /// Distinct items still to lose.
    left: u64,
    /// The items chosen (hashes of their parameters): every copy of them is lost.
    chosen: HashSet<u64>,
}

#[derive(Debug)]
struct Listener {
    epoch: u64,
    inbox: mpsc::Sender<Envelope>,
}

/// Message counters of a [`MemoryNet`], requests and replies alike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Messages handed to the network.
    pub sent: u64,
    /// Deliveries that reached their receiver (a duplicated message counts twice).
    pub delivered: u64,
    /// Messages lost: by the drop fault, an unreachable receiver or a full inbox.
    pub dropped: u64,
    /// Extra copies made by the duplicate fault.
    pub duplicated: u64,
    /// Messages the receiver refused, such as one above `MAX_MESSAGE_BYTES`.
    pub refused: u64,
    /// Gossip deliveries lost by [`MemoryNet::lose_gossip`] (acknowledged, never handed
    /// over; every copy of a chosen item counts).
    pub gossip_lost: u64,
}

impl MemoryNet {
    /// A new, empty network whose fault decisions follow `seed`.
    pub fn new(seed: u64) -> Self {
        let state = State {
            rng: StdRng::seed_from_u64(seed),
            listeners: HashMap::new(),
            next_epoch: 1,
            killed: HashSet::new(),
            groups: None,
            faults: Faults::NONE,
            links: HashMap::new(),
            gossip_losses: HashMap::new(),
            stats: NetStats::default(),
        };
        let (topology, _) = watch::channel(0);
        Self { shared: Arc::new(Shared { seed, state: Mutex::new(state), topology }) }
    }

    /// The seed this network was created with.
    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// How to dial the node `name`: the key and the listeners are both its name.
    pub fn target(name: &str) -> DialTarget {
        let bytes = peerd_api::bytes::Bytes::copy_from_slice(name.as_bytes());
        DialTarget { transport: TRANSPORT_NAME.to_owned(), key: bytes.clone(), listeners: bytes }
    }

    /// The peer id of the node `name`.
    pub fn peer_id(name: &str) -> PeerId {
        PeerId::new(peerd_api::bytes::Bytes::copy_from_slice(name.as_bytes()))
    }

    /// Sets the faults of every link that has no faults of its own.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// Sets the faults of the direction `from → to` (requests go client → server, replies
    /// server → client), overriding the net-wide faults.
    pub fn set_link_faults(&self, from: &str, to: &str, faults: Faults) {
        self.lock().links.insert((from.to_owned(), to.to_owned()), faults);
    }

    /// Removes the faults of `from → to`; it follows the net-wide faults again.
    pub fn clear_link_faults(&self, from: &str, to: &str) {
        self.lock().links.remove(&(from.to_owned(), to.to_owned()));
    }

    /// Removes every fault, net-wide and per link (partitions and kills stay).
    pub fn clear_faults(&self) {
        let mut state = self.lock();
        state.faults = Faults::NONE;
        state.links.clear();
    }

    /// Splits the network: nodes reach each other only within their group. Nodes named in
    /// no group form one more group together. Connections across groups go down at once.
    pub fn partition(&self, groups: &[&[&str]]) {
        let map = groups
            .iter()
            .enumerate()
            .flat_map(|(i, names)| names.iter().map(move |n| ((*n).to_owned(), i)))
            .collect();
        self.lock().groups = Some(map);
        self.bump();
    }

    /// Loses the next `count` distinct gossip items of `kind` sent to the node `to`, every
    /// copy of them, from anyone: the sender gets its acknowledgement, as if the item had
    /// been lost after it left (a gossipsub mesh that had not formed yet, say), and the
    /// node never sees them. Adds to a loss still pending.
    pub fn lose_gossip(&self, to: &str, kind: ItemKind, count: u64) {
        self.lock().gossip_losses.entry((to.to_owned(), kind)).or_default().left += count;
    }

    /// True if `item` on its way to `to` is to be lost (and counts it).
    pub(crate) fn take_gossip_loss(&self, to: &str, item: &Item) -> bool {
        let mut state = self.lock();
        let key = (to.to_owned(), item.kind.clone());
        let Some(loss) = state.gossip_losses.get_mut(&key) else { return false };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        item.params.hash(&mut hasher);
        let hash = hasher.finish();
        let lose = if loss.chosen.contains(&hash) {
            true
        } else if loss.left > 0 {
            loss.left -= 1;
            loss.chosen.insert(hash);
            true
        } else {
            false
        };
        if lose {
            state.stats.gossip_lost += 1;
        }
        lose
    }

    /// Ends a partition; connections across the former groups come back.
    pub fn heal(&self) {
        self.lock().groups = None;
        self.bump();
    }

    /// Cuts the node `name` off: its connections, in and out, go down; its messages are lost.
    /// It stays cut off, even across restarts, until [`MemoryNet::revive`].
    pub fn kill(&self, name: &str) {
        self.lock().killed.insert(name.to_owned());
        self.bump();
    }

    /// Undoes [`MemoryNet::kill`]; connections to and from `name` come back.
    pub fn revive(&self, name: &str) {
        self.lock().killed.remove(name);
        self.bump();
    }

    /// True if `from` can currently reach a listening node `to`.
    pub fn can_reach(&self, from: &str, to: &str) -> bool {
        self.link(from, to).is_some()
    }

    /// Names of the nodes whose transport is running, sorted.
    pub fn nodes(&self) -> Vec<String> {
        let mut names: Vec<_> = self.lock().listeners.keys().cloned().collect();
        names.sort();
        names
    }

    /// The message counters so far.
    pub fn stats(&self) -> NetStats {
        self.lock().stats
    }

    /// Sets all message counters to zero.
    pub fn reset_stats(&self) {
        self.lock().stats = NetStats::default();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.shared.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    fn bump(&self) {
        self.shared.topology.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Registers a listening node; returns its epoch, or `None` if the name is taken.
    pub(crate) fn register(&self, name: &str, inbox: mpsc::Sender<Envelope>) -> Option<u64> {
        let mut state = self.lock();
        if state.listeners.contains_key(name) {
            return None;
        }
        let epoch = state.next_epoch;
        state.next_epoch += 1;
        state.listeners.insert(name.to_owned(), Listener { epoch, inbox });
        drop(state);
        self.bump();
        Some(epoch)
    }

    /// Removes the listener `name` if it is still the one registered at `epoch`.
    pub(crate) fn unregister(&self, name: &str, epoch: u64) {
        let mut state = self.lock();
        if state.listeners.get(name).is_some_and(|l| l.epoch == epoch) {
            state.listeners.remove(name);
            drop(state);
            self.bump();
        }
    }

    /// Watches reachability changes.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.topology.subscribe()
    }

    /// The epoch of the listener `to` if `from` can reach it now.
    pub(crate) fn link(&self, from: &str, to: &str) -> Option<u64> {
        self.lock().link(from, to)
    }

    /// Counts a message the receiver refused.
    pub(crate) fn count_refused(&self) {
        self.lock().stats.refused += 1;
    }
}

impl State {
    fn link(&self, from: &str, to: &str) -> Option<u64> {
        let listener = self.listeners.get(to)?;
        if self.killed.contains(from) || self.killed.contains(to) {
            return None;
        }
        if let Some(groups) = &self.groups {
            if groups.get(from) != groups.get(to) {
                return None;
            }
        }
        Some(listener.epoch)
    }
}
