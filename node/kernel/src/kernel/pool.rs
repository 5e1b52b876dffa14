//! The inbound client pool in the running kernel (`crate::clients`): started with the
//! balances kept in the store and our static peers pinned, handed to every transport as
//! its gate, ticked and saved on a timer, saved at shutdown, rewarded by handlers.

use std::time::Duration;

use peerd_api::{PeerId, TransportCommand};

use super::shell::Shell;
use crate::clients::{ClientId, ClientPool, Clients};

/// How often the pool charges its clients, evicts the indebted and forgets the idle.
pub(super) const TICK: Duration = Duration::from_secs(10);

/// Every how many ticks the balances are saved (once a minute).
pub(super) const SAVE_EVERY: u64 = 6;

impl Shell<'_> {
    /// Starts the pool if the kernel has one configured ([`super::Kernel::with_clients`]).
    pub(super) fn start_clients(&mut self) {
        let Some(config) = self.kernel.clients.take() else { return };
        let pool = ClientPool::new(config, self.kernel.clock.unix_now_ms());
        let commands = self.transports.iter().map(|t| (t.name.clone(), t.commands.clone()));
        let clients = Clients::new(
            pool,
            self.kernel.clock.clone(),
            commands.collect(),
            self.links.metrics.clone(),
        );
        if let Some(store) = &self.bans_store {
            match clients.restore(store.as_ref()) {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "client balances restored from the store"),
                Err(error) => tracing::error!(%error, "cannot read the client balances"),
            }
        }
        for target in &self.kernel.statics {
            clients.pin(ClientId::new(target.transport.clone(), target.key.to_vec()));
        }
        for transport in self.transports {
            let gate = clients.gate(&transport.name);
            if transport.commands.try_send(TransportCommand::Admit(gate)).is_err() {
                tracing::warn!(transport = %transport.name, "client pool not handed over");
            }
        }
        self.clients = Some(clients);
    }

    /// One pool tick; every [`SAVE_EVERY`]th also saves the balances.
    pub(super) fn tick_clients(&mut self, ticks: u64) {
        let Some(clients) = &self.clients else { return };
        clients.tick();
        if ticks.is_multiple_of(SAVE_EVERY) {
            self.save_clients();
        }
    }

    /// Saves the balances (periodically, and at shutdown).
    pub(super) fn save_clients(&self) {
        let (Some(clients), Some(store)) = (&self.clients, &self.bans_store) else { return };
        if let Err(error) = clients.save(store.as_ref()) {
            tracing::error!(%error, "cannot save the client balances");
        }
    }

    /// A handler rewards `peer`, a client of `transport` ([`peerd_api::NodeRequest::Reward`]).
    pub(super) fn reward(&self, transport: String, peer: &PeerId, amount: f64) {
        match &self.clients {
            Some(clients) => {
                clients.reward(&ClientId::new(transport, peer.as_bytes().to_vec()), amount);
            }
            None => tracing::debug!(%peer, "reward ignored: the node runs no client pool"),
        }
    }
}
