//! Dynamic upstreams (protocol §3.5): up to `max_dynamic_upstreams` slots reused least recently
//! used, and the seam to the peer layer's rebalance.
//!
//! bitmarkd's `connectUpstream`: a target some upstream (static or dynamic) already
//! connects to is kept (a dynamic one moves to the back of the LRU order); otherwise the
//! front, least recently used, dynamic slot is connected to the new target (closing its
//! old connection) and moves to the back. A released slot (the peer expired from the peer
//! table) is closed and moves to the front, so that it is reused first. Static targets and
//! our own identity are never taken into a slot.

use std::collections::VecDeque;

use peerd_api::bytes::Bytes;
use peerd_api::DialTarget;

/// Sent to the peer layer when the connector has too few registered upstreams
/// (bitmarkd's `reconnect` message to the announcer, which answers with a `ReBalance`).
///
/// The kernel sends it on the channel given to [`crate::kernel::Kernel::with_rebalance`]
/// without waiting: when the channel is full the request is dropped (another one follows
/// at the next connector cycle). The peer layer answers with
/// [`peerd_api::NodeRequest::Connect`] through its [`peerd_api::NodeLink`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RebalanceRequest {
    /// Registered upstreams now.
    pub registered: usize,
    /// Registered upstreams the connector needs (`[sync] min_upstreams`).
    pub wanted: usize,
}

/// What the shell must do after a slot change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SlotChange {
    /// Nothing: the target is already connected (or refused).
    Kept,
    /// Close the connection to `close` (if any), then dial `dial`.
    Connect {
        /// The slot's previous target.
        close: Option<DialTarget>,
        /// The new target.
        dial: DialTarget,
    },
}

/// The dynamic slots in LRU order: the front is the least recently used.
#[derive(Clone, Debug)]
pub(crate) struct Slots {
    slots: VecDeque<Option<DialTarget>>,
}

/// True if `a` and `b` name the same peer on the same transport.
pub(crate) fn same_peer(a: &DialTarget, transport: &str, key: &[u8]) -> bool {
    a.transport == transport && a.key == key
}

impl Slots {
    /// `count` empty slots.
    pub(crate) fn new(count: usize) -> Self {
        Self { slots: (0..count).map(|_| None).collect() }
    }

    /// The targets the slots are connected to, least recently used first.
    pub(crate) fn targets(&self) -> impl Iterator<Item = &DialTarget> {
        self.slots.iter().flatten()
    }

    /// True if a slot targets `key` on `transport`.
    pub(crate) fn holds(&self, transport: &str, key: &[u8]) -> bool {
        self.targets().any(|t| same_peer(t, transport, key))
    }

    /// bitmarkd's `connectUpstream` for a dynamic target. `statics` and `own` (our identity
    /// on each transport, as `(transport, key)`) are never taken into a slot.
    pub(crate) fn connect(
        &mut self,
        target: DialTarget,
        statics: &[DialTarget],
        own: &[(String, Bytes)],
    ) -> SlotChange {
        if own.iter().any(|(t, k)| same_peer(&target, t, k)) {
            tracing::debug!(key = ?target.key, "not connecting to ourselves");
            return SlotChange::Kept;
        }
        if statics.iter().any(|s| same_peer(s, &target.transport, &target.key)) {
            return SlotChange::Kept;
        }
        let held = self
            .slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|t| same_peer(t, &target.transport, &target.key)));
        if let Some(at) = held {
            if let Some(slot) = self.slots.remove(at) {
                self.slots.push_back(slot);
            }
            return SlotChange::Kept;
        }
        let Some(close) = self.slots.pop_front() else {
            tracing::debug!("no dynamic upstream slots configured");
            return SlotChange::Kept;
        };
        self.slots.push_back(Some(target.clone()));
        SlotChange::Connect { close, dial: target }
    }

    /// Releases the slot connected to `key` on `transport`; returns its target to close.
    pub(crate) fn release(&mut self, transport: &str, key: &[u8]) -> Option<DialTarget> {
        let at = self
            .slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|t| same_peer(t, transport, key)))?;
        let released = self.slots.remove(at).flatten();
        self.slots.push_front(None);
        released
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str) -> DialTarget {
        let bytes = Bytes::copy_from_slice(name.as_bytes());
        DialTarget { transport: "memory".into(), key: bytes.clone(), listeners: bytes }
    }

    fn names(slots: &Slots) -> Vec<String> {
        slots
            .slots
            .iter()
            .map(|s| {
                s.as_ref().map_or("-".into(), |t| String::from_utf8_lossy(&t.key).into_owned())
            })
            .collect()
    }

    #[test]
    fn slots_are_reused_least_recently_used_first() {
        let own = vec![("memory".to_owned(), Bytes::from_static(b"me"))];
        let statics = vec![target("s")];
        let mut slots = Slots::new(2);
        let a = slots.connect(target("a"), &statics, &own);
        assert_eq!(a, SlotChange::Connect { close: None, dial: target("a") });
        slots.connect(target("b"), &statics, &own);
        assert_eq!(names(&slots), ["a", "b"]);
        // Already connected: moves to the back, nothing to dial.
        assert_eq!(slots.connect(target("a"), &statics, &own), SlotChange::Kept);
        assert_eq!(names(&slots), ["b", "a"]);
        // A new target takes the least recently used slot and closes its connection.
        let c = slots.connect(target("c"), &statics, &own);
        assert_eq!(c, SlotChange::Connect { close: Some(target("b")), dial: target("c") });
        assert_eq!(names(&slots), ["a", "c"]);
        // Statics and ourselves never take a slot.
        assert_eq!(slots.connect(target("s"), &statics, &own), SlotChange::Kept);
        assert_eq!(slots.connect(target("me"), &statics, &own), SlotChange::Kept);
        assert_eq!(names(&slots), ["a", "c"]);
        // Another transport's identical key is another peer.
        let other = DialTarget { transport: "zmq".into(), ..target("me") };
        assert!(matches!(slots.connect(other, &statics, &own), SlotChange::Connect { .. }));
        assert_eq!(names(&slots), ["c", "me"]);
    }

    #[test]
    fn a_released_slot_is_reused_first() {
        let mut slots = Slots::new(3);
        for name in ["a", "b", "c"] {
            slots.connect(target(name), &[], &[]);
        }
        assert_eq!(slots.release("memory", b"b"), Some(target("b")));
        assert_eq!(slots.release("memory", b"b"), None, "already released");
        assert_eq!(names(&slots), ["-", "a", "c"]);
        assert!(!slots.holds("memory", b"b") && slots.holds("memory", b"c"));
        let d = slots.connect(target("d"), &[], &[]);
        assert_eq!(d, SlotChange::Connect { close: None, dial: target("d") });
        assert_eq!(names(&slots), ["a", "c", "d"]);
        assert_eq!(slots.targets().count(), 3);
    }

    #[test]
    fn no_slots_means_no_dynamic_connections() {
        let mut slots = Slots::new(0);
        assert_eq!(slots.connect(target("a"), &[], &[]), SlotChange::Kept);
        assert_eq!(slots.targets().count(), 0);
    }
}
