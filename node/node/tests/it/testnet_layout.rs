//! `peerd testnet`: what `up` writes before starting anything — keys, distinct ports,
//! node configs (peers per transport, lowered thresholds) and network.json — and how a
//! partition rewires the configs.

#![cfg(all(feature = "zmq", feature = "libp2p", feature = "tools"))]

use std::collections::BTreeSet;
use std::path::Path;

use peerd_node::builtin::TransportConfig;
use peerd_node::config::{self, Config, Sources};
use peerd_tools::testnet::commands::parse_groups;
use peerd_tools::testnet::layout::{lay_out, node_ports};
use peerd_tools::testnet::render::{self, thresholds};
use peerd_tools::testnet::{Network, NetworkSpec, UpArgs};

/// `--zmq Z --libp2p L --bridges B` laid out in `dir`, configs written.
fn network(dir: &Path, z: usize, l: usize, b: usize, seed: Option<u64>) -> Network {
    let args = UpArgs {
        dir: dir.to_owned(),
        zmq: Some(z),
        libp2p: Some(l),
        bridges: Some(b),
        store: Some("memory".into()),
        seed,
        ..UpArgs::default()
    };
    let network = lay_out(&NetworkSpec::from_args(&args).unwrap(), dir).unwrap();
    render::write_all(&network).unwrap();
    network
}

fn load(path: &Path) -> Config {
    let sources = Sources { file: Some(path.to_owned()), env: false, ..Sources::default() };
    config::load(&sources).unwrap_or_else(|e| panic!("{}: {e}", path.display())).config
}

/// (ZeroMQ peer addresses, libp2p bootstrap multiaddrs) of a loaded config.
fn peers(config: &Config) -> (Vec<String>, Vec<String>) {
    let (mut zmq, mut libp2p) = (Vec::new(), Vec::new());
    for t in &config.transports {
        match t {
            TransportConfig::Zmq(c) => zmq.extend(c.peers.iter().map(|p| p.address.clone())),
            TransportConfig::Libp2p(c) => libp2p.extend(c.bootstrap.iter().cloned()),
            other => panic!("unexpected transport {}", other.kind()),
        }
    }
    (zmq, libp2p)
}

#[test]
fn every_port_is_distinct_and_every_config_loads_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 2, 2, 2, None);
    assert_eq!(net.nodes.len(), 6);
    let ports: Vec<u16> =
        net.nodes.iter().flat_map(|n| node_ports(n).into_iter().map(|p| p.0)).collect();
    let distinct: BTreeSet<u16> = ports.iter().copied().collect();
    assert_eq!(ports.len(), 2 * 2 + 2 * 2 + 2 * 3, "http + one port per transport");
    assert_eq!(distinct.len(), ports.len(), "{ports:?}");
    for node in &net.nodes {
        let config = load(&node.config);
        assert_eq!(config.node.name, node.name);
        assert_eq!(config.node.data_dir, node.data_dir);
        assert_eq!(config.http.listen, Some(node.http));
        assert_eq!(config.store.kind(), "memory");
        assert_eq!(config.producer.enabled, node.producer);
        assert_eq!(config.producer.interval, 2);
    }
}

#[test]
fn peers_follow_the_transports_and_bridges_peer_with_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 2, 2, 2, None);
    let zmq_addr = |i: usize| net.nodes[i].transports.zmq.as_ref().unwrap().address.to_string();
    let p2p_addr = |i: usize| net.nodes[i].transports.libp2p.as_ref().unwrap().multiaddr.clone();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    // node-1, node-2: zmq; node-3, node-4: libp2p; node-5, node-6: bridges.
    let (z, l) = peers(&load(&net.nodes[1].config));
    assert_eq!(sorted(z), sorted(vec![zmq_addr(0), zmq_addr(4), zmq_addr(5)]));
    assert!(l.is_empty());
    let (z, l) = peers(&load(&net.nodes[2].config));
    assert!(z.is_empty());
    assert_eq!(sorted(l), sorted(vec![p2p_addr(3), p2p_addr(4), p2p_addr(5)]));
    let (z, l) = peers(&load(&net.nodes[4].config));
    assert_eq!(
        sorted(z),
        sorted(vec![zmq_addr(0), zmq_addr(1), zmq_addr(5)]),
        "bridges meet on zmq"
    );
    assert_eq!(sorted(l), sorted(vec![p2p_addr(2), p2p_addr(3)]));
    // The producer (node-1) is the first peer of every node that peers with it.
    let (z, _) = peers(&load(&net.nodes[4].config));
    assert_eq!(z[0], zmq_addr(0));
}

#[test]
fn sync_thresholds_are_lowered_to_what_each_node_has() {
    assert_eq!(thresholds(0), (0, 1));
    assert_eq!(thresholds(1), (1, 1));
    assert_eq!(thresholds(2), (1, 1));
    assert_eq!(thresholds(3), (2, 1));
    assert_eq!(thresholds(5), (4, 2));
    assert_eq!(thresholds(9), (5, 3), "never above bitmarkd's own");

    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 0, 1, None); // the smallest network: two nodes
    for node in &net.nodes {
        let text = std::fs::read_to_string(&node.config).unwrap();
        assert!(text.contains("# LOWERED for a small test network"), "{text}");
        let sync = load(&node.config).sync;
        assert_eq!((sync.min_upstreams, sync.min_votes), (1, 1), "{}", node.name);
    }
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 2, 2, 2, None);
    for node in &net.nodes {
        let config = load(&node.config);
        let (z, l) = peers(&config);
        let configured = z.len() + l.len();
        assert!(config.sync.min_upstreams < configured, "{}: one peer may be down", node.name);
        assert!(config.sync.min_votes <= config.sync.min_upstreams, "{}", node.name);
        assert_eq!(config.sync.max_dynamic_upstreams, 0);
    }
}

#[test]
fn network_json_describes_every_node_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let net = network(dir.path(), 1, 1, 1, None);
    net.save().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("network.json")).unwrap())
            .unwrap();
    let nodes = json["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3);
    for (i, node) in nodes.iter().enumerate() {
        assert_eq!(node["name"], format!("node-{}", i + 1));
        for key in ["pid", "http", "data_dir", "config", "log"] {
            assert!(!node[key].is_null(), "{key} in {node}");
        }
    }
    let zmq = &nodes[0]["transports"]["zmq"];
    let address = zmq["address"].as_str().unwrap();
    assert_eq!(zmq["listen"], format!("tcp://{address}"));
    let public_file = zmq["public_key_file"].as_str().unwrap();
    assert_eq!(
        std::fs::read_to_string(public_file).unwrap().trim(),
        zmq["public_key"].as_str().unwrap()
    );
    assert!(nodes[0]["transports"]["libp2p"].is_null());
    let p2p = &nodes[1]["transports"]["libp2p"];
    let peer_id = p2p["peer_id"].as_str().unwrap();
    assert!(peer_id.starts_with("12D3KooW"), "{peer_id}");
    assert_eq!(p2p["multiaddr"], format!("{}/p2p/{peer_id}", p2p["listen"].as_str().unwrap()));
    assert!(
        !nodes[2]["transports"]["zmq"].is_null() && !nodes[2]["transports"]["libp2p"].is_null()
    );
    assert_eq!(Network::load(dir.path()).unwrap(), net);
}

#[test]
fn a_seed_gives_the_same_keys_and_no_seed_fresh_ones() {
    let keys = |seed| {
        let dir = tempfile::tempdir().unwrap();
        let net = network(dir.path(), 0, 0, 2, seed);
        net.nodes
            .iter()
            .map(|n| {
                let t = &n.transports;
                (
                    t.zmq.as_ref().unwrap().public_key.clone(),
                    t.libp2p.as_ref().unwrap().peer_id.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let seeded = keys(Some(7));
    assert_eq!(seeded, keys(Some(7)));
    assert_ne!(seeded, keys(Some(8)));
    assert_ne!(seeded[0], seeded[1], "each node has its own keys");
    assert_ne!(keys(None), keys(None));
}

#[test]
fn a_partition_removes_the_peers_across_groups_and_heal_restores_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = network(dir.path(), 2, 1, 1, None);
    let full: Vec<_> = net.nodes.iter().map(|n| peers(&load(&n.config))).collect();
    net.partition = parse_groups(&net, "1,2/node-3").unwrap();
    assert_eq!(net.partition, [vec!["node-1", "node-2"], vec!["node-3"], vec!["node-4"]]);
    render::write_all(&net).unwrap();
    let zmq_addr = |i: usize| net.nodes[i].transports.zmq.as_ref().unwrap().address.to_string();
    assert_eq!(peers(&load(&net.nodes[0].config)), (vec![zmq_addr(1)], vec![]));
    let alone = load(&net.nodes[3].config);
    assert_eq!(peers(&alone), (vec![], vec![]));
    assert_eq!(alone.sync.min_upstreams, 0, "an isolated node runs standalone");

    for bad in ["1,2,3,4", "1,1/2", "1/9", ""] {
        assert!(parse_groups(&net, bad).is_err(), "{bad}");
    }
    net.partition.clear();
    render::write_all(&net).unwrap();
    let healed: Vec<_> = net.nodes.iter().map(|n| peers(&load(&n.config))).collect();
    assert_eq!(healed, full);
}
