//! Bytes of gossip waiting for a handler, bounded in total and per sender, so that one
//! client pipelining large items (5 MB `block`s) fills its own share and never the queue
//! every other peer's items go through.
//!
//! An item is charged to its sender (transport and peer; items from senders a transport
//! cannot name share one share per transport) when it is queued, and the charge is
//! released when its handler has finished with it. Over either bound the item is
//! acknowledged unprocessed and counted (`queue_full`), as a full queue is.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use peerd_api::PeerId;

/// Most item bytes waiting for one handler.
pub(crate) const QUEUE_BYTES: usize = 64 << 20;

/// Most item bytes one sender may have waiting for one handler (a little over three
/// 5 MB items).
pub(crate) const SENDER_BYTES: usize = 16 << 20;

type Sender = (String, Option<PeerId>);

#[derive(Debug, Default)]
struct Ledger {
    total: usize,
    senders: HashMap<Sender, usize>,
}

/// One handler queue's byte budget.
#[derive(Clone, Debug, Default)]
pub(crate) struct Budget {
    ledger: Arc<Mutex<Ledger>>,
}

/// Bytes charged to a sender, given back when dropped.
#[derive(Debug)]
pub(crate) struct Charge {
    ledger: Arc<Mutex<Ledger>>,
    sender: Sender,
    bytes: usize,
}

impl Budget {
    /// Charges `bytes` to `sender`; `None` if that would pass the queue's or the sender's
    /// bound.
    pub(crate) fn charge(
        &self,
        transport: &str,
        peer: Option<&PeerId>,
        bytes: usize,
    ) -> Option<Charge> {
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = (transport.to_owned(), peer.cloned());
        let held = ledger.senders.get(&sender).copied().unwrap_or(0);
        let total = ledger.total.checked_add(bytes)?;
        let own = held.checked_add(bytes)?;
        if total > QUEUE_BYTES || own > SENDER_BYTES {
            return None;
        }
        ledger.total = total;
        ledger.senders.insert(sender.clone(), own);
        drop(ledger);
        Some(Charge { ledger: self.ledger.clone(), sender, bytes })
    }

    /// Bytes charged now.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        ledger.total = ledger.total.saturating_sub(self.bytes);
        if let Some(own) = ledger.senders.get_mut(&self.sender) {
            *own = own.saturating_sub(self.bytes);
            if *own == 0 {
                ledger.senders.remove(&self.sender);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sender_fills_its_share_not_the_queue_and_charges_come_back() {
        let budget = Budget::default();
        let pipeliner = PeerId::new(&b"pipeliner"[..]);
        let block = 5 << 20;
        let held: Vec<Charge> =
            std::iter::from_fn(|| budget.charge("zmq", Some(&pipeliner), block))
                .take(100)
                .collect();
        assert_eq!(held.len(), SENDER_BYTES / block, "three blocks, then refused");
        let honest = PeerId::new(&b"honest"[..]);
        assert!(budget.charge("zmq", Some(&honest), block).is_some(), "others still get in");
        drop(held);
        assert_eq!(budget.held(), 0, "every charge is given back");
        assert!(budget.charge("zmq", Some(&pipeliner), block).is_some());
    }

    #[test]
    fn the_queue_is_bounded_over_all_senders() {
        let budget = Budget::default();
        let block = 5 << 20;
        let held: Vec<Charge> = (0..100u8)
            .filter_map(|n| budget.charge("libp2p", Some(&PeerId::new(vec![n])), block))
            .collect();
        assert_eq!(held.len(), QUEUE_BYTES / block);
        assert!(budget.held() <= QUEUE_BYTES);
    }
}
