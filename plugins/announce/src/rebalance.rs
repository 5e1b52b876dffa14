//! Whom to connect to (protocol §3.5, bitmarkd's `ReBalance`): 11 ranks spread around the key
//! ring from our own rank, handed to the kernel's dynamic upstreams.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use peerd_api::DialTarget;
use tokio::sync::{mpsc, Notify};

use crate::table::{PeerEntry, PeerTable};

/// The connector labels of the 11 targets, in the order [`targets`] considers them.
pub const LABELS: [&str; 11] = ["N1", "N3", "X1", "X2", "X3", "X4", "X5", "X6", "X7", "P1", "P3"];

/// The table ranks to connect to when we are at rank `index` of `count` entries, exactly as
/// bitmarkd computes them.
///
/// With `e = count/8`, `q = count/4`, `h = count/2` (integer division) and `jump = 3`
/// (1 when `count < 4`) the un-wrapped candidates are, in order: N1 `index+1`, N3
/// `index+jump`, X1..X7 `index+e`, `+q`, `+q+e`, `+h`, `+h+e`, `+h+q`, `+h+q+e`, P1
/// `index+count-1`, P3 `index+count-jump`. A candidate is skipped if it equals `index` or
/// the previous candidate that was not skipped; the others are wrapped (`-count` once)
/// and returned in order. Non-adjacent duplicates are kept, as in bitmarkd (the kernel's
/// connector treats a target it already holds as "keep"). Empty when `index >= count`.
pub fn targets(index: usize, count: usize) -> Vec<usize> {
    if index >= count {
        return Vec::new();
    }
    let (e, q, h) = (count / 8, count / 4, count / 2);
    let jump = if count < 4 { 1 } else { 3 };
    let candidates = [
        index + 1,
        index + jump,
        index + e,
        index + q,
        index + q + e,
        index + h,
        index + h + e,
        index + h + q,
        index + h + q + e,
        index + count - 1,
        index + count - jump,
    ];
    let mut previous = None;
    let mut out = Vec::with_capacity(candidates.len());
    for v in candidates {
        if v == index || Some(v) == previous {
            continue;
        }
        previous = Some(v);
        out.push(if v >= count { v - count } else { v });
    }
    out
}

/// Heard-of peers dialled per rebalance of a table, beside the ring of proven ones: a
/// heard-of peer becomes a ring member only once it answered our polls, and a relayer cannot
/// fill the ring with keys it invented or listeners pointing at a third party (issue 15).
pub(crate) const PROBES_PER_REBALANCE: usize = 2;

/// The dial targets of a rebalance of `table` on `transport`: the proven entries at the
/// [`targets`] ranks of the ring of proven entries (ourselves included), never ourselves;
/// then up to [`PROBES_PER_REBALANCE`] heard-of entries chosen by `pick(n)` (an index below
/// `n`), whose answers to our polls prove them. Entries without listeners are left out (the
/// kernel could not dial them, and bitmarkd's connector would spend a slot on them). Empty
/// when the table does not know us.
///
/// bitmarkd builds the ring from every entry; a ring of proven entries only is a departure
/// (docs/protocol.md): one relayer's 10,000 invented keys would otherwise take the ring.
pub(crate) fn dial_targets(
    transport: &str,
    table: &PeerTable,
    mut pick: impl FnMut(usize) -> usize,
) -> Vec<DialTarget> {
    let Some(own) = table.own() else { return Vec::new() };
    let ring: Vec<PeerEntry> = table.entries().filter(|e| e.proven || e.key == *own).collect();
    let Some(index) = ring.iter().position(|e| e.key == *own) else { return Vec::new() };
    let dial = |e: PeerEntry| DialTarget {
        transport: transport.to_owned(),
        key: e.key,
        listeners: e.listeners,
    };
    let mut out: Vec<DialTarget> = targets(index, ring.len())
        .into_iter()
        .filter_map(|rank| ring.get(rank).cloned())
        .filter(|e| e.key != *own && !e.listeners.is_empty())
        .map(dial)
        .collect();
    let mut heard: Vec<PeerEntry> =
        table.entries().filter(|e| !e.proven && e.key != *own && !e.listeners.is_empty()).collect();
    for _ in 0..PROBES_PER_REBALANCE {
        if heard.is_empty() {
            break;
        }
        let index = pick(heard.len()).min(heard.len() - 1);
        out.push(dial(heard.swap_remove(index)));
    }
    out
}

/// Asks a running announce handler for a rebalance of every transport's table (bitmarkd's
/// connector `reconnect` message, sent while it has too few upstreams).
///
/// Cheap to clone. Requests coalesce: any number made before the handler gets to them
/// cause one rebalance, so a busy caller can never queue work without bound. A request
/// made before the handler runs is served when it starts.
#[derive(Clone, Debug, Default)]
pub struct RebalanceTrigger(Arc<Pending>);

#[derive(Debug, Default)]
struct Pending {
    /// A request not yet taken by the handler.
    requested: AtomicBool,
    notify: Notify,
}

impl RebalanceTrigger {
    /// A trigger not yet attached to a handler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests a rebalance; never blocks.
    pub fn request(&self) {
        if !self.0.requested.swap(true, Ordering::AcqRel) {
            self.0.notify.notify_one();
        }
    }

    /// Turns every message received on `requests` into [`RebalanceTrigger::request`] until
    /// the channel closes. The message's content is not used, so the kernel's own request
    /// type (`RebalanceRequest`) can be passed as it is: spawn
    /// `trigger.forward(receiver)` next to the kernel.
    pub async fn forward<T: Send>(self, mut requests: mpsc::Receiver<T>) {
        while requests.recv().await.is_some() {
            self.request();
        }
    }

    /// Waits for the next request.
    pub(crate) async fn requested(&self) {
        loop {
            self.0.notify.notified().await;
            if self.0.requested.swap(false, Ordering::AcqRel) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests;
