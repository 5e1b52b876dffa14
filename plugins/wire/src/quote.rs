//! Go's `%q` quoting and bitmarkd's invalid-chain text (protocol §2.1, §6).

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
pub fn go_quote(bytes: &[u8]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
