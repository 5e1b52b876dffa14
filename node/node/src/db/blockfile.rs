//! The block export file of `peerd db export-blocks` / `import-blocks`, version 1.
//!
//! All integers are big-endian:
//!
//! ```text
//! magic      8 bytes  "PEERDBLK"
//! version    u16      1
//! chain_len  u8       then chain_len bytes: the chain name (ASCII, e.g. "bitmark")
//! first      u64      number of the first block
//! last       u64      number of the last block (last >= first)
//! then, for each number first..=last in order:
//!   number   u64
//!   length   u32      at most MAX_MESSAGE_BYTES
//!   block    length bytes: the packed block exactly as stored and sent on the wire
//! ```
//!
//! Nothing follows the last record. The header's range lets a reader tell a complete file
//! from a truncated one; the reader never panics and never allocates more than one
//! block's bounded length.

use std::io::{self, Read, Write};

use peerd_api::MAX_MESSAGE_BYTES;

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"PEERDBLK";

/// The format version written and read.
pub const VERSION: u16 = 1;

/// What is wrong with an export file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The file does not start with [`MAGIC`].
    #[error("not a peerd block export (bad magic bytes)")]
    Magic,
    /// A version this build does not read.
    #[error("format version {0} is not supported (this build reads version {VERSION})")]
    Version(u16),
    /// The header's fields are inconsistent.
    #[error("bad header: {0}")]
    Header(String),
    /// The file ends early.
    #[error("truncated: the file ends inside {0}")]
    Truncated(String),
    /// A record is not the one expected.
    #[error("record {index}: {reason}")]
    Record {
        /// Position of the record (0-based).
        index: u64,
        /// What is wrong.
        reason: String,
    },
    /// Bytes follow the last record.
    #[error("unexpected bytes after the last block record")]
    Trailing,
    /// Reading failed.
    #[error("read error: {0}")]
    Io(#[from] io::Error),
}

/// The header of an export file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Chain name.
    pub chain: String,
    /// First block number.
    pub first: u64,
    /// Last block number.
    pub last: u64,
}

/// Writes the header.
///
/// # Errors
///
/// An I/O error, or `InvalidInput` for a chain name over 255 bytes or `last < first`.
pub fn write_header(out: &mut impl Write, h: &Header) -> io::Result<()> {
    let name = u8::try_from(h.chain.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "chain name too long"))?;
    if h.last < h.first {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "last block below first"));
    }
    out.write_all(MAGIC)?;
    out.write_all(&VERSION.to_be_bytes())?;
    out.write_all(&[name])?;
    out.write_all(h.chain.as_bytes())?;
    out.write_all(&h.first.to_be_bytes())?;
    out.write_all(&h.last.to_be_bytes())
}

/// Writes one block record.
///
/// # Errors
///
/// An I/O error, or `InvalidInput` for a block over [`MAX_MESSAGE_BYTES`].
pub fn write_block(out: &mut impl Write, number: u64, block: &[u8]) -> io::Result<()> {
    let len = u32::try_from(block.len())
        .ok()
        .filter(|n| (*n as usize) <= MAX_MESSAGE_BYTES)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "block too large"))?;
    out.write_all(&number.to_be_bytes())?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(block)
}

/// Reads an export file record by record.
#[derive(Debug)]
pub struct Reader<R> {
    input: R,
    header: Header,
    next: u64,
}

impl<R: Read> Reader<R> {
    /// Reads and checks the header.
    ///
    /// # Errors
    ///
    /// See [`FormatError`].
    pub fn new(mut input: R) -> Result<Self, FormatError> {
        let mut magic = [0u8; 8];
        read(&mut input, &mut magic, "the header")?;
        if &magic != MAGIC {
            return Err(FormatError::Magic);
        }
        let version = u16::from_be_bytes(array(&mut input, "the header")?);
        if version != VERSION {
            return Err(FormatError::Version(version));
        }
        let [len] = array::<1>(&mut input, "the header")?;
        let mut name = vec![0u8; usize::from(len)];
        read(&mut input, &mut name, "the header")?;
        let chain = String::from_utf8(name)
            .map_err(|_| FormatError::Header("the chain name is not UTF-8".into()))?;
        let first = u64::from_be_bytes(array(&mut input, "the header")?);
        let last = u64::from_be_bytes(array(&mut input, "the header")?);
        if last < first {
            return Err(FormatError::Header(format!("last block {last} is below first {first}")));
        }
        if last == u64::MAX {
            // Found by fuzzing: the record counter would overflow past the last block.
            return Err(FormatError::Header(format!("last block {last} is out of range")));
        }
        Ok(Self { input, header: Header { chain, first, last }, next: first })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next block (number and bytes), or None after the last one (having checked that
    /// nothing follows it).
    ///
    /// # Errors
    ///
    /// See [`FormatError`].
    pub fn next_block(&mut self) -> Result<Option<(u64, Vec<u8>)>, FormatError> {
        let index = self.next - self.header.first;
        if self.next > self.header.last {
            let mut byte = [0u8; 1];
            return match self.input.read(&mut byte)? {
                0 => Ok(None),
                _ => Err(FormatError::Trailing),
            };
        }
        let what = format!("block record {index} (block {})", self.next);
        let number = u64::from_be_bytes(array(&mut self.input, &what)?);
        if number != self.next {
            let reason = format!("holds block {number}, expected block {}", self.next);
            return Err(FormatError::Record { index, reason });
        }
        let len = u32::from_be_bytes(array(&mut self.input, &what)?) as usize;
        if len > MAX_MESSAGE_BYTES {
            let reason = format!("block length {len} exceeds the maximum {MAX_MESSAGE_BYTES}");
            return Err(FormatError::Record { index, reason });
        }
        let mut block = vec![0u8; len];
        read(&mut self.input, &mut block, &what)?;
        self.next += 1;
        Ok(Some((number, block)))
    }
}

fn array<const N: usize>(input: &mut impl Read, what: &str) -> Result<[u8; N], FormatError> {
    let mut buf = [0u8; N];
    read(input, &mut buf, what)?;
    Ok(buf)
}

fn read(input: &mut impl Read, buf: &mut [u8], what: &str) -> Result<(), FormatError> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => FormatError::Truncated(what.to_owned()),
        _ => FormatError::Io(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(blocks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        let header = Header { chain: "dev".into(), first: 5, last: 4 + blocks.len() as u64 };
        write_header(&mut out, &header).unwrap();
        for (i, b) in blocks.iter().enumerate() {
            write_block(&mut out, 5 + i as u64, b).unwrap();
        }
        out
    }

    #[test]
    fn blocks_round_trip_in_order() {
        let bytes = file(&[b"abc", b"", b"defg"]);
        let mut reader = Reader::new(&bytes[..]).unwrap();
        assert_eq!(reader.header(), &Header { chain: "dev".into(), first: 5, last: 7 });
        assert_eq!(reader.next_block().unwrap(), Some((5, b"abc".to_vec())));
        assert_eq!(reader.next_block().unwrap(), Some((6, Vec::new())));
        assert_eq!(reader.next_block().unwrap(), Some((7, b"defg".to_vec())));
        assert_eq!(reader.next_block().unwrap(), None);
    }

    #[test]
    fn every_truncation_is_an_error_naming_the_place() {
        let bytes = file(&[b"abc", b"defg"]);
        for cut in 0..bytes.len() {
            let err = Reader::new(&bytes[..cut]).and_then(|mut r| loop {
                if r.next_block()?.is_none() {
                    break Ok(());
                }
            });
            let err = err.unwrap_err();
            assert!(matches!(err, FormatError::Truncated(_)), "cut {cut}: {err}");
        }
        let mut r = Reader::new(&bytes[..bytes.len() - 1]).unwrap();
        r.next_block().unwrap();
        let msg = r.next_block().unwrap_err().to_string();
        assert_eq!(msg, "truncated: the file ends inside block record 1 (block 6)");
    }

    #[test]
    fn a_last_block_at_the_end_of_the_numbers_is_refused() {
        // The fuzzer's find (fuzz/corpus/blockfile): the counter overflowed after block 2^64-1.
        let mut out = Vec::new();
        write_header(&mut out, &Header { chain: "d".into(), first: 7, last: u64::MAX }).unwrap();
        let err = Reader::new(&out[..]).unwrap_err().to_string();
        assert!(err.contains("is out of range"), "{err}");
    }

    #[test]
    fn corrupt_files_are_refused() {
        let mut bytes = file(&[b"abc"]);
        bytes[0] = b'X';
        assert!(matches!(Reader::new(&bytes[..]), Err(FormatError::Magic)));
        let mut bytes = file(&[b"abc"]);
        bytes[9] = 2;
        assert!(matches!(Reader::new(&bytes[..]), Err(FormatError::Version(2))));
        let mut bytes = file(&[b"abc"]);
        bytes.push(0);
        let mut r = Reader::new(&bytes[..]).unwrap();
        r.next_block().unwrap();
        assert!(matches!(r.next_block(), Err(FormatError::Trailing)));
        // A record that claims an enormous length is refused before allocating.
        let mut bytes = file(&[b"abc"]);
        let at = bytes.len() - 3 - 4;
        bytes[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut r = Reader::new(&bytes[..]).unwrap();
        assert!(matches!(r.next_block(), Err(FormatError::Record { index: 0, .. })));
    }
}
