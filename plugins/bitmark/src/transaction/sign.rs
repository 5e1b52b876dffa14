//! Signing helpers: fill in a record's signatures with private keys (block production,
//! wallets, tests). The bytes signed are exactly those bitmarkd verifies.

use super::pack::put_bytes;
use super::Transaction;
use crate::account::{PrivateKey, Signature};
use crate::Fault;

impl Transaction {
    /// The bytes the countersignature covers: the record up to and including the first
    /// signature. `None` for kinds without a countersignature.
    ///
    /// # Errors
    /// As [`Transaction::signing_message`].
    pub fn countersigning_message(&self, testnet: bool) -> Result<Option<Vec<u8>>, Fault> {
        if self.countersigned().is_none() {
            return Ok(None);
        }
        let mut message = self.signing_message(testnet)?;
        put_bytes(&mut message, self.signature().as_bytes());
        Ok(Some(message))
    }

    /// Signs the record with `key` (on `key`'s network), replacing its signature.
    ///
    /// # Errors
    /// A field check's fault (see [`Transaction::pack`]); `invalid key type` for a key
    /// that cannot sign.
    pub fn sign(&mut self, key: &PrivateKey) -> Result<(), Fault> {
        let message = self.signing_message(key.is_testnet())?;
        *self.signature_mut() = key.sign(&message)?;
        Ok(())
    }

    /// Countersigns the record with `key`, replacing its countersignature; sign first.
    /// Returns false (and changes nothing) for kinds without a countersignature.
    ///
    /// # Errors
    /// As [`Transaction::sign`].
    pub fn countersign(&mut self, key: &PrivateKey) -> Result<bool, Fault> {
        let Some(message) = self.countersigning_message(key.is_testnet())? else {
            return Ok(false);
        };
        let countersignature = key.sign(&message)?;
        match self {
            Transaction::BitmarkTransferCountersigned(r) => r.countersignature = countersignature,
            Transaction::BlockOwnerTransfer(r) => r.countersignature = countersignature,
            Transaction::ShareGrant(r) => r.countersignature = countersignature,
            Transaction::ShareSwap(r) => r.countersignature = countersignature,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Signs with `key`, countersigns with `countersigner` if given, and packs the record as
    /// signed by `key`'s account: the one-call way wallets, tools and tests make a valid
    /// record.
    ///
    /// # Errors
    /// As [`Transaction::sign`] and [`Transaction::pack`]; `invalid key type` for a key
    /// without an account; `invalid count` if `countersigner` is given for a kind without
    /// a countersignature.
    pub fn sign_and_pack(
        &mut self,
        key: &PrivateKey,
        countersigner: Option<&PrivateKey>,
    ) -> Result<Vec<u8>, Fault> {
        let account = key.account().ok_or(Fault::InvalidKeyType)?;
        self.sign(key)?;
        if let Some(counter) = countersigner {
            if !self.countersign(counter)? {
                return Err(Fault::InvalidCount);
            }
        }
        self.pack(&account)
    }

    fn signature_mut(&mut self) -> &mut Signature {
        match self {
            Transaction::BaseData(r) => &mut r.signature,
            Transaction::AssetData(r) => &mut r.signature,
            Transaction::BitmarkIssue(r) => &mut r.signature,
            Transaction::BitmarkTransferUnratified(r) => &mut r.signature,
            Transaction::BitmarkTransferCountersigned(r) => &mut r.signature,
            Transaction::BlockFoundation(r) => &mut r.signature,
            Transaction::BlockOwnerTransfer(r) => &mut r.signature,
            Transaction::BitmarkShare(r) => &mut r.signature,
            Transaction::ShareGrant(r) => &mut r.signature,
            Transaction::ShareSwap(r) => &mut r.signature,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::transaction::AssetData;

    #[test]
    fn sign_and_pack_makes_a_record_that_unpacks_and_refuses_a_stray_countersigner() {
        let key = PrivateKey::from_ed25519_seed(&[7; 32], true);
        let record = AssetData {
            name: "asset".into(),
            fingerprint: "fingerprint".into(),
            metadata: "owner\0test".into(),
            registrant: key.account().unwrap(),
            signature: Default::default(),
        };
        let mut tx = Transaction::from(record);
        let packed = tx.clone().sign_and_pack(&key, None).unwrap();
        let (unpacked, used) = Transaction::unpack(&packed, true).unwrap();
        assert_eq!(used, packed.len());
        assert_eq!(unpacked.pack(&key.account().unwrap()).unwrap(), packed);
        let other = PrivateKey::from_ed25519_seed(&[8; 32], true);
        assert_eq!(tx.sign_and_pack(&key, Some(&other)), Err(Fault::InvalidCount));
    }
}
