//! What travels on `/peerd/<chain>/sync/1`: requests and replies in CBOR (ciborium).
//!
//! The layout is this module's own (not the serde shape of `peerd-api`'s types), so that the
//! protocol stays stable when the API evolves:
//!
//! - request: a map `{chain: text, body: Body}`, where `Body` is an externally tagged enum:
//!   `"info"`, `"height"`, `{"digest": uint}`, `{"block": uint}`,
//!   `{"register": {chain, public_key: bytes, listeners: bytes, timestamp: uint}}`,
//!   `{"gossip": {kind: text, params: [bytes]}}`;
//! - reply: `{"info": {version, chain, normal, height}}`, `{"height": uint}`,
//!   `{"digest": bytes(32)}`, `{"block": bytes}`, `{"register": …}`, `"ack"`,
//!   `{"reply": [bytes]}`, `{"error": text}`.
//!
//! Sizes are counted as bitmarkd counts its frames (`Request::wire_size`, `Response::wire_size`), so
//! that [`MAX_MESSAGE_BYTES`] bites exactly where it does on the ZeroMQ transport; the CBOR
//! frame itself may exceed that by at most [`FRAME_ALLOWANCE`] bytes of framing.

use bytes::Bytes;
use peerd_api::{
    Digest, Item, ItemKind, NodeInfo, Registration, Request, Response, MAX_MESSAGE_BYTES,
};
use serde::{Deserialize, Serialize};

/// Extra bytes a CBOR frame may take beyond [`MAX_MESSAGE_BYTES`] of payload: map keys,
/// tags and length headers.
pub const FRAME_ALLOWANCE: usize = 64 * 1024;

/// The largest CBOR frame read from or written to a stream.
pub const MAX_FRAME_BYTES: usize = MAX_MESSAGE_BYTES + FRAME_ALLOWANCE;

/// A request as it travels.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WireRequest {
    /// The requester's chain (bitmarkd's frame 0).
    pub(crate) chain: String,
    /// What is asked.
    pub(crate) body: Body,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Body {
    Info,
    Height,
    Digest(u64),
    Block(u64),
    Register(WireRegistration),
    Gossip { kind: String, params: Vec<Bytes> },
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WireRegistration {
    chain: String,
    public_key: Bytes,
    listeners: Bytes,
    timestamp: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WireResponse {
    Info { version: String, chain: String, normal: bool, height: u64 },
    Height(u64),
    Digest(Bytes),
    Block(Bytes),
    Register(WireRegistration),
    Ack,
    Reply(Vec<Bytes>),
    Error(String),
}

impl From<Registration> for WireRegistration {
    fn from(r: Registration) -> Self {
        Self {
            chain: r.chain,
            public_key: r.public_key,
            listeners: r.listeners,
            timestamp: r.timestamp,
        }
    }
}

impl From<WireRegistration> for Registration {
    fn from(r: WireRegistration) -> Self {
        Self {
            chain: r.chain,
            public_key: r.public_key,
            listeners: r.listeners,
            timestamp: r.timestamp,
        }
    }
}

/// Why bytes from a peer are not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The bytes are not CBOR of the expected shape.
    #[error("undecodable CBOR: {0}")]
    Cbor(String),
    /// A gossip item names an impossible kind.
    #[error("invalid item kind: {0}")]
    Kind(String),
    /// A digest is not 32 bytes long.
    #[error("digest of {0} bytes, expected 32")]
    DigestLength(usize),
}

fn to_cbor<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Serialising plain structs of strings, integers and byte strings into a Vec cannot fail.
    if let Err(e) = ciborium::into_writer(value, &mut out) {
        tracing::error!(error = %e, "CBOR encoding failed");
    }
    out
}

fn from_cbor<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    ciborium::from_reader(bytes).map_err(|e| WireError::Cbor(e.to_string()))
}

/// Encodes a request of `chain`.
pub fn encode_request(chain: &str, request: Request) -> Vec<u8> {
    let body = match request {
        Request::Info => Body::Info,
        Request::Height => Body::Height,
        Request::Digest(n) => Body::Digest(n),
        Request::Block(n) => Body::Block(n),
        Request::Register(r) => Body::Register(r.into()),
        Request::Gossip(item) => Body::Gossip { kind: item.kind.to_string(), params: item.params },
    };
    to_cbor(&WireRequest { chain: chain.to_owned(), body })
}

/// Decodes a request; the chain is returned for the caller to check.
///
/// # Errors
///
/// [`WireError`] for bytes that are not a request of this layout.
pub fn decode_request(bytes: &[u8]) -> Result<(String, Request), WireError> {
    let wire: WireRequest = from_cbor(bytes)?;
    let request = match wire.body {
        Body::Info => Request::Info,
        Body::Height => Request::Height,
        Body::Digest(n) => Request::Digest(n),
        Body::Block(n) => Request::Block(n),
        Body::Register(r) => Request::Register(r.into()),
        Body::Gossip { kind, params } => Request::Gossip(Item::new(parse_kind(&kind)?, params)),
    };
    Ok((wire.chain, request))
}

/// Encodes a reply.
pub fn encode_response(response: Response) -> Vec<u8> {
    let wire = match response {
        Response::Info(i) => WireResponse::Info {
            version: i.version,
            chain: i.chain,
            normal: i.normal,
            height: i.height,
        },
        Response::Height(h) => WireResponse::Height(h),
        Response::Digest(d) => WireResponse::Digest(Bytes::copy_from_slice(d.as_bytes())),
        Response::Block(b) => WireResponse::Block(b),
        Response::Register(r) => WireResponse::Register(r.into()),
        Response::Ack => WireResponse::Ack,
        Response::Reply(frames) => WireResponse::Reply(frames),
        Response::Error(text) => WireResponse::Error(text),
    };
    to_cbor(&wire)
}

/// Decodes a reply.
///
/// # Errors
///
/// [`WireError`] for bytes that are not a reply of this layout.
pub fn decode_response(bytes: &[u8]) -> Result<Response, WireError> {
    Ok(match from_cbor(bytes)? {
        WireResponse::Info { version, chain, normal, height } => {
            Response::Info(NodeInfo { version, chain, normal, height })
        }
        WireResponse::Height(h) => Response::Height(h),
        WireResponse::Digest(raw) => {
            Response::Digest(Digest::from_slice(&raw).ok_or(WireError::DigestLength(raw.len()))?)
        }
        WireResponse::Block(b) => Response::Block(b),
        WireResponse::Register(r) => Response::Register(r.into()),
        WireResponse::Ack => Response::Ack,
        WireResponse::Reply(frames) => Response::Reply(frames),
        WireResponse::Error(text) => Response::Error(text),
    })
}

/// Encodes the parameters of a gossip item for gossipsub (the kind is the topic's).
pub fn encode_params(params: &[Bytes]) -> Vec<u8> {
    to_cbor(&params)
}

/// Decodes the parameters of a gossipsub message.
///
/// # Errors
///
/// [`WireError`] unless the bytes are a CBOR array of byte strings.
pub fn decode_params(bytes: &[u8]) -> Result<Vec<Bytes>, WireError> {
    from_cbor(bytes)
}

fn parse_kind(kind: &str) -> Result<ItemKind, WireError> {
    kind.parse().map_err(|e: peerd_api::ItemKindError| WireError::Kind(e.to_string()))
}

#[cfg(test)]
mod tests;
