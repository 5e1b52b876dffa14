//! What the pool reports: its counters and snapshots (`/clients`, metrics).

use serde::Serialize;

use super::ClientPool;

/// What the pool has done since it was made, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PoolCounts {
    /// Clients connected (a repeated connect of a connected client is not counted).
    pub admitted: u64,
    /// Clients evicted: for a better newcomer, or for their debt.
    pub evicted: u64,
    /// Clients refused with [`Refusal::PoolFull`].
    pub refused_full: u64,
    /// Clients refused with [`Refusal::CapacityTooLarge`].
    pub refused_capacity: u64,
    /// Clients refused with [`Refusal::Indebted`].
    pub refused_indebted: u64,
}

/// The pool at one moment (`/clients`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolSnapshot {
    /// Capacity units connected.
    pub capacity_used: u64,
    /// `max_capacity`.
    pub capacity_max: u64,
    /// Clients connected.
    pub connected: usize,
    /// `max_inbound`.
    pub connected_max: usize,
    /// Every client remembered, highest priority first.
    pub clients: Vec<ClientView>,
}

/// One client in a [`PoolSnapshot`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientView {
    /// `transport:hexkey`.
    pub id: String,
    /// Connected now.
    pub connected: bool,
    /// Pinned (always admitted, never evicted).
    pub pinned: bool,
    /// Positive balance.
    pub positive: f64,
    /// Negative balance.
    pub negative: f64,
    /// Priority, without the connected bias.
    pub priority: f64,
    /// Capacity it is (or was last) connected with; 0 if it never was.
    pub capacity: u64,
    /// Unix milliseconds since which it is connected.
    pub connected_since_ms: Option<u64>,
}

impl ClientPool {
    /// The pool at `now_ms`, highest priority first.
    pub fn snapshot(&self, now_ms: u64) -> PoolSnapshot {
        let mut clients: Vec<ClientView> = self
            .clients
            .iter()
            .map(|(id, c)| {
                let b = self.current(c, now_ms).balances;
                ClientView {
                    id: id.to_string(),
                    connected: c.session.is_some(),
                    pinned: self.is_pinned(id),
                    positive: b.positive,
                    negative: b.negative,
                    priority: self.config.rates.priority(b, c.capacity),
                    capacity: c.capacity,
                    connected_since_ms: c.session.map(|s| s.since_ms),
                }
            })
            .collect();
        clients.sort_by(|a, b| b.priority.total_cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
        PoolSnapshot {
            capacity_used: self.capacity_used,
            capacity_max: self.config.max_capacity,
            connected: self.connected,
            connected_max: self.config.max_inbound,
            clients,
        }
    }
}
