//! Who may stay connected: the seam between a transport's inbound side and the kernel's
//! client pool (`peerd_kernel::clients`, go-ethereum's vflux model).
//!
//! The kernel hands each transport its [`Gate`] once, at start, with
//! [`crate::TransportCommand::Admit`]. The transport asks it about every inbound client
//! when that client has proved its identity (the CURVE handshake on ZeroMQ, the noise
//! handshake on libp2p), tells it about the requests it serves and when the client has
//! left. A client the pool evicts later, to make room for a better one or for its debt,
//! is named to its transport with [`crate::TransportCommand::Evict`]. A transport that
//! never received a gate admits everyone, as bitmarkd does.
//!
//! The calls are synchronous and cheap (a short lock on the pool, no I/O), so a socket
//! thread may make them while it answers a handshake.

use std::fmt;

use crate::PeerId;

/// Why a client was not admitted. Its text is what a transport may show the client (the
/// ZAP status text on ZeroMQ).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Refused {
    /// The pool is full and the client's priority is not higher than the connected ones'.
    #[error("pool full")]
    PoolFull,
    /// The client asked for more capacity than the whole pool has.
    #[error("capacity too large")]
    CapacityTooLarge,
    /// The client's debt is past the pool's eviction threshold.
    #[error("indebted")]
    Indebted,
    /// Its address already has as many clients connected as a transport allows one
    /// address (a transport's own limit, checked before the pool is asked).
    #[error("too many clients from this address")]
    PerIp,
}

impl Refused {
    /// A fixed word for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            Refused::PoolFull => "pool_full",
            Refused::CapacityTooLarge => "capacity",
            Refused::Indebted => "indebted",
            Refused::PerIp => "per_ip",
        }
    }
}

/// The kernel's admission of inbound clients on one transport. Clients are named as the
/// transport names them (a CURVE public key, a libp2p peer id's bytes).
pub trait Gate: Send + Sync + fmt::Debug + 'static {
    /// `client` has finished its handshake: admit it, or say why not. Admitting a client
    /// that is already connected changes nothing.
    ///
    /// # Errors
    ///
    /// [`Refused`] when the client may not connect: close (or never open) its connection.
    fn admit(&self, client: &PeerId) -> Result<(), Refused>;

    /// `client` was served `requests` requests (each costs it the pool's request price).
    fn served(&self, client: &PeerId, requests: u64);

    /// `client` has no connection left.
    fn left(&self, client: &PeerId);

    /// Whether `client` is pinned (the operator's choice or one of our static peers): a
    /// transport then lets it past its own per-address limits too.
    fn is_pinned(&self, client: &PeerId) -> bool {
        let _ = client;
        false
    }
}
