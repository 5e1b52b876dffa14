//! The tools' tests, in one binary: `peerd testnet`'s network description and its live
//! table (`testnet_spec`, `testnet_table`), and the in-process mixed network of 3
//! ZeroMQ-only, 3 libp2p-only and 2 bridge nodes on loopback (`mixed_network`, with the
//! `zmq` and `libp2p` features).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

#[cfg(all(feature = "zmq", feature = "libp2p"))]
mod mixed_network;
mod testnet_spec;
mod testnet_table;
