//! What a message weighs on bitmarkd's wire: the sum of its ZeroMQ frames, which is what
//! the 5,000,000-byte limit is measured against (protocol §1.4, §2).

/// Largest message bitmarkd accepts (its sockets' `MAXMSGSIZE`), counted as the sum of the
/// frames.
pub const MAX_MESSAGE_BYTES: usize = 5_000_000;

/// A block number or height frame: 8 bytes, big-endian.
pub const NUMBER_FRAME: usize = 8;

/// A digest frame.
pub const DIGEST_FRAME: usize = 32;

/// A reply's command frame (`I`, `N`, `H`, `B`, `R`, `A`, `E`, …).
pub const REPLY_COMMAND_FRAME: usize = 1;

/// A request `[chain, command, params…]` whose parameter frames total `params` bytes.
pub fn request(chain: &str, command: &str, params: usize) -> usize {
    chain.len() + command.len() + params
}

/// A reply `[command, payload…]` whose payload frames total `payload` bytes.
pub fn reply(payload: usize) -> usize {
    REPLY_COMMAND_FRAME + payload
}

/// The registration frames `[chain, public key, listeners, timestamp]` (an `R` request's
/// parameters, or its reply's payload).
pub fn registration(chain: usize, public_key: usize, listeners: usize) -> usize {
    chain + public_key + listeners + NUMBER_FRAME
}

/// An upper bound of the `I` reply's JSON
/// `{"version":"…","chain":"…","normal":false,"height":…}`: 50 bytes of syntax, 20
/// digits, and at most 6 bytes (`\u00XX`) per byte of text.
pub fn info_reply(version: usize, chain: usize) -> usize {
    reply(70 + 6 * (version + chain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_add_up() {
        assert_eq!(request("bitmark", "N", 0), 8);
        assert_eq!(request("dev", "B", NUMBER_FRAME), 12);
        assert_eq!(reply(DIGEST_FRAME), 33);
        assert_eq!(registration(7, 32, 19), 66);
        let json = r#"{"version":"1","chain":"dev","normal":false,"height":18446744073709551615}"#;
        assert!(info_reply(1, 3) > json.len());
    }
}
