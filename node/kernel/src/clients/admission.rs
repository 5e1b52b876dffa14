//! Admission: who gets a place when the pool is full.

use super::pool::Session;
use super::{ClientId, ClientPool};

/// What [`ClientPool::connect`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Connected. The clients in `evicted` lost their place to it: disconnect them.
    Admitted {
        /// Clients evicted to make room, lowest priority first.
        evicted: Vec<ClientId>,
    },
    /// Not connected; nobody was evicted.
    Refused(Refusal),
}

/// Why a client was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// No room, and its priority is not higher than that of the clients it would replace.
    PoolFull,
    /// It asked for more capacity than the whole pool has.
    CapacityTooLarge,
    /// Its debt is past `evict_below`: it would be disconnected at the next tick.
    Indebted,
}

impl ClientPool {
    /// Admits `id` with `capacity`, evicting clients of lower priority if it must and may.
    /// A client already connected stays so, with its capacity unchanged.
    pub fn connect(&mut self, id: &ClientId, capacity: u64, now_ms: u64) -> Admission {
        if self.is_connected(id) {
            self.touch(id, now_ms);
            return Admission::Admitted { evicted: Vec::new() };
        }
        let balances = self.client(id, now_ms).ledger.balances;
        let evicted = if self.is_pinned(id) {
            Vec::new()
        } else {
            let priority = self.config.rates.priority(balances, capacity);
            let refusal = if capacity > self.config.max_capacity {
                Some(Refusal::CapacityTooLarge)
            } else if priority < self.config.evict_below {
                Some(Refusal::Indebted)
            } else {
                None
            };
            match refusal.map_or_else(|| self.make_room(capacity, priority, now_ms), Err) {
                Ok(evicted) => evicted,
                Err(refusal) => {
                    let count = match refusal {
                        Refusal::PoolFull => &mut self.counts.refused_full,
                        Refusal::CapacityTooLarge => &mut self.counts.refused_capacity,
                        Refusal::Indebted => &mut self.counts.refused_indebted,
                    };
                    *count += 1;
                    return Admission::Refused(refusal);
                }
            }
        };
        for other in &evicted {
            self.deactivate(other, now_ms);
            self.counts.evicted += 1;
        }
        if let Some(client) = self.clients.get_mut(id) {
            client.capacity = capacity;
            client.session = Some(Session { since_ms: now_ms, accrued_ms: now_ms });
            self.connected += 1;
            self.capacity_used = self.capacity_used.saturating_add(capacity);
            self.counts.admitted += 1;
        }
        Admission::Admitted { evicted }
    }

    /// The clients whose places a newcomer of `priority` and `capacity` takes, or
    /// `PoolFull` if it cannot have enough of them.
    fn make_room(
        &self,
        capacity: u64,
        priority: f64,
        now_ms: u64,
    ) -> Result<Vec<ClientId>, Refusal> {
        let mut count = self.connected.saturating_add(1);
        let mut used = self.capacity_used.saturating_add(capacity);
        let fits = |count: usize, used: u64| {
            count <= self.config.max_inbound && used <= self.config.max_capacity
        };
        let bias = self.config.connected_bias.as_secs_f64();
        let mut candidates: Vec<(f64, u64, &ClientId, u64)> = self
            .clients
            .iter()
            .filter(|(id, _)| !self.is_pinned(id))
            .filter_map(|(id, c)| {
                let since = c.session?.since_ms;
                Some((self.priority_of(c, now_ms) + bias, since, id, c.capacity))
            })
            .collect();
        // Lowest priority first; of equals, the most recently connected.
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
        let mut evicted = Vec::new();
        for (biased, _, id, cap) in candidates {
            if fits(count, used) {
                break;
            }
            if priority <= biased {
                return Err(Refusal::PoolFull);
            }
            count -= 1;
            used = used.saturating_sub(cap);
            evicted.push(id.clone());
        }
        if fits(count, used) {
            Ok(evicted)
        } else {
            Err(Refusal::PoolFull)
        }
    }
}
