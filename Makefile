# The two commands a newcomer needs; each installs what is missing first (scripts/setup.sh).
.PHONY: run test setup lint

setup:
	@scripts/setup.sh

# Run one node on the embedded defaults (dev chain, sled store, data in ./peerd-data).
run: setup
	cargo run --release -p peerd-node --bin peerd -- run

# The whole test suite, exactly as CI runs it.
test: setup
	cargo test --workspace --all-targets --locked
	cargo test --workspace --doc --locked

lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
