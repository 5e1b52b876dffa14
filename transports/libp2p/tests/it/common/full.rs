//! Whole nodes: the real kernel over a dev chain in a memory store, on the libp2p transport.

use std::sync::Arc;
use std::time::Duration;

use peerd_api::{
    CancellationToken, Chain, Clock, DialTarget, DigestSource, Mode, ModeCell, Transport,
    TransportContext, CHANNEL_CAPACITY,
};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::Kernel;
use peerd_testkit::transport::GUARD;
use peerd_transport_libp2p::libp2p::identity::Keypair;
use tokio::sync::mpsc;

/// Block `n` of a test chain is stamped `CHAIN_START + 10 n`.
pub const CHAIN_START: u64 = 1_740_000_000;

/// The wall clock of every node stands here, after every block.
#[derive(Clone, Copy, Debug)]
pub struct Still;

impl Clock for Still {
    fn unix_now(&self) -> u64 {
        1_750_000_000
    }
}

/// An empty dev chain (genesis only) in a new memory store.
pub fn dev_chain() -> Arc<BitmarkChain> {
    let store = Arc::new(peerd_store_memory::Store::new());
    Arc::new(BitmarkChain::open(store, ChainParams::DEV, Arc::new(Still)).unwrap())
}

/// Produces and stores blocks until `chain` is `height` high.
pub fn grow(chain: &BitmarkChain, height: u64) {
    for n in chain.height().unwrap() + 1..=height {
        let block = chain.produce(CHAIN_START + 10 * n, &[]).unwrap();
        chain.accept(&block, DigestSource::Compute).unwrap();
    }
}

/// A running whole node.
pub struct Full {
    pub label: String,
    pub chain: Arc<BitmarkChain>,
    pub mode: ModeCell,
    /// How other nodes dial it.
    pub target: DialTarget,
    pub shutdown: CancellationToken,
}

impl Full {
    /// Starts the kernel for `chain` with `sync`, dialling `statics`, on a libp2p transport
    /// on loopback.
    pub fn start(
        label: &str,
        chain: Arc<BitmarkChain>,
        sync: SyncConfig,
        statics: Vec<DialTarget>,
    ) -> Full {
        let transport = super::transport(Keypair::generate_ed25519(), vec![super::loopback()]);
        let (events_tx, mut events) = mpsc::channel(CHANNEL_CAPACITY);
        let shutdown = CancellationToken::new();
        let ctx = TransportContext {
            chain: "dev".into(),
            version: format!("test-{label}"),
            events: events_tx,
            shutdown: shutdown.clone(),
            metrics: Default::default(),
        };
        let handle = Box::new(transport).start(ctx).unwrap();
        let target = DialTarget {
            transport: handle.name.clone(),
            key: handle.local_id.as_bytes().to_vec().into(),
            listeners: handle.listeners.clone(),
        };
        let mode = ModeCell::new(Mode::Resynchronise);
        let kernel = Kernel::new(chain.clone(), sync)
            .with_mode(mode.clone())
            .with_clock(Arc::new(Still))
            .with_version(format!("test-{label}"))
            .with_statics(statics);
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let transports = vec![handle];
            kernel.run(&transports, &mut events, &stop).await.unwrap();
            stop.cancel();
        });
        Full { label: label.to_owned(), chain, mode, target, shutdown }
    }

    pub fn height(&self) -> u64 {
        self.chain.height().unwrap()
    }

    pub fn tip(&self) -> peerd_api::Digest {
        self.chain.digest(self.height()).unwrap().unwrap()
    }

    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

/// `[sync]` for a small network: `min_upstreams` upstreams and `min_votes` votes instead of
/// bitmarkd's 5 and 3 (which need at least five peers), and second-scale timers.
pub fn small_sync(min_upstreams: usize, min_votes: usize) -> SyncConfig {
    SyncConfig {
        min_upstreams,
        min_votes,
        cycle_interval: Duration::from_millis(500),
        poll_interval: Duration::from_secs(1),
        request_timeout: Duration::from_secs(10),
        active_time: Duration::from_secs(10),
        ..SyncConfig::default()
    }
}

/// Waits until `condition` holds, for at most [`GUARD`]. (The kernel announces neither its
/// mode nor its height: they are read.)
pub async fn wait_until(what: &str, condition: impl FnMut() -> bool) {
    peerd_testkit::wait::wait_until(what, GUARD, condition).await;
}
