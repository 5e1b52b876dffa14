//! One transaction record (every kind), on the live and the test network: the decoder the
//! block and reservoir paths use, and what is derived from a decoded record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_bitmark::transaction::Transaction;

fuzz_target!(|data: &[u8]| {
    for testnet in [false, true] {
        if let Ok((tx, used)) = Transaction::unpack(data, testnet) {
            assert!(used > 0 && used <= data.len());
            let _ = tx.signing_message(testnet);
            let _ = tx.record_name();
            let _ = tx.named_signer();
            let exact = Transaction::unpack_exact(&data[..used], testnet);
            assert!(exact.is_ok(), "a record that unpacks from a prefix unpacks exactly");
            let _ = peerd_bitmark::inspect::transaction(&data[..used], testnet);
        }
        let _ = peerd_bitmark::currency::unpack_map(data, testnet);
    }
});
