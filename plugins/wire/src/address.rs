//! Packed listener addresses (bitmarkd's `util/canonical.go`), protocol §3.4.
//!
//! A packed list is a concatenation of records `[len][port_hi][port_lo][ip…]` with `len` = 7
//! (4-byte IPv4) or 19 (16-byte IPv6, or IPv4 mapped as `::ffff:a.b.c.d`). Like Go's
//! `net.ParseIP`, parsing keeps IPv4 text in the 16-byte mapped form, so the records peerd
//! writes are 19 bytes even for IPv4; 7-byte records from peers are kept as they are.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Length byte of an IPv4 record.
pub const RECORD_V4: u8 = 7;
/// Length byte of an IPv6 (or IPv4-mapped) record.
pub const RECORD_V6: u8 = 19;

/// Why a `host:port` text was rejected. The texts of the last two are bitmarkd's fault
/// texts (`invalid ip address`, `invalid port number`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The text has no `:port` part (Go: `missing port in address`).
    #[error("address {0:?}: missing port in address")]
    MissingPort(String),
    /// The host is not an IP address (bitmarkd would try DNS, which a peer address must
    /// not need; peerd rejects host names) or the text is malformed.
    #[error("invalid ip address")]
    InvalidIpAddress,
    /// The port is not a number in 1..=65535.
    #[error("invalid port number")]
    InvalidPortNumber,
}

/// A listener address: an IP in the form it was parsed or unpacked in, and a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Connection {
    ip: IpAddr,
    port: u16,
}

impl Connection {
    /// Builds a connection from an IP (kept as given: V4 packs as 7 bytes, V6 as 19) and a port.
    pub fn new(ip: IpAddr, port: u16) -> Self {
        Connection { ip, port }
    }

    /// Parses `host:port` like bitmarkd's `NewConnection`: spaces around host and port are
    /// trimmed, `[v6]:port` brackets are required for IPv6, `*` means `::`, the port must be
    /// 1..=65535. IPv4 is stored IPv4-mapped (Go's 16-byte form).
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let (host, port) = split_host_port(text)?;
        let host = host.trim();
        let ip = if host == "*" {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else if let Ok(v4) = host.parse::<Ipv4Addr>() {
            IpAddr::V6(v4.to_ipv6_mapped())
        } else {
            IpAddr::V6(host.parse::<Ipv6Addr>().map_err(|_| AddressError::InvalidIpAddress)?)
        };
        let port: i64 = port.trim().parse().map_err(|_| AddressError::InvalidPortNumber)?;
        let port =
            u16::try_from(port).ok().filter(|p| *p >= 1).ok_or(AddressError::InvalidPortNumber)?;
        Ok(Connection { ip, port })
    }

    /// The IP as stored (IPv4 text parses to the mapped IPv6 form).
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The canonical socket address: IPv4-mapped addresses become IPv4.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.canonical_ip(), self.port)
    }

    /// False iff the IP is IPv4 or IPv4-mapped (Go's `To4() != nil`).
    pub fn is_ipv6(&self) -> bool {
        self.canonical_ip().is_ipv6()
    }

    fn canonical_ip(&self) -> IpAddr {
        match self.ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            },
            v4 => v4,
        }
    }

    /// Appends the packed record (7 bytes for a V4 IP, 19 for V6) to `out`.
    pub fn pack_into(&self, out: &mut Vec<u8>) {
        let [hi, lo] = self.port.to_be_bytes();
        match self.ip {
            IpAddr::V4(v4) => {
                out.extend_from_slice(&[RECORD_V4, hi, lo]);
                out.extend_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                out.extend_from_slice(&[RECORD_V6, hi, lo]);
                out.extend_from_slice(&v6.octets());
            }
        }
    }

    /// The packed record.
    pub fn pack(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(usize::from(RECORD_V6));
        self.pack_into(&mut out);
        out
    }

    /// Unpacks one record from the front of `packed`: the connection and the bytes used, or
    /// `None` for a bad length byte or truncated data (bitmarkd's `Unpack`; a 19-byte record
    /// with fewer than 19 bytes left, which Go mishandles, is a bad record here).
    #[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
    pub fn unpack(packed: &[u8]) -> Option<(Self, usize)> {
        let (&len, _) = packed.split_first()?;
        if len != RECORD_V4 && len != RECORD_V6 {
            return None;
        }
        let record = packed.get(..usize::from(len))?;
        let (_, rest) = record.split_first()?;
        let (port, ip) = rest.split_first_chunk::<2>()?;
        let port = u16::from_be_bytes(*port);
        let ip = match len {
            RECORD_V4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(ip).ok()?)),
            RECORD_V6 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(ip).ok()?)),
            _ => return None,
        };
        Some((Connection { ip, port }, record.len()))
    }
}

impl fmt::Display for Connection {
    /// Canonical text: `127.0.0.1:1234` or `[::1]:1234`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.socket_addr(), f)
    }
}

impl std::str::FromStr for Connection {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Connection::parse(s)
    }
}

/// Splits `host:port` like Go's `net.SplitHostPort` (brackets required around IPv6).
fn split_host_port(text: &str) -> Result<(&str, &str), AddressError> {
    let missing = || AddressError::MissingPort(text.to_owned());
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(AddressError::InvalidIpAddress)?;
        if host.contains('[') {
            return Err(AddressError::InvalidIpAddress);
        }
        return match after.strip_prefix(':') {
            Some(port) if !port.contains([':', '[', ']']) => Ok((host, port)),
            Some(_) => Err(AddressError::InvalidIpAddress),
            None => Err(missing()),
        };
    }
    let (host, port) = text.rsplit_once(':').ok_or_else(missing)?;
    if host.contains([':', '[', ']']) || port.contains([']']) {
        return Err(AddressError::InvalidIpAddress);
    }
    Ok((host, port))
}

/// Unpacks records from the front of `packed` until the first bad one; returns the
/// connections and the bytes they used (everything after a bad record is ignored).
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub fn unpack_list(packed: &[u8]) -> (Vec<Connection>, usize) {
    let mut list = Vec::new();
    let mut rest = packed;
    while let Some((conn, n)) = Connection::unpack(rest) {
        list.push(conn);
        rest = rest.get(n..).unwrap_or_default();
    }
    (list, packed.len().saturating_sub(rest.len()))
}

/// The first IPv4 and the first IPv6 connection of a packed list, stopping at the first bad
/// record (bitmarkd's `Unpack46`).
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub fn unpack46(packed: &[u8]) -> (Option<Connection>, Option<Connection>) {
    let (mut v4, mut v6) = (None, None);
    let mut rest = packed;
    while let Some((conn, n)) = Connection::unpack(rest) {
        rest = rest.get(n..).unwrap_or_default();
        let slot = if conn.is_ipv6() { &mut v6 } else { &mut v4 };
        slot.get_or_insert(conn);
        if v4.is_some() && v6.is_some() {
            break;
        }
    }
    (v4, v6)
}

/// Packs a list of connections (a node's announced listeners, in config order).
pub fn pack_list(list: &[Connection]) -> Vec<u8> {
    let mut out = Vec::with_capacity(list.len() * usize::from(RECORD_V6));
    for conn in list {
        conn.pack_into(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_and_short_records() {
        let c = Connection::parse("[::ffff:10.1.2.3]:80").unwrap();
        assert_eq!((c.to_string(), c.is_ipv6()), ("10.1.2.3:80".to_owned(), false));
        // A 7-byte record stays 7 bytes.
        let seven = [7, 0x08, 0xae, 192, 168, 0, 1];
        let (conn, used) = Connection::unpack(&seven).unwrap();
        assert_eq!(
            (conn.to_string(), used, conn.pack()),
            ("192.168.0.1:2222".to_owned(), 7, seven.to_vec())
        );
        // Length byte 19 with fewer bytes left is a bad record (Go reads past the end).
        assert_eq!(Connection::unpack(&[19, 0, 1, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(Connection::unpack(&[2]), None);
        assert_eq!(unpack_list(&[seven.as_slice(), &[19, 1]].concat()), (vec![conn], 7));
    }

    #[test]
    fn parse_errors_and_spaces() {
        let c = Connection::parse(" 127.0.0.1 : 2136 ").unwrap();
        assert_eq!(c.to_string(), "127.0.0.1:2136");
        assert_eq!(Connection::parse("localhost:2136"), Err(AddressError::InvalidIpAddress));
        assert_eq!(Connection::parse("::1:2136"), Err(AddressError::InvalidIpAddress));
        assert_eq!(Connection::parse("[::1]:x"), Err(AddressError::InvalidPortNumber));
        assert_eq!(Connection::parse("[::1]:-1"), Err(AddressError::InvalidPortNumber));
        assert!(matches!(Connection::parse("[::1]"), Err(AddressError::MissingPort(_))));
        assert_eq!(AddressError::InvalidPortNumber.to_string(), "invalid port number");
        assert_eq!(AddressError::InvalidIpAddress.to_string(), "invalid ip address");
    }
}
