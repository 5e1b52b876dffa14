//! The `proof` handler: free issues verified by proof of work.

#![allow(clippy::unwrap_used)]

use crate::support;
use peerd_api::{ItemKind, Outcome};
use peerd_bitmark::payid::PayId;
use peerd_reservoir::{proof, ReservoirConfig, TransactionState};
use support::*;

#[tokio::test]
async fn a_valid_proof_verifies_free_issues_once() {
    let mut net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    net.submit(ItemKind::Assets, &[&asset(&alice, "A")]).await.unwrap();
    let i = issue(&alice, "A", 0);
    let submitted = net.reservoir.store_issues(&net.view(), &i, net.now()).unwrap();
    let (difficulty, pay_nonce) = submitted.proof.unwrap();
    assert_eq!(submitted.pay_id, pay_id(&[&i]));
    // The pay nonce at height 1 comes from the genesis digest.
    let genesis = net.chain.params().genesis_digest();
    assert_eq!(pay_nonce.as_bytes()[..], genesis.0[..8]);

    let wrong = non_proof(&submitted.pay_id, &pay_nonce, &difficulty);
    let payload = proof_payload(&submitted.pay_id, &wrong);
    assert_eq!(net.rejected(ItemKind::Proof, &payload).await, "pay id already used");
    assert_eq!(net.reservoir.state_of(&id(&i)), TransactionState::Pending);

    let nonce = find_proof(&submitted.pay_id, &pay_nonce, &difficulty);
    let payload = proof_payload(&submitted.pay_id, &nonce);
    assert_eq!(net.submit(ItemKind::Proof, &[&payload]).await.unwrap(), Outcome::Relay);
    assert_eq!(net.reservoir.state_of(&id(&i)), TransactionState::Verified);
    assert_eq!(net.rejected(ItemKind::Proof, &payload).await, "pay id already used");
    assert!(net.broadcasts().is_empty(), "relaying is the kernel's job");
    // The issues, now verified, cannot be submitted again.
    assert_eq!(net.rejected(ItemKind::Issues, &i).await, "transaction already exists");
}

#[tokio::test]
async fn proofs_are_checked_for_length_and_pay_id() {
    let net = Net::new(ReservoirConfig::default());
    let pay_id = PayId([5; 48]);
    for length in [0usize, 7, 65] {
        let payload = proof_payload(&pay_id, &vec![1; length]);
        assert_eq!(net.rejected(ItemKind::Proof, &payload).await, "invalid nonce", "{length}");
    }
    assert_eq!(net.rejected(ItemKind::Proof, &[1; 20]).await, "invalid nonce");
    for length in [8usize, 64] {
        let payload = proof_payload(&pay_id, &vec![1; length]);
        assert_eq!(net.rejected(ItemKind::Proof, &payload).await, "pay id already used");
    }
    assert_eq!(net.rejected(ItemKind::Proof, &[]).await, "missing parameters");
}

#[tokio::test]
async fn paid_issues_cannot_be_proven() {
    let net = Net::new(ReservoirConfig::default());
    let alice = user(1);
    net.confirm(&[asset(&alice, "A")]).await;
    let i = issue(&alice, "A", 1);
    let submitted = net.reservoir.store_issues(&net.view(), &i, net.now()).unwrap();
    assert!(submitted.proof.is_none());
    // Even a nonce meeting the easiest difficulty is no proof for a paid group.
    let easy = proof::scaled_difficulty(1, true);
    let nonce = find_proof(&submitted.pay_id, &Default::default(), &easy);
    let payload = proof_payload(&submitted.pay_id, &nonce);
    assert_eq!(net.rejected(ItemKind::Proof, &payload).await, "pay id already used");
}
