//! The ledger: bitmarkd's block store and indexes over a [`peerd_api::Store`].
//!
//! [`apply::prepare`] validates an incoming block in the order of bitmarkd's
//! `StoreIncoming` (protocol §5.3) and turns it into ONE [`peerd_api::WriteBatch`]; the caller
//! ([`crate::bitmark_chain::BitmarkChain`]) writes it with a single `Store::write`, so after a
//! crash a block is either wholly there or not at all. [`delete::delete_down`] undoes blocks
//! from the tip down (protocol §5.5), one batch per block. Works on every backend (memory, sled,
//! RocksDB): only `get`, `scan` and `write` are used.
//!
//! # Schema
//!
//! All numbers in keys are big-endian (`BE64`), so keys sort numerically. Raw orders:
//! digests and transaction ids as computed (displayed byte-reversed), asset ids as
//! computed. "owner" is an account's packed bytes (`0x11`/`0x13` ‖ 32-byte Ed25519 key).
//!
//! | column | key | value | bitmarkd pool |
//! |---|---|---|---|
//! | `bitmark.blocks` | `BE64(n)` | packed block, as received | `B` |
//! | `bitmark.digests` | `BE64(n)` | 32-byte digest | `2` |
//! | `bitmark.txs` | tx id (32) | `BE64(n)` ‖ packed record | `T` |
//! | `bitmark.assets` | asset id (64) | `BE64(n)` ‖ packed AssetData | `A` |
//! | `bitmark.owner_data` | head tx id (32) | owner data (kind, transfer block, issue id, issue block, asset id) | `O` |
//! | `bitmark.owner_index` | owner ‖ head tx id | empty | `D` |
//! | `bitmark.shares` | share id (32) | `BE64(total)` ‖ share tx id | `F` |
//! | `bitmark.share_balances` | share id ‖ owner | `BE64(balance)`, no row for 0 | `Q` (halves swapped) |
//! | `bitmark.block_payments` | `BE64(n)` | packed payments of block n's current owner | `H` |
//! | `bitmark.block_owner_txs` | tx id (32) | `BE64(n)` of the block it owns | `I` |
//! | `bitmark.undo` | `BE64(n)` | undo log of block n ([`undo`]) | — |
//!
//! The foundation record(s) of block `n` are stored in `bitmark.txs` under the foundation
//! id `SHA3-256(digest ‖ LE64(n))`, which also heads the block's ownership (owner data of
//! kind "block" and a `bitmark.block_owner_txs` row), exactly as bitmarkd does. bitmarkd's
//! owner-list pools `N`/`L` (a per-owner running count for paging) are not kept; the owner
//! index answers the same questions.
//!
//! The height is the last key of `bitmark.blocks` (1 when empty); the tip state and the
//! current difficulty are cached in memory ([`tip::Tip`]) and rebuilt from the store on open.

mod admission;
pub mod apply;
pub mod columns;
pub mod delete;
pub mod ownership;
pub mod query;
mod records;
mod staging;
pub mod tip;
pub mod undo;

pub use apply::{prepare, Prepared};
pub use delete::delete_down;
pub use tip::Tip;
