//! Listener addresses the public internet cannot reach: private, loopback, link-local,
//! shared, unspecified, multicast, documentation ranges and unique-local IPv6. On the
//! `bitmark` and `testing` chains (or with `public_listeners_only = true`) a peer whose
//! listeners point into one of them does not enter the table: nobody outside could dial it,
//! and a forged announcement must not make every node dial into its own network.
//!
//! Listeners are the transport's format; two are read here: ZeroMQ's (bitmarkd's packed
//! records, `peerd_wire::address`) and libp2p's (a CBOR array of byte strings, each a binary
//! multiaddr whose first component is `/ip4` or `/ip6`, or a name, which is not judged).
//! Listeners of other transports, or that do not parse, are not judged either.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The chains whose peers must announce public addresses unless configured otherwise.
pub(crate) fn public_by_default(chain: &str) -> bool {
    matches!(chain, "bitmark" | "testing")
}

/// True if any listener of `transport` in `listeners` is an address outsiders cannot reach.
pub(crate) fn points_inside(transport: &str, listeners: &[u8]) -> bool {
    addresses(transport, listeners).is_some_and(|ips| ips.into_iter().any(internal))
}

/// The IP addresses in `listeners`, when the transport's format is known and they parse.
fn addresses(transport: &str, listeners: &[u8]) -> Option<Vec<IpAddr>> {
    match transport {
        "zmq" => {
            let (connections, _) = peerd_wire::address::unpack_list(listeners);
            Some(connections.iter().map(|c| c.socket_addr().ip()).collect())
        }
        "libp2p" => cbor_byte_strings(listeners)?.into_iter().map(multiaddr_ip).collect(),
        _ => None,
    }
}

/// Whether `ip` is outside the public unicast space.
pub(crate) fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => internal_v4(v4),
            None => internal_v6(v6),
        },
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || (a == 100 && (64..128).contains(&b)) // shared address space, 100.64.0.0/10
        || a == 0
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation, 2001:db8::/32
}

/// The byte strings of a CBOR array of byte strings; `None` if it is not one.
fn cbor_byte_strings(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let (count, mut rest) = cbor_head(bytes, 4)?;
    let mut out = Vec::new();
    for _ in 0..count {
        let (len, after) = cbor_head(rest, 2)?;
        let len = usize::try_from(len).ok()?;
        let item = after.get(..len)?;
        out.push(item);
        rest = after.get(len..)?;
    }
    Some(out)
}

/// A CBOR head of major type `major`: its argument and the bytes after it.
fn cbor_head(bytes: &[u8], major: u8) -> Option<(u64, &[u8])> {
    let (&first, rest) = bytes.split_first()?;
    if first >> 5 != major {
        return None;
    }
    let width = match first & 0x1f {
        small @ 0..=23 => return Some((u64::from(small), rest)),
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
        _ => return None,
    };
    let field = rest.get(..width)?;
    let value = field.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    Some((value, rest.get(width..)?))
}

/// The IP address of a binary multiaddr starting with `/ip4` or `/ip6`; for one starting
/// with anything else (a DNS name), the unspecified address is not claimed: `None` fails
/// the whole judgement, so such listeners pass.
fn multiaddr_ip(addr: &[u8]) -> Option<IpAddr> {
    match addr.split_first()? {
        (4, rest) => {
            let octets: [u8; 4] = rest.get(..4)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(octets)))
        }
        (0x29, rest) => {
            let octets: [u8; 16] = rest.get(..16)?.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peerd_wire::address::Connection;

    fn zmq(addrs: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for a in addrs {
            a.parse::<Connection>().unwrap().pack_into(&mut out);
        }
        out
    }

    /// A CBOR array of `/ip4/a.b.c.d/tcp/port` multiaddrs.
    fn libp2p(ips: &[[u8; 4]]) -> Vec<u8> {
        let mut out = vec![0x80 | u8::try_from(ips.len()).unwrap()];
        for ip in ips {
            let addr = [&[4u8][..], ip, &[6, 0x08, 0x68]].concat(); // /ip4/…/tcp/2152
            out.push(0x40 | u8::try_from(addr.len()).unwrap());
            out.extend_from_slice(&addr);
        }
        out
    }

    #[test]
    fn private_loopback_and_link_local_listeners_point_inside() {
        for inside in [
            "10.1.2.3:2136",
            "127.0.0.1:2136",
            "192.168.0.9:2136",
            "169.254.1.1:2136",
            "[fe80::1]:2136",
            "[::1]:2136",
            "[fd00::5]:2136",
            "100.64.0.1:2136",
        ] {
            assert!(points_inside("zmq", &zmq(&[inside])), "{inside}");
        }
        assert!(!points_inside("zmq", &zmq(&["203.0.114.7:2136", "[2a01:4f8::1]:2136"])));
        assert!(points_inside("zmq", &zmq(&["8.8.8.8:2136", "10.0.0.1:2136"])), "one is enough");
        assert!(points_inside("libp2p", &libp2p(&[[192, 168, 1, 4]])));
        assert!(!points_inside("libp2p", &libp2p(&[[8, 8, 4, 4]])));
        assert!(!points_inside("libp2p", b"not cbor"), "unreadable: not judged");
        assert!(!points_inside("memory", b"anything"), "unknown transport: not judged");
        assert!(public_by_default("bitmark") && public_by_default("testing"));
        assert!(!public_by_default("local") && !public_by_default("dev"));
    }
}
