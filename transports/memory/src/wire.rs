//! What travels on the memory net, and how big it would be on bitmarkd's wire.
//!
//! Messages pass as values, but sizes are counted as the ZeroMQ frames would be
//! (`[chain, command, params…]` for requests, `[command, payload…]` for replies), so that the
//! `MAX_MESSAGE_BYTES` limit bites where it would on the real transport.

use peerd_api::{Request, Response};
use tokio::sync::mpsc;

/// A request on its way to a server.
#[derive(Clone, Debug)]
pub(crate) struct Envelope {
    /// The requester's node name.
    pub(crate) from: String,
    /// The chain name the requester sent (frame 0).
    pub(crate) chain: String,
    /// Sequence number on the requester's connection, echoed in the reply.
    pub(crate) seq: u64,
    /// The request.
    pub(crate) request: Request,
    /// Size on the wire, computed by the sender.
    pub(crate) size: usize,
    /// The requester's reply channel.
    pub(crate) reply_to: mpsc::Sender<Reply>,
}

/// A reply on its way back to a requester.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    /// The sequence number of the request it answers.
    pub(crate) seq: u64,
    /// The answer.
    pub(crate) response: Response,
    /// Size on the wire.
    pub(crate) size: usize,
}

/// Anything the net carries.
#[derive(Clone, Debug)]
pub(crate) enum Parcel {
    /// A request for the listener registered at `epoch`.
    Request {
        /// The listener incarnation it was sent to; a restarted listener does not get it.
        epoch: u64,
        /// The request.
        envelope: Envelope,
    },
    /// A reply.
    Reply {
        /// Where it goes.
        reply_to: mpsc::Sender<Reply>,
        /// The reply.
        reply: Reply,
    },
}
