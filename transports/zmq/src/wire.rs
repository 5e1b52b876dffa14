//! bitmarkd's frames (protocol §2): requests `[chain, command, params…]`, replies
//! `[command, payload…]` and errors `["E", text]`, both directions.
//!
//! The server side ([`decode_request`], [`encode_response`]) never panics on arbitrary
//! frames; the client side ([`encode_request`], [`decode_response`]) applies bitmarkd's
//! client checks (`invalid peer response`).

use bytes::Bytes;
use peerd_api::{Digest, Item, NodeInfo, Registration, Request, Response};

pub use peerd_api::invalid_chain_text;

/// bitmarkd's error texts the listener sends itself (protocol §6).
pub mod texts {
    /// Fewer than two frames.
    pub const PACKET_TOO_SHORT: &str = "packet too short";
    /// Wrong parameter count for `H`, `B` or `R`.
    pub const MISSING_PARAMETERS: &str = "missing parameters";
    /// `H`/`B` parameter that is not 8 bytes (or a block the node does not have).
    pub const BLOCK_NOT_FOUND: &str = "block not found";
    /// `R` for another chain.
    pub const INCORRECT_CHAIN: &str = "incorrect chain";
    /// `R` whose timestamp frame is not 8 bytes. bitmarkd panics here (it reads 8 bytes
    /// without a length check); peerd answers with its `fault.InvalidTimestamp` text.
    pub const INVALID_TIMESTAMP: &str = "invalid timestamp";
    /// The kernel dropped the reply slot or did not answer in time (peerd only).
    pub const UNANSWERED: &str = "request not answered";
    /// A reply that fails bitmarkd's client checks.
    pub const INVALID_PEER_RESPONSE: &str = "invalid peer response";
}

/// The error command frame.
const ERROR: &[u8] = b"E";
/// The acknowledgement payload of a gossip push.
const ACK: &[u8] = b"A";

/// What the listener does with one request body (the frames after the envelope).
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Answer at once with these frames; the kernel never sees the request.
    Reply(Vec<Bytes>),
    /// Hand the request to the kernel; `command` is the command frame, echoed in the reply.
    Forward {
        /// The command frame as received.
        command: Bytes,
        /// The request.
        request: Request,
    },
}

fn error(text: impl Into<Bytes>) -> Decoded {
    Decoded::Reply(vec![Bytes::from_static(ERROR), text.into()])
}

fn be64(frame: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(frame).ok().map(u64::from_be_bytes)
}

/// Decodes a request body as bitmarkd's listener does (`peer/listener.go`).
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub fn decode_request(chain: &str, body: Vec<Bytes>) -> Decoded {
    let mut frames = body.into_iter();
    let (Some(chain_frame), Some(command)) = (frames.next(), frames.next()) else {
        return error(texts::PACKET_TOO_SHORT);
    };
    if chain_frame != chain.as_bytes() {
        return error(invalid_chain_text(&chain_frame, chain));
    }
    let params: Vec<Bytes> = frames.collect();
    let request = match command.as_ref() {
        b"I" => Request::Info,
        b"N" => Request::Height,
        b"H" | b"B" => {
            let [number] = params.as_slice() else { return error(texts::MISSING_PARAMETERS) };
            let Some(n) = be64(number) else { return error(texts::BLOCK_NOT_FOUND) };
            if command.as_ref() == b"H" {
                Request::Digest(n)
            } else {
                Request::Block(n)
            }
        }
        b"R" => {
            let [their_chain, public_key, listeners, timestamp, ..] = params.as_slice() else {
                return error(texts::MISSING_PARAMETERS);
            };
            if their_chain != chain.as_bytes() {
                return error(texts::INCORRECT_CHAIN);
            }
            let Some(timestamp) = be64(timestamp) else {
                return error(texts::INVALID_TIMESTAMP);
            };
            Request::Register(Registration {
                chain: chain.to_owned(),
                public_key: public_key.clone(),
                listeners: listeners.clone(),
                timestamp,
            })
        }
        other => {
            let kind = std::str::from_utf8(other).ok().and_then(|s| s.parse().ok());
            let Some(kind) = kind else {
                // Not a kind any handler can take; bitmarkd acknowledges every command.
                return Decoded::Reply(vec![command, Bytes::from_static(ACK)]);
            };
            Request::Gossip(Item::new(kind, params))
        }
    };
    Decoded::Forward { command, request }
}

/// Encodes the kernel's answer to a request whose command frame was `command`.
pub fn encode_response(command: &Bytes, response: Response) -> Vec<Bytes> {
    let frame = |s: &'static str| Bytes::from_static(s.as_bytes());
    match response {
        Response::Info(info) => vec![frame("I"), Bytes::from(info_json(&info))],
        Response::Height(h) => vec![frame("N"), Bytes::copy_from_slice(&h.to_be_bytes())],
        Response::Digest(d) => vec![frame("H"), Bytes::copy_from_slice(d.as_bytes())],
        Response::Block(b) => vec![frame("B"), b],
        Response::Register(r) => vec![
            frame("R"),
            Bytes::from(r.chain.into_bytes()),
            r.public_key,
            r.listeners,
            Bytes::copy_from_slice(&r.timestamp.to_be_bytes()),
        ],
        Response::Ack => vec![command.clone(), Bytes::from_static(ACK)],
        Response::Reply(frames) => {
            let mut out = Vec::with_capacity(frames.len() + 1);
            out.push(command.clone());
            out.extend(frames);
            out
        }
        Response::Error(text) => vec![Bytes::from_static(ERROR), Bytes::from(text.into_bytes())],
    }
}

/// `{"version":…,"chain":…,"normal":…,"height":…}` as Go's `encoding/json` writes it,
/// including its escaping of `<`, `>`, `&`, U+2028 and U+2029.
fn info_json(info: &NodeInfo) -> Vec<u8> {
    let plain = serde_json::json!({
        "version": info.version,
        "chain": info.chain,
        "normal": info.normal,
        "height": info.height,
    })
    .to_string();
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.into_bytes()
}

/// The frames of a request as an upstream sends them: the chain prefix, the command, the
/// parameters.
pub fn encode_request(chain: &str, request: &Request) -> Vec<Bytes> {
    let mut frames = vec![Bytes::copy_from_slice(chain.as_bytes())];
    let be = |n: u64| Bytes::copy_from_slice(&n.to_be_bytes());
    match request {
        Request::Info => frames.push(Bytes::from_static(b"I")),
        Request::Height => frames.push(Bytes::from_static(b"N")),
        Request::Digest(n) => frames.extend([Bytes::from_static(b"H"), be(*n)]),
        Request::Block(n) => frames.extend([Bytes::from_static(b"B"), be(*n)]),
        Request::Register(r) => frames.extend([
            Bytes::from_static(b"R"),
            Bytes::copy_from_slice(r.chain.as_bytes()),
            r.public_key.clone(),
            r.listeners.clone(),
            be(r.timestamp),
        ]),
        Request::Gossip(item) => {
            frames.push(Bytes::copy_from_slice(item.kind.as_str().as_bytes()));
            frames.extend(item.params.iter().cloned());
        }
    }
    frames
}

/// Total bytes of a message's frames.
pub fn frames_size(frames: &[Bytes]) -> usize {
    frames.iter().map(Bytes::len).sum()
}

/// The bytes of a message's frames, for the transport's byte counters.
pub(crate) fn wire_bytes<F: AsRef<[u8]>>(frames: &[F]) -> u64 {
    frames.iter().map(|f| f.as_ref().len() as u64).sum()
}

/// What was wrong with a reply ([`decode_response`]); the transport reports it as
/// `invalid peer response` ([`peerd_api::TransportError::InvalidResponse`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// Fewer than the two frames every reply has.
    #[error("{0} frame(s)")]
    TooFewFrames(usize),
    /// The reply's command is not the request's.
    #[error("reply {got:?} to {expected}")]
    WrongCommand {
        /// The reply's first frame.
        got: String,
        /// The request's command.
        expected: String,
    },
    /// The reply has the wrong number of frames.
    #[error("{got} frames instead of {expected}")]
    FrameCount {
        /// Frames received.
        got: usize,
        /// Frames expected.
        expected: usize,
    },
    /// The `I` reply is not bitmarkd's JSON.
    #[error("info JSON: {0}")]
    InfoJson(String),
    /// The `N` reply is not 8 bytes.
    #[error("height not 8 bytes")]
    Height,
    /// The `H` reply is not 32 bytes.
    #[error("digest not 32 bytes")]
    Digest,
    /// The `R` reply's chain is not UTF-8.
    #[error("chain not UTF-8")]
    Chain,
    /// The `R` reply's timestamp is not 8 bytes.
    #[error("timestamp not 8 bytes")]
    Timestamp,
}

/// Decodes a reply to `request` with bitmarkd's client checks.
///
/// `["E", text]` is [`Response::Error`] for every request. A gossip push expects
/// `[command, "A"]` ([`Response::Ack`]) or `[command, frames…]` ([`Response::Reply`]; a
/// reply of exactly `"A"` reads as an acknowledgement).
///
/// # Errors
///
/// [`ReplyError`]: what was wrong.
#[deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub fn decode_response(request: &Request, frames: Vec<Bytes>) -> Result<Response, ReplyError> {
    let [head, payload, rest @ ..] = frames.as_slice() else {
        return Err(ReplyError::TooFewFrames(frames.len()));
    };
    if head == ERROR {
        let text = String::from_utf8_lossy(payload).into_owned();
        return Ok(Response::Error(text));
    }
    if head != request.command().as_bytes() {
        return Err(ReplyError::WrongCommand {
            got: String::from_utf8_lossy(head).into_owned(),
            expected: request.command().to_owned(),
        });
    }
    let exact = |expected: usize| {
        if frames.len() == expected {
            Ok(())
        } else {
            Err(ReplyError::FrameCount { got: frames.len(), expected })
        }
    };
    match request {
        Request::Info => {
            exact(2)?;
            let info: NodeInfo =
                serde_json::from_slice(payload).map_err(|e| ReplyError::InfoJson(e.to_string()))?;
            Ok(Response::Info(info))
        }
        Request::Height => {
            exact(2)?;
            be64(payload).map(Response::Height).ok_or(ReplyError::Height)
        }
        Request::Digest(_) => {
            exact(2)?;
            Digest::from_slice(payload).map(Response::Digest).ok_or(ReplyError::Digest)
        }
        Request::Block(_) => {
            exact(2)?;
            Ok(Response::Block(payload.clone()))
        }
        Request::Register(_) => {
            let [public_key, listeners, timestamp, ..] = rest else {
                return Err(ReplyError::FrameCount { got: frames.len(), expected: 5 });
            };
            let chain = String::from_utf8(payload.to_vec()).map_err(|_| ReplyError::Chain)?;
            let timestamp = be64(timestamp).ok_or(ReplyError::Timestamp)?;
            Ok(Response::Register(Registration {
                chain,
                public_key: public_key.clone(),
                listeners: listeners.clone(),
                timestamp,
            }))
        }
        Request::Gossip(_) => {
            if rest.is_empty() && payload == ACK {
                return Ok(Response::Ack);
            }
            Ok(Response::Reply([std::slice::from_ref(payload), rest].concat()))
        }
    }
}

#[cfg(test)]
mod tests;
