//! `peerd inspect …`: bitmarkd bytes in, JSON out, through `peerd_bitmark::inspect`.

use std::path::Path;

use peerd_bitmark::inspect::{self, InspectError};
use peerd_bitmark::params::ChainParams;

use crate::cli::InspectCommand;

/// Why an inspection failed. The `Invalid` text is bitmarkd's fault text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectFailure {
    /// `@FILE` could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The chain name is unknown.
    #[error("unknown chain {0:?}")]
    Chain(String),
    /// The bytes are not valid; the text is bitmarkd's fault text.
    #[error(transparent)]
    Invalid(#[from] InspectError),
}

/// Decodes the command's input and returns pretty JSON (with a trailing newline).
///
/// # Errors
///
/// [`InspectFailure`] for unreadable files, bad hex and invalid bytes.
pub fn run(command: &InspectCommand, chain: &str) -> Result<String, InspectFailure> {
    let value = match command {
        InspectCommand::Block { input } => {
            let params =
                ChainParams::by_name(chain).ok_or_else(|| InspectFailure::Chain(chain.into()))?;
            inspect::block(&input_bytes(input)?, &params)?
        }
        InspectCommand::Header { input } => inspect::header(&input_bytes(input)?)?,
        InspectCommand::Tx { input, testnet } => {
            inspect::transaction(&input_bytes(input)?, *testnet)?
        }
        InspectCommand::Address { input } => inspect::address(&input_bytes(input)?)?,
    };
    // Serialising a serde_json::Value cannot fail.
    Ok(serde_json::to_string_pretty(&value).unwrap_or_default() + "\n")
}

/// `HEX` or `@FILE`; a file holds hex text (whitespace allowed) or raw bytes.
fn input_bytes(input: &str) -> Result<Vec<u8>, InspectFailure> {
    let Some(path) = input.strip_prefix('@') else {
        return Ok(inspect::parse_hex(input)?);
    };
    let raw = std::fs::read(Path::new(path))
        .map_err(|source| InspectFailure::Read { path: path.to_owned(), source })?;
    match std::str::from_utf8(&raw) {
        Ok(text)
            if !text.trim().is_empty() && text.trim().bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(inspect::parse_hex(text)?)
        }
        _ => Ok(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_hold_hex_or_raw_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let hex_file = dir.path().join("a.hex");
        std::fs::write(&hex_file, "1304d2\n").unwrap();
        assert_eq!(input_bytes(&format!("@{}", hex_file.display())).unwrap(), [0x13, 0x04, 0xd2]);
        let raw_file = dir.path().join("a.bin");
        std::fs::write(&raw_file, [0xff, 0x00]).unwrap();
        assert_eq!(input_bytes(&format!("@{}", raw_file.display())).unwrap(), [0xff, 0x00]);
        assert!(matches!(input_bytes("@/nonexistent/x"), Err(InspectFailure::Read { .. })));
        assert!(matches!(input_bytes("zz"), Err(InspectFailure::Invalid(_))));
    }

    #[test]
    fn an_invalid_address_gives_the_bitmarkd_fault() {
        let command = InspectCommand::Address { input: "00".into() };
        assert_eq!(run(&command, "dev").unwrap_err().to_string(), "invalid ip address");
        let ok = InspectCommand::Address { input: "1304d200000000000000000000ffff7f000001".into() };
        assert!(run(&ok, "dev").unwrap().contains("127.0.0.1:1234"));
    }
}
