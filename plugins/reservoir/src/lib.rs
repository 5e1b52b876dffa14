//! # peerd-reservoir — unconfirmed transactions
//!
//! bitmarkd's reservoir as a peerd plugin: the handlers of the `assets`, `issues`,
//! `transfer` and `proof` gossip items ([`ReservoirHandler`], fault texts in
//! [`handler`]), the payments seam ([`Reservoir::record_payment`]) and the pool of
//! verified transactions a local block producer includes ([`Reservoir::ready`], offered
//! as the node's [`peerd_api::TransactionPool`]).
//!
//! ## Life of a transaction
//!
//! - **Assets** are cached (unconfirmed) for `asset_expiry_seconds`; an identical record
//!   restarts the time; a cached asset lives as long as a held issue needs it.
//! - **Issues** and **transfers** are held in groups under a pay id (SHA3-384 of the
//!   packed records). A group is *unverified* until paid ([`Reservoir::record_payment`];
//!   with `auto_verify` at once) or, for free issues (all nonces zero), proven by a
//!   `proof` item; unverified groups expire after `expiry_seconds`. A payment seen before
//!   its group is kept as an *orphan* and verifies the group when it arrives.
//! - **Verified** groups wait for a block: [`Reservoir::ready`] offers them (assets the
//!   issues need first), they are re-broadcast every `rebroadcast_seconds`, and a stored
//!   block ([`peerd_api::NodeEvent::BlockAccepted`]) removes them, together with every
//!   held group spending a link the block spends. A rescan ([`Reservoir::rescan`], at
//!   every expiry sweep and when blocks are deleted) drops groups the ledger no longer
//!   accepts; the block producer skips any it still meets.
//!
//! ## Persistence: none (rebuilt)
//!
//! The reservoir lives in memory only. After a restart it is empty: unverified items were
//! short-lived anyway (45 minutes), and verified ones come back through the re-broadcasts
//! of the peers that hold them, or through client resubmission. (bitmarkd writes a cache
//! file at shutdown; peerd does not, so a crash cannot leave a stale or half-written pool.)
//!
//! ## Bounds
//!
//! At most `max_pending` held transactions, `max_assets` cached assets (submissions beyond
//! get `buffer capacity limit`) and `max_orphans` orphan payments (further ones dropped).
//!
//! ```
//! use peerd_api::{Plugin, PluginConfig, Registry};
//! use peerd_reservoir::ReservoirPlugin;
//!
//! let plugin = ReservoirPlugin::new();
//! let mut registry = Registry::new();
//! plugin.register(&PluginConfig::default(), &mut registry).unwrap();
//! assert!(registry.transaction_pool().is_some());
//! assert_eq!(plugin.reservoir().counts().pending, 0);
//! ```

mod assets;
pub mod config;
pub mod error;
pub mod handler;
mod issues;
pub mod payment;
mod plugin;
mod pool;
pub mod proof;
mod reservoir;
mod returned;
mod state;
mod transfer;
mod view;

pub use config::ReservoirConfig;
pub use error::{ReservoirError, ReservoirFault};
pub use handler::ReservoirHandler;
pub use issues::MAXIMUM_ISSUES;
pub use payment::{Payment, PaymentAlternative, PaymentDetail};
pub use plugin::ReservoirPlugin;
pub use pool::Expired;
pub use reservoir::{Counts, PaymentOutcome, Reservoir, TransactionState};
pub use returned::Returned;
pub use view::{LedgerView, Submitted};
