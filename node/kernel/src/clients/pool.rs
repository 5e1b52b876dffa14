//! The pool's state: every client remembered, what it costs, pins, ticks and forgetting.

use std::collections::{BTreeSet, HashMap};

use super::balance::{Balances, Ledger};
use super::{ClientId, PoolCounts, ValidClients, MAX_TRACKED};

#[derive(Clone, Copy, Debug)]
pub(super) struct Session {
    pub(super) since_ms: u64,
    /// Time up to which connection costs have been charged.
    pub(super) accrued_ms: u64,
}

#[derive(Clone, Debug)]
pub(super) struct Client {
    pub(super) ledger: Ledger,
    pub(super) capacity: u64,
    pub(super) session: Option<Session>,
    last_active_ms: u64,
}

/// Every inbound client the node knows, and which of them are connected.
#[derive(Debug)]
pub struct ClientPool {
    pub(super) config: ValidClients,
    pub(super) clients: HashMap<ClientId, Client>,
    /// Pinned at run time (static peers); the config's are in `config.pinned`.
    pinned: BTreeSet<ClientId>,
    pub(super) connected: usize,
    pub(super) capacity_used: u64,
    pub(super) counts: PoolCounts,
}

impl ClientPool {
    /// An empty pool with the config's pinned clients and positive balances (given at
    /// `now_ms`).
    pub fn new(config: ValidClients, now_ms: u64) -> Self {
        let positive: Vec<_> = config.positive.iter().map(|(i, a)| (i.clone(), *a)).collect();
        let mut pool = Self {
            config,
            clients: HashMap::new(),
            pinned: BTreeSet::new(),
            connected: 0,
            capacity_used: 0,
            counts: PoolCounts::default(),
        };
        for (id, amount) in positive {
            pool.add_positive(&id, amount, now_ms);
        }
        pool
    }

    /// Charges `id`'s connection so far and moves it to the inactive clients; false if it
    /// was not connected.
    pub fn disconnect(&mut self, id: &ClientId, now_ms: u64) -> bool {
        self.deactivate(id, now_ms)
    }

    /// Charges `requests` served to `id`.
    pub fn served(&mut self, id: &ClientId, requests: u64, now_ms: u64) {
        let price = self.config.rates.request_price;
        self.client(id, now_ms).ledger.charge(requests as f64 * price);
    }

    /// Adds `amount` credits (negative: takes them away, never below zero) to `id`'s
    /// positive balance; returns the balance. A non-finite amount is ignored.
    pub fn add_positive(&mut self, id: &ClientId, amount: f64, now_ms: u64) -> f64 {
        let client = self.client(id, now_ms);
        client.ledger.credit(amount);
        client.ledger.balances.positive
    }

    /// Pins `id` (a static peer): always admitted, never evicted. False if it already was.
    pub fn pin(&mut self, id: ClientId) -> bool {
        self.pinned.insert(id)
    }

    /// Unpins a client pinned by [`ClientPool::pin`] (the config's pins stay); false if it
    /// was not.
    pub fn unpin(&mut self, id: &ClientId) -> bool {
        self.pinned.remove(id)
    }

    /// Whether `id` is pinned, by the config or by [`ClientPool::pin`].
    pub fn is_pinned(&self, id: &ClientId) -> bool {
        self.pinned.contains(id) || self.config.pinned.contains(id)
    }

    /// Whether `id` is connected.
    pub fn is_connected(&self, id: &ClientId) -> bool {
        self.clients.get(id).is_some_and(|c| c.session.is_some())
    }

    /// `id`'s balances at `now_ms`, if it is known.
    pub fn balances(&self, id: &ClientId, now_ms: u64) -> Option<Balances> {
        self.clients.get(id).map(|c| self.current(c, now_ms).balances)
    }

    /// `id`'s priority at `now_ms` (without the connected bias), if it is known.
    pub fn priority(&self, id: &ClientId, now_ms: u64) -> Option<f64> {
        self.clients.get(id).map(|c| self.priority_of(c, now_ms))
    }

    /// How many clients are connected.
    pub fn connected(&self) -> usize {
        self.connected
    }

    /// What the pool has done so far.
    pub fn counts(&self) -> PoolCounts {
        self.counts
    }

    /// Charges every connected client up to `now_ms`, evicts those whose priority is below
    /// `evict_below` (never pinned ones) and forgets inactive clients idle for
    /// `inactive_timeout` whose balances are both below the floor. Returns the evicted.
    pub fn tick(&mut self, now_ms: u64) -> Vec<ClientId> {
        let connected: Vec<ClientId> = self
            .clients
            .iter()
            .filter(|(_, c)| c.session.is_some())
            .map(|(i, _)| i.clone())
            .collect();
        let mut evicted = Vec::new();
        for id in connected {
            self.touch(&id, now_ms);
            let low = self.priority(&id, now_ms).is_some_and(|p| p < self.config.evict_below);
            if low && !self.is_pinned(&id) {
                evicted.push(id);
            }
        }
        evicted.sort();
        for id in &evicted {
            self.deactivate(id, now_ms);
            self.counts.evicted += 1;
        }
        let timeout = duration_ms(self.config.inactive_timeout);
        let floor = self.config.floor;
        let rates = self.config.rates;
        self.clients.retain(|_, c| {
            let b = c.ledger.at(now_ms, &rates);
            c.session.is_some()
                || now_ms.saturating_sub(c.last_active_ms) < timeout
                || b.positive >= floor
                || b.negative >= floor
        });
        evicted
    }

    /// `client`'s ledger at `now_ms`: decayed, and charged for its connection so far.
    pub(super) fn current(&self, client: &Client, now_ms: u64) -> Ledger {
        let rates = &self.config.rates;
        let mut ledger = client.ledger;
        ledger.advance(now_ms, rates);
        if let Some(session) = client.session {
            let secs = now_ms.saturating_sub(session.accrued_ms) as f64 / 1000.0;
            ledger.charge(secs * rates.per_second(client.capacity));
        }
        ledger
    }

    pub(super) fn priority_of(&self, client: &Client, now_ms: u64) -> f64 {
        self.config.rates.priority(self.current(client, now_ms).balances, client.capacity)
    }

    /// Brings `id`'s ledger (and its connection's charges) up to `now_ms`.
    pub(super) fn touch(&mut self, id: &ClientId, now_ms: u64) {
        let Some(client) = self.clients.get(id) else { return };
        let ledger = self.current(client, now_ms);
        if let Some(client) = self.clients.get_mut(id) {
            client.ledger = ledger;
            if let Some(session) = &mut client.session {
                session.accrued_ms = session.accrued_ms.max(now_ms);
            }
        }
    }

    /// `id`, touched and marked active at `now_ms`; remembered first if it was not.
    pub(super) fn client(&mut self, id: &ClientId, now_ms: u64) -> &mut Client {
        if self.clients.contains_key(id) {
            self.touch(id, now_ms);
        } else {
            self.bound(now_ms);
        }
        let client = self.clients.entry(id.clone()).or_insert_with(|| Client {
            ledger: Ledger::empty(now_ms),
            capacity: 0,
            session: None,
            last_active_ms: now_ms,
        });
        client.last_active_ms = client.last_active_ms.max(now_ms);
        client
    }

    /// Makes room for one more client within [`MAX_TRACKED`]: forgets the inactive client
    /// with the smallest balances, of those the longest idle.
    fn bound(&mut self, now_ms: u64) {
        if self.clients.len() < MAX_TRACKED {
            return;
        }
        let rates = self.config.rates;
        let weakest = self
            .clients
            .iter()
            .filter(|(_, c)| c.session.is_none())
            .map(|(id, c)| {
                let b = c.ledger.at(now_ms, &rates);
                (b.positive + b.negative, c.last_active_ms, id)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, _, id)| id.clone());
        if let Some(weakest) = weakest {
            self.clients.remove(&weakest);
        }
    }

    /// Charges `id`'s connection up to `now_ms` and ends it; false if it was not connected.
    pub(super) fn deactivate(&mut self, id: &ClientId, now_ms: u64) -> bool {
        if !self.is_connected(id) {
            return false;
        }
        self.touch(id, now_ms);
        let Some(client) = self.clients.get_mut(id) else { return false };
        client.session = None;
        client.last_active_ms = client.last_active_ms.max(now_ms);
        self.connected = self.connected.saturating_sub(1);
        self.capacity_used = self.capacity_used.saturating_sub(client.capacity);
        true
    }
}

/// `duration` in whole milliseconds, saturating.
fn duration_ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
