//! The connector: bitmarkd's sync state machine (spec §4), as pure transitions.

mod config;

pub use config::SyncConfig;
