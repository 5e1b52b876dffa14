//! What the transport reports on `/metrics`: `libp2p-metrics` for the swarm, gossipsub,
//! identify, kad and ping (all `libp2p_*`), the shared payload byte counts and the number
//! of inbound connections ([`peerd_api::TransportMeters`]), and dial failures in one word.

use std::io;

use libp2p::core::transport::TransportError as CoreError;
use libp2p::metrics::{Metrics, Recorder};
use libp2p::swarm::{DialError, SwarmEvent};
use peerd_api::{DialFailure, MetricsRegistry, TransportMeters};

use crate::behaviour::BehaviourEvent;
use crate::TRANSPORT_NAME;

/// The transport's metrics.
pub(crate) struct Meters {
    libp2p: Metrics,
    pub(crate) transport: TransportMeters,
}

impl Meters {
    /// Registers `libp2p-metrics` in the node's registry.
    pub(crate) fn new(registry: &MetricsRegistry) -> Self {
        Self {
            libp2p: registry.with_registry(Metrics::new),
            transport: registry.transport(TRANSPORT_NAME),
        }
    }

    pub(crate) fn swarm_event(&self, event: &SwarmEvent<BehaviourEvent>) {
        self.libp2p.record(event);
        match event {
            SwarmEvent::ConnectionEstablished { endpoint, .. } if endpoint.is_listener() => {
                self.transport.inbound.inc();
            }
            SwarmEvent::ConnectionClosed { endpoint, .. } if endpoint.is_listener() => {
                self.transport.inbound.dec();
            }
            _ => {}
        }
    }

    pub(crate) fn behaviour_event(&self, event: &BehaviourEvent) {
        match event {
            BehaviourEvent::Gossip(event) => self.libp2p.record(event),
            BehaviourEvent::Identify(event) => self.libp2p.record(event),
            BehaviourEvent::Kad(event) => self.libp2p.record(event),
            BehaviourEvent::Ping(event) => self.libp2p.record(event),
            _ => {}
        }
    }
}

/// Why a dial failed, in one word.
pub(crate) fn dial_failure(error: &DialError) -> DialFailure {
    match error {
        DialError::LocalPeerId { .. } => DialFailure::Ourselves,
        DialError::WrongPeerId { .. } => DialFailure::WrongPeer,
        DialError::Denied { .. } => DialFailure::Denied,
        DialError::NoAddresses => DialFailure::Unreachable,
        DialError::Transport(attempts) => {
            let kinds: Vec<DialFailure> = attempts.iter().map(|(_, e)| attempt(e)).collect();
            // One answer for all addresses: a refusal says most, then a failed handshake.
            [DialFailure::Refused, DialFailure::Handshake, DialFailure::Unreachable]
                .into_iter()
                .find(|k| kinds.contains(k))
                .unwrap_or(DialFailure::Other)
        }
        _ => DialFailure::Other,
    }
}

fn attempt(error: &CoreError<io::Error>) -> DialFailure {
    match error {
        CoreError::MultiaddrNotSupported(_) => DialFailure::Unreachable,
        CoreError::Other(error) => {
            // The socket's error sits under the upgrade's wrappers.
            let found = io_kinds(error).find_map(|kind| match kind {
                io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset => {
                    Some(DialFailure::Refused)
                }
                io::ErrorKind::TimedOut
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable
                | io::ErrorKind::AddrNotAvailable => Some(DialFailure::Unreachable),
                _ => None,
            });
            // `Either` hides its inner error from `source`; its text is the socket's.
            let text = error.to_string().to_ascii_lowercase();
            let by_text = || {
                if text.contains("connection refused") || text.contains("connection reset") {
                    Some(DialFailure::Refused)
                } else if text.contains("unreachable") || text.contains("timed out") {
                    Some(DialFailure::Unreachable)
                } else {
                    None
                }
            };
            // Otherwise the TCP connection was made and the noise or yamux upgrade failed.
            found.or_else(by_text).unwrap_or(DialFailure::Handshake)
        }
    }
}

/// The kinds of every `io::Error` in `error`'s chain, outermost first (an `io::Error`'s
/// wrapped error is reached through `get_ref`, anything else's through `source`).
fn io_kinds(error: &io::Error) -> impl Iterator<Item = io::ErrorKind> + '_ {
    let first: &(dyn std::error::Error + 'static) = error;
    let mut next = Some(first);
    std::iter::from_fn(move || loop {
        let current = next?;
        if let Some(io) = current.downcast_ref::<io::Error>() {
            next = io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static));
            return Some(io.kind());
        }
        next = current.source();
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("upgrade failed")]
    struct Wrapper(#[source] io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Opaque(io::Error);

    #[test]
    fn dial_errors_map_to_one_word() {
        let addr: libp2p::Multiaddr = "/ip4/127.0.0.1/tcp/1".parse().unwrap();
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let broken = io::Error::other("noise handshake failed");
        let error = DialError::Transport(vec![
            (addr.clone(), CoreError::Other(broken)),
            (addr.clone(), CoreError::Other(refused)),
        ]);
        assert_eq!(dial_failure(&error), DialFailure::Refused);
        // As the upgraded TCP transport reports it: the refusal wrapped twice.
        let wrapped = io::Error::other(Wrapper(io::Error::from(io::ErrorKind::ConnectionRefused)));
        let error = DialError::Transport(vec![(addr.clone(), CoreError::Other(wrapped))]);
        assert_eq!(dial_failure(&error), DialFailure::Refused);
        // Behind a wrapper that shows the socket's error only as text (libp2p's `Either`).
        let hidden = io::Error::other(Opaque(io::Error::from_raw_os_error(111)));
        let error = DialError::Transport(vec![(addr.clone(), CoreError::Other(hidden))]);
        assert_eq!(dial_failure(&error), DialFailure::Refused);
        let broken = io::Error::other("noise handshake failed");
        let error = DialError::Transport(vec![(addr.clone(), CoreError::Other(broken))]);
        assert_eq!(dial_failure(&error), DialFailure::Handshake);
        let error = DialError::Transport(vec![(
            addr,
            CoreError::MultiaddrNotSupported("/memory/1".parse().unwrap()),
        )]);
        assert_eq!(dial_failure(&error), DialFailure::Unreachable);
        assert_eq!(dial_failure(&DialError::NoAddresses), DialFailure::Unreachable);
    }
}
