//! Carrying messages: fault decisions, delays and the reachability check on landing.

use crate::wire::Parcel;

use super::{MemoryNet, State};

impl MemoryNet {
    /// Hands a message from `from` to the network, which delivers it to `to` according to
    /// the faults of that direction. Delayed copies are delivered by their own tasks and
    /// re-check reachability when they land.
    pub(crate) fn transmit(&self, from: &str, to: &str, parcel: Parcel) {
        let plan = {
            let mut state = self.lock();
            state.stats.sent += 1;
            if !state.carries(from, to, &parcel) {
                state.stats.dropped += 1;
                return;
            }
            let faults = state.links.get(&(from.to_owned(), to.to_owned())).cloned();
            let faults = faults.unwrap_or_else(|| state.faults.clone());
            let plan = faults.plan(&mut state.rng);
            match plan.len() {
                0 => state.stats.dropped += 1,
                n => state.stats.duplicated += n as u64 - 1,
            }
            plan
        };
        if plan.is_empty() {
            tracing::debug!(from, to, "memory net dropped a message");
        }
        for delay in plan {
            if delay.is_zero() {
                self.deliver(from, to, parcel.clone());
            } else {
                let (net, from, to, parcel) =
                    (self.clone(), from.to_owned(), to.to_owned(), parcel.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    net.deliver(&from, &to, parcel);
                });
            }
        }
    }

    fn deliver(&self, from: &str, to: &str, parcel: Parcel) {
        let mut state = self.lock();
        let delivered = state.carries(from, to, &parcel)
            && match parcel {
                Parcel::Request { envelope, .. } => {
                    state.listeners.get(to).is_some_and(|l| l.inbox.try_send(envelope).is_ok())
                }
                Parcel::Reply { reply_to, reply } => reply_to.try_send(reply).is_ok(),
            };
        if delivered {
            state.stats.delivered += 1;
        } else {
            state.stats.dropped += 1;
            drop(state);
            tracing::debug!(from, to, "memory net could not deliver a message");
        }
    }
}

impl State {
    /// True if the link `parcel` travels on is up: a request needs the server incarnation
    /// it was sent to; a reply travels back over its client's link to the server.
    fn carries(&self, from: &str, to: &str, parcel: &Parcel) -> bool {
        match parcel {
            Parcel::Request { epoch, .. } => self.link(from, to) == Some(*epoch),
            Parcel::Reply { .. } => self.link(to, from).is_some(),
        }
    }
}
