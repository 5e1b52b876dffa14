//! Relay bookkeeping: bitmarkd's broadcast-bus dedup and its per-peer queue rule
//! (protocol §3.1, `messagebus/queue.go`).
//!
//! - An item whose SHA3-256(command ‖ every parameter) is among the last
//!   [`RECENT_ITEMS`] relayed is not relayed again, and when it comes back (pushed back by
//!   a peer we sent it to) it is acknowledged without bothering its handler.
//! - Each upstream has a queue of [`PUSH_QUEUE_SLOTS`]; when at most one slot is free only
//!   `block` items may still be queued, everything else is dropped.

use std::collections::{HashSet, VecDeque};

use peerd_api::{Item, ItemKind};
use sha3::{Digest as _, Sha3_256};

/// Items remembered by the dedup filter (bitmarkd: 100).
pub(crate) const RECENT_ITEMS: usize = 100;

/// Slots of each upstream's push queue (bitmarkd: 1000).
pub(crate) const PUSH_QUEUE_SLOTS: usize = 1000;

/// SHA3-256 of the command and every parameter frame, as bitmarkd hashes bus items.
pub(crate) fn item_hash(item: &Item) -> [u8; 32] {
    let mut hasher = Sha3_256::new();
    hasher.update(item.kind.as_str().as_bytes());
    for param in &item.params {
        hasher.update(param);
    }
    hasher.finalize().into()
}

/// The last [`RECENT_ITEMS`] relayed items, by hash.
#[derive(Debug, Default)]
pub(crate) struct Recent {
    order: VecDeque<[u8; 32]>,
    set: HashSet<[u8; 32]>,
}

impl Recent {
    /// True if `item` was relayed recently.
    pub(crate) fn contains(&self, item: &Item) -> bool {
        self.set.contains(&item_hash(item))
    }

    /// Records `item`; false if it was already among the recent ones (do not relay).
    pub(crate) fn admit(&mut self, item: &Item) -> bool {
        let hash = item_hash(item);
        if !self.set.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > RECENT_ITEMS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

/// bitmarkd's queue rule: may `item` go into a queue with `free` slots left?
pub(crate) fn may_queue(item: &Item, free: usize) -> bool {
    free > 1 || (free == 1 && item.kind == ItemKind::Block)
}

#[cfg(test)]
mod tests {
    use peerd_api::bytes::Bytes;

    use super::*;

    fn item(kind: ItemKind, n: u32) -> Item {
        Item::new(kind, vec![Bytes::from(n.to_be_bytes().to_vec())])
    }

    #[test]
    fn dedup_remembers_the_last_hundred() {
        let mut recent = Recent::default();
        assert!(recent.admit(&item(ItemKind::Assets, 0)));
        assert!(!recent.admit(&item(ItemKind::Assets, 0)), "a repeat is not relayed");
        assert!(recent.admit(&item(ItemKind::Issues, 0)), "the command is part of the hash");
        for n in 1..=99 {
            assert!(recent.admit(&item(ItemKind::Assets, n)));
        }
        // 101 admitted: the first one has been forgotten, the second not yet.
        assert!(!recent.contains(&item(ItemKind::Assets, 0)));
        assert!(recent.contains(&item(ItemKind::Issues, 0)));
        assert!(recent.admit(&item(ItemKind::Assets, 0)));
    }

    #[test]
    fn parameters_are_hashed_in_order_without_separators() {
        // bitmarkd concatenates: ["ab","c"] and ["a","bc"] collide there and here.
        let split = |a: &'static [u8], b: &'static [u8]| {
            Item::new(ItemKind::Peer, vec![Bytes::from_static(a), Bytes::from_static(b)])
        };
        assert_eq!(item_hash(&split(b"ab", b"c")), item_hash(&split(b"a", b"bc")));
        assert_ne!(item_hash(&split(b"ab", b"c")), item_hash(&split(b"c", b"ab")));
    }

    #[test]
    fn a_nearly_full_queue_takes_only_blocks() {
        assert!(may_queue(&item(ItemKind::Assets, 1), 2));
        assert!(!may_queue(&item(ItemKind::Assets, 1), 1));
        assert!(may_queue(&item(ItemKind::Block, 1), 1));
        assert!(!may_queue(&item(ItemKind::Block, 1), 0));
    }
}
