//! Unpacking (`transactionrecord/unpack.go`): same field order, limits, checks and
//! fault texts as bitmarkd. Signatures are not verified here (pack does that).
//!
//! Every read is bounds-checked: a record that ends early is `not transaction pack`
//! (bitmarkd gets the same text by recovering from the slice panic).

#![deny(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::{
    AssetData, AssetId, BaseData, BitmarkIssue, BitmarkShare, BitmarkTransferCountersigned,
    BitmarkTransferUnratified, BlockFoundation, BlockOwnerTransfer, Link, Payment, ShareGrant,
    ShareSwap, Text, Transaction, FOUNDATION_VERSION, MAX_FIELD_LENGTH,
};
use crate::account::{Account, Signature};
use crate::currency::{self, Currency, CurrencyMap, CurrencySet};
use crate::{varint, Fault};

impl Transaction {
    /// Decodes one record from the front of `record` for the live (`testnet = false`) or
    /// test network: the record and the number of bytes it used. Bytes after the record
    /// are left alone (blocks concatenate records).
    ///
    /// # Errors
    /// `not transaction pack` for a bad tag, a truncated or malformed field; otherwise the
    /// first failing check's bitmarkd fault (`not link`, `not asset id`,
    /// `wrong network for public key`, account and currency faults, field checks).
    pub fn unpack(record: &[u8], testnet: bool) -> Result<(Transaction, usize), Fault> {
        let mut reader = Reader { record, n: 0, testnet };
        let tag = reader.length(1)?;
        let transaction = match tag {
            1 => reader.base_data()?,
            2 => reader.asset_data()?,
            3 => reader.bitmark_issue()?,
            4 => reader.transfer_unratified()?,
            5 => reader.transfer_countersigned()?,
            6 => reader.block_foundation()?,
            7 => reader.block_owner_transfer()?,
            8 => reader.bitmark_share()?,
            9 => reader.share_grant()?,
            10 => reader.share_swap()?,
            _ => return Err(Fault::NotTransactionPack),
        };
        transaction.check(testnet)?;
        Ok((transaction, reader.n))
    }

    /// Decodes a buffer that must hold exactly one record.
    ///
    /// # Errors
    /// As [`Transaction::unpack`]; `not transaction pack` for trailing bytes.
    pub fn unpack_exact(record: &[u8], testnet: bool) -> Result<Transaction, Fault> {
        let (transaction, used) = Transaction::unpack(record, testnet)?;
        if used != record.len() {
            return Err(Fault::NotTransactionPack);
        }
        Ok(transaction)
    }
}

/// A cursor over one record; `n` never exceeds `record.len()`.
struct Reader<'a> {
    record: &'a [u8],
    n: usize,
    testnet: bool,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a [u8] {
        self.record.get(self.n..).unwrap_or_default()
    }

    fn varint(&mut self) -> Result<u64, Fault> {
        let (value, used) = varint::decode(self.rest()).ok_or(Fault::NotTransactionPack)?;
        self.n = self.n.saturating_add(used);
        Ok(value)
    }

    /// A length (or the tag) in `minimum..=8192` (bitmarkd's `ClippedVarint64`).
    fn length(&mut self, minimum: i64) -> Result<usize, Fault> {
        let (value, used) = varint::decode_clipped(self.rest(), minimum, MAX_FIELD_LENGTH as i64)
            .ok_or(Fault::NotTransactionPack)?;
        self.n = self.n.saturating_add(used);
        usize::try_from(value).map_err(|_| Fault::NotTransactionPack)
    }

    fn take(&mut self, length: usize) -> Result<&'a [u8], Fault> {
        let end = self.n.checked_add(length).ok_or(Fault::NotTransactionPack)?;
        let bytes = self.record.get(self.n..end).ok_or(Fault::NotTransactionPack)?;
        self.n = end;
        Ok(bytes)
    }

    /// `varint(length) ‖ bytes` with length in `minimum..=8192`.
    fn field(&mut self, minimum: i64) -> Result<&'a [u8], Fault> {
        let length = self.length(minimum)?;
        self.take(length)
    }

    fn text(&mut self, minimum: i64) -> Result<Text, Fault> {
        Ok(Text::from(self.field(minimum)?))
    }

    fn account(&mut self) -> Result<Account, Fault> {
        let account = Account::from_bytes(self.field(1)?)?;
        if account.is_testnet() != self.testnet {
            return Err(Fault::WrongNetworkForPublicKey);
        }
        Ok(account)
    }

    fn link(&mut self) -> Result<Link, Fault> {
        Link::from_slice(self.field(1)?)
    }

    fn signature(&mut self) -> Result<Signature, Fault> {
        Ok(Signature(self.field(1)?.to_vec()))
    }

    fn escrow(&mut self) -> Result<Option<Payment>, Fault> {
        let flag = *self.record.get(self.n).ok_or(Fault::NotTransactionPack)?;
        self.n = self.n.saturating_add(1);
        match flag {
            0 => Ok(None),
            1 => {
                let currency = Currency::from_u64(self.varint()?)?;
                let address = self.text(1)?;
                let amount = self.varint()?;
                Ok(Some(Payment { currency, address, amount }))
            }
            _ => Err(Fault::NotTransactionPack),
        }
    }

    /// Version then payments map, with bitmarkd's (odd) fault for a wrong version or set.
    fn version_and_payments(&mut self) -> Result<(u64, CurrencyMap), Fault> {
        let version = self.varint()?;
        if version != FOUNDATION_VERSION {
            return Err(Fault::InvalidCurrencyAddress);
        }
        let length = self.length(1)?;
        let start = self.n;
        self.take(length)?;
        let (payments, set) =
            currency::unpack_map_within(self.record, start, self.n, self.testnet)?;
        if set != CurrencySet::of(&Currency::ALL) {
            return Err(Fault::InvalidCurrencyAddress);
        }
        Ok((version, payments))
    }

    fn base_data(&mut self) -> Result<Transaction, Fault> {
        let currency = Currency::from_u64(self.varint()?)?;
        let payment_address = self.text(1)?;
        let owner = self.account()?;
        let nonce = self.varint()?;
        let signature = self.signature()?;
        Ok(BaseData { currency, payment_address, owner, nonce, signature }.into())
    }

    fn asset_data(&mut self) -> Result<Transaction, Fault> {
        // bitmarkd ignores a bad name length here, but then reads the fingerprint length
        // from the same bytes, which fails too: the result is the same.
        let name = self.text(0)?;
        let fingerprint = self.text(1)?;
        let metadata = self.text(0)?;
        let registrant = self.account()?;
        let signature = self.signature()?;
        Ok(AssetData { name, fingerprint, metadata, registrant, signature }.into())
    }

    fn bitmark_issue(&mut self) -> Result<Transaction, Fault> {
        let asset_id = AssetId::from_slice(self.field(1)?)?;
        let owner = self.account()?;
        let nonce = self.varint()?;
        let signature = self.signature()?;
        Ok(BitmarkIssue { asset_id, owner, nonce, signature }.into())
    }

    fn transfer_unratified(&mut self) -> Result<Transaction, Fault> {
        let link = self.link()?;
        let escrow = self.escrow()?;
        let owner = self.account()?;
        let signature = self.signature()?;
        Ok(BitmarkTransferUnratified { link, escrow, owner, signature }.into())
    }

    fn transfer_countersigned(&mut self) -> Result<Transaction, Fault> {
        let link = self.link()?;
        let escrow = self.escrow()?;
        let owner = self.account()?;
        let signature = self.signature()?;
        let countersignature = self.signature()?;
        Ok(BitmarkTransferCountersigned { link, escrow, owner, signature, countersignature }.into())
    }

    fn block_foundation(&mut self) -> Result<Transaction, Fault> {
        let (version, payments) = self.version_and_payments()?;
        let owner = self.account()?;
        let nonce = self.varint()?;
        let signature = self.signature()?;
        Ok(BlockFoundation { version, payments, owner, nonce, signature }.into())
    }

    fn block_owner_transfer(&mut self) -> Result<Transaction, Fault> {
        let link = self.link()?;
        let escrow = self.escrow()?;
        let (version, payments) = self.version_and_payments()?;
        let owner = self.account()?;
        let signature = self.signature()?;
        let countersignature = self.signature()?;
        Ok(BlockOwnerTransfer {
            link,
            escrow,
            version,
            payments,
            owner,
            signature,
            countersignature,
        }
        .into())
    }

    fn bitmark_share(&mut self) -> Result<Transaction, Fault> {
        let link = self.link()?;
        let quantity = self.varint()?;
        let signature = self.signature()?;
        Ok(BitmarkShare { link, quantity, signature }.into())
    }

    fn share_grant(&mut self) -> Result<Transaction, Fault> {
        let share_id = self.link()?;
        let quantity = self.varint()?;
        let owner = self.account()?;
        let recipient = self.account()?;
        let before_block = self.varint()?;
        let signature = self.signature()?;
        let countersignature = self.signature()?;
        Ok(ShareGrant {
            share_id,
            quantity,
            owner,
            recipient,
            before_block,
            signature,
            countersignature,
        }
        .into())
    }

    fn share_swap(&mut self) -> Result<Transaction, Fault> {
        let share_id_one = self.link()?;
        let quantity_one = self.varint()?;
        let owner_one = self.account()?;
        let share_id_two = self.link()?;
        let quantity_two = self.varint()?;
        let owner_two = self.account()?;
        let before_block = self.varint()?;
        let signature = self.signature()?;
        let countersignature = self.signature()?;
        Ok(ShareSwap {
            share_id_one,
            quantity_one,
            owner_one,
            share_id_two,
            quantity_two,
            owner_two,
            before_block,
            signature,
            countersignature,
        }
        .into())
    }
}
