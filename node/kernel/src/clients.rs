//! The inbound client pool: who may stay connected when there is no room for everyone, as
//! pure logic with time passed in (modelled on go-ethereum's les/vflux `ClientPool`).
//!
//! Every inbound client ([`ClientId`]: a transport and the key it knows the client by) has
//! two balances, in credits. The *positive* balance is given from outside
//! ([`ClientPool::add_positive`]: the operator's `[clients] positive` table, or a plugin
//! rewarding a client); the *negative* balance is debt. While connected a client costs
//! `time_price` per second, `capacity_price` per second and unit of the capacity it
//! connected with, and `request_price` per request served ([`ClientPool::served`]). A
//! cost is paid from the positive balance while it lasts; the rest is added to the
//! negative balance. Both balances decay exponentially, `b(t) = b(t0)·exp(−(t−t0)/τ)`, each
//! with its own time constant (`positive_decay`, `negative_decay`; zero means never), so
//! a reward fades if unused and an old debt is forgiven in time. Decay and the cost of
//! connected time are applied lazily, whenever a client is touched or read.
//!
//! A client's *priority* is what it can still pay: with a positive balance `p`, the
//! seconds of connection `p` buys at its capacity (`p / (time_price + capacity_price ·
//! capacity)`, or `p` itself when connecting is free); without one, minus its debt. When
//! the pool is full (`max_inbound` clients, or `max_capacity` units), a newcomer takes the
//! place of the connected clients of lowest priority if its priority is strictly higher
//! than each of theirs — where a connected client's priority counts `connected_bias`
//! seconds more, so that a marginally better newcomer does not throw it out at once.
//! Either the newcomer fits after evicting such clients or nobody is evicted. A client
//! whose debt passes `evict_below` is refused, and disconnected by [`ClientPool::tick`]
//! even when there is room. Pinned clients (the operator's `pinned` list and our static
//! peers) are always admitted and never evicted; they count towards the limits.
//!
//! Clients that are not connected are remembered for `inactive_timeout` after their last
//! activity, and for as long as a balance of theirs is at or above `floor`: those are the
//! balances kept in the store ([`persist`]), with the time they were valid at, so that a
//! restart neither forgives a debt nor stops decay. Memory is bounded ([`MAX_TRACKED`]).
//!
//! All times are Unix milliseconds (`now_ms`), the only clock that survives a restart.

use std::fmt;
use std::str::FromStr;

use peerd_api::bytes::Bytes;

mod admission;
mod balance;
mod config;
mod gate;
pub mod persist;
mod pool;
mod snapshot;

pub use admission::{Admission, Refusal};
pub use balance::Balances;
pub use config::{BadEntry, ClientsConfig, ClientsConfigError, ValidClients};
pub use gate::{Clients, TransportGate, PEER_CAPACITY};
pub use persist::Record;
pub use pool::ClientPool;
pub use snapshot::{ClientView, PoolCounts, PoolSnapshot};

/// Most clients remembered at once, connected or not. Past it the inactive client with the
/// smallest balances (then the longest idle) is forgotten.
pub const MAX_TRACKED: usize = 10_000;

/// Longest transport name a [`ClientId`] can be stored with (its length is one byte).
pub const MAX_TRANSPORT_LEN: usize = 255;

/// An inbound client: the transport it came over and the key that transport knows it by
/// (a CURVE public key for ZeroMQ, a libp2p peer id's bytes). Shown as `transport:hexkey`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Ord, PartialOrd)]
pub struct ClientId(String, Bytes);

impl ClientId {
    /// The client known as `key` on `transport`.
    pub fn new(transport: impl Into<String>, key: impl Into<Bytes>) -> Self {
        Self(transport.into(), key.into())
    }

    /// The transport's name (`"zmq"`, `"libp2p"`, `"memory"`).
    pub fn transport(&self) -> &str {
        &self.0
    }

    /// The key bytes.
    pub fn key(&self) -> &[u8] {
        &self.1
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)?;
        f.write_str(":")?;
        for byte in self.1.iter() {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// Why a text is not a `transport:hexkey` client id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientIdError {
    /// No `:` between the transport and the key.
    #[error("expected `transport:hexkey`")]
    NoSeparator,
    /// The transport name is empty, too long, or not made of `[A-Za-z0-9._-]`.
    #[error("the transport name must be 1 to {MAX_TRANSPORT_LEN} of [A-Za-z0-9._-]")]
    BadTransport,
    /// The key is empty, of odd length, or not hexadecimal.
    #[error("the key must be a non-empty, even-length hexadecimal string")]
    BadKey,
}

impl FromStr for ClientId {
    type Err = ClientIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (transport, key) = text.split_once(':').ok_or(ClientIdError::NoSeparator)?;
        let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if transport.is_empty()
            || transport.len() > MAX_TRANSPORT_LEN
            || !transport.chars().all(name_char)
        {
            return Err(ClientIdError::BadTransport);
        }
        let key = decode_hex(key).ok_or(ClientIdError::BadKey)?;
        Ok(Self::new(transport, key))
    }
}

/// The bytes of a non-empty, even-length hexadecimal string.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| char::from(b).to_digit(16);
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok())
        .collect()
}

#[cfg(test)]
mod tests;
