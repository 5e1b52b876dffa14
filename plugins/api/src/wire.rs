//! bitmarkd wire facts every transport shares: the invalid-chain error text and the size a
//! message takes as bitmarkd's frames (what the 5,000,000-byte limit is measured against).

use crate::{Request, Response};

/// bitmarkd's answer to a request for another chain, byte for byte:
/// `invalid chain: actual: "<got>"  expect: <chain>` (Go `%q` of the received chain frame,
/// two spaces before `expect`).
pub fn invalid_chain_text(got: &[u8], expect: &str) -> String {
    format!("invalid chain: actual: {}  expect: {expect}", go_quote(got))
}

/// Quotes bytes as Go's `strconv.Quote` does: printable characters as they are, `\"` and
/// `\\`, the C escapes, `\xNN` for other ASCII controls and for each byte that is not valid
/// UTF-8, `\uNNNN`/`\UNNNNNNNN` for other non-printable characters. Go's notion of
/// "printable" outside ASCII is approximated by "not a control character".
fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

fn push_char(out: &mut String, c: char) {
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
        c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if c.is_control() && (c as u32) < 0x10000 => {
            out.push_str(&format!("\\u{:04x}", c as u32))
        }
        c if c.is_control() => out.push_str(&format!("\\U{:08x}", c as u32)),
        c => out.push(c),
    }
}

impl Request {
    /// Bytes this request takes on bitmarkd's wire: the frames `[chain, command, params…]`.
    pub fn wire_size(&self, chain: &str) -> usize {
        let params = match self {
            Request::Info | Request::Height => 0,
            Request::Digest(_) | Request::Block(_) => 8,
            Request::Register(r) => r.chain.len() + r.public_key.len() + r.listeners.len() + 8,
            Request::Gossip(item) => item.payload_len(),
        };
        chain.len() + self.command().len() + params
    }
}

impl Response {
    /// Bytes this reply takes on bitmarkd's wire: the frames `[command, payload…]` (the `I`
    /// reply counted as its JSON's upper bound).
    pub fn wire_size(&self) -> usize {
        match self {
            // `{"version":"…","chain":"…","normal":false,"height":…}`: 50 bytes of syntax,
            // 20 digits, and at most 6 bytes (`\u00XX`) per byte of text.
            Response::Info(info) => 1 + 70 + 6 * (info.version.len() + info.chain.len()),
            Response::Height(_) => 1 + 8,
            Response::Digest(_) => 1 + 32,
            Response::Block(block) => 1 + block.len(),
            Response::Register(r) => 1 + r.chain.len() + r.public_key.len() + r.listeners.len() + 8,
            Response::Ack => 1 + 1,
            Response::Reply(frames) => 1 + frames.iter().map(bytes::Bytes::len).sum::<usize>(),
            Response::Error(text) => 1 + text.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::{Item, ItemKind, NodeInfo};

    #[test]
    fn invalid_chain_text_matches_bitmarkd() {
        assert_eq!(
            invalid_chain_text(b"testing", "bitmark"),
            "invalid chain: actual: \"testing\"  expect: bitmark"
        );
        assert_eq!(invalid_chain_text(b"", "local"), "invalid chain: actual: \"\"  expect: local");
        assert_eq!(go_quote(b"a\"b\\c\n\t\x01\x7f"), r#""a\"b\\c\n\t\x01\x7f""#);
        assert_eq!(go_quote("é\u{85}".as_bytes()), "\"é\\u0085\"");
        assert_eq!(go_quote(b"a\xffb"), r#""a\xffb""#);
    }

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
