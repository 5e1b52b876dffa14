//! bitmarkd's fault texts (`fault/fault.go`): the exact strings peers and clients see.
//!
//! One enum for the whole plugin boundary. The `Display` text of each variant is
//! bitmarkd's text byte for byte; do not reword them. Add variants as needed (keep the
//! list sorted by text).

/// A bitmarkd fault, displayed with bitmarkd's exact text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
#[allow(missing_docs)] // each variant is documented by its text
pub enum Fault {
    #[error("asset not found")]
    AssetNotFound,
    #[error("bitcoin address for wrong network")]
    BitcoinAddressForWrongNetwork,
    #[error("block end earlier than begin")]
    BlockEndEarlierThanBegin,
    #[error("block not found")]
    BlockNotFound,
    #[error("block version must not decrease")]
    BlockVersionMustNotDecrease,
    #[error("can only convert assets to shares")]
    CanOnlyConvertAssetsToShares,
    #[error("cannot convert shares back to assets")]
    CannotConvertSharesBackToAssets,
    #[error("cannot decode account")]
    CannotDecodeAccount,
    #[error("cannot decode private key")]
    CannotDecodePrivateKey,
    #[error("cannot decode seed")]
    CannotDecodeSeed,
    #[error("checksum mismatch")]
    ChecksumMismatch,
    #[error("difficulty does not match calculated")]
    DifficultyDoesNotMatchCalculated,
    #[error("double transfer attempt")]
    DoubleTransferAttempt,
    #[error("fingerprint too long")]
    FingerprintTooLong,
    #[error("fingerprint too short")]
    FingerprintTooShort,
    #[error("height out of sequence")]
    HeightOutOfSequence,
    #[error("insufficient shares")]
    InsufficientShares,
    #[error("invalid bitcoin address")]
    InvalidBitcoinAddress,
    #[error("invalid block header difficulty")]
    InvalidBlockHeaderDifficulty,
    #[error("invalid block header size")]
    InvalidBlockHeaderSize,
    #[error("invalid block header timestamp")]
    InvalidBlockHeaderTimestamp,
    #[error("invalid block header version")]
    InvalidBlockHeaderVersion,
    #[error("invalid buffer")]
    InvalidBuffer,
    #[error("invalid count")]
    InvalidCount,
    #[error("invalid currency")]
    InvalidCurrency,
    #[error("invalid currency address")]
    InvalidCurrencyAddress,
    #[error("invalid ip address")]
    InvalidIpAddress,
    #[error("invalid key length")]
    InvalidKeyLength,
    #[error("invalid key type")]
    InvalidKeyType,
    #[error("invalid litecoin address")]
    InvalidLitecoinAddress,
    #[error("invalid nonce")]
    InvalidNonce,
    #[error("invalid owner or registrant")]
    InvalidOwnerOrRegistrant,
    #[error("invalid payment version")]
    InvalidPaymentVersion,
    #[error("invalid port number")]
    InvalidPortNumber,
    #[error("invalid recovery phrase length")]
    InvalidRecoveryPhraseLength,
    #[error("invalid secret key length")]
    InvalidSecretKeyLength,
    #[error("invalid seed header")]
    InvalidSeedHeader,
    #[error("invalid seed length")]
    InvalidSeedLength,
    #[error("invalid signature")]
    InvalidSignature,
    #[error("link to invalid or unconfirmed transaction")]
    LinkToInvalidOrUnconfirmedTransaction,
    #[error("litecoin address for wrong network")]
    LitecoinAddressForWrongNetwork,
    #[error("merkle root does not match")]
    MerkleRootDoesNotMatch,
    #[error("metadata is not map")]
    MetadataIsNotMap,
    #[error("metadata too long")]
    MetadataTooLong,
    #[error("missing block owner")]
    MissingBlockOwner,
    #[error("name too long")]
    NameTooLong,
    #[error("no new transactions")]
    NoNewTransactions,
    #[error("not a pay id")]
    NotAPayId,
    #[error("not a pay nonce")]
    NotAPayNonce,
    #[error("not asset id")]
    NotAssetId,
    #[error("not link")]
    NotLink,
    #[error("not private key")]
    NotPrivateKey,
    #[error("not public key")]
    NotPublicKey,
    #[error("not transaction pack")]
    NotTransactionPack,
    #[error("pay id already used")]
    PayIdAlreadyUsed,
    #[error("payment address too long")]
    PaymentAddressTooLong,
    #[error("previous block digest does not match")]
    PreviousBlockDigestDoesNotMatch,
    #[error("share ids cannot be identical")]
    ShareIdsCannotBeIdentical,
    #[error("share quantity too small")]
    ShareQuantityTooSmall,
    #[error("signature too long")]
    SignatureTooLong,
    #[error("transaction already exists")]
    TransactionAlreadyExists,
    #[error("transaction count out of range")]
    TransactionCountOutOfRange,
    #[error("transaction is not an asset")]
    TransactionIsNotAnAsset,
    #[error("transaction is not an issue")]
    TransactionIsNotAnIssue,
    #[error("transaction is not a transfer")]
    TransactionIsNotATransfer,
    #[error("wrong network for public key")]
    WrongNetworkForPublicKey,
}

/// Every fault of a block's content is the sender's. (A block that does not follow the
/// local tip is reported by the ledger as [`peerd_api::ChainError::OutOfSequence`] before
/// any of these can arise.)
impl From<Fault> for peerd_api::ChainError {
    fn from(fault: Fault) -> Self {
        peerd_api::ChainError::invalid(fault.to_string())
    }
}

impl From<peerd_wire::address::AddressError> for Fault {
    fn from(e: peerd_wire::address::AddressError) -> Self {
        match e {
            peerd_wire::address::AddressError::InvalidPortNumber => Fault::InvalidPortNumber,
            _ => Fault::InvalidIpAddress,
        }
    }
}
