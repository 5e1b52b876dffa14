//! bitmarkd's transaction records (`transactionrecord/`), byte-exact.
//!
//! A record is `varint(tag) ‖ fields`; strings, byte fields, accounts, links and
//! signatures are `varint(length) ‖ bytes`, integers are varints, an escrow is `00` or
//! `01 ‖ varint(currency) ‖ string(address) ‖ varint(amount)` (protocol §5.6).
//!
//! - [`Transaction::unpack`] decodes one record from the front of a buffer (as bitmarkd's
//!   `Unpack`: same checks, same fault texts, signatures *not* verified) and returns how
//!   many bytes it used; [`Transaction::unpack_exact`] also rejects trailing bytes.
//! - [`Transaction::pack`] is bitmarkd's `Pack`: field checks, then the record, verifying
//!   the signature by the given signer and the countersignature by the party named in the
//!   record (the new owner, the recipient, owner two).
//! - [`Transaction::sign`] / [`Transaction::countersign`] fill in signatures;
//!   [`Transaction::signing_message`] / [`Transaction::countersigning_message`] give the
//!   exact bytes each signature covers.
//! - The transaction id is [`Link::of`] the packed bytes (SHA3-256); an asset id is
//!   [`AssetId::of_fingerprint`] (SHA3-512).
//!
//! ```
//! use peerd_bitmark::account::PrivateKey;
//! use peerd_bitmark::transaction::{AssetData, Link, Transaction};
//!
//! let key = PrivateKey::from_ed25519_seed(&[7; 32], true);
//! let registrant = key.account().unwrap();
//! let mut asset = Transaction::from(AssetData {
//!     name: "Item".into(),
//!     fingerprint: "0123".into(),
//!     metadata: "k\0v".into(),
//!     registrant,
//!     signature: Default::default(),
//! });
//! asset.sign(&key).unwrap();
//! let packed = asset.pack(&registrant).unwrap();
//! let (decoded, used) = Transaction::unpack(&packed, true).unwrap();
//! assert_eq!((decoded, used), (asset, packed.len()));
//! assert_eq!(Link::of(&packed).to_string().len(), 64);
//! ```

use serde::Serialize;

use crate::account::{Account, Signature};

mod ids;
mod pack;
mod records;
mod sign;
pub(crate) mod text;
mod unpack;

pub use ids::{AssetId, Link, ASSET_ID_LENGTH};
pub use records::{
    AssetData, BaseData, BitmarkIssue, BitmarkShare, BitmarkTransferCountersigned,
    BitmarkTransferUnratified, BlockFoundation, BlockOwnerTransfer, Payment, ShareGrant, ShareSwap,
};
pub use text::Text;

/// Longest asset name, in Go runes.
pub const MAX_NAME_LENGTH: usize = 64;
/// Longest metadata, in Go runes.
pub const MAX_METADATA_LENGTH: usize = 2048;
/// Shortest fingerprint, in Go runes.
pub const MIN_FINGERPRINT_LENGTH: usize = 1;
/// Longest fingerprint, in Go runes.
pub const MAX_FINGERPRINT_LENGTH: usize = 1024;
/// Longest signature or countersignature the checks accept, in bytes.
pub const MAX_SIGNATURE_LENGTH: usize = 1024;
/// Longest length-prefixed field the decoder reads (and the largest tag).
pub const MAX_FIELD_LENGTH: usize = 8192;
/// The block-foundation payment version in use (Bitcoin and Litecoin).
pub const FOUNDATION_VERSION: u64 = 1;

/// One transaction record of any kind.
///
/// Serializes (for inspection output) with the record kind under `"record"` as bitmarkd
/// names it ([`Transaction::record_name`]), then the fields in snake case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "record")]
#[allow(clippy::large_enum_variant)] // records are short-lived; boxing buys nothing here
pub enum Transaction {
    /// Tag 1 (obsolete block owner).
    BaseData(BaseData),
    /// Tag 2.
    AssetData(AssetData),
    /// Tag 3.
    BitmarkIssue(BitmarkIssue),
    /// Tag 4.
    BitmarkTransferUnratified(BitmarkTransferUnratified),
    /// Tag 5.
    BitmarkTransferCountersigned(BitmarkTransferCountersigned),
    /// Tag 6.
    BlockFoundation(BlockFoundation),
    /// Tag 7.
    BlockOwnerTransfer(BlockOwnerTransfer),
    /// Tag 8 (bitmarkd's record name: `ShareBalance`).
    #[serde(rename = "ShareBalance")]
    BitmarkShare(BitmarkShare),
    /// Tag 9.
    ShareGrant(ShareGrant),
    /// Tag 10.
    ShareSwap(ShareSwap),
}

macro_rules! from_record {
    ($($kind:ident),*) => {$(
        impl From<$kind> for Transaction {
            fn from(record: $kind) -> Self {
                Transaction::$kind(record)
            }
        }
    )*};
}

from_record!(
    BaseData,
    AssetData,
    BitmarkIssue,
    BitmarkTransferUnratified,
    BitmarkTransferCountersigned,
    BlockFoundation,
    BlockOwnerTransfer,
    BitmarkShare,
    ShareGrant,
    ShareSwap
);

impl Transaction {
    /// The wire tag (1…10).
    pub fn tag(&self) -> u64 {
        match self {
            Transaction::BaseData(_) => 1,
            Transaction::AssetData(_) => 2,
            Transaction::BitmarkIssue(_) => 3,
            Transaction::BitmarkTransferUnratified(_) => 4,
            Transaction::BitmarkTransferCountersigned(_) => 5,
            Transaction::BlockFoundation(_) => 6,
            Transaction::BlockOwnerTransfer(_) => 7,
            Transaction::BitmarkShare(_) => 8,
            Transaction::ShareGrant(_) => 9,
            Transaction::ShareSwap(_) => 10,
        }
    }

    /// bitmarkd's record name (`transactionrecord.RecordName`), used in JSON output:
    /// the kind's name, except `ShareBalance` for a [`BitmarkShare`].
    pub fn record_name(&self) -> &'static str {
        match self {
            Transaction::BitmarkShare(_) => "ShareBalance",
            _ => self.record_type(),
        }
    }

    /// The Go type name of the record (`BaseData` for the obsolete `OldBaseData`).
    pub fn record_type(&self) -> &'static str {
        match self {
            Transaction::BaseData(_) => "BaseData",
            Transaction::AssetData(_) => "AssetData",
            Transaction::BitmarkIssue(_) => "BitmarkIssue",
            Transaction::BitmarkTransferUnratified(_) => "BitmarkTransferUnratified",
            Transaction::BitmarkTransferCountersigned(_) => "BitmarkTransferCountersigned",
            Transaction::BlockFoundation(_) => "BlockFoundation",
            Transaction::BlockOwnerTransfer(_) => "BlockOwnerTransfer",
            Transaction::BitmarkShare(_) => "BitmarkShare",
            Transaction::ShareGrant(_) => "ShareGrant",
            Transaction::ShareSwap(_) => "ShareSwap",
        }
    }

    /// The (first) signature.
    pub fn signature(&self) -> &Signature {
        match self {
            Transaction::BaseData(r) => &r.signature,
            Transaction::AssetData(r) => &r.signature,
            Transaction::BitmarkIssue(r) => &r.signature,
            Transaction::BitmarkTransferUnratified(r) => &r.signature,
            Transaction::BitmarkTransferCountersigned(r) => &r.signature,
            Transaction::BlockFoundation(r) => &r.signature,
            Transaction::BlockOwnerTransfer(r) => &r.signature,
            Transaction::BitmarkShare(r) => &r.signature,
            Transaction::ShareGrant(r) => &r.signature,
            Transaction::ShareSwap(r) => &r.signature,
        }
    }

    /// The countersignature, for the kinds that have one.
    pub fn countersignature(&self) -> Option<&Signature> {
        self.countersigned().map(|(_, signature)| signature)
    }

    /// The account that signs, when the record names it: the owner of a base-data,
    /// issue or foundation record, the registrant of an asset, owner (one) of a share
    /// grant (swap). `None` for transfers and shares, which the current owner of the
    /// linked bitmark or block signs (the ledger knows who that is).
    pub fn named_signer(&self) -> Option<&Account> {
        match self {
            Transaction::BaseData(r) => Some(&r.owner),
            Transaction::AssetData(r) => Some(&r.registrant),
            Transaction::BitmarkIssue(r) => Some(&r.owner),
            Transaction::BlockFoundation(r) => Some(&r.owner),
            Transaction::ShareGrant(r) => Some(&r.owner),
            Transaction::ShareSwap(r) => Some(&r.owner_one),
            Transaction::BitmarkTransferUnratified(_)
            | Transaction::BitmarkTransferCountersigned(_)
            | Transaction::BlockOwnerTransfer(_)
            | Transaction::BitmarkShare(_) => None,
        }
    }

    /// The account that countersigns, for the kinds that have a countersignature.
    pub fn countersigner(&self) -> Option<&Account> {
        match self {
            Transaction::BitmarkTransferCountersigned(r) => Some(&r.owner),
            Transaction::BlockOwnerTransfer(r) => Some(&r.owner),
            Transaction::ShareGrant(r) => Some(&r.recipient),
            Transaction::ShareSwap(r) => Some(&r.owner_two),
            _ => None,
        }
    }

    /// The countersigning account and the countersignature.
    pub(crate) fn countersigned(&self) -> Option<(&Account, &Signature)> {
        match self {
            Transaction::BitmarkTransferCountersigned(r) => Some((&r.owner, &r.countersignature)),
            Transaction::BlockOwnerTransfer(r) => Some((&r.owner, &r.countersignature)),
            Transaction::ShareGrant(r) => Some((&r.recipient, &r.countersignature)),
            Transaction::ShareSwap(r) => Some((&r.owner_two, &r.countersignature)),
            _ => None,
        }
    }
}

/// The transaction id of a packed record (SHA3-256).
pub fn txid(packed: &[u8]) -> Link {
    Link::of(packed)
}
