use std::time::Duration;

use peerd_api::DialTarget;
use proptest::prelude::*;
use tokio::time::Instant;

use super::*;

fn policy(max_concurrent: usize) -> DialPolicy {
    DialPolicy {
        max_concurrent,
        timeout: Duration::from_secs(10),
        backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(60),
        dynamic_attempts: 3,
    }
}

fn target(n: usize) -> DialTarget {
    DialTarget {
        transport: "memory".into(),
        key: format!("t{n}").into_bytes().into(),
        listeners: format!("t{n}").into_bytes().into(),
    }
}

fn dials(actions: &[DialAction]) -> Vec<DialTarget> {
    actions
        .iter()
        .filter_map(|a| match a {
            DialAction::Dial(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn at_most_the_cap_in_flight_and_a_freed_slot_starts_the_next_at_once() {
    let now = Instant::now();
    let mut dialer = Dialer::new(policy(2), 1);
    let mut started = Vec::new();
    for n in 0..5 {
        started.extend(dials(&dialer.request(target(n), true, now)));
    }
    assert_eq!(started, [target(0), target(1)]);
    assert_eq!(dialer.in_flight(), 2);
    assert_eq!(dials(&dialer.failed(&target(0), now)), [target(2)], "a failure frees its slot");
    assert_eq!(dials(&dialer.connected(&target(1), now)), [target(3)]);
    assert_eq!(dialer.in_flight(), 2);
}

#[test]
fn a_timed_out_attempt_is_aborted_and_frees_its_slot() {
    let now = Instant::now();
    let mut dialer = Dialer::new(policy(1), 1);
    dialer.request(target(0), true, now);
    dialer.request(target(1), true, now);
    assert_eq!(dialer.next_deadline(), Some(now + Duration::from_secs(10)));
    assert!(dialer.poll(now + Duration::from_secs(9)).is_empty());
    let out = dialer.poll(now + Duration::from_secs(10));
    assert_eq!(out, [DialAction::Abort(target(0)), DialAction::Dial(target(1))]);
}

#[test]
fn backoff_doubles_up_to_its_ceiling_and_resets_on_success() {
    let p = policy(1);
    let delays: Vec<u64> = (1..=9).map(|f| backoff(&p, f).as_secs()).collect();
    assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    let mut now = Instant::now();
    let mut dialer = Dialer::new(p, 7);
    dialer.request(target(0), true, now);
    for failures in 1..=4u32 {
        dialer.failed(&target(0), now);
        let wait = dialer.next_deadline().unwrap() - now;
        let base = backoff(&p, failures);
        assert!(wait >= base && wait <= base.mul_f64(1.25), "{failures}: {wait:?}");
        // Not before the backoff, even when asked again.
        assert!(dials(&dialer.request(target(0), true, now)).is_empty());
        now += wait;
        assert_eq!(dials(&dialer.poll(now)), [target(0)]);
    }
    dialer.connected(&target(0), now);
    dialer.request(target(0), true, now);
    dialer.failed(&target(0), now);
    let wait = dialer.next_deadline().unwrap() - now;
    assert!(wait < Duration::from_millis(1250), "reset to the first delay: {wait:?}");
}

#[test]
fn dynamic_targets_are_given_up_after_their_attempts_static_ones_never() {
    let mut now = Instant::now();
    let mut dialer = Dialer::new(policy(4), 3);
    dialer.request(target(0), false, now);
    dialer.request(target(1), true, now);
    let mut given_up = Vec::new();
    for _ in 0..10 {
        now += Duration::from_secs(11); // every attempt times out
        for action in dialer.poll(now) {
            if let DialAction::GiveUp(t) = action {
                given_up.push(t);
            }
        }
        now += Duration::from_secs(61);
        dialer.poll(now);
    }
    assert_eq!(given_up, [target(0)]);
    assert!(dialer.next_deadline().is_some(), "the static peer is still being dialled");
}

#[derive(Clone, Debug)]
enum Step {
    Request(usize, bool),
    Connected(usize),
    Failed(usize),
    Cancel(usize),
    Advance(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..12usize, any::<bool>()).prop_map(|(n, s)| Step::Request(n, s)),
        (0..12usize).prop_map(Step::Connected),
        (0..12usize).prop_map(Step::Failed),
        (0..12usize).prop_map(Step::Cancel),
        (0..30u64).prop_map(Step::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the transports answer and whenever, no more than the cap are in flight,
    /// and every `Dial` is of a target that was asked for.
    #[test]
    fn slots_never_exceed_the_cap(cap in 1..5usize, steps in proptest::collection::vec(step(), 1..80)) {
        let mut now = Instant::now();
        let mut dialer = Dialer::new(policy(cap), 9);
        let mut asked = std::collections::HashSet::new();
        for step in steps {
            let out = match step {
                Step::Request(n, s) => {
                    asked.insert(n);
                    dialer.request(target(n), s, now)
                }
                Step::Connected(n) => dialer.connected(&target(n), now),
                Step::Failed(n) => dialer.failed(&target(n), now),
                Step::Cancel(n) => dialer.cancel(&target(n), now),
                Step::Advance(secs) => {
                    now += Duration::from_secs(secs);
                    dialer.poll(now)
                }
            };
            prop_assert!(dialer.in_flight() <= cap);
            prop_assert_eq!(dialer.in_flight() + dialer.slots.available_permits(), cap);
            for t in dials(&out) {
                prop_assert!((0..12).any(|n| target(n) == t && asked.contains(&n)));
            }
        }
    }
}
