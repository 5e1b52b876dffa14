//! Cheap before dear: items a handler rejected as invalid are remembered (by
//! [`item_hash`]) for a while, so the same item sent again is refused without running its
//! handler — a forged block resent in a loop costs one Argon2d digest, not one per copy.
//!
//! Bounded in count ([`REJECTED_ITEMS`], oldest forgotten first) and in time
//! ([`REJECTED_TTL`]): a transaction refused because what it spends is not known yet may be
//! valid a few minutes later, so no refusal is remembered for long.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use peerd_api::Item;
use tokio::time::Instant;

use super::relay::item_hash;

/// Rejected items remembered per handler.
pub(crate) const REJECTED_ITEMS: usize = 4096;

/// How long a rejection is remembered.
pub(crate) const REJECTED_TTL: Duration = Duration::from_secs(600);

/// Recently rejected items, by hash.
#[derive(Debug, Default)]
pub(crate) struct Rejected {
    order: VecDeque<([u8; 32], Instant)>,
    at: HashMap<[u8; 32], Instant>,
}

impl Rejected {
    /// True if `item` was rejected less than [`REJECTED_TTL`] ago.
    pub(crate) fn contains(&mut self, item: &Item, now: Instant) -> bool {
        self.expire(now);
        self.at.contains_key(&item_hash(item))
    }

    /// Remembers that `item` was rejected now.
    pub(crate) fn insert(&mut self, item: &Item, now: Instant) {
        self.expire(now);
        let hash = item_hash(item);
        if self.at.insert(hash, now).is_none() {
            self.order.push_back((hash, now));
        }
        while self.order.len() > REJECTED_ITEMS {
            if let Some((old, _)) = self.order.pop_front() {
                self.at.remove(&old);
            }
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some((hash, at)) = self.order.front().copied() {
            if now.saturating_duration_since(at) < REJECTED_TTL {
                return;
            }
            self.order.pop_front();
            self.at.remove(&hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use peerd_api::bytes::Bytes;
    use peerd_api::ItemKind;

    use super::*;

    fn item(n: u32) -> Item {
        Item::new(ItemKind::Block, vec![Bytes::from(n.to_be_bytes().to_vec())])
    }

    #[tokio::test(start_paused = true)]
    async fn rejections_are_remembered_for_a_while_and_in_bounded_number() {
        let mut rejected = Rejected::default();
        let start = Instant::now();
        rejected.insert(&item(0), start);
        assert!(rejected.contains(&item(0), start));
        assert!(!rejected.contains(&item(1), start));
        assert!(rejected.contains(&item(0), start + REJECTED_TTL - Duration::from_secs(1)));
        assert!(!rejected.contains(&item(0), start + REJECTED_TTL), "forgotten after the TTL");
        for n in 0..=REJECTED_ITEMS as u32 {
            rejected.insert(&item(n), start + REJECTED_TTL);
        }
        assert_eq!(rejected.at.len(), REJECTED_ITEMS);
        assert!(!rejected.contains(&item(0), start + REJECTED_TTL), "the oldest went first");
        assert!(rejected.contains(&item(REJECTED_ITEMS as u32), start + REJECTED_TTL));
    }
}
