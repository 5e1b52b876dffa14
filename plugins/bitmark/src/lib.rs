//! # peerd-bitmark — bitmarkd's chain rules as a peerd plugin
//!
//! Everything bitmarkd knows about blocks and transactions, byte-exact, over the
//! `peerd_api::Store` trait, exposed to the kernel through `peerd_api::Chain`.
//! Contract: `spec/bitmarkd-protocol.md` §5.

pub mod fault;

pub use fault::Fault;
