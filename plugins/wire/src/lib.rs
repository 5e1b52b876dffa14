//! # peerd-wire — bitmarkd's wire facts shared by several crates
//!
//! Small, dependency-free pieces of bitmarkd's peer protocol that the contract, the
//! transports, the chain rules and the plugins all need, so that none of them has to
//! depend on another for them (a transport needs no chain rules to pack an address):
//!
//! - [`address`]: packed listener addresses, bitmarkd's 7- and 19-byte records
//!   (protocol §3.4);
//! - [`quote`]: Go's `%q` and the exact `invalid chain` error text (protocol §2.1);
//! - [`size`]: what a message weighs as bitmarkd's frames, and the 5,000,000-byte limit.
//!
//! It depends on no crate of peerd's.

pub mod address;
pub mod quote;
pub mod size;
