//! (i) Transactions through a network (issue 7): six nodes run the `block` and
//! `reservoir` handlers. An asset and a free issue submitted at one node are relayed to
//! every node; a proof of work submitted at another node verifies the issue everywhere;
//! the producer includes both in a block; the block reaches every node, which confirms
//! them in its ledger and drops them from its pool.

use std::collections::HashMap;
use std::time::Duration;

use peerd_api::bytes::Bytes;
use peerd_api::{
    Item, ItemKind, PeerId, Request, RequestId, Response, Transport, TransportCommand,
    TransportContext, TransportEvent, CHANNEL_CAPACITY,
};
use peerd_bitmark::account::PrivateKey;
use peerd_bitmark::ledger::query;
use peerd_bitmark::payid::{PayId, PayNonce};
use peerd_bitmark::transaction::{AssetData, AssetId, BitmarkIssue, Link, Transaction};
use peerd_network_tests::{Template, TestNet};
use peerd_transport_memory::MemoryNet;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::common::others;

/// A wallet on the memory net: pushes items to nodes as a peer would.
pub(crate) struct Wallet {
    commands: mpsc::Sender<TransportCommand>,
    events: mpsc::Receiver<TransportEvent>,
    peers: HashMap<String, PeerId>,
    next: u64,
}

impl Wallet {
    pub(crate) fn new(net: &MemoryNet) -> Self {
        let (tx, events) = mpsc::channel(CHANNEL_CAPACITY);
        let ctx = TransportContext {
            chain: "dev".into(),
            version: "wallet".into(),
            events: tx,
            shutdown: CancellationToken::new(),
            metrics: Default::default(),
        };
        let handle = Box::new(net.transport("wallet")).start(ctx).unwrap();
        Self { commands: handle.commands.clone(), events, peers: HashMap::new(), next: 1 }
    }

    pub(crate) async fn push(&mut self, to: &str, kind: ItemKind, payload: Vec<u8>) -> Response {
        if !self.peers.contains_key(to) {
            let dial = TransportCommand::Dial(MemoryNet::target(to));
            self.commands.send(dial).await.unwrap();
            let peer = loop {
                if let Some(TransportEvent::Connected { peer, .. }) = self.events.recv().await {
                    break peer;
                }
            };
            self.peers.insert(to.to_owned(), peer);
        }
        let (reply, answer) = oneshot::channel();
        let request = Request::Gossip(Item::new(kind, vec![Bytes::from(payload)]));
        let peer = self.peers[to].clone();
        let id = RequestId(self.next);
        self.next += 1;
        self.commands.send(TransportCommand::Request { id, peer, request, reply }).await.unwrap();
        answer.await.unwrap().unwrap()
    }
}

fn signed(mut tx: Transaction, key: &PrivateKey) -> Vec<u8> {
    tx.sign_and_pack(key, None).unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_asset_and_issue_travel_get_proven_confirmed_and_leave_every_pool() {
    let mut net = TestNet::new("reservoir_flow", 0x19);
    let chain = Template::dev(20);
    let names = ["p", "n1", "n2", "n3", "n4", "n5"];
    for name in names {
        let node = net.add(name).statics(&others(&names, name)).chain(&chain).handlers();
        if name == "p" {
            node.producer(Duration::from_secs(300)).start();
        } else {
            node.start();
        }
    }
    net.wait_until("everyone in Normal", Duration::from_secs(600), |n| n.converged(&names)).await;

    // An asset and its free issue (nonce 0: proven by work), submitted at n3.
    let alice = PrivateKey::from_ed25519_seed(&[5; 32], true);
    let owner = alice.account().unwrap();
    let asset = signed(
        AssetData {
            name: "painting".into(),
            fingerprint: "fingerprint-of-the-painting".into(),
            metadata: "owner\0alice".into(),
            registrant: owner,
            signature: Default::default(),
        }
        .into(),
        &alice,
    );
    let asset_id = AssetId::of_fingerprint(b"fingerprint-of-the-painting");
    let issue = signed(
        BitmarkIssue { asset_id, owner, nonce: 0, signature: Default::default() }.into(),
        &alice,
    );
    let mut wallet = Wallet::new(net.memory());
    assert_eq!(wallet.push("n3", ItemKind::Assets, asset.clone()).await, Response::Ack);
    assert_eq!(wallet.push("n3", ItemKind::Issues, issue.clone()).await, Response::Ack);
    let pool = |n: &TestNet, name: &str| n.node(name).reservoir().unwrap().counts();
    net.wait_until("the asset and issue everywhere", Duration::from_secs(60), |n| {
        names.iter().all(|name| pool(n, name).assets == 1 && pool(n, name).pending == 1)
    })
    .await;

    // The proof of work, found like a wallet would, submitted at n5.
    let pay_id = PayId::new([issue.as_slice()]);
    let at = net.node("n5");
    let rounded = PayNonce::rounded_height(at.height());
    let pay_nonce = PayNonce::from_digest(&at.digest(rounded).unwrap().0);
    let difficulty = peerd_reservoir::proof::scaled_difficulty(1, true);
    let nonce = (0u64..)
        .map(u64::to_be_bytes)
        .find(|n| peerd_reservoir::proof::meets(&pay_id, &pay_nonce, n, &difficulty))
        .unwrap();
    let proof = [pay_id.as_bytes().as_slice(), nonce.as_slice()].concat();
    assert_eq!(wallet.push("n5", ItemKind::Proof, proof).await, Response::Ack);
    net.wait_until("the issue verified everywhere", Duration::from_secs(60), |n| {
        names.iter().all(|name| pool(n, name).verified == 1)
    })
    .await;

    // The producer's next block holds both; every node confirms them and empties its pool.
    let issue_id = Link::of(&issue);
    net.wait_until("confirmed everywhere", Duration::from_secs(900), |n| {
        names.iter().all(|name| {
            let store = n.node(name).chain().store().clone();
            let issued = query::transaction(store.as_ref(), issue_id.as_bytes()).unwrap();
            let registered = query::asset(store.as_ref(), asset_id.as_bytes()).unwrap();
            issued.is_some() && registered.is_some()
        })
    })
    .await;
    net.wait_until("every pool empty", Duration::from_secs(60), |n| {
        names.iter().all(|name| pool(n, name) == Default::default())
    })
    .await;
    net.assert_converged(&names);
}
