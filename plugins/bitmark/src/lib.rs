//! # peerd-bitmark — bitmarkd's chain rules as a peerd plugin
//!
//! Everything bitmarkd knows about blocks and transactions, byte-exact, over the
//! `peerd_api::Store` trait, exposed to the kernel through `peerd_api::Chain`.
//! Contract: `docs/protocol.md` §5.

pub mod account;
pub mod base58;
pub mod batch_digests;
pub mod bitmark_chain;
pub mod currency;
pub mod difficulty;
pub mod digest;
pub mod fault;
pub mod genesis;
pub mod header;
pub mod inspect;
pub mod ledger;
pub mod merkle;
pub mod params;
pub mod payid;
pub mod producer;
pub mod rules;
pub mod seed;
pub mod traffic;
pub mod transaction;
pub mod varint;

pub use fault::Fault;
