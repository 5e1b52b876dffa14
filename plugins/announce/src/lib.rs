//! Peer announcement: the peer and rpc tables, self-announcement, rebalance of dynamic upstreams, the peer cache (peer and rpc handlers).
