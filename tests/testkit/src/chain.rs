//! A toy `Chain` for kernel tests (being built).
