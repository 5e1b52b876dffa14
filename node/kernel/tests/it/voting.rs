//! bitmarkd's voting vectors (`tests/vectors/voting.json`, or `$PEERD_VECTORS/voting.json`)
//! against [`peerd_kernel::connector::vote::Ballot`]. Every case must pass; an unknown kind
//! fails the test. Elections are also run with the groups in every order, since bitmarkd
//! iterates them in random order and the vectors were checked to be order-independent.

use std::path::PathBuf;

use peerd_api::Digest;
use peerd_kernel::connector::vote::Ballot;
use peerd_testkit::chain::smaller_digest_than;
use serde_json::Value;

fn vectors() -> Value {
    let dir = std::env::var_os("PEERD_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors"));
    let path = dir.join("voting.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Digests in voting.json are raw (stored/wire) order.
fn raw(v: &Value) -> Digest {
    let bytes = hex::decode(v.as_str().unwrap()).unwrap();
    Digest::from_slice(&bytes).unwrap()
}

fn vote(ballot: &mut Ballot<String>, v: &Value) {
    let voter = v["voter"].as_str().unwrap().to_owned();
    ballot.vote(
        voter,
        v["cached_remote_height"].as_u64().unwrap(),
        raw(&v["cached_remote_digest_of_local_height"]),
    );
}

fn vote_by(case: &Value) {
    let mut ballot = Ballot::new(case["min_height"].as_u64().unwrap(), 3);
    let digest = raw(&case["count_digest"]);
    let votes = case["votes"].as_array().unwrap();
    let expected = case["expected_num_votes_after_each"].as_array().unwrap();
    assert_eq!(votes.len(), expected.len());
    for (v, want) in votes.iter().zip(expected) {
        vote(&mut ballot, v);
        assert_eq!(ballot.count(&digest) as u64, want.as_u64().unwrap());
    }
    if let Some(want) = case.get("expected_final_num_votes") {
        assert_eq!(ballot.count(&digest) as u64, want.as_u64().unwrap());
    }
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for at in 0..=p.len() {
            let mut q = p.clone();
            q.insert(at, n - 1);
            out.push(q);
        }
    }
    out
}

fn election(case: &Value) {
    let groups = case["groups"].as_array().unwrap();
    for order in permutations(groups.len()) {
        let mut ballot = Ballot::new(0, 3);
        for &g in &order {
            for v in groups[g]["voters"].as_array().unwrap() {
                vote(&mut ballot, v);
            }
        }
        let got = ballot.elect(smaller_digest_than);
        match case.get("expected_error").and_then(Value::as_str) {
            Some(text) => assert_eq!(got.map(|e| e.voter).unwrap_err().to_string(), text),
            None => {
                let won = got.unwrap();
                assert_eq!(won.voter, case["expected_winner"].as_str().unwrap(), "order {order:?}");
                assert_eq!(won.height, case["expected_height"].as_u64().unwrap());
                assert_eq!(won.digest, raw(&case["expected_winner_digest"]));
            }
        }
    }
}

#[test]
fn connector_voting_vectors() {
    let file = vectors();
    let mut count = 0;
    for case in file["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        match case["kind"].as_str().unwrap() {
            "vote_by" => vote_by(case),
            "election" => election(case),
            other => panic!("case {name}: unknown kind {other}"),
        }
        count += 1;
    }
    assert!(count > 0);
    eprintln!("voting.json: {count} cases passed");
}
