//! The message model: the requests peers exchange and the gossip items they push.
//!
//! These are transport-neutral. The ZeroMQ transport maps them to bitmarkd's frames
//! (`[chain, command, params…]`), libp2p to CBOR, the memory transport passes them as values.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::Digest;

/// Largest message any transport accepts, in bytes (bitmarkd's `MAXMSGSIZE`, counted as the
/// sum of its frames: [`peerd_wire::size::MAX_MESSAGE_BYTES`]).
pub const MAX_MESSAGE_BYTES: usize = peerd_wire::size::MAX_MESSAGE_BYTES;

/// A request sent on an upstream connection; bitmarkd's commands `I`, `N`, `H`, `B`, `R`,
/// plus gossip pushes (any other command).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// `I`: server information.
    Info,
    /// `N`: height of the highest stored block.
    Height,
    /// `H`: digest of block `n` (0 and 1 give the genesis digest).
    Digest(u64),
    /// `B`: the packed block `n` (block 1, the genesis, is never served).
    Block(u64),
    /// `R`: register with the server and exchange one peer.
    Register(Registration),
    /// Any other command: a gossip item, acknowledged with [`Response::Ack`].
    Gossip(Item),
}

impl Request {
    /// bitmarkd's command string for this request.
    pub fn command(&self) -> &str {
        match self {
            Request::Info => "I",
            Request::Height => "N",
            Request::Digest(_) => "H",
            Request::Block(_) => "B",
            Request::Register(_) => "R",
            Request::Gossip(item) => item.kind.as_str(),
        }
    }
}

/// A reply to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// Reply to [`Request::Info`].
    Info(NodeInfo),
    /// Reply to [`Request::Height`].
    Height(u64),
    /// Reply to [`Request::Digest`].
    Digest(Digest),
    /// Reply to [`Request::Block`]: the stored bytes verbatim.
    Block(Bytes),
    /// Reply to [`Request::Register`]: one peer the server knows.
    Register(Registration),
    /// Acknowledgement of a gossip item (bitmarkd's `[cmd, "A"]`).
    Ack,
    /// A handler's reply to a custom item that answers queries.
    Reply(Vec<Bytes>),
    /// An error reply (bitmarkd's `["E", text]`) carrying bitmarkd's exact text.
    Error(String),
}

/// Server information returned by `I` (bitmarkd's `serverInfo`, fields in its order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Software version string.
    pub version: String,
    /// Chain name.
    pub chain: String,
    /// True when the node is in Normal mode.
    pub normal: bool,
    /// Height of the highest stored block.
    pub height: u64,
}

/// A registration (`R`) request or reply: a peer introducing itself or another peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Chain name; must match the receiver's.
    pub chain: String,
    /// The introduced peer's public key.
    pub public_key: Bytes,
    /// The introduced peer's listeners, in the transport's own format.
    pub listeners: Bytes,
    /// Unix seconds of the announcement.
    pub timestamp: u64,
}

/// A gossip item: a kind and its parameter frames, exactly as bitmarkd frames them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Item {
    /// What the item is.
    pub kind: ItemKind,
    /// Parameter frames following `[chain, command]`.
    pub params: Vec<Bytes>,
}

impl Item {
    /// Builds an item.
    pub fn new(kind: ItemKind, params: Vec<Bytes>) -> Self {
        Self { kind, params }
    }

    /// Total payload size in bytes, for size limits.
    pub fn payload_len(&self) -> usize {
        self.params.iter().map(Bytes::len).sum()
    }
}

/// The kind of a gossip item: bitmarkd's built-in kinds or a custom one by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum ItemKind {
    /// `block`: a packed block.
    Block,
    /// `assets`: concatenated AssetData records.
    Assets,
    /// `issues`: concatenated BitmarkIssue records.
    Issues,
    /// `transfer`: one transfer, share, grant or swap record.
    Transfer,
    /// `proof`: pay id and nonce.
    Proof,
    /// `rpc`: an RPC listener announcement.
    Rpc,
    /// `peer`: a peer listener announcement.
    Peer,
    /// `heart`: the local publisher's idle heartbeat.
    Heart,
    /// A kind registered by a user plugin.
    Custom(String),
}

/// The longest custom kind name accepted.
pub const MAX_KIND_LEN: usize = 32;

impl ItemKind {
    /// Every built-in kind.
    pub const BUILTIN: [ItemKind; 8] = [
        ItemKind::Block,
        ItemKind::Assets,
        ItemKind::Issues,
        ItemKind::Transfer,
        ItemKind::Proof,
        ItemKind::Rpc,
        ItemKind::Peer,
        ItemKind::Heart,
    ];

    /// The command string on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ItemKind::Block => "block",
            ItemKind::Assets => "assets",
            ItemKind::Issues => "issues",
            ItemKind::Transfer => "transfer",
            ItemKind::Proof => "proof",
            ItemKind::Rpc => "rpc",
            ItemKind::Peer => "peer",
            ItemKind::Heart => "heart",
            ItemKind::Custom(name) => name,
        }
    }

    /// True for the kinds bitmarkd ignores while resynchronising
    /// (`block`, `assets`, `issues`, `transfer`, `proof`).
    pub fn gated_by_mode(&self) -> bool {
        matches!(
            self,
            ItemKind::Block
                | ItemKind::Assets
                | ItemKind::Issues
                | ItemKind::Transfer
                | ItemKind::Proof
        )
    }
}

/// Error for a command name that cannot be an item kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid item kind {name:?}: {reason}")]
pub struct ItemKindError {
    /// The rejected name.
    pub name: String,
    /// Why it was rejected.
    pub reason: &'static str,
}

impl FromStr for ItemKind {
    type Err = ItemKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| ItemKindError { name: s.to_owned(), reason };
        if let Some(kind) = ItemKind::BUILTIN.iter().find(|k| k.as_str() == s) {
            return Ok(kind.clone());
        }
        if s.is_empty() || s.len() > MAX_KIND_LEN {
            return Err(err("must be 1 to 32 bytes"));
        }
        if matches!(s, "I" | "N" | "H" | "B" | "R" | "E") {
            return Err(err("reserved for requests"));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.') {
            return Err(err("only ASCII letters, digits, '_', '-' and '.' are allowed"));
        }
        Ok(ItemKind::Custom(s.to_owned()))
    }
}

impl TryFrom<String> for ItemKind {
    type Error = ItemKindError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ItemKind> for String {
    fn from(kind: ItemKind) -> String {
        kind.as_str().to_owned()
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_text() {
        for kind in ItemKind::BUILTIN {
            assert_eq!(kind.as_str().parse::<ItemKind>().as_ref(), Ok(&kind));
        }
        assert_eq!("note".parse(), Ok(ItemKind::Custom("note".into())));
        assert!("B".parse::<ItemKind>().is_err());
        assert!("".parse::<ItemKind>().is_err());
        assert!("a b".parse::<ItemKind>().is_err());
        assert!(ItemKind::Block.gated_by_mode());
        assert!(!ItemKind::Peer.gated_by_mode());
    }
}
