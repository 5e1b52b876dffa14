//! Syncing under a flood (issue 15, item 6): two real kernels over ZeroMQ on 127.0.0.1,
//! each with its client pool (`max_inbound = 50`). The holder has a 300-block dev chain;
//! the syncer starts empty with the holder as its static peer. A thousand CURVE clients
//! with fresh keys flood the syncer's listener and stay connected; the pool refuses all but
//! its free places. Only then does the holder's kernel start, and while a second wave of 200
//! fresh keys knocks, the syncer syncs the holder's chain to its tip in Normal mode: its
//! upstream is outbound, which the inbound pool never counts.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{self, blocking, RawClient};
use crate::flood::knock;
use peerd_api::{
    CancellationToken, Chain, DialTarget, Mode, ModeCell, SystemClock, Transport, TransportContext,
    TransportHandle, CHANNEL_CAPACITY,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_kernel::clients::ClientsConfig;
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::Kernel;
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::ZmqTransport;
use tokio::sync::mpsc;

const HEIGHT: u64 = 300;
const FLOOD: usize = 1000;
const SECOND_WAVE: usize = 200;
const GUARD: Duration = Duration::from_secs(240);

fn start(
    shutdown: &CancellationToken,
) -> (TransportHandle, mpsc::Receiver<peerd_api::TransportEvent>, [u8; 32]) {
    let keys = KeyPair::generate().unwrap();
    let public = keys.public;
    let transport = ZmqTransport::new(keys)
        .listen(vec!["127.0.0.1:0".parse().unwrap()])
        .reconnect(Duration::from_millis(500))
        .timeout(Duration::from_secs(10));
    let (events, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let ctx = TransportContext {
        chain: "dev".into(),
        version: "zmq-flood-sync".into(),
        events,
        shutdown: shutdown.clone(),
        metrics: Default::default(),
    };
    (Box::new(transport).start(ctx).unwrap(), rx, public)
}

fn target(handle: &TransportHandle) -> DialTarget {
    DialTarget {
        transport: handle.name.clone(),
        key: handle.local_id.as_bytes().to_vec().into(),
        listeners: handle.listeners.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_flooded_by_a_thousand_fresh_keys_still_syncs_and_serves() {
    let shutdown = CancellationToken::new();
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let (holder, syncer) = (start(&shutdown), start(&shutdown));
    let (holder_target, syncer_target) = (target(&holder.0), target(&syncer.0));
    let syncer_addr =
        syncer.0.listen_addrs[0].as_str().trim_start_matches("tcp://").parse().unwrap();
    let syncer_key = syncer.2;
    let sync = SyncConfig {
        cycle_interval: Duration::from_secs(1),
        poll_interval: Duration::from_secs(1),
        request_timeout: Duration::from_secs(10),
        min_upstreams: 1,
        min_votes: 1,
        ..SyncConfig::default()
    };
    let clients = ClientsConfig { max_inbound: 50, max_capacity: 100, ..Default::default() };
    let mut chains = Vec::new();
    let mut modes = Vec::new();
    let mut kernels = Vec::new();
    for (i, ((handle, events, _), dir)) in [holder, syncer].into_iter().zip(&dirs).enumerate() {
        let store = peerd_store_sled::Store::open(dir.path(), &Default::default()).unwrap();
        let chain =
            BitmarkChain::open(Arc::new(store), ChainParams::DEV, Arc::new(SystemClock)).unwrap();
        if i == 0 {
            common::grow(&chain, HEIGHT);
        }
        let chain = Arc::new(chain);
        let mode = ModeCell::new(Mode::Stopped);
        let other = if i == 0 { syncer_target.clone() } else { holder_target.clone() };
        let kernel = Kernel::new(chain.clone(), sync.clone())
            .with_mode(mode.clone())
            .with_seed(i as u64)
            .with_statics(vec![other])
            .with_clients(clients.validate().unwrap());
        kernels.push((kernel, handle, events));
        chains.push(chain);
        modes.push(mode);
    }
    let run = |(kernel, handle, mut events): (Kernel, TransportHandle, mpsc::Receiver<_>)| {
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let transports = vec![handle];
            kernel.run(&transports, &mut events, &stop).await.unwrap();
        })
    };
    let holder_kernel = kernels.remove(0);
    run(kernels.remove(0));
    // The syncer's pool is handed to its transport when its kernel starts: once it answers
    // a poll, the flood meets the pool.
    blocking(move || {
        let client = RawClient::curve(syncer_addr, &syncer_key);
        assert_eq!(common::text(&client.ask(&[b"dev", b"N"]))[0], "N");
    })
    .await;
    let (admitted, refused, open) = blocking(move || knock(syncer_addr, syncer_key, FLOOD)).await;
    assert!(admitted < 50, "the pool admitted {admitted} flooders");
    assert_eq!(admitted + refused, FLOOD);
    assert_eq!(chains[1].height().unwrap(), 1, "nothing to sync from yet");

    run(holder_kernel);
    let wave = blocking(move || knock(syncer_addr, syncer_key, SECOND_WAVE));
    let synced = async {
        let mut every = tokio::time::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
            let (h, s) = (chains[0].height().unwrap(), chains[1].height().unwrap());
            if s == h && h >= HEIGHT && modes[1].get() == Mode::Normal {
                break;
            }
        }
    };
    let (waved, ()) = tokio::time::timeout(GUARD, async { tokio::join!(wave, synced) })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the flooded node did not sync: holder {} syncer {} ({:?})",
                chains[0].height().unwrap(),
                chains[1].height().unwrap(),
                modes[1].get()
            )
        });
    assert_eq!(waved.0, 0, "the second wave finds the pool full");
    assert_eq!(chains[1].digest(HEIGHT).unwrap(), chains[0].digest(HEIGHT).unwrap());
    drop((open, waved.2));
    shutdown.cancel();
}
