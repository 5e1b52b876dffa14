//! # peerd-kernel — the small kernel of peerd
//!
//! The kernel hosts bitmarkd's connector state machine (connect → elect the highest chain
//! by majority vote → detect forks → fetch blocks → rebuild → sample) and dispatches
//! gossip items to handler plugins. It knows peers, heights, digests and opaque block
//! bytes; everything else is a plugin behind the traits of [`peerd_api`]: transports,
//! stores, the chain rules and handlers. It names no concrete plugin and depends on no
//! command-line, config-file or HTTP library, so a program embedding it gets only what it
//! needs.
//!
//! - [`connector`]: the state machine as pure transitions (`on_event(event, now, chain
//!   view) -> actions`), voting, the fork walk and the pipelined fetch.
//! - [`Kernel`]: the async shell that carries the connector's actions out over the
//!   transports, runs the upstream tasks, the ordered chain worker, gossip dispatch and
//!   relay, block production and status snapshots.
//! - [`misbehaviour`]: one score per peer, fed by what it does wrong; bans past a threshold.
//! - [`status`]: status snapshots and metric counters.
//!
//! ```no_run
//! # async fn demo(chain: std::sync::Arc<dyn peerd_api::Chain>,
//! #               transports: Vec<peerd_api::TransportHandle>,
//! #               mut events: tokio::sync::mpsc::Receiver<peerd_api::TransportEvent>) {
//! use peerd_kernel::{connector::SyncConfig, Kernel};
//! use tokio_util::sync::CancellationToken;
//!
//! let shutdown = CancellationToken::new();
//! let kernel = Kernel::new(chain, SyncConfig::default());
//! if let Err(error) = kernel.run(&transports, &mut events, &shutdown).await {
//!     eprintln!("kernel stopped: {error}");
//! }
//! # }
//! ```

pub mod clients;
pub mod connector;
mod error;
mod kernel;
pub mod misbehaviour;
pub mod status;

pub use error::KernelError;
pub use kernel::observed::Observed;
pub use kernel::{
    Kernel, ProducerSwitch, Production, RebalanceRequest, HANDLER_STOP_GRACE,
    MAX_BLOCK_TRANSACTIONS,
};
