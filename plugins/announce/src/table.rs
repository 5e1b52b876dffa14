//! The peer table of one transport (protocol §3.3): every announced peer ordered by public key
//! (compared as bytes, like bitmarkd's AVL tree), this node included.

use std::collections::BTreeMap;

use bytes::Bytes;

/// One peer as the table knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerEntry {
    /// The peer's key in its transport's format (ZeroMQ CURVE key, libp2p peer id bytes).
    pub key: Bytes,
    /// Its listeners in its transport's format (opaque here).
    pub listeners: Bytes,
    /// Unix seconds of its latest counted announcement or liveness refresh.
    pub timestamp: u64,
}

/// The timing and size rules a table applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rules {
    /// Entries older than this many seconds are expired.
    pub(crate) expiry: u64,
    /// An update of a known entry counts only if at least this many seconds newer.
    pub(crate) rebroadcast: u64,
    /// Most entries besides our own.
    pub(crate) cap: usize,
}

/// True if an entry stamped `ts` has expired at `now` (bitmarkd: `ts + expiry < now`).
pub(crate) fn expired(ts: u64, now: u64, expiry: u64) -> bool {
    ts.saturating_add(expiry) < now
}

#[derive(Clone, Debug)]
struct Value {
    listeners: Bytes,
    timestamp: u64,
}

/// A transport's peer table.
#[derive(Debug, Default)]
pub(crate) struct PeerTable {
    own: Option<Bytes>,
    entries: BTreeMap<Bytes, Value>,
    changed: bool,
    warned_full: bool,
}

impl PeerTable {
    /// Records this node itself (bitmarkd's `SetSelf`); its entry never expires.
    pub(crate) fn set_self(&mut self, key: Bytes, listeners: Bytes, now: u64) {
        self.entries.insert(key.clone(), Value { listeners, timestamp: now });
        self.own = Some(key);
    }

    /// Our own key, once set.
    pub(crate) fn own(&self) -> Option<&Bytes> {
        self.own.as_ref()
    }

    /// bitmarkd's `Add`: true if the announcement is new or counts as an update (and should
    /// be relayed). Future timestamps are clamped to `now`; expired ones and updates less
    /// than `rebroadcast` seconds newer than the stored one (older included) are ignored.
    ///
    /// Our own key returns false and, unlike bitmarkd, leaves our entry untouched: a remote
    /// cannot replace the listeners this node announces for itself.
    pub(crate) fn add(
        &mut self,
        key: Bytes,
        listeners: Bytes,
        ts: u64,
        now: u64,
        rules: &Rules,
    ) -> bool {
        let ts = ts.min(now);
        if expired(ts, now, rules.expiry) || self.own.as_ref() == Some(&key) {
            return false;
        }
        if let Some(value) = self.entries.get_mut(&key) {
            if ts < value.timestamp.saturating_add(rules.rebroadcast) {
                return false;
            }
            *value = Value { listeners, timestamp: ts };
            return true;
        }
        if self.others() >= rules.cap {
            if !self.warned_full {
                tracing::warn!(cap = rules.cap, "peer table full: refusing new peers");
                self.warned_full = true;
            }
            return false;
        }
        self.entries.insert(key, Value { listeners, timestamp: ts });
        self.changed = true;
        true
    }

    /// bitmarkd's `UpdateTime`: a polled upstream answered, so its entry is fresh. Returns
    /// false for an unknown key.
    pub(crate) fn update_time(&mut self, key: &[u8], now: u64) -> bool {
        match self.entries.get_mut(key) {
            Some(value) => {
                value.timestamp = value.timestamp.max(now);
                true
            }
            None => false,
        }
    }

    /// Removes every entry but ours that expired at `now`; returns their keys.
    pub(crate) fn expire(&mut self, now: u64, expiry: u64) -> Vec<Bytes> {
        let own = self.own.clone();
        let gone: Vec<Bytes> = self
            .entries
            .iter()
            .filter(|(k, v)| Some(*k) != own.as_ref() && expired(v.timestamp, now, expiry))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &gone {
            self.entries.remove(key);
        }
        if !gone.is_empty() {
            self.changed = true;
            self.warned_full = false;
        }
        gone
    }

    /// Number of entries, ours included.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn others(&self) -> usize {
        self.entries.len() - usize::from(self.own.is_some())
    }

    /// The rank of `key` in key order.
    pub(crate) fn rank(&self, key: &[u8]) -> Option<usize> {
        use std::ops::Bound;
        let below = (Bound::Unbounded, Bound::Excluded(key));
        self.entries.contains_key(key).then(|| self.entries.range::<[u8], _>(below).count())
    }

    /// The entry at rank `index`.
    pub(crate) fn get(&self, index: usize) -> Option<PeerEntry> {
        self.entries.iter().nth(index).map(entry)
    }

    /// Every entry in key order, ours included.
    pub(crate) fn entries(&self) -> impl Iterator<Item = PeerEntry> + '_ {
        self.entries.iter().map(entry)
    }

    /// A peer that is neither us nor `exclude`, chosen by `pick(n)` (an index below `n`)
    /// among the `n` eligible entries; None when there is none.
    pub(crate) fn pick_other(
        &self,
        exclude: &[u8],
        pick: impl FnOnce(usize) -> usize,
    ) -> Option<PeerEntry> {
        let own = self.own.as_ref();
        let eligible =
            || self.entries.iter().filter(move |(k, _)| k.as_ref() != exclude && Some(*k) != own);
        let n = eligible().count();
        if n == 0 {
            return None;
        }
        eligible().nth(pick(n).min(n - 1)).map(entry)
    }

    /// Whether an entry was added or expired since the last call (bitmarkd's `changed`).
    pub(crate) fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }
}

fn entry((key, value): (&Bytes, &Value)) -> PeerEntry {
    PeerEntry { key: key.clone(), listeners: value.listeners.clone(), timestamp: value.timestamp }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules { expiry: 55 * 60, rebroadcast: 7 * 60, cap: 3 };
    const NOW: u64 = 1_700_000_000;

    fn key(b: u8) -> Bytes {
        Bytes::from(vec![b; 32])
    }

    fn table() -> PeerTable {
        let mut t = PeerTable::default();
        t.set_self(key(5), Bytes::from_static(b"me"), NOW);
        t
    }

    #[test]
    fn ranks_follow_byte_order_and_include_self() {
        let mut t = table();
        assert!(t.add(key(9), Bytes::new(), NOW, NOW, &RULES));
        assert!(t.add(key(1), Bytes::new(), NOW, NOW, &RULES));
        assert_eq!(t.rank(&key(1)), Some(0));
        assert_eq!(t.rank(&key(5)), Some(1));
        assert_eq!(t.rank(&key(9)), Some(2));
        assert_eq!(t.rank(&key(7)), None);
        assert_eq!(t.get(2).map(|e| e.key), Some(key(9)));
        assert!(t.take_changed());
        assert!(!t.take_changed());
    }

    #[test]
    fn own_key_is_refused_and_kept() {
        let mut t = table();
        assert!(!t.add(key(5), Bytes::from_static(b"evil"), NOW + 3600, NOW + 3600, &RULES));
        assert_eq!(t.get(0).map(|e| e.listeners), Some(Bytes::from_static(b"me")));
        // Our entry never expires.
        assert!(t.expire(NOW + 10 * 3600, RULES.expiry).is_empty());
    }

    #[test]
    fn cap_refuses_new_peers_but_not_updates() {
        let mut t = table();
        for b in [1, 2, 3] {
            assert!(t.add(key(b), Bytes::new(), NOW, NOW, &RULES));
        }
        assert!(!t.add(key(4), Bytes::new(), NOW, NOW, &RULES), "table is full");
        assert!(t.add(key(1), Bytes::new(), NOW + 420, NOW + 420, &RULES), "update still counts");
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn pick_other_skips_self_and_registrant() {
        let mut t = table();
        assert!(t.add(key(1), Bytes::new(), NOW, NOW, &RULES));
        assert_eq!(t.pick_other(&key(1), |_| 0), None);
        assert!(t.add(key(9), Bytes::new(), NOW, NOW, &RULES));
        for i in 0..3 {
            assert_eq!(t.pick_other(&key(1), |n| n - 1 + i).map(|e| e.key), Some(key(9)));
        }
    }
}
