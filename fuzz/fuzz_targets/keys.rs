//! Key files as a node reads them at start: the ZeroMQ CURVE key files (`PUBLIC:`/`PRIVATE:`
//! hex text) and the libp2p identity file (protobuf).
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_transport_zmq::keys::{load_key, parse_key, KeyKind};

fuzz_target!(|data: &[u8]| {
    let path = peerd_fuzz::temp_dir().join("key");
    std::fs::write(&path, data).expect("the temporary file is writable");
    let path_text = path.to_str().expect("a UTF-8 temporary path");
    for kind in [KeyKind::Public, KeyKind::Private] {
        let from_file = load_key(kind, path_text);
        if let Ok(text) = std::str::from_utf8(data) {
            let from_text = parse_key(kind, text);
            assert_eq!(from_file.is_ok(), from_text.is_ok());
        }
    }
    let _ = peerd_transport_libp2p::keys::load(&path);
});
