//! `peerd db delete-down`, `export-blocks` and `import-blocks`: the chain's blocks, through
//! the chain rules, on a data directory no node holds.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use peerd_api::{Chain, ChainError, DigestSource, Store, StoreError, SystemClock};
use peerd_bitmark::bitmark_chain::BitmarkChain;
use peerd_bitmark::params::ChainParams;

use super::blockfile::{self, FormatError, Header};
use crate::builtin::BuildError;
use crate::config::Config;
use crate::lockfile::{DataDirLock, LockError};

/// Errors of the chain tools.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The data directory is in use (a node is running on it) or unusable.
    #[error("{0}; stop the node first")]
    Lock(#[from] LockError),
    /// The store could not be opened.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The chain could not be opened or read.
    #[error("chain: {0}")]
    Chain(#[source] ChainError),
    /// The requested block range is not stored.
    #[error("{0}")]
    Range(String),
    /// A file could not be created, written or opened.
    #[error("{path}: {source}", path = .path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The import file is malformed; blocks before the bad record were kept.
    #[error("{path}: {source}; the store keeps blocks up to {height}", path = .path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: FormatError,
        /// The height after the blocks imported before the error.
        height: u64,
    },
    /// The file holds another chain's blocks.
    #[error("the file holds {file} blocks but the node follows {node}")]
    WrongChain {
        /// Chain named in the file.
        file: String,
        /// The configured chain.
        node: String,
    },
    /// A block in the file was refused by the chain rules; earlier blocks were kept.
    #[error("block {number} is invalid: {fault}; the store keeps blocks up to {height}")]
    Invalid {
        /// The refused block.
        number: u64,
        /// The chain's reason.
        fault: ChainError,
        /// The height after the blocks imported before it.
        height: u64,
    },
    /// Flushing the store failed: the last writes may not be on disk.
    #[error("flushing the store: {0}")]
    Flush(#[source] StoreError),
}

/// The chain on the configured store, with the data directory locked.
pub(super) struct Opened {
    _lock: DataDirLock,
    store: Arc<dyn Store>,
    pub(super) chain: BitmarkChain,
}

pub(super) fn open(config: &Config) -> Result<Opened, DbError> {
    let lock = DataDirLock::acquire(&config.node.data_dir)?;
    let store = config.store.open(&config.node.data_dir)?;
    let name = config.node.chain.as_str();
    let params = ChainParams::by_name(name)
        .ok_or_else(|| DbError::Range(format!("chain {name} has no parameters")))?;
    let chain =
        BitmarkChain::open(store.clone(), params, Arc::new(SystemClock)).map_err(DbError::Chain)?;
    Ok(Opened { _lock: lock, store, chain })
}

impl Opened {
    fn height(&self) -> Result<u64, DbError> {
        self.chain.height().map_err(DbError::Chain)
    }

    pub(super) fn flush(&self) -> Result<(), DbError> {
        self.store.flush().map_err(DbError::Flush)
    }
}

/// What `db delete-down` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeletedDown {
    /// Height before.
    pub before: u64,
    /// Height after.
    pub after: u64,
}

/// Deletes blocks from the tip down to and including `number` (bitmarkd's rollback),
/// undoing their effects through the chain rules. `number` above the height deletes
/// nothing.
///
/// # Errors
///
/// [`DbError::Range`] for `number` < 2 (the genesis block stays); otherwise see
/// [`DbError`].
pub fn delete_down(config: &Config, number: u64) -> Result<DeletedDown, DbError> {
    if number < 2 {
        return Err(DbError::Range(format!(
            "cannot delete down to block {number}: block 1 is the genesis block and stays"
        )));
    }
    let opened = open(config)?;
    let before = opened.height()?;
    opened.chain.delete_down(number).map_err(DbError::Chain)?;
    opened.flush()?;
    Ok(DeletedDown { before, after: opened.height()? })
}

/// Writes blocks `from..=to` to `path` in the [`blockfile`] format; returns how many.
///
/// # Errors
///
/// [`DbError::Range`] unless `2 <= from <= to <= height`; [`DbError::File`] naming the file.
pub fn export_blocks(config: &Config, from: u64, to: u64, path: &Path) -> Result<u64, DbError> {
    let opened = open(config)?;
    let height = opened.height()?;
    if from < 2 || from > to || to > height {
        let held = match height {
            0 | 1 => "only the genesis block, which is never stored".to_owned(),
            _ => format!("blocks 2 to {height} (block 1 is the genesis block, never stored)"),
        };
        return Err(DbError::Range(format!(
            "cannot export blocks {from} to {to}: the store holds {held}"
        )));
    }
    let file_error = |source| DbError::File { path: path.to_path_buf(), source };
    let mut out = BufWriter::new(File::create(path).map_err(file_error)?);
    let header = Header { chain: opened.chain.name().to_owned(), first: from, last: to };
    blockfile::write_header(&mut out, &header).map_err(file_error)?;
    for number in from..=to {
        let block = opened.chain.block(number).map_err(DbError::Chain)?.ok_or_else(|| {
            DbError::Range(format!("block {number} disappeared from the store during export"))
        })?;
        blockfile::write_block(&mut out, number, &block).map_err(file_error)?;
    }
    out.flush().map_err(file_error)?;
    out.into_inner().map_err(|e| file_error(e.into_error()))?.sync_all().map_err(file_error)?;
    Ok(to - from + 1)
}

/// What `db import-blocks` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Blocks validated and stored.
    pub stored: u64,
    /// Blocks already in the store, byte for byte.
    pub present: u64,
    /// Height afterwards.
    pub height: u64,
}

/// Reads `path` and stores its blocks through the chain rules, each validated in full
/// (`Chain::accept` with computed digests). Blocks the store already holds identically are
/// skipped. Stops at the first malformed record or invalid block, keeping the blocks
/// stored before it.
///
/// # Errors
///
/// See [`DbError`]; the errors raised after the first block say the height kept.
pub fn import_blocks(config: &Config, path: &Path) -> Result<Imported, DbError> {
    let opened = open(config)?;
    let file = File::open(path).map_err(|source| DbError::File { path: path.into(), source })?;
    let result = import(&opened, path, file);
    opened.flush()?;
    result
}

fn import(opened: &Opened, path: &Path, file: File) -> Result<Imported, DbError> {
    let format = |source, height| DbError::Format { path: path.to_path_buf(), source, height };
    let mut reader = blockfile::Reader::new(BufReader::new(file))
        .map_err(|e| format(e, opened.height().unwrap_or(0)))?;
    let node = opened.chain.name().to_owned();
    if reader.header().chain != node {
        return Err(DbError::WrongChain { file: reader.header().chain.clone(), node });
    }
    let mut done = Imported { stored: 0, present: 0, height: opened.height()? };
    loop {
        let (number, block) = match reader.next_block() {
            Ok(Some(next)) => next,
            Ok(None) => return Ok(done),
            Err(e) => return Err(format(e, done.height)),
        };
        if number <= done.height {
            let stored = opened.chain.block(number).map_err(DbError::Chain)?;
            if stored.as_deref() == Some(&block[..]) {
                done.present += 1;
                continue;
            }
            return Err(DbError::Range(format!(
                "block {number} in the file differs from the stored one; run `peerd db \
                 delete-down {number}` first to replace the chain from there"
            )));
        }
        if number > done.height + 1 {
            return Err(DbError::Range(format!(
                "the file continues at block {number} but the store ends at {}; import the \
                 blocks in between first",
                done.height
            )));
        }
        match opened.chain.accept(&block, DigestSource::Compute) {
            Ok(_) => {
                done.stored += 1;
                done.height = opened.height()?;
            }
            Err(fault) => return Err(DbError::Invalid { number, fault, height: done.height }),
        }
    }
}
