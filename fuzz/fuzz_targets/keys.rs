//! Key files as a node reads them at start: the ZeroMQ CURVE key files (`PUBLIC:`/`PRIVATE:`
//! hex text) and the libp2p identity file (protobuf).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use peerd_transport_zmq::keys::{load_key, parse_key, KeyKind};

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
}

fuzz_target!(|data: &[u8]| {
    let path = dir().path().join("key");
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
