//! At most `max_inbound_per_ip` established inbound connections from one IP address.
//!
//! Peer ids cost nothing to make, so `connection_limits`' per-peer limit does not stop one
//! host from taking every inbound slot with fresh identities; an IP address costs more.
//! A connection over the limit is refused before its noise handshake when the address is
//! already full, and after it otherwise. Addresses without an IP (memory, relays) are not
//! counted. Operators who run many nodes on one host (testnets) raise the limit.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::net::IpAddr;
use std::task::{Context, Poll};

use libp2p::core::transport::PortUse;
use libp2p::core::{ConnectedPoint, Endpoint, Multiaddr};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::behaviour::ConnectionEstablished;
use libp2p::swarm::{
    dummy, ConnectionClosed, ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler,
    THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::PeerId;

/// The IP address a multiaddr starts with, if any.
pub(crate) fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
    match addr.iter().next()? {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    }
}

/// Why a connection was refused.
#[derive(Debug)]
pub(crate) struct TooManyFromIp {
    pub(crate) ip: IpAddr,
    pub(crate) limit: u32,
}

impl fmt::Display for TooManyFromIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} already has {} inbound connections, the most one IP may have",
            self.ip, self.limit
        )
    }
}

impl std::error::Error for TooManyFromIp {}

/// Counts established inbound connections per IP address and refuses those over the limit.
pub(crate) struct PerIpLimit {
    limit: u32,
    by_connection: HashMap<ConnectionId, IpAddr>,
    by_ip: HashMap<IpAddr, u32>,
}

impl PerIpLimit {
    pub(crate) fn new(limit: u32) -> Self {
        Self { limit, by_connection: HashMap::new(), by_ip: HashMap::new() }
    }

    /// Inbound connections established from `ip` now.
    pub(crate) fn count(&self, ip: &IpAddr) -> u32 {
        self.by_ip.get(ip).copied().unwrap_or(0)
    }

    fn check(&self, remote: &Multiaddr) -> Result<(), ConnectionDenied> {
        match ip_of(remote) {
            Some(ip) if self.count(&ip) >= self.limit => {
                Err(ConnectionDenied::new(TooManyFromIp { ip, limit: self.limit }))
            }
            _ => Ok(()),
        }
    }
}

impl NetworkBehaviour for PerIpLimit {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_pending_inbound_connection(
        &mut self,
        _: ConnectionId,
        _: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.check(remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        // Counted at `ConnectionEstablished`, which the swarm reports in the same step
        // once every behaviour has accepted, so two handshakes cannot both slip past.
        self.check(remote)?;
        Ok(dummy::ConnectionHandler)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        _: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(ConnectionEstablished {
                connection_id,
                endpoint: ConnectedPoint::Listener { send_back_addr, .. },
                ..
            }) => {
                if let Some(ip) = ip_of(send_back_addr) {
                    self.by_connection.insert(connection_id, ip);
                    *self.by_ip.entry(ip).or_insert(0) += 1;
                }
            }
            FromSwarm::ConnectionClosed(ConnectionClosed { connection_id, .. }) => {
                if let Some(ip) = self.by_connection.remove(&connection_id) {
                    if let Some(count) = self.by_ip.get_mut(&ip) {
                        *count = count.saturating_sub(1);
                        if *count == 0 {
                            self.by_ip.remove(&ip);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _: PeerId,
        _: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ip_is_the_first_component() {
        let ip = |text: &str| ip_of(&text.parse().unwrap());
        assert_eq!(ip("/ip4/10.1.2.3/tcp/7"), Some("10.1.2.3".parse().unwrap()));
        assert_eq!(ip("/ip6/::1/tcp/7"), Some("::1".parse().unwrap()));
        assert_eq!(ip("/dns4/example.org/tcp/7"), None);
    }
}
