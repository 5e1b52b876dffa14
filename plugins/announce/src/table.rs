//! The peer table of one transport (protocol §3.3): every announced peer ordered by public key
//! (compared as bytes, like bitmarkd's AVL tree), this node included.
//!
//! peerd's defences against eclipse (bitmarkd has none): every entry remembers how it was
//! learnt ([`Source`]). A peer that registered with us under its connection's own key, or
//! that we polled as an upstream, has *proven* itself; one relayed in a `peer` item is only
//! *heard of*, and each relaying peer may put at most `per_source` heard-of entries in the
//! table. When the table is full, a newcomer takes the place of a random entry that is not
//! proven, never of a proven one. A relayed update may refresh a proven entry's time but
//! not change its listeners, so nobody can point our dials at a third party's address.

use std::collections::{BTreeMap, HashMap};

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
    /// True once the peer proved its key: it registered with us under its connection's own
    /// key, or it answered our polls as an upstream. Only proven peers are rebalance
    /// targets; the others are probed a few at a time (`rebalance.rs`).
    pub proven: bool,
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
    /// Most heard-of entries one relaying peer may have in the table.
    pub(crate) per_source: usize,
}

/// How an announcement reached us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The peer registered with us under its connection's own key.
    Proven,
    /// Relayed by this peer (`None`: by a peer its transport cannot name).
    Heard(Option<Bytes>),
    /// Read from the peer cache, or introduced by an upstream's registration reply: not
    /// proven, and not counted against any relaying peer.
    Unproven,
}

/// True if an entry stamped `ts` has expired at `now` (bitmarkd: `ts + expiry < now`).
pub(crate) fn expired(ts: u64, now: u64, expiry: u64) -> bool {
    ts.saturating_add(expiry) < now
}

#[derive(Clone, Debug)]
struct Value {
    listeners: Bytes,
    timestamp: u64,
    /// The relaying peer of a heard-of entry (counted in `heard`).
    heard_from: Option<Option<Bytes>>,
    proven: bool,
}

/// A transport's peer table.
#[derive(Debug, Default)]
pub(crate) struct PeerTable {
    own: Option<Bytes>,
    entries: BTreeMap<Bytes, Value>,
    /// Heard-of entries per relaying peer.
    heard: HashMap<Option<Bytes>, usize>,
    changed: bool,
    warned_full: bool,
}

impl PeerTable {
    /// Records this node itself (bitmarkd's `SetSelf`); its entry never expires.
    pub(crate) fn set_self(&mut self, key: Bytes, listeners: Bytes, now: u64) {
        let value = Value { listeners, timestamp: now, heard_from: None, proven: true };
        self.entries.insert(key.clone(), value);
        self.own = Some(key);
    }

    /// Our own key, once set.
    pub(crate) fn own(&self) -> Option<&Bytes> {
        self.own.as_ref()
    }

    /// bitmarkd's `Add` for an entry of unknown standing ([`Source::Unproven`]); see
    /// [`PeerTable::add_from`].
    #[cfg(test)]
    pub(crate) fn add(
        &mut self,
        key: Bytes,
        listeners: Bytes,
        ts: u64,
        now: u64,
        rules: &Rules,
    ) -> bool {
        self.add_from(key, listeners, (ts, now), rules, &Source::Unproven)
    }

    /// bitmarkd's `Add`: true if the announcement is new or counts as an update (and should
    /// be relayed). Future timestamps are clamped to `now`; expired ones and updates less
    /// than `rebroadcast` seconds newer than the stored one (older included) are ignored.
    /// Then peerd's eclipse rules (see the module): the per-source cap, random eviction of
    /// an unproven entry when full, proven listeners changed only by their owner.
    ///
    /// Our own key returns false and, unlike bitmarkd, leaves our entry untouched: a remote
    /// cannot replace the listeners this node announces for itself.
    pub(crate) fn add_from(
        &mut self,
        key: Bytes,
        listeners: Bytes,
        (ts, now): (u64, u64),
        rules: &Rules,
        source: &Source,
    ) -> bool {
        let ts = ts.min(now);
        if expired(ts, now, rules.expiry) || self.own.as_ref() == Some(&key) {
            return false;
        }
        let proven = *source == Source::Proven;
        if let Some(value) = self.entries.get_mut(&key) {
            if value.proven && !proven && value.listeners != listeners {
                tracing::debug!(key = %hex::encode(&key), "relayed listeners for a proven peer ignored");
                return false;
            }
            if proven && !value.proven {
                value.proven = true;
                if let Some(from) = value.heard_from.take() {
                    uncount(&mut self.heard, &from);
                }
            }
            if ts < value.timestamp.saturating_add(rules.rebroadcast) {
                return false;
            }
            value.listeners = listeners;
            value.timestamp = ts;
            return true;
        }
        let heard_from = match source {
            Source::Heard(from) => {
                if self.heard.get(from).copied().unwrap_or(0) >= rules.per_source {
                    tracing::debug!(source = ?from.as_ref().map(hex::encode), "peer refused: its relayer's share of the table is full");
                    return false;
                }
                Some(from.clone())
            }
            _ => None,
        };
        if self.others() >= rules.cap && !self.evict_unproven() {
            if !self.warned_full {
                tracing::warn!(
                    cap = rules.cap,
                    "peer table full of proven peers: refusing new peers"
                );
                self.warned_full = true;
            }
            return false;
        }
        if let Some(from) = &heard_from {
            *self.heard.entry(from.clone()).or_default() += 1;
        }
        self.entries.insert(key, Value { listeners, timestamp: ts, heard_from, proven });
        self.changed = true;
        true
    }

    /// Forgets one random entry that is not proven (and not ours); false if there is none.
    fn evict_unproven(&mut self) -> bool {
        let own = self.own.clone();
        let unproven =
            || self.entries.iter().filter(|(k, v)| !v.proven && Some(*k) != own.as_ref());
        let n = unproven().count();
        if n == 0 {
            return false;
        }
        let index = rand::Rng::gen_range(&mut rand::thread_rng(), 0..n);
        let Some(key) = unproven().nth(index).map(|(k, _)| k.clone()) else { return false };
        self.remove(&key);
        true
    }

    fn remove(&mut self, key: &Bytes) {
        if let Some(value) = self.entries.remove(key) {
            if let Some(from) = value.heard_from {
                uncount(&mut self.heard, &from);
            }
            self.changed = true;
        }
    }

    /// Whether the entry of `key` has proven itself.
    #[cfg(test)]
    pub(crate) fn is_proven(&self, key: &[u8]) -> bool {
        self.entries.get(key).is_some_and(|v| v.proven)
    }

    /// bitmarkd's `UpdateTime`: a polled upstream answered, so its entry is fresh, and it
    /// has proven itself (we reached it under that key). Returns false for an unknown key.
    pub(crate) fn update_time(&mut self, key: &[u8], now: u64) -> bool {
        match self.entries.get_mut(key) {
            Some(value) => {
                value.timestamp = value.timestamp.max(now);
                value.proven = true;
                if let Some(from) = value.heard_from.take() {
                    uncount(&mut self.heard, &from);
                }
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
            self.remove(key);
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

    /// Every entry in key order, ours included.
    pub(crate) fn entries(&self) -> impl Iterator<Item = PeerEntry> + '_ {
        self.entries.iter().map(entry)
    }

    /// A peer that is neither us nor `exclude`, chosen by `pick(n)` (an index below `n`)
    /// among the `n` eligible entries: the proven ones when there are any (an introduction
    /// should not pass on a heard-of entry nobody here has reached), else all; None when
    /// there is none.
    pub(crate) fn pick_other(
        &self,
        exclude: &[u8],
        pick: impl FnOnce(usize) -> usize,
    ) -> Option<PeerEntry> {
        let own = self.own.as_ref();
        let others =
            || self.entries.iter().filter(move |(k, _)| k.as_ref() != exclude && Some(*k) != own);
        let proven = others().filter(|(_, v)| v.proven).count();
        let n = if proven > 0 { proven } else { others().count() };
        if n == 0 {
            return None;
        }
        let index = pick(n).min(n - 1);
        if proven > 0 {
            others().filter(|(_, v)| v.proven).nth(index).map(entry)
        } else {
            others().nth(index).map(entry)
        }
    }

    /// Whether an entry was added or expired since the last call (bitmarkd's `changed`).
    pub(crate) fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }
}

/// One heard-of entry fewer from `from`.
fn uncount(heard: &mut HashMap<Option<Bytes>, usize>, from: &Option<Bytes>) {
    if let Some(count) = heard.get_mut(from) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            heard.remove(from);
        }
    }
}

fn entry((key, value): (&Bytes, &Value)) -> PeerEntry {
    PeerEntry {
        key: key.clone(),
        listeners: value.listeners.clone(),
        timestamp: value.timestamp,
        proven: value.proven,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules { expiry: 55 * 60, rebroadcast: 7 * 60, cap: 3, per_source: 2 };
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
        let order: Vec<Bytes> = t.entries().map(|e| e.key).collect();
        assert_eq!(order, [key(1), key(5), key(9)]);
        assert!(t.take_changed());
        assert!(!t.take_changed());
    }

    #[test]
    fn own_key_is_refused_and_kept() {
        let mut t = table();
        assert!(!t.add(key(5), Bytes::from_static(b"evil"), NOW + 3600, NOW + 3600, &RULES));
        assert_eq!(t.entries().next().map(|e| e.listeners), Some(Bytes::from_static(b"me")));
        // Our entry never expires.
        assert!(t.expire(NOW + 10 * 3600, RULES.expiry).is_empty());
    }

    fn proven(t: &mut PeerTable, b: u8, now: u64) -> bool {
        t.add_from(key(b), Bytes::new(), (now, now), &RULES, &Source::Proven)
    }

    fn heard(t: &mut PeerTable, b: u8, from: u8, listeners: &'static [u8]) -> bool {
        let source = Source::Heard(Some(key(from)));
        t.add_from(key(b), Bytes::from_static(listeners), (NOW, NOW), &RULES, &source)
    }

    #[test]
    fn a_full_table_of_proven_peers_refuses_new_peers_but_not_updates() {
        let mut t = table();
        for b in [1, 2, 3] {
            assert!(proven(&mut t, b, NOW));
        }
        assert!(!t.add(key(4), Bytes::new(), NOW, NOW, &RULES), "table is full");
        assert!(proven(&mut t, 1, NOW + 420), "update still counts");
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn one_relayer_fills_its_share_and_newcomers_replace_only_unproven_entries() {
        let mut t = table();
        assert!(proven(&mut t, 1, NOW));
        assert!(heard(&mut t, 10, 99, b""));
        assert!(heard(&mut t, 11, 99, b""));
        assert!(!heard(&mut t, 12, 99, b""), "relayer 99 has its two");
        assert!(heard(&mut t, 12, 98, b""), "another relayer still gets in");
        assert_eq!(t.len(), 4, "full (three besides ours): 12 took a heard-of entry's place");
        // Full: a proven newcomer takes the place of a random heard-of entry.
        assert!(proven(&mut t, 2, NOW));
        assert!(proven(&mut t, 3, NOW));
        assert_eq!(t.len(), 4);
        assert!([1, 2, 3].iter().all(|b| t.is_proven(&key(*b))));
        // Once the unproven are gone, nobody evicts the proven.
        assert!(!heard(&mut t, 13, 97, b""));
        assert!([1, 2, 3].iter().all(|b| t.is_proven(&key(*b))), "proven entries stay");
    }

    #[test]
    fn relayed_listeners_never_replace_a_proven_peers_own() {
        let mut t = table();
        assert!(t.add_from(
            key(1),
            Bytes::from_static(b"mine"),
            (NOW, NOW),
            &RULES,
            &Source::Proven
        ));
        let later = NOW + 3600;
        let lie = Source::Heard(Some(key(66)));
        let third_party = Bytes::from_static(b"victim");
        assert!(!t.add_from(key(1), third_party, (later, later), &RULES, &lie));
        assert!(
            t.add_from(key(1), Bytes::from_static(b"mine"), (later, later), &RULES, &lie),
            "a refresh with the same listeners counts"
        );
        assert_eq!(
            t.entries().find(|e| e.key == key(1)).map(|e| e.listeners),
            Some(Bytes::from_static(b"mine"))
        );
        // A heard-of peer that we poll as an upstream has proven itself, and frees its
        // relayer's share.
        assert!(heard(&mut t, 2, 66, b""));
        assert!(heard(&mut t, 3, 66, b""));
        assert!(t.update_time(&key(2), NOW));
        assert!(t.is_proven(&key(2)));
        assert!(heard(&mut t, 4, 66, b""), "66 has room again; 3 is the only unproven entry");
        assert!(t.entries().all(|e| e.key != key(3)), "and it made room");
    }

    #[test]
    fn introductions_prefer_proven_peers() {
        let mut t = table();
        assert!(heard(&mut t, 1, 66, b""));
        assert_eq!(
            t.pick_other(&key(9), |_| 0).map(|e| e.key),
            Some(key(1)),
            "only heard-of: used"
        );
        assert!(proven(&mut t, 2, NOW));
        for i in 0..3 {
            assert_eq!(t.pick_other(&key(9), |n| n - 1 + i).map(|e| e.key), Some(key(2)));
        }
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
