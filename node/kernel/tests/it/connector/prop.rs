//! Random event sequences against the connector, checking its invariants after each step.

use peerd_api::{Chain, Mode};
use peerd_kernel::connector::{Action, Event, State, SyncConfig, UpstreamKind};
use peerd_testkit::chain::ToyChain;
use proptest::prelude::*;

use super::harness::{id, Net};

#[derive(Clone, Debug)]
enum Op {
    PollAndTick,
    Answer(usize),
    RunChain,
    Advance(u64),
    Lose(usize),
    Register(usize),
    Settle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::PollAndTick),
        6 => any::<usize>().prop_map(Op::Answer),
        4 => Just(Op::RunChain),
        1 => (1u64..70).prop_map(Op::Advance),
        1 => (0usize..6).prop_map(Op::Lose),
        1 => (0usize..6).prop_map(Op::Register),
        1 => Just(Op::Settle),
    ]
}

const PEERS: [&str; 6] = ["p0", "p1", "p2", "p3", "p4", "p5"];

/// Checks the invariants on one event's output; `expect` is the next Apply number
/// expected, reset whenever the connector legitimately restarts its run.
fn check(net: &Net, before: State, out: &[Action], expect: &mut Option<u64>) {
    let cfg = net.c.config();
    assert!(net.c.outstanding_blocks() <= cfg.fetch_window, "window exceeded");
    assert!(
        net.c.buffered_bytes() <= cfg.max_buffered_bytes || net.c.held_blocks() <= 1,
        "{} bytes buffered over the cap",
        net.c.buffered_bytes()
    );
    for action in out {
        match action {
            Action::SetMode(Mode::Normal) => {
                assert_eq!(
                    net.c.state(),
                    State::Sampling,
                    "Normal only via Rebuild (from {before:?})"
                );
            }
            Action::SetMode(mode) => {
                assert_eq!(*mode, Mode::Resynchronise);
                assert!(matches!(net.c.state(), State::Connecting | State::HighestBlock));
            }
            Action::Apply { number, .. } => {
                if let Some(e) = *expect {
                    assert_eq!(*number, e, "apply out of order");
                }
                *expect = Some(number + 1);
            }
            Action::DeleteDown { .. } | Action::DropPeer { .. } => *expect = None,
            _ => {}
        }
    }
    if net.c.state() != State::FetchBlocks {
        *expect = None;
    }
}

fn feed_checked(net: &mut Net, event: Event, expect: &mut Option<u64>) {
    let before = net.c.state();
    if matches!(&event, Event::Applied { result: Err(_), .. }) {
        *expect = None;
    }
    let out = net.feed(event);
    check(net, before, &out, expect);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn connector_invariants_hold(
        local_height in 1u64..25,
        a_height in 1u64..120,
        fork_at in 1u64..25,
        on_a in proptest::collection::vec(any::<bool>(), 6),
        invalid in proptest::option::of(2u64..120),
        window in 1usize..12,
        cap_blocks in 1usize..8,
        fast in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..160),
    ) {
        let a = ToyChain::build(a_height, 1);
        let b = a.fork(fork_at.min(a_height), a_height + 10, 2);
        let local = a.fork(local_height.min(a_height), local_height.min(a_height), 1);
        let cfg = SyncConfig {
            fetch_window: window,
            max_buffered_bytes: cap_blocks * 72,
            fast_sync: fast,
            fast_sync_pivot: 20,
            forgery_check_every: 7,
            ..SyncConfig::default()
        };
        let mut net = Net::new(cfg, local);
        for (i, name) in PEERS.iter().enumerate() {
            let chain = if on_a[i] { a.clone() } else { b.clone() };
            if i == 0 {
                if let Some(n) = invalid {
                    chain.make_invalid(n);
                }
            }
            net.add(name, chain);
        }
        let mut expect = None;
        for op in ops {
            match op {
                Op::PollAndTick => {
                    net.poll();
                    feed_checked(&mut net, Event::Tick, &mut expect);
                }
                Op::Answer(i) if !net.pending.is_empty() => {
                    let (rid, peer, request) = net.pending.remove(i % net.pending.len());
                    let result = net.reply(&peer, &request);
                    feed_checked(&mut net, Event::Response { id: rid, result }, &mut expect);
                }
                Op::Answer(_) => {}
                Op::RunChain => {
                    if let Some(event) = net.chain_op_event() {
                        feed_checked(&mut net, event, &mut expect);
                    }
                }
                Op::Settle => {
                    for _ in 0..10_000 {
                        if let Some(event) = net.chain_op_event() {
                            feed_checked(&mut net, event, &mut expect);
                        } else if net.pending.is_empty() {
                            break;
                        } else {
                            let (rid, peer, request) = net.pending.remove(0);
                            let result = net.reply(&peer, &request);
                            let event = Event::Response { id: rid, result };
                            feed_checked(&mut net, event, &mut expect);
                        }
                    }
                }
                Op::Advance(secs) => {
                    net.advance(secs);
                    feed_checked(&mut net, Event::Wake, &mut expect);
                }
                Op::Lose(i) => {
                    net.pending.retain(|(_, p, _)| *p != id(PEERS[i]));
                    feed_checked(&mut net, Event::Lost { peer: id(PEERS[i]) }, &mut expect);
                }
                Op::Register(i) => {
                    let kind = UpstreamKind::Dynamic;
                    let event = Event::Registered { peer: id(PEERS[i]), kind };
                    feed_checked(&mut net, event, &mut expect);
                }
            }
        }
        // Whatever happened, the local chain is a valid prefix of A or B.
        let h = net.local.height().unwrap();
        let tip = net.local.digest(h).unwrap();
        prop_assert!(tip == a.digest(h).unwrap() || tip == b.digest(h).unwrap() || h <= 1);
    }
}
