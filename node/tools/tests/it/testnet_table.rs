//! `peerd testnet`: the status table, its JSON and the blocks/s column.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use peerd_tools::testnet::monitor::Rates;
use peerd_tools::testnet::poll::{json, peers_text, table, Peers, Row};

fn row(name: &str, height: Option<u64>) -> Row {
    let mut peers = BTreeMap::new();
    peers.insert("zmq".to_owned(), Peers { connected: 2, registered: 1 });
    peers.insert("libp2p".to_owned(), Peers { connected: 1, registered: 1 });
    Row {
        name: name.into(),
        pid: 42,
        running: height.is_some(),
        transports: "zmq+libp2p".into(),
        mode: if height.is_some() { "normal" } else { "down" }.into(),
        height,
        tip: height.map(|h| format!("{h:064x}")),
        peers,
        blocks_per_s: None,
        http: "127.0.0.1:9".parse().unwrap(),
    }
}

#[test]
fn the_table_has_a_line_per_node_with_a_short_tip_and_peers_per_transport() {
    let mut rows = vec![row("node-1", Some(7)), row("node-2", None)];
    rows[0].blocks_per_s = Some(0.5);
    let text = table(&rows);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("NODE") && lines[0].contains("BLOCKS/S"));
    let first: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(first[..5], ["node-1", "zmq+libp2p", "normal", "7", "000000000000"]);
    assert!(lines[1].contains("libp2p 1/1 zmq 1/2") && lines[1].ends_with("0.50"), "{}", lines[1]);
    let second: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(second[..5], ["node-2", "zmq+libp2p", "down", "-", "-"]);
    assert_eq!(peers_text(&BTreeMap::new()), "-");
}

#[test]
fn the_json_has_a_nodes_array_with_name_mode_height_and_tip() {
    let value: serde_json::Value =
        serde_json::from_str(&json(&[row("node-1", Some(3)), row("node-2", None)])).unwrap();
    let nodes = value["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["name"], "node-1");
    assert_eq!(nodes[0]["mode"], "normal");
    assert_eq!(nodes[0]["height"], 3);
    assert_eq!(nodes[0]["tip"], format!("{:064x}", 3));
    assert_eq!(nodes[0]["peers"]["zmq"]["registered"], 1);
    assert!(nodes[1]["height"].is_null() && nodes[1]["tip"].is_null());
}

#[test]
fn blocks_per_second_come_from_the_heights_of_the_last_polls() {
    let mut rates = Rates::default();
    let t0 = Instant::now();
    let mut rows = vec![row("node-1", Some(10)), row("node-2", Some(10))];
    rates.update(&mut rows, t0);
    assert_eq!(rows[0].blocks_per_s, None, "one sample gives no rate");
    let mut rows = vec![row("node-1", Some(14)), row("node-2", None)];
    rates.update(&mut rows, t0 + Duration::from_secs(2));
    assert_eq!(rows[0].blocks_per_s, Some(2.0));
    assert_eq!(rows[1].blocks_per_s, None, "no height, no rate");
    let mut rows = vec![row("node-1", Some(15)), row("node-2", Some(20))];
    rates.update(&mut rows, t0 + Duration::from_secs(4));
    assert_eq!(rows[0].blocks_per_s, Some(1.25));
    assert_eq!(rows[1].blocks_per_s, None, "a node that was down starts over");
}
