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

/// Bytes a request takes on bitmarkd's wire: the frames `[chain, command, params…]`.
pub(crate) fn request_size(chain: &str, request: &Request) -> usize {
    let params = match request {
        Request::Info | Request::Height => 0,
        Request::Digest(_) | Request::Block(_) => 8,
        Request::Register(r) => r.chain.len() + r.public_key.len() + r.listeners.len() + 8,
        Request::Gossip(item) => item.payload_len(),
    };
    chain.len() + request.command().len() + params
}

/// Bytes a reply takes on bitmarkd's wire: the frames `[command, payload…]`.
pub(crate) fn response_size(response: &Response) -> usize {
    match response {
        // An upper bound of `{"version":"…","chain":"…","normal":false,"height":…}`: 50 bytes
        // of syntax, 20 digits, and at most 6 bytes (`\u00XX`) per byte of text.
        Response::Info(info) => 1 + 70 + 6 * (info.version.len() + info.chain.len()),
        Response::Height(_) => 1 + 8,
        Response::Digest(_) => 1 + 32,
        Response::Block(block) => 1 + block.len(),
        Response::Register(r) => 1 + r.chain.len() + r.public_key.len() + r.listeners.len() + 8,
        Response::Ack => 1 + 1,
        Response::Reply(frames) => 1 + frames.iter().map(|f| f.len()).sum::<usize>(),
        Response::Error(text) => 1 + text.len(),
    }
}

/// bitmarkd's answer to a request for another chain, byte for byte:
/// `invalid chain: actual: "<got>"  expect: <chain>` (Go `%q`, two spaces before `expect`).
pub fn invalid_chain_text(got: &str, expect: &str) -> String {
    format!("invalid chain: actual: {}  expect: {expect}", go_quote(got))
}

/// Quotes `s` as Go's `%q` (`strconv.Quote`) does for the strings a chain frame holds:
/// printable characters as they are, `\"` and `\\`, the C escapes, `\xNN` for other ASCII
/// controls and `\uNNNN`/`\UNNNNNNNN` for other non-printable characters. Go's notion of
/// "printable" for non-ASCII is approximated by "not a control character".
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() && (c as u32) < 0x10000 => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use peerd_api::bytes::Bytes;
    use peerd_api::{Item, ItemKind, NodeInfo};

    use super::*;

    #[test]
    fn invalid_chain_text_matches_bitmarkd() {
        assert_eq!(
            invalid_chain_text("testing", "bitmark"),
            "invalid chain: actual: \"testing\"  expect: bitmark"
        );
        assert_eq!(invalid_chain_text("", "local"), "invalid chain: actual: \"\"  expect: local");
        assert_eq!(go_quote("a\"b\\c\n\t\u{1}\u{7f}"), r#""a\"b\\c\n\t\x01\x7f""#);
        assert_eq!(go_quote("é\u{85}"), "\"é\\u0085\"");
    }

    #[test]
    fn sizes_count_every_frame() {
        assert_eq!(request_size("bitmark", &Request::Height), 8);
        assert_eq!(request_size("dev", &Request::Block(9)), 3 + 1 + 8);
        let item =
            Item::new(ItemKind::Assets, vec![Bytes::from(vec![0; 10]), Bytes::from(vec![0; 5])]);
        assert_eq!(request_size("dev", &Request::Gossip(item)), 3 + 6 + 15);
        assert_eq!(response_size(&Response::Block(Bytes::from(vec![0; 100]))), 101);
        assert_eq!(response_size(&Response::Error("block not found".into())), 16);
        let info = NodeInfo { version: "1".into(), chain: "dev".into(), normal: true, height: 3 };
        let json = r#"{"version":"1","chain":"dev","normal":false,"height":18446744073709551615}"#;
        assert!(response_size(&Response::Info(info)) > json.len());
    }
}
