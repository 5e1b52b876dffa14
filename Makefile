# The two commands a newcomer needs; each installs what is missing first (scripts/setup.sh).
.PHONY: run node test setup lint

setup:
	@scripts/setup.sh

# A mixed test network on this machine: 6 nodes (2 ZeroMQ, 2 libp2p, 2 bridges) in ./testnet,
# producing blocks, with a live table until Ctrl-C (docs/testnet.md). Run again to restart it.
run: setup
	cargo run --release -p peerd-node --no-default-features --features sled,zmq,libp2p --bin peerd -- testnet up --dir ./testnet

# Run one node on the embedded defaults (dev chain, sled store, data in ./peerd-data).
node: setup
	cargo run --release -p peerd-node --bin peerd -- run

# The whole test suite, exactly as CI runs it: the tests, the doc examples, and every fuzz
# target for a few seconds on its corpus (scripts/fuzz.sh, docs/fuzzing.md).
test: setup
	cargo test --workspace --all-targets --locked
	cargo test --workspace --doc --locked
	scripts/fuzz.sh smoke

lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
