//! One liar must not stall sync while an honest majority exists (issue 14): a fresh node
//! with five honest static upstreams and two dynamic liars of one kind reaches the honest
//! tip, for every lie and seeds 1–10. The liars vote with the honest group (their digests
//! are honest), so each is met in the fetch:
//!
//! - `forger`: serves every block with its previous-digest field altered: invalid blocks
//!   (an `invalid_block` offence bans it at once);
//! - `claimer`: claims 300 blocks more than it has and cannot serve them (`unserved_claim`:
//!   dropped from the session, which ends at the honest tip; excluded, scored);
//! - `silent`: registers and answers its first poll, then answers nothing (`timeout`s add up
//!   to a ban).

use std::time::Duration;

use peerd_api::{Chain, ItemKind, Mode, NodeRequest, PeerId, Response};
use peerd_network_tests::{Template, TestNet};
use peerd_transport_memory::{Faults, MemoryNet};

use crate::common::{jitter, others};
use crate::reservoir::Wallet;

const HEIGHT: u64 = 400;
const HONEST: [&str; 5] = ["h1", "h2", "h3", "h4", "h5"];

#[derive(Clone, Copy, Debug)]
enum Lie {
    Forger,
    Claimer,
    Silent,
}

async fn run(lie: Lie, seed: u64) {
    let mut net = TestNet::with_seed(&format!("liars_{lie:?}"), seed);
    jitter(&net);
    let chain = Template::dev(HEIGHT);
    let liars = ["liar1", "liar2"];
    for name in HONEST {
        net.add(name).statics(&others(&HONEST, name)).chain(&chain).start();
    }
    for name in liars {
        let node = net.add(name).statics(&HONEST).chain(&chain);
        match lie {
            Lie::Forger => node.forge(2..=HEIGHT).start(),
            Lie::Claimer => node.claim_extra(300).start(),
            Lie::Silent => node.start(),
        };
    }
    net.add("fresh").statics(&HONEST).sync(|s| s.fast_sync = false).start();
    for name in liars {
        assert!(net.node("fresh").link().send(NodeRequest::Connect(MemoryNet::target(name))));
    }
    if let Lie::Silent = lie {
        // Registered and polled once by now; from here on nothing of theirs arrives.
        net.run_for(Duration::from_secs(2)).await;
        for name in liars {
            net.memory().set_link_faults(name, "fresh", Faults::default().with_drop(1.0));
        }
    }
    // The servers have four upstreams each, too few to leave Resynchronise: only the fresh
    // node is asked to be in sync.
    net.wait_until("the honest tip", Duration::from_secs(1800), |n| {
        let fresh = n.node("fresh");
        fresh.height() == HEIGHT
            && fresh.tip() == n.node("h1").tip()
            && fresh.mode() == Mode::Normal
    })
    .await;
    assert!(net.node("fresh").same_blocks(net.node("h1"), HEIGHT));

    let s = net.node("fresh").snapshot().await;
    let banned: Vec<&PeerId> = s.bans.iter().map(|b| &b.peer).collect();
    match lie {
        Lie::Forger | Lie::Silent => {
            let offence = if let Lie::Forger = lie { "invalid_block" } else { "timeout" };
            for name in liars {
                let ban = s.bans.iter().find(|b| b.peer == MemoryNet::peer_id(name));
                let ban = ban.unwrap_or_else(|| panic!("seed {seed}: {name} not banned: {s:?}"));
                assert_eq!(ban.offence, offence, "seed {seed}");
            }
        }
        Lie::Claimer => {
            // Claiming is not proof of malice on its own (a peer may have deleted down
            // since it answered); it costs the liar its place in the session, and a score.
            assert!(banned.is_empty(), "seed {seed}: {banned:?}");
            for name in liars {
                let peer = s.peers.iter().find(|p| p.peer == MemoryNet::peer_id(name));
                let score = peer.map_or(0.0, |p| p.score);
                assert!(score > 0.0, "seed {seed}: {name} was never caught claiming: {s:?}");
            }
        }
    }
    for node in net.nodes() {
        node.stop();
    }
}

#[tokio::test(start_paused = true)]
async fn forgers_do_not_stall_sync_and_are_banned() {
    for seed in 1..=10 {
        run(Lie::Forger, seed).await;
    }
}

#[tokio::test(start_paused = true)]
async fn height_liars_do_not_stall_sync() {
    for seed in 1..=10 {
        run(Lie::Claimer, seed).await;
    }
}

#[tokio::test(start_paused = true)]
async fn silent_upstreams_do_not_stall_sync_and_are_banned() {
    for seed in 1..=10 {
        run(Lie::Silent, seed).await;
    }
}

/// A peer that gossips a block failing validation (here: its merkle root) is banned at
/// once (`invalid_item`); the node keeps its chain and stays in sync. On the memory
/// transport the sender of a gossip push is known, as on libp2p.
#[tokio::test(start_paused = true)]
async fn a_peer_gossiping_an_invalid_block_is_banned() {
    let mut net = TestNet::with_seed("invalid_gossip", 1);
    let chain = Template::dev(HEIGHT);
    for name in HONEST {
        net.add(name).statics(&others(&HONEST, name)).chain(&chain).start();
    }
    net.add("source").chain(&Template::dev(HEIGHT + 1)).start();
    net.add("victim").statics(&HONEST).chain(&chain).handlers().start();
    net.wait_until("victim in sync", Duration::from_secs(600), |n| {
        n.node("victim").mode() == Mode::Normal
    })
    .await;
    let source = net.node("source");
    assert_eq!(source.digest(HEIGHT), chain.digest(HEIGHT), "block {} connects", HEIGHT + 1);
    let mut block = source.chain().block(HEIGHT + 1).unwrap().unwrap().to_vec();
    block[44] ^= 0x01; // the merkle root: header = version 2, count 2, number 8, previous 32
    let mut evil = Wallet::new(net.memory());
    assert_eq!(evil.push("victim", ItemKind::Block, block).await, Response::Ack);
    net.run_for(Duration::from_secs(5)).await;
    let s = net.node("victim").snapshot().await;
    let ban = s.bans.iter().find(|b| b.peer == MemoryNet::peer_id("wallet"));
    assert_eq!(ban.map(|b| b.offence), Some("invalid_item"), "{:?}", s.bans);
    let victim = net.node("victim");
    assert_eq!((victim.height(), victim.mode()), (HEIGHT, Mode::Normal));
}
