//! A liar on real sockets (issue 14): a fresh node syncs a dev chain over ZeroMQ/CURVE from
//! five honest standalone servers and one dynamic upstream that votes with them but serves
//! every block with a broken merkle root. The fresh node reaches the honest tip and bans the
//! liar (`invalid_block`): it is disconnected and stays out.

use std::sync::Arc;
use std::time::Duration;

use peerd_api::bytes::Bytes;
use peerd_api::{
    CancellationToken, Chain, ChainError, ChainLayer, DialTarget, Mode, ModeCell, NodeLink,
    NodeRequest, PeerId, Transport, TransportContext, CHANNEL_CAPACITY,
};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::status::StatusHandle;
use peerd_kernel::Kernel;
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::ZmqTransport;
use tokio::sync::mpsc;

use crate::common::{dev_chain, serve, Served};

const HEIGHT: u64 = 120;

/// Serves every block with one bit of its merkle root flipped (header: version 2, count 2,
/// number 8, previous digest 32, then the merkle root).
struct BrokenMerkle(Arc<dyn Chain>);

impl ChainLayer for BrokenMerkle {
    fn inner(&self) -> &dyn Chain {
        &*self.0
    }
    fn block(&self, number: u64) -> Result<Option<Bytes>, ChainError> {
        Ok(self.0.block(number)?.map(|block| {
            let mut bytes = block.to_vec();
            if let Some(byte) = bytes.get_mut(44) {
                *byte ^= 1;
            }
            Bytes::from(bytes)
        }))
    }
}

fn target(served: &Served) -> DialTarget {
    DialTarget {
        transport: "zmq".into(),
        key: Bytes::copy_from_slice(&served.keys.public),
        listeners: served.handle_listeners.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liar_serving_invalid_blocks_is_banned_and_sync_goes_on() {
    let honest: Vec<Served> = (0..5).map(|_| serve(dev_chain(HEIGHT))).collect();
    let liar = serve(Arc::new(BrokenMerkle(dev_chain(HEIGHT))));
    let shutdown = CancellationToken::new();
    let transport = ZmqTransport::new(KeyPair::generate().unwrap())
        .listen(vec!["127.0.0.1:0".parse().unwrap()])
        .timeout(Duration::from_secs(10));
    let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
    let ctx = TransportContext {
        chain: "dev".into(),
        version: "zmq-liar".into(),
        events: events_tx,
        shutdown: shutdown.clone(),
        metrics: Default::default(),
    };
    let handle = Box::new(transport).start(ctx).unwrap();
    let fresh = dev_chain(1);
    let mode = ModeCell::new(Mode::Stopped);
    let (status, queries) = StatusHandle::channel();
    let (link_tx, requests) = mpsc::channel(16);
    // Four honest statics and the liar make the five upstreams an election needs, so the
    // liar is surely in the winning group (its digests are honest) and the fetch meets its
    // blocks. Once it is banned, a fifth honest upstream is connected.
    let sync = SyncConfig {
        cycle_interval: Duration::from_secs(1),
        poll_interval: Duration::from_secs(1),
        request_timeout: Duration::from_secs(10),
        ..SyncConfig::default()
    };
    let kernel = Kernel::new(fresh.clone(), sync)
        .with_mode(mode.clone())
        .with_statics(honest[..4].iter().map(target).collect())
        .with_node_requests(requests)
        .with_status(queries);
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let transports = vec![handle];
        kernel.run(&transports, &mut events, &stop).await.unwrap();
    });
    let link = NodeLink::new(link_tx);
    assert!(link.send(NodeRequest::Connect(target(&liar))));

    let liar_id = PeerId::new(Bytes::copy_from_slice(&liar.keys.public));
    let banned = async {
        loop {
            let s = status.snapshot().await.unwrap();
            if !s.bans.is_empty() {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let s = tokio::time::timeout(Duration::from_secs(120), banned)
        .await
        .unwrap_or_else(|_| panic!("the liar was not banned: height {}", fresh.height().unwrap()));
    assert_eq!(s.bans.len(), 1, "{:?}", s.bans);
    assert_eq!((&s.bans[0].peer, s.bans[0].offence), (&liar_id, "invalid_block"));
    assert!(link.send(NodeRequest::Connect(target(&honest[4]))));
    let synced = async {
        while !(fresh.height().unwrap() == HEIGHT && mode.get() == Mode::Normal) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(120), synced).await.unwrap_or_else(|_| {
        panic!("not in sync after the ban: height {}", fresh.height().unwrap())
    });
    let s = status.snapshot().await.unwrap();
    assert_eq!(s.bans.len(), 1, "still banned: {:?}", s.bans);
    assert_eq!(fresh.digest(HEIGHT).unwrap(), dev_chain(HEIGHT).digest(HEIGHT).unwrap());
    assert_eq!(s.bans.len(), 1, "{:?}", s.bans);
    assert_eq!((&s.bans[0].peer, s.bans[0].offence), (&liar_id, "invalid_block"));
    assert!(s.peers.iter().all(|p| p.peer != liar_id), "the liar is disconnected");
    shutdown.cancel();
}
