//! `peerd testnet`: how flags and network files become a network (counts, defaults,
//! durations, producers, per-node stores), and partition groups.

use std::io::Write as _;

use peerd_tools::testnet::{counts, parse_secs, NetworkSpec, TestnetError, UpArgs};

fn args() -> UpArgs {
    UpArgs { dir: "unused".into(), ..UpArgs::default() }
}

fn shape(spec: &NetworkSpec) -> Vec<&'static str> {
    spec.nodes
        .iter()
        .map(|n| match (n.zmq, n.libp2p) {
            (true, true) => "bridge",
            (true, false) => "zmq",
            _ => "libp2p",
        })
        .collect()
}

#[test]
fn counts_fill_in_what_is_not_given() {
    assert_eq!(counts(None, None, None, None).unwrap(), (2, 2, 2), "the default network");
    assert_eq!(counts(Some(6), None, None, None).unwrap(), (2, 2, 2));
    assert_eq!(counts(Some(4), None, None, None).unwrap(), (2, 1, 1));
    assert_eq!(counts(Some(2), None, None, None).unwrap(), (1, 0, 1), "two nodes share zmq");
    assert_eq!(counts(Some(1), None, None, None).unwrap(), (1, 0, 0));
    assert_eq!(counts(None, Some(3), None, None).unwrap(), (3, 0, 0), "unnamed kinds are 0");
    assert_eq!(counts(Some(7), None, None, Some(1)).unwrap(), (3, 3, 1), "the rest shared");
    assert_eq!(counts(Some(5), Some(1), None, None).unwrap(), (1, 2, 2));
    assert_eq!(counts(Some(4), Some(2), Some(1), Some(1)).unwrap(), (2, 1, 1));
}

#[test]
fn counts_that_do_not_add_up_are_refused() {
    for (total, z, l, b) in [
        (Some(3), Some(2), Some(2), None),
        (Some(5), Some(1), Some(1), Some(1)),
        (Some(0), None, None, None),
        (None, Some(0), Some(0), Some(0)),
    ] {
        let err = counts(total, z, l, b).unwrap_err();
        assert!(matches!(err, TestnetError::Usage(_)), "{total:?} {z:?} {l:?} {b:?}: {err}");
    }
}

#[test]
fn block_intervals_are_whole_seconds() {
    assert_eq!(parse_secs("2s").unwrap(), 2);
    assert_eq!(parse_secs("5").unwrap(), 5);
    assert_eq!(parse_secs("1m").unwrap(), 60);
    for bad in ["0s", "500ms", "2h", "", "s", "-1s"] {
        let err = parse_secs(bad).unwrap_err().to_string();
        assert!(err.contains("block interval"), "{bad:?}: {err}");
    }
}

#[test]
fn flags_make_nodes_in_order_with_the_first_ones_producing() {
    let spec = NetworkSpec::from_args(&UpArgs {
        zmq: Some(1),
        libp2p: Some(1),
        bridges: Some(2),
        producers: Some(2),
        store: Some("memory".into()),
        block_interval: Some("3s".into()),
        seed: Some(9),
        ..args()
    })
    .unwrap();
    assert_eq!(shape(&spec), ["zmq", "libp2p", "bridge", "bridge"]);
    let producers: Vec<bool> = spec.nodes.iter().map(|n| n.producer).collect();
    assert_eq!(producers, [true, true, false, false]);
    assert!(spec.nodes.iter().all(|n| n.store == "memory"));
    assert_eq!((spec.chain.as_str(), spec.block_interval_secs, spec.seed), ("dev", 3, Some(9)));
}

#[test]
fn impossible_networks_are_refused_with_the_reason() {
    let cases = [
        (UpArgs { zmq: Some(1), libp2p: Some(1), ..args() }, "bridge"),
        (UpArgs { store: Some("lmdb".into()), ..args() }, "sled, rocksdb, memory"),
        (UpArgs { chain: Some("bitmark".into()), ..args() }, "dev, local"),
        (UpArgs { nodes: Some(2), producers: Some(3), ..args() }, "only 2 nodes"),
    ];
    for (a, needle) in cases {
        let err = NetworkSpec::from_args(&a).unwrap_err().to_string();
        assert!(err.contains(needle), "{a:?}: {err}");
    }
}

#[test]
fn a_network_file_lists_nodes_with_their_own_store_and_flags_override_it() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(
        file,
        "chain = \"local\"\nstore = \"sled\"\nblock_interval = \"4s\"\n\
         [[node]]\ntransports = [\"zmq\"]\n\
         [[node]]\ntransports = [\"zmq\", \"libp2p\"]\nstore = \"memory\"\nproducer = true\n\
         [[node]]\ntransports = [\"libp2p\"]\n"
    )
    .unwrap();
    let from_file = UpArgs { file: Some(file.path().to_owned()), ..args() };
    let spec = NetworkSpec::from_args(&from_file).unwrap();
    assert_eq!(shape(&spec), ["zmq", "bridge", "libp2p"]);
    let stores: Vec<&str> = spec.nodes.iter().map(|n| n.store.as_str()).collect();
    assert_eq!(stores, ["sled", "memory", "sled"]);
    let producers: Vec<bool> = spec.nodes.iter().map(|n| n.producer).collect();
    assert_eq!(producers, [false, true, false], "the file's producer, not the first node");
    assert_eq!((spec.chain.as_str(), spec.block_interval_secs), ("local", 4));

    let overridden = UpArgs {
        block_interval: Some("1s".into()),
        chain: Some("dev".into()),
        ..from_file.clone()
    };
    let spec = NetworkSpec::from_args(&overridden).unwrap();
    assert_eq!((spec.chain.as_str(), spec.block_interval_secs), ("dev", 1));

    let err = NetworkSpec::from_args(&UpArgs { zmq: Some(3), ..from_file }).unwrap_err();
    assert!(err.to_string().contains("lists its nodes"), "{err}");
}

#[test]
fn a_network_file_with_counts_and_a_bad_file_are_handled() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(file, "zmq = 1\nbridges = 1\nproducers = 0\n").unwrap();
    let spec =
        NetworkSpec::from_args(&UpArgs { file: Some(file.path().to_owned()), ..args() }).unwrap();
    assert_eq!(shape(&spec), ["zmq", "bridge"]);
    assert!(spec.nodes.iter().all(|n| !n.producer), "producers = 0: nobody produces");

    let mut bad = tempfile::NamedTempFile::new().unwrap();
    write!(bad, "zmq = 1\ncolour = \"blue\"\n").unwrap();
    let err = NetworkSpec::from_args(&UpArgs { file: Some(bad.path().to_owned()), ..args() })
        .unwrap_err()
        .to_string();
    assert!(err.contains("colour") && err.contains(&bad.path().display().to_string()), "{err}");
}
