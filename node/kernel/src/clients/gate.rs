//! The pool at work: behind a lock, shared by the kernel (ticks, saves, rewards,
//! snapshots) and the transports (admission, served requests, departures, through
//! [`Gate`]). Every decision is counted in the kernel's [`Metrics`]; evictions are sent to
//! the evicted client's transport as [`TransportCommand::Evict`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use peerd_api::prometheus_client::metrics::gauge::Gauge;
use peerd_api::{Clock, Gate, PeerId, Refused, Store, StoreError, TransportCommand};
use tokio::sync::mpsc;

use super::{persist, Admission, ClientId, ClientPool, PoolSnapshot, Refusal};
use crate::status::Metrics;

/// Capacity units an ordinary peer connects with.
pub const PEER_CAPACITY: u64 = 1;

/// The running pool. Cheap to clone.
#[derive(Clone)]
pub struct Clients {
    shared: Arc<Shared>,
}

struct Shared {
    pool: Mutex<ClientPool>,
    clock: Arc<dyn Clock>,
    /// Each transport's name and command channel, for evictions.
    transports: Vec<(String, mpsc::Sender<TransportCommand>)>,
    metrics: Arc<Metrics>,
    connected: Gauge,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients").finish_non_exhaustive()
    }
}

/// One transport's view of the pool: what it is given with [`TransportCommand::Admit`].
#[derive(Debug)]
pub struct TransportGate {
    clients: Clients,
    transport: String,
}

impl Clients {
    /// Runs `pool`: evictions go to the named transports' channels, counts to `metrics`
    /// (and a `peerd_clients_connected` gauge registered in its registry).
    pub fn new(
        pool: ClientPool,
        clock: Arc<dyn Clock>,
        transports: Vec<(String, mpsc::Sender<TransportCommand>)>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let connected = Gauge::default();
        metrics.registry().register(
            "peerd_clients_connected",
            "Inbound clients connected in the client pool",
            connected.clone(),
        );
        let shared = Shared { pool: Mutex::new(pool), clock, transports, metrics, connected };
        Self { shared: Arc::new(shared) }
    }

    /// The gate for transport `name`.
    pub fn gate(&self, name: &str) -> Arc<dyn Gate> {
        Arc::new(TransportGate { clients: self.clone(), transport: name.to_owned() })
    }

    fn lock(&self) -> MutexGuard<'_, ClientPool> {
        // A panic while the lock was held left a consistent pool: each change is one step.
        self.shared.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ms(&self) -> u64 {
        self.shared.clock.unix_now_ms()
    }

    /// Pins `id` (a static peer): always admitted, never evicted.
    pub fn pin(&self, id: ClientId) {
        self.lock().pin(id);
    }

    /// Adds `amount` credits to `id`'s positive balance; returns the new balance.
    pub fn reward(&self, id: &ClientId, amount: f64) -> f64 {
        let now = self.now_ms();
        let balance = self.lock().add_positive(id, amount, now);
        tracing::debug!(client = %id, amount, balance, "client rewarded");
        balance
    }

    /// Charges the connected clients, evicts those too deep in debt, forgets the idle.
    pub fn tick(&self) {
        let now = self.now_ms();
        let (evicted, connected) = {
            let mut pool = self.lock();
            let evicted = pool.tick(now);
            (evicted, pool.connected())
        };
        self.set_connected(connected);
        self.evict(&evicted, "debt");
    }

    /// Restores the balances kept in `store`.
    pub fn restore(&self, store: &dyn Store) -> Result<usize, StoreError> {
        let records = persist::load(store)?;
        let count = records.len();
        let now = self.now_ms();
        self.lock().restore(records, now);
        Ok(count)
    }

    /// Saves every balance worth keeping to `store`.
    pub fn save(&self, store: &dyn Store) -> Result<(), StoreError> {
        let now = self.now_ms();
        let records = self.lock().records(now);
        persist::save_records(store, records)
    }

    /// The pool now, for `/clients`.
    pub fn snapshot(&self) -> PoolSnapshot {
        let now = self.now_ms();
        self.lock().snapshot(now)
    }

    fn set_connected(&self, connected: usize) {
        self.shared.connected.set(i64::try_from(connected).unwrap_or(i64::MAX));
    }

    /// Tells each evicted client's transport to drop it.
    fn evict(&self, evicted: &[ClientId], reason: &'static str) {
        for id in evicted {
            tracing::info!(client = %id, reason, "inbound client evicted");
            self.shared.metrics.inc("peerd_clients_evicted_total", &[("reason", reason)]);
            let Some((_, commands)) =
                self.shared.transports.iter().find(|(name, _)| name == id.transport())
            else {
                continue;
            };
            let peer = PeerId::new(peerd_api::bytes::Bytes::copy_from_slice(id.key()));
            if commands.try_send(TransportCommand::Evict(peer)).is_err() {
                tracing::warn!(client = %id, "transport busy: eviction not delivered");
            }
        }
    }
}

impl TransportGate {
    fn id(&self, client: &PeerId) -> ClientId {
        ClientId::new(self.transport.clone(), client.as_bytes().to_vec())
    }
}

impl Gate for TransportGate {
    fn admit(&self, client: &PeerId) -> Result<(), Refused> {
        let id = self.id(client);
        let now = self.clients.now_ms();
        let (admission, connected) = {
            let mut pool = self.clients.lock();
            let was = pool.is_connected(&id);
            let admission = pool.connect(&id, PEER_CAPACITY, now);
            let counts = pool.connected();
            (if was { None } else { Some(admission) }, counts)
        };
        self.clients.set_connected(connected);
        let metrics = &self.clients.shared.metrics;
        match admission {
            None => Ok(()),
            Some(Admission::Admitted { evicted }) => {
                metrics.inc("peerd_clients_admitted_total", &[("transport", &self.transport)]);
                self.clients.evict(&evicted, "newcomer");
                Ok(())
            }
            Some(Admission::Refused(refusal)) => {
                let refused = match refusal {
                    Refusal::CapacityTooLarge => Refused::CapacityTooLarge,
                    Refusal::Indebted => Refused::Indebted,
                    Refusal::PoolFull => Refused::PoolFull,
                };
                metrics.inc(
                    "peerd_clients_refused_total",
                    &[("transport", &self.transport), ("reason", refused.label())],
                );
                tracing::debug!(client = %id, reason = %refused, "inbound client refused");
                Err(refused)
            }
        }
    }

    fn served(&self, client: &PeerId, requests: u64) {
        let now = self.clients.now_ms();
        self.clients.lock().served(&self.id(client), requests, now);
    }

    fn is_pinned(&self, client: &PeerId) -> bool {
        self.clients.lock().is_pinned(&self.id(client))
    }

    fn left(&self, client: &PeerId) {
        let now = self.clients.now_ms();
        let connected = {
            let mut pool = self.clients.lock();
            pool.disconnect(&self.id(client), now);
            pool.connected()
        };
        self.clients.set_connected(connected);
    }
}
