//! bitmarkd wire facts every transport shares, over the message model: the size a message
//! takes as bitmarkd's frames (what the 5,000,000-byte limit is measured against), from
//! [`peerd_wire::size`]. The invalid-chain text is [`peerd_wire::quote::invalid_chain_text`],
//! re-exported at the crate root.

use peerd_wire::size;

use crate::{Request, Response};

impl Request {
    /// Bytes this request takes on bitmarkd's wire: the frames `[chain, command, params…]`.
    pub fn wire_size(&self, chain: &str) -> usize {
        let params = match self {
            Request::Info | Request::Height => 0,
            Request::Digest(_) | Request::Block(_) => size::NUMBER_FRAME,
            Request::Register(r) => {
                size::registration(r.chain.len(), r.public_key.len(), r.listeners.len())
            }
            Request::Gossip(item) => item.payload_len(),
        };
        size::request(chain, self.command(), params)
    }
}

impl Response {
    /// Bytes this reply takes on bitmarkd's wire: the frames `[command, payload…]` (the `I`
    /// reply counted as its JSON's upper bound).
    pub fn wire_size(&self) -> usize {
        match self {
            Response::Info(info) => size::info_reply(info.version.len(), info.chain.len()),
            Response::Height(_) => size::reply(size::NUMBER_FRAME),
            Response::Digest(_) => size::reply(size::DIGEST_FRAME),
            Response::Block(block) => size::reply(block.len()),
            Response::Register(r) => size::reply(size::registration(
                r.chain.len(),
                r.public_key.len(),
                r.listeners.len(),
            )),
            Response::Ack => size::reply(1),
            Response::Reply(frames) => size::reply(frames.iter().map(bytes::Bytes::len).sum()),
            Response::Error(text) => size::reply(text.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::{Item, ItemKind, NodeInfo};

    #[test]
    fn sizes_count_every_frame() {
        assert_eq!(Request::Height.wire_size("bitmark"), 8);
        assert_eq!(Request::Block(9).wire_size("dev"), 3 + 1 + 8);
        let item =
            Item::new(ItemKind::Assets, vec![Bytes::from(vec![0; 10]), Bytes::from(vec![0; 5])]);
        assert_eq!(Request::Gossip(item).wire_size("dev"), 3 + 6 + 15);
        assert_eq!(Response::Block(Bytes::from(vec![0; 100])).wire_size(), 101);
        assert_eq!(Response::Error("block not found".into()).wire_size(), 16);
        let info = NodeInfo { version: "1".into(), chain: "dev".into(), normal: true, height: 3 };
        let json = r#"{"version":"1","chain":"dev","normal":false,"height":18446744073709551615}"#;
        assert!(Response::Info(info).wire_size() > json.len());
    }
}
