//! Plain synchronisation: a network syncs a chain from one producer; a late node catches
//! up; an upstream dies in the middle of a fetch.
//!
//! These use bitmarkd's constants (5 registered upstreams, 3 agreeing votes): a node needs
//! five peers, so the networks have six or more nodes (protocol §4.7). Every node lists the
//! node holding the chain first: static upstreams vote in configuration order, so the
//! holder is the winning group's first voter (protocol §4.4); peerd would sync to the group's
//! highest claim whatever the order.

use std::time::Duration;

use peerd_network_tests::{Template, TestNet};
use rand::Rng;

use crate::common::{jitter, others};

/// (a) Six nodes: five fresh nodes sync a 2,000-block dev chain from the node that produced
/// it, which keeps producing once the network is in sync; the network follows.
#[tokio::test(start_paused = true)]
async fn six_nodes_sync_a_2000_block_dev_chain_from_one_producer() {
    let mut net = TestNet::new("six_nodes_sync", 0xa1);
    jitter(&net);
    let chain = Template::dev(2000);
    let names = ["p", "n1", "n2", "n3", "n4", "n5"];
    for name in names {
        let node = net.add(name).statics(&others(&names, name));
        if name == "p" {
            node.chain(&chain).producer(Duration::from_secs(120)).start();
        } else {
            node.start();
        }
    }
    net.wait_until("sync to 2000", Duration::from_secs(1800), |n| {
        n.converged(&names) && n.node("n1").height() >= 2000
    })
    .await;
    net.assert_converged(&names);
    // The producer goes on once in sync; the network follows it.
    net.wait_until("a produced block", Duration::from_secs(600), |n| n.node("p").height() > 2001)
        .await;
    net.node("p").producer().set(false);
    net.wait_until("convergence", Duration::from_secs(600), |n| n.converged(&names)).await;
    net.assert_converged(&names);
    for name in names {
        let node = net.node(name);
        assert!(node.height() > 2001, "{name} at {}", node.height());
        assert_eq!(node.digest(2000), chain.digest(2000), "{name} has the template chain");
        assert_eq!(node.lowest_delete(), None, "{name} deleted blocks");
    }
}

/// (b) A fresh node joins a running network late, while the producer is producing, and
/// catches up with it.
#[tokio::test(start_paused = true)]
async fn a_fresh_node_joins_late_and_catches_up() {
    let mut net = TestNet::new("late_joiner", 0xb2);
    jitter(&net);
    let chain = Template::dev(300);
    let names = ["p", "n1", "n2", "n3", "n4", "n5"];
    for name in names {
        let node = net.add(name).statics(&others(&names, name)).chain(&chain);
        if name == "p" {
            node.producer(Duration::from_secs(60)).start();
        } else {
            node.start();
        }
    }
    net.wait_until("the network in sync", Duration::from_secs(600), |n| n.converged(&names)).await;
    net.run_for(Duration::from_secs(600)).await;
    let joined_at = net.node("p").height();
    assert!(joined_at > 305, "the producer produced while in sync: height {joined_at}");

    net.add("late").statics(&["p", "n1", "n2", "n3", "n4"]).start();
    net.wait_until("the late node catches up", Duration::from_secs(900), |n| {
        n.node("late").height() >= joined_at
    })
    .await;
    net.node("p").producer().set(false);
    let all = ["p", "n1", "n2", "n3", "n4", "n5", "late"];
    net.wait_until("convergence", Duration::from_secs(600), |n| n.converged(&all)).await;
    net.assert_converged(&all);
    let late = net.node("late");
    assert!(late.same_blocks(net.node("p"), late.height()), "the late node has p's blocks");
}

/// (f) A fresh node syncs 2,000 blocks from six servers; its first voter (the winner, which
/// also answers the forgery checks) dies in the middle of the fetch. The sync completes from
/// the five others, which still make the five registered upstreams Normal mode needs.
#[tokio::test(start_paused = true)]
async fn an_upstream_dies_mid_fetch_and_sync_completes_from_the_others() {
    let mut net = TestNet::new("upstream_dies", 0xf6);
    jitter(&net);
    let chain = Template::dev(2000);
    let servers = ["s1", "s2", "s3", "s4", "s5", "s6"];
    let all = ["s1", "s2", "s3", "s4", "s5", "s6", "fresh"];
    for name in servers {
        net.add(name).statics(&others(&all, name)).chain(&chain).start();
    }
    net.add("fresh").statics(&servers).start();
    let kill_at = net.rng().gen_range(200..1500);
    net.wait_until("the fetch under way", Duration::from_secs(900), |n| {
        n.node("fresh").height() >= kill_at
    })
    .await;
    let height = net.node("fresh").height();
    assert!(height < 2000, "killed mid-fetch, at height {height}");
    net.memory().kill("s1");
    let rest = ["fresh", "s2", "s3", "s4", "s5", "s6"];
    net.wait_until("sync without s1", Duration::from_secs(900), |n| n.converged(&rest)).await;
    net.assert_converged(&rest);
    let fresh = net.node("fresh");
    assert_eq!(fresh.height(), 2000);
    assert!(fresh.same_blocks(net.node("s2"), 2000), "fresh has the servers' chain");
}
