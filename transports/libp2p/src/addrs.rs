//! Listener encoding for dial targets and registrations, and which addresses to announce.
//!
//! A libp2p [`peerd_api::DialTarget`] has `transport = "libp2p"`, `key` = the bytes of the
//! peer's `PeerId` (its multihash) and `listeners` = a CBOR array of byte strings, each the
//! binary form of one multiaddr (`Multiaddr::to_vec`) without a `/p2p/` suffix, at most
//! [`MAX_LISTENERS`] of them. The same encoding is our `TransportHandle::listeners`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};

use crate::wire::WireError;

/// Most addresses a listener list may hold; more are refused as a whole.
pub const MAX_LISTENERS: usize = 16;

/// Longest binary multiaddr accepted in a listener list.
const MAX_ADDR_BYTES: usize = 128;

/// Why a listener list or key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddrError {
    /// The list is not a CBOR array of byte strings.
    #[error("listeners: {0}")]
    Encoding(#[from] WireError),
    /// Too many addresses.
    #[error("listeners: {0} addresses, at most {MAX_LISTENERS} allowed")]
    TooMany(usize),
    /// One entry is not a multiaddr.
    #[error("listeners: entry {index} is not a multiaddr: {reason}")]
    Multiaddr {
        /// Position in the list.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The key is not a libp2p peer id.
    #[error("key is not a libp2p peer id: {0}")]
    Key(String),
    /// A `/p2p/` suffix names another peer than the key.
    #[error("listener {addr} names another peer than the key")]
    OtherPeer {
        /// The address.
        addr: String,
    },
}

/// Encodes `addrs` (their `/p2p/` suffixes removed) as a listener list.
pub fn encode_listeners(addrs: &[Multiaddr]) -> Bytes {
    let raw: Vec<Bytes> =
        addrs.iter().take(MAX_LISTENERS).map(|a| Bytes::from(without_peer(a).to_vec())).collect();
    Bytes::from(crate::wire::encode_params(&raw))
}

/// Decodes a listener list. An address with a `/p2p/` suffix must name `peer`; the suffix
/// is removed.
pub fn decode_listeners(bytes: &[u8], peer: &PeerId) -> Result<Vec<Multiaddr>, AddrError> {
    let raw = crate::wire::decode_params(bytes)?;
    if raw.len() > MAX_LISTENERS {
        return Err(AddrError::TooMany(raw.len()));
    }
    raw.iter()
        .enumerate()
        .map(|(index, entry)| {
            if entry.len() > MAX_ADDR_BYTES {
                let reason = format!("{} bytes, at most {MAX_ADDR_BYTES}", entry.len());
                return Err(AddrError::Multiaddr { index, reason });
            }
            let addr = Multiaddr::try_from(entry.to_vec())
                .map_err(|e| AddrError::Multiaddr { index, reason: e.to_string() })?;
            match addr.iter().last() {
                Some(Protocol::P2p(id)) if &id != peer => {
                    Err(AddrError::OtherPeer { addr: addr.to_string() })
                }
                _ => Ok(without_peer(&addr)),
            }
        })
        .collect()
}

/// Parses a dial target's key.
pub fn decode_key(key: &[u8]) -> Result<PeerId, AddrError> {
    PeerId::from_bytes(key).map_err(|e| AddrError::Key(e.to_string()))
}

/// `addr` without a trailing `/p2p/<id>`.
pub(crate) fn without_peer(addr: &Multiaddr) -> Multiaddr {
    let mut addr = addr.clone();
    if matches!(addr.iter().last(), Some(Protocol::P2p(_))) {
        addr.pop();
    }
    addr
}

/// The IP of an address, if it starts with one.
fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
    match addr.iter().next()? {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    }
}

/// True if a peer elsewhere could never dial this address: unspecified, or link-local IPv6
/// (which needs a scope that a multiaddr cannot carry).
fn undialable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast(),
        IpAddr::V6(v6) => {
            v6.is_unspecified() || v6.is_multicast() || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The addresses to announce out of the concrete listen addresses: never unspecified or
/// link-local ones, and loopback only when there is nothing else (a node listening on
/// loopback only, as in tests, is reachable from its own host only).
pub fn announceable(listen: &[Multiaddr]) -> Vec<Multiaddr> {
    let usable: Vec<&Multiaddr> =
        listen.iter().filter(|a| ip_of(a).is_some_and(|ip| !undialable(ip))).collect();
    let public: Vec<Multiaddr> = usable
        .iter()
        .filter(|a| ip_of(a).is_some_and(|ip| !ip.is_loopback()))
        .map(|a| (*a).clone())
        .collect();
    let chosen = if public.is_empty() { usable.into_iter().cloned().collect() } else { public };
    let mut unique = Vec::new();
    for addr in chosen {
        if !unique.contains(&addr) {
            unique.push(addr);
        }
    }
    unique
}

/// The concrete addresses a listener on `addr` answers on: `addr` itself unless its IP is
/// unspecified, else one address per local interface of the same IP version (`interfaces`).
pub(crate) fn expand(addr: &Multiaddr, interfaces: &[IpAddr]) -> Vec<Multiaddr> {
    let Some(ip) = ip_of(addr) else { return vec![addr.clone()] };
    if !ip.is_unspecified() {
        return vec![addr.clone()];
    }
    interfaces
        .iter()
        .filter(|i| i.is_ipv4() == ip.is_ipv4())
        .map(|i| {
            let mut out = Multiaddr::empty();
            out.push(match i {
                IpAddr::V4(v4) => Protocol::Ip4(*v4),
                IpAddr::V6(v6) => Protocol::Ip6(*v6),
            });
            for p in addr.iter().skip(1) {
                out.push(p);
            }
            out
        })
        .collect()
}

/// The IP addresses of the host's interfaces (loopback included).
pub(crate) fn interfaces() -> Vec<IpAddr> {
    let mut ips = vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)];
    match nix::ifaddrs::getifaddrs() {
        Ok(list) => {
            for entry in list {
                let Some(address) = entry.address else { continue };
                let ip = if let Some(v4) = address.as_sockaddr_in() {
                    IpAddr::V4(v4.ip())
                } else if let Some(v6) = address.as_sockaddr_in6() {
                    IpAddr::V6(v6.ip())
                } else {
                    continue;
                };
                if !ips.contains(&ip) {
                    ips.push(ip);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot list the network interfaces"),
    }
    ips
}

#[cfg(test)]
mod tests;
