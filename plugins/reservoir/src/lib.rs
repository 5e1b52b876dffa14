//! The reservoir: unconfirmed transactions (assets, issues, transfer, proof handlers), payments seam and the producer's transaction pool.
