use std::time::Duration;

use peerd_api::PeerId;
use tokio::time::Instant;

use super::persist::{decode, encode};
use super::*;

const DAY: u64 = 86_400;
const T0: u64 = 1_700_000_000;

fn policy() -> Policy {
    Policy {
        threshold: 100.0,
        ban_duration: Duration::from_secs(DAY),
        half_life: Duration::from_secs(600),
    }
}

fn peer(name: &str) -> PeerId {
    PeerId::new(name.as_bytes().to_vec())
}

#[test]
fn one_invalid_block_bans_for_the_ban_duration() {
    let mut scores = Scores::new(policy());
    let now = Instant::now();
    let verdict = scores.record(&peer("a"), Offence::InvalidBlock, false, now, T0);
    let ban = Ban { until_unix: T0 + DAY, offence: Offence::InvalidBlock };
    assert_eq!(verdict, Verdict::Banned(ban));
    assert_eq!(scores.ban(&peer("a"), T0 + DAY - 1), Some(ban));
    assert_eq!(scores.ban(&peer("a"), T0 + DAY), None, "a ban ends on time");
    assert_eq!(scores.ban(&peer("b"), T0), None);
}

#[test]
fn offences_add_up_and_decay_by_half_each_half_life() {
    let mut scores = Scores::new(policy());
    let now = Instant::now();
    let a = peer("a");
    assert_eq!(scores.record(&a, Offence::UnservedClaim, false, now, T0), Verdict::Scored(50.0));
    let later = now + Duration::from_secs(600);
    assert!((scores.score(&a, later) - 25.0).abs() < 1e-9);
    // 25 + 50 = 75: still below the threshold.
    let Verdict::Scored(value) = scores.record(&a, Offence::InvalidResponse, false, later, T0)
    else {
        panic!("banned too early")
    };
    assert!((value - 75.0).abs() < 1e-9);
    // Two more timeouts right away: 95, then 105 bans.
    assert!(matches!(scores.record(&a, Offence::Timeout, false, later, T0), Verdict::Scored(_)));
    assert!(matches!(scores.record(&a, Offence::Timeout, false, later, T0), Verdict::Scored(_)));
    assert!(matches!(scores.record(&a, Offence::Timeout, false, later, T0), Verdict::Banned(_)));
}

#[test]
fn timeouts_spread_over_time_never_ban() {
    let mut scores = Scores::new(policy());
    let mut now = Instant::now();
    for _ in 0..1000 {
        let verdict = scores.record(&peer("slow"), Offence::Timeout, false, now, T0);
        // Steady state: (s + 10) · 2^(−½) = s, so s ≈ 24 and at most 35 right after one.
        assert!(matches!(verdict, Verdict::Scored(v) if v < 35.0), "{verdict:?}");
        now += Duration::from_secs(300);
    }
}

#[test]
fn static_peers_are_scored_but_never_banned() {
    let mut scores = Scores::new(policy());
    let now = Instant::now();
    for _ in 0..3 {
        let verdict = scores.record(&peer("s"), Offence::InvalidBlock, true, now, T0);
        assert!(matches!(verdict, Verdict::Spared(_)), "{verdict:?}");
    }
    assert!(scores.score(&peer("s"), now) >= 300.0);
    assert_eq!(scores.ban(&peer("s"), T0), None);
    assert!(scores.bans(T0).is_empty());
}

#[test]
fn expire_forgets_ended_bans_and_faded_scores() {
    let mut scores = Scores::new(policy());
    let now = Instant::now();
    scores.record(&peer("a"), Offence::InvalidBlock, false, now, T0);
    scores.record(&peer("b"), Offence::Timeout, false, now, T0);
    assert!(scores.expire(now, T0 + 10).is_empty());
    assert_eq!(scores.bans(T0 + 10).len(), 1);
    let much_later = now + Duration::from_secs(600 * 10);
    assert_eq!(scores.expire(much_later, T0 + DAY), vec![peer("a")]);
    assert_eq!(scores.score(&peer("b"), much_later), 0.0);
    assert!(scores.bans(T0).is_empty());
}

#[test]
fn restored_bans_apply_and_ended_ones_are_skipped() {
    let mut scores = Scores::new(policy());
    let ban = Ban { until_unix: T0 + 5, offence: Offence::UnservedClaim };
    scores.restore(peer("a"), ban, T0);
    scores.restore(peer("b"), Ban { until_unix: T0, ..ban }, T0);
    assert_eq!(scores.bans(T0), vec![(peer("a"), ban)]);
}

#[test]
fn the_tables_stay_bounded() {
    let mut scores = Scores::new(policy());
    let now = Instant::now();
    for n in 0..(MAX_TRACKED + 50) {
        let p = PeerId::new(n.to_be_bytes().to_vec());
        scores.record(&p, Offence::Timeout, false, now, T0);
        scores.restore(p, Ban { until_unix: T0 + 1 + n as u64, offence: Offence::Timeout }, T0);
    }
    assert!(scores.scores.len() <= MAX_TRACKED);
    assert_eq!(scores.bans.len(), MAX_TRACKED);
    // The bans that end first went first.
    assert!(scores.bans.values().all(|b| b.until_unix > T0 + 50));
}

#[test]
fn ban_values_round_trip_and_garbage_is_refused() {
    for offence in super::ALL {
        let ban = Ban { until_unix: T0, offence };
        assert_eq!(decode(&encode(&ban)), Some(ban));
    }
    assert_eq!(decode(b""), None);
    assert_eq!(decode(b"1234567"), None);
    assert_eq!(decode(b"12345678nonsense"), None);
    assert_eq!(decode(&[0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xfe]), None);
}
