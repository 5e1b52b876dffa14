//! # peerd-testkit — conformance suites and helpers shared by every plugin crate
//!
//! Depends only on `peerd-api`, so every store and transport crate can dev-depend on it.
//!
//! - [`chain`]: a simple in-memory `Chain` with a toy block format, for kernel tests.
//! - [`handler`]: a `HandlerContext` for handler tests, with the kernel's end of its link.
//! - [`store`]: the store conformance suite every `Store` backend runs.
//! - [`transport`]: the transport conformance suite every `Transport` runs.
//! - [`wait`]: waiting for a condition, the one polling loop of every test crate.

pub mod chain;
pub mod handler;
pub mod store;
pub mod transport;
pub mod wait;
