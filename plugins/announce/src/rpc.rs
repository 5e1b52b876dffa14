//! The rpc table (protocol §3.7, bitmarkd's `announce/rpc`): which nodes offer client RPC, by
//! certificate fingerprint. Transport-independent.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::table::{expired, Rules};

/// One announced RPC service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcEntry {
    /// SHA3-256 of the node's RPC TLS certificate (32 bytes).
    pub fingerprint: Bytes,
    /// Its packed RPC listeners (protocol §3.4, at most 100 bytes).
    pub listeners: Bytes,
    /// Unix seconds it was last counted.
    pub timestamp: u64,
    /// True for this node's own entry, which never expires.
    pub local: bool,
}

#[derive(Clone, Debug)]
struct Value {
    listeners: Bytes,
    timestamp: u64,
    local: bool,
}

/// The rpc table.
#[derive(Debug, Default)]
pub(crate) struct RpcTable {
    entries: BTreeMap<Bytes, Value>,
    warned_full: bool,
}

impl RpcTable {
    /// Records this node's own announcement (bitmarkd's `Set`).
    pub(crate) fn set_self(&mut self, fingerprint: Bytes, listeners: Bytes, now: u64) {
        self.entries.insert(fingerprint, Value { listeners, timestamp: now, local: true });
    }

    /// bitmarkd's `Add` for a validated announcement; true if it should be relayed.
    ///
    /// A new fingerprint is added like a peer (future timestamps clamped to `now`, expired
    /// ones ignored). For a known one the listeners are replaced and the stored time set to
    /// `now` (not the announced time); it counts only if the previous time is more than
    /// `rebroadcast` seconds ago. Our own entry is never changed by others (bitmarkd would
    /// replace its listeners): false.
    pub(crate) fn add(
        &mut self,
        fingerprint: Bytes,
        listeners: Bytes,
        ts: u64,
        now: u64,
        rules: &Rules,
    ) -> bool {
        if let Some(value) = self.entries.get_mut(&fingerprint) {
            if value.local {
                return false;
            }
            let counted = now.saturating_sub(value.timestamp) > rules.rebroadcast;
            value.listeners = listeners;
            value.timestamp = now;
            return counted;
        }
        let ts = ts.min(now);
        if expired(ts, now, rules.expiry) {
            return false;
        }
        let others = self.entries.values().filter(|v| !v.local).count();
        if others >= rules.cap {
            if !self.warned_full {
                tracing::warn!(cap = rules.cap, "rpc table full: refusing new entries");
                self.warned_full = true;
            }
            return false;
        }
        self.entries.insert(fingerprint, Value { listeners, timestamp: ts, local: false });
        true
    }

    /// Removes the entries, other than ours, that expired at `now`; returns how many.
    pub(crate) fn expire(&mut self, now: u64, expiry: u64) -> usize {
        let before = self.entries.len();
        self.entries.retain(|_, v| v.local || !expired(v.timestamp, now, expiry));
        let gone = before - self.entries.len();
        if gone > 0 {
            self.warned_full = false;
        }
        gone
    }

    /// Every entry, by fingerprint.
    pub(crate) fn entries(&self) -> Vec<RpcEntry> {
        self.entries
            .iter()
            .map(|(fingerprint, v)| RpcEntry {
                fingerprint: fingerprint.clone(),
                listeners: v.listeners.clone(),
                timestamp: v.timestamp,
                local: v.local,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules { expiry: 55 * 60, rebroadcast: 7 * 60, cap: 2, per_source: 2 };
    const NOW: u64 = 1_700_000_000;

    fn fp(b: u8) -> Bytes {
        Bytes::from(vec![b; 32])
    }

    fn get(t: &RpcTable, b: u8) -> Option<RpcEntry> {
        t.entries().into_iter().find(|e| e.fingerprint == fp(b))
    }

    #[test]
    fn new_entries_are_clamped_and_expired_ones_ignored() {
        let mut t = RpcTable::default();
        assert!(t.add(fp(1), Bytes::from_static(b"a"), NOW + 999, NOW, &RULES));
        assert_eq!(get(&t, 1).map(|e| e.timestamp), Some(NOW), "future clamped to now");
        assert!(!t.add(fp(2), Bytes::new(), NOW - 3301, NOW, &RULES), "expired");
        assert!(t.add(fp(2), Bytes::new(), NOW - 3300, NOW, &RULES), "exactly 55 min is kept");
        assert!(!t.add(fp(3), Bytes::new(), NOW, NOW, &RULES), "cap of 2 reached");
    }

    #[test]
    fn known_entries_take_new_listeners_and_now_but_count_after_seven_minutes() {
        let mut t = RpcTable::default();
        assert!(t.add(fp(1), Bytes::from_static(b"a"), NOW - 600, NOW - 600, &RULES));
        // 6 minutes later, announced time irrelevant: replaced, not counted.
        assert!(!t.add(fp(1), Bytes::from_static(b"b"), 0, NOW - 240, &RULES));
        assert_eq!(
            get(&t, 1).map(|e| (e.listeners, e.timestamp)),
            Some((b"b"[..].into(), NOW - 240))
        );
        // Exactly 7 minutes after the last update: still not counted (bitmarkd: > 7 min).
        assert!(!t.add(fp(1), Bytes::from_static(b"c"), 0, NOW + 180, &RULES));
        assert!(t.add(fp(1), Bytes::from_static(b"d"), 0, NOW + 180 + 421, &RULES));
    }

    #[test]
    fn own_entry_is_kept_and_never_expires() {
        let mut t = RpcTable::default();
        t.set_self(fp(7), Bytes::from_static(b"mine"), NOW);
        assert!(!t.add(fp(7), Bytes::from_static(b"evil"), NOW, NOW + 3600, &RULES));
        assert!(t.add(fp(1), Bytes::new(), NOW, NOW, &RULES));
        assert_eq!(t.expire(NOW + 3301, RULES.expiry), 1);
        let left = t.entries();
        assert_eq!(left.len(), 1);
        assert_eq!((left[0].listeners.as_ref(), left[0].local), (&b"mine"[..], true));
    }
}
