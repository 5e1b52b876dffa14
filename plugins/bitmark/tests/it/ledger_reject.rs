//! Every kind of invalid block is rejected with bitmarkd's fault text and changes nothing.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // tests: a failed unwrap is a failed test

use crate::ledger_support;
use std::sync::Arc;

use peerd_api::{Chain, ChainError, Digest, DigestSource};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::transaction::Link;

use ledger_support::*;

/// A dev chain with the script applied up to block 6 (so block 7 is next).
struct Fixture {
    chain: BitmarkChain,
    store: Arc<Counting>,
    s: Script,
}

impl Fixture {
    fn new() -> Fixture {
        let store = Counting::new(Arc::new(peerd_store_memory::Store::new()));
        let (chain, clock) = dev_chain(store.clone());
        let mut s = Script::default();
        for number in 2..=6 {
            clock.set(T0 + number);
            let txs = s.transactions(number, &chain);
            let block = chain.produce_with(T0 + number, &txs).unwrap();
            chain.accept(&block, DigestSource::Compute).unwrap();
        }
        clock.set(T0 + 7);
        Fixture { chain, store, s }
    }

    /// A valid next block holding `txs` (the foundation is added).
    fn block(&self, txs: &[Vec<u8>]) -> Vec<u8> {
        self.chain.produce_with(T0 + 7, txs).unwrap().to_vec()
    }

    /// Offers `block` and returns the error, checking that nothing changed.
    fn reject(&self, block: &[u8]) -> ChainError {
        let before = snapshot(self.store.as_ref());
        let (writes, tip) = (self.store.writes(), self.chain.tip());
        let err = self.chain.accept(block, DigestSource::Compute).unwrap_err();
        assert_eq!(self.store.writes(), writes, "a rejected block writes nothing ({err})");
        assert_eq!(snapshot(self.store.as_ref()), before, "store unchanged after {err}");
        assert_eq!(self.chain.tip(), tip);
        err
    }

    fn rejects_with(&self, block: &[u8], text: &str) {
        assert_eq!(fault(self.reject(block)), text);
    }
}

#[test]
fn header_faults() {
    let f = Fixture::new();
    let valid = f.block(&[]);
    let parts = Parts::of(&valid);

    let mut h = parts.header;
    h.merkle_root = Digest::ZERO;
    f.rejects_with(&parts.pack_as_is(h), "merkle root does not match");

    let mut p = parts.clone();
    p.header.previous_block = f.chain.digest(5).unwrap().unwrap();
    f.rejects_with(&p.pack(), "previous block digest does not match");

    let mut p = parts.clone();
    p.header.version = 4;
    f.rejects_with(&p.pack(), "block version must not decrease");

    let mut p = parts.clone();
    p.header.timestamp = T0 + 7 + 301;
    f.rejects_with(&p.pack(), "invalid block header timestamp");
    p.header.timestamp = T0 + 6 - 601; // more than 600 s before the tip (version 5)
    f.rejects_with(&p.pack(), "invalid block header timestamp");

    f.rejects_with(&valid[..60], "invalid block header size");
    let mut trailing = valid.clone();
    trailing.push(0);
    f.rejects_with(&trailing, "transaction count out of range");
    let mut p = parts.clone();
    p.header.version = 0;
    f.rejects_with(&p.pack(), "invalid block header version");

    // Numbers that do not fit the tip (height 6).
    for got in [8, 5, 100] {
        let mut p = parts.clone();
        p.header.number = got;
        match f.reject(&p.pack()) {
            ChainError::OutOfSequence { expected: 7, got: g } => assert_eq!(g, got),
            other => panic!("expected out of sequence, got {other:?}"),
        }
    }
    // A competing block for the tip (number 6 on top of block 5): bitmarkd's linkage
    // check rejects it on the full path.
    let mut p = parts.clone();
    p.header.number = 6;
    p.header.previous_block = f.chain.digest(5).unwrap().unwrap();
    f.rejects_with(&p.pack(), "previous block digest does not match");

    // Boundaries are accepted: 300 s ahead, 600 s behind the tip.
    let mut p = parts.clone();
    p.header.timestamp = T0 + 6 - 600;
    f.chain.accept(&p.pack(), DigestSource::Compute).unwrap();
    f.chain.delete_down(7).unwrap();
    p.header.timestamp = T0 + 7 + 300;
    f.chain.accept(&p.pack(), DigestSource::Compute).unwrap();
}

#[test]
fn block_owner_faults() {
    let f = Fixture::new();
    let a = &f.s.alice;
    let (new_asset, asset_id) = asset(a, "fingerprint C");
    let new_issue = issue(a, asset_id, 1);
    // No foundation record at all.
    let parts =
        Parts { header: Parts::of(&f.block(&[])).header, txs: vec![new_asset.clone(), new_issue] };
    f.rejects_with(&parts.pack(), "missing block owner");
    // A foundation record after the first transaction.
    let valid = Parts::of(&f.block(&[new_asset]));
    let swapped =
        Parts { header: valid.header, txs: vec![valid.txs[1].clone(), valid.txs[0].clone()] };
    f.rejects_with(&swapped.pack(), "missing block owner");
}

#[test]
fn transaction_faults() {
    let f = Fixture::new();
    let s = &f.s;
    let (a, b, c) = (&s.alice, &s.bob, &s.carol);

    // Duplicates of confirmed records.
    let (asset_a, _) = asset(a, "fingerprint A");
    f.rejects_with(&f.block(&[asset_a]), "transaction already exists");
    let issue_0 = issue(a, s.asset_a, 1);
    f.rejects_with(&f.block(&[issue_0]), "transaction already exists");

    // An issue of an asset nobody registered.
    let unknown = peerd_bitmark::transaction::AssetId::of_fingerprint(b"never registered");
    f.rejects_with(&f.block(&[issue(a, unknown, 1)]), "asset not found");

    // Transfers: of a record that is no longer the head, of an unknown record, of a head
    // moved earlier in the same block, of a share.
    f.rejects_with(&f.block(&[transfer(a, s.issues[0], c)]), "double transfer attempt");
    f.rejects_with(
        &f.block(&[transfer(a, Link([7; 32]), c)]),
        "link to invalid or unconfirmed transaction",
    );
    let head = s.transfers[2]; // carol's
    f.rejects_with(
        &f.block(&[transfer(c, head, a), transfer(c, head, b)]),
        "double transfer attempt",
    );
    f.rejects_with(
        &f.block(&[transfer(a, s.share_txs[0], b)]),
        "link to invalid or unconfirmed transaction",
    );
    f.rejects_with(
        &f.block(&[share(a, s.share_txs[0], 5)]),
        "link to invalid or unconfirmed transaction",
    );
    // A transfer of an issue confirmed in this very block is not yet confirmed.
    let (asset_c, asset_c_id) = asset(a, "fingerprint C");
    let fresh = issue(a, asset_c_id, 1);
    let fresh_transfer = transfer(a, id(&fresh), b);
    f.rejects_with(
        &f.block(&[asset_c, fresh, fresh_transfer]),
        "link to invalid or unconfirmed transaction",
    );

    // Signatures: a transfer signed by someone other than the owner; a damaged signature.
    f.rejects_with(&f.block(&[transfer(b, head, a)]), "invalid signature");
    let (mut damaged, _) = asset(a, "fingerprint D");
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    f.rejects_with(&f.block(&[damaged]), "invalid signature");

    // Shares: converting a bitmark that is already shares (its issue is no longer a head),
    // overdrawing in one grant or across two grants of a block, granting an emptied balance.
    f.rejects_with(&f.block(&[share(a, s.issues[2], 5)]), "double transfer attempt");
    f.rejects_with(&f.block(&[grant(a, s.share_ids[0], 71, b)]), "insufficient shares");
    f.rejects_with(
        &f.block(&[grant(a, s.share_ids[0], 40, b), grant(a, s.share_ids[0], 40, c)]),
        "insufficient shares",
    );
    f.rejects_with(&f.block(&[grant(b, s.share_ids[1], 1, c)]), "insufficient shares");

    // The same records are fine on their own: the chain still accepts a valid block.
    f.chain.accept(&f.block(&[grant(a, s.share_ids[0], 70, b)]), DigestSource::Compute).unwrap();
    assert_eq!(f.chain.height().unwrap(), 7);
}

#[test]
fn a_rejected_block_leaves_the_store_writable() {
    let f = Fixture::new();
    let bad = {
        let mut p = Parts::of(&f.block(&[]));
        p.header.previous_block = Digest([9; 32]);
        p.pack()
    };
    f.rejects_with(&bad, "previous block digest does not match");
    let good = f.block(&[]);
    let writes = f.store.writes();
    f.chain.accept(&good, DigestSource::Compute).unwrap();
    assert_eq!(f.store.writes(), writes + 1, "one Store::write per block");
}
