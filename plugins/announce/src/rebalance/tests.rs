//! The rebalance ranks, computed by hand from the formula of protocol §3.5 in each comment:
//! e = count/8, q = count/4, h = count/2, jump = 3 (1 if count < 4); candidates N1 i+1,
//! N3 i+jump, X1..X7 i+e, i+q, i+q+e, i+h, i+h+e, i+h+q, i+h+q+e, P1 i+count-1,
//! P3 i+count-jump; skip a candidate equal to i or to the last one kept; wrap once.

use bytes::Bytes;

use super::*;
use crate::table::Rules;

#[test]
fn one_entry_asks_for_itself_once() {
    // e=q=h=0, jump=1. N1=1 (kept, wraps to 0: ourselves — bitmarkd's edge case), N3=1 dup,
    // X1..X7=0 = i, P1=0 = i, P3=0 = i.
    assert_eq!(targets(0, 1), [0]);
}

#[test]
fn two_entries_ask_for_the_other_once() {
    // i=0: e=q=0, h=1, jump=1. N1=1, N3=1 dup, X1..X3=0 = i, X4..X7=1 dup, P1=1 dup, P3=1 dup.
    assert_eq!(targets(0, 2), [1]);
    // i=1: N1=2→0, N3=2 dup, X1..X3=1 = i, X4..X7=2 dup, P1=2 dup, P3=2 dup.
    assert_eq!(targets(1, 2), [0]);
}

#[test]
fn three_entries_ask_for_both_neighbours() {
    // i=0: N1=1, N3=1 dup, X1..X3=0 = i, X4..X7=1 dup, P1=2, P3=2 dup.
    assert_eq!(targets(0, 3), [1, 2]);
    // i=1: N1=2, N3 dup, X1..X3=1 = i, X4..X7=2 dup, P1=3→0, P3=3 dup.
    assert_eq!(targets(1, 3), [2, 0]);
    // i=2: N1=3→0, N3 dup, X1..X3=2 = i, X4..X7=3 dup, P1=4→1, P3 dup.
    assert_eq!(targets(2, 3), [0, 1]);
}

#[test]
fn four_entries_keep_non_adjacent_duplicates() {
    // i=0: e=0, q=1, h=2, jump=3. N1=1, N3=3, X1=0 = i, X2=1, X3=1 dup, X4=2, X5=2 dup,
    // X6=3, X7=3 dup, P1=3 dup, P3=1.
    assert_eq!(targets(0, 4), [1, 3, 1, 2, 3, 1]);
    // i=2: N1=3, N3=5→1, X1=2 = i, X2=3, X3=3 dup, X4=4→0, X5=4 dup, X6=5→1, X7=5 dup,
    // P1=5 dup, P3=3.
    assert_eq!(targets(2, 4), [3, 1, 3, 0, 1, 3]);
}

#[test]
fn eight_entries() {
    // i=0: e=1, q=2, h=4, jump=3. N1=1, N3=3, X1=1, X2=2, X3=3, X4=4, X5=5, X6=6, X7=7,
    // P1=7 dup, P3=5.
    assert_eq!(targets(0, 8), [1, 3, 1, 2, 3, 4, 5, 6, 7, 5]);
    // i=5: N1=6, N3=8→0, X1=6, X2=7, X3=8→0, X4=9→1, X5=10→2, X6=11→3, X7=12→4, P1=12 dup,
    // P3=10→2.
    assert_eq!(targets(5, 8), [6, 0, 6, 7, 0, 1, 2, 3, 4, 2]);
}

#[test]
fn fifty_entries_use_all_eleven_targets() {
    // i=0: e=6, q=12, h=25, jump=3. N1=1, N3=3, X1=6, X2=12, X3=18, X4=25, X5=31, X6=37,
    // X7=43, P1=49, P3=47.
    assert_eq!(targets(0, 50), [1, 3, 6, 12, 18, 25, 31, 37, 43, 49, 47]);
    // i=30: 31, 33, 36, 42, 48, 55→5, 61→11, 67→17, 73→23, P1=79→29, P3=77→27.
    assert_eq!(targets(30, 50), [31, 33, 36, 42, 48, 5, 11, 17, 23, 29, 27]);
    // i=49: 50→0, 52→2, 55→5, 61→11, 67→17, 74→24, 80→30, 86→36, 92→42, 98→48, 96→46.
    assert_eq!(targets(49, 50), [0, 2, 5, 11, 17, 24, 30, 36, 42, 48, 46]);
}

#[test]
fn out_of_range_index_has_no_targets() {
    assert!(targets(3, 3).is_empty());
    assert!(targets(0, 0).is_empty());
}

const RULES: Rules = Rules { expiry: 3300, rebroadcast: 420, cap: 100, per_source: 100 };

fn key(b: u8) -> Bytes {
    Bytes::from(vec![b; 32])
}

fn proven(table: &mut PeerTable, b: u8, listeners: &'static [u8]) {
    let source = crate::table::Source::Proven;
    assert!(table.add_from(key(b), Bytes::from_static(listeners), (1000, 1000), &RULES, &source));
}

fn keys(targets: Vec<DialTarget>) -> Vec<(String, Bytes)> {
    targets.into_iter().map(|t| (t.transport, t.key)).collect()
}

fn zmq(bs: &[u8]) -> Vec<(String, Bytes)> {
    bs.iter().map(|&b| ("zmq".to_owned(), key(b))).collect()
}

#[test]
fn dial_targets_never_name_ourselves_or_unreachable_peers() {
    let mut table = PeerTable::default();
    assert!(dial_targets("zmq", &table, |_| 0).is_empty(), "no self: no rebalance");
    table.set_self(key(0), Bytes::from_static(b"me"), 1000);
    assert!(dial_targets("zmq", &table, |_| 0).is_empty(), "alone: targets(0,1) is ourselves");
    proven(&mut table, 1, b"one");
    proven(&mut table, 2, b"");
    proven(&mut table, 3, b"three");
    // We are rank 0 of 4: ranks [1, 3, 1, 2, 3, 1]; rank 2 has no listeners.
    assert_eq!(keys(dial_targets("zmq", &table, |_| 0)), zmq(&[1, 3, 1, 3, 1]));
}

#[test]
fn the_ring_is_made_of_proven_peers_and_heard_of_ones_are_only_probed_two_at_a_time() {
    let mut table = PeerTable::default();
    table.set_self(key(0), Bytes::from_static(b"me"), 1000);
    proven(&mut table, 5, b"five");
    // Ten invented keys relayed by one peer, all ranked between us and the proven one.
    for b in 1..=4 {
        table.add(key(b), Bytes::from_static(b"heard"), 1000, 1000, &RULES);
    }
    for b in 6..=11 {
        table.add(key(b), Bytes::from_static(b"heard"), 1000, 1000, &RULES);
    }
    // The ring is {0, 5}: targets(0, 2) = [1] = key 5. Then two probes: pick(10) = 0 takes
    // key 1, the last heard-of entry (key 11) moves into its place, pick(9) = 0 takes it.
    assert_eq!(keys(dial_targets("zmq", &table, |_| 0)), zmq(&[5, 1, 11]));
    // An entry that answered our polls joins the ring and is no longer a probe.
    assert!(table.update_time(&key(1), 1001));
    let got = keys(dial_targets("zmq", &table, |n| n - 1));
    // Ring {0, 1, 5}: targets(0, 3) = [1, 2] = keys 1, 5; probes: the last of 9, then of 8.
    assert_eq!(got, zmq(&[1, 5, 11, 10]));
}

#[tokio::test(start_paused = true)]
async fn trigger_requests_coalesce_and_forward() {
    let trigger = RebalanceTrigger::new();
    let (tx, rx) = mpsc::channel::<u8>(4);
    let forward = tokio::spawn(trigger.clone().forward(rx));
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    drop(tx);
    forward.await.unwrap();
    // Two requests, one stored permit.
    trigger.requested().await;
    let again = tokio::time::timeout(std::time::Duration::from_millis(1), trigger.requested());
    assert!(again.await.is_err(), "requests coalesce into one");
}
