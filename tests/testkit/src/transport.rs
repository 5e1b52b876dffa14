//! Transport conformance suite (being built).
