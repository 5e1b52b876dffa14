//! A config file (`peerd.toml`) through the whole loader: TOML, the layered defaults, every
//! section's parser and the validation that lists every problem.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peerd_node::config::{load, Sources};

fuzz_target!(|data: &[u8]| {
    let file = peerd_fuzz::temp_dir().join("peerd.toml");
    std::fs::write(&file, data).expect("the temporary file is writable");
    let sources = Sources {
        file: Some(file),
        env: false,
        data_dir: Some(peerd_fuzz::temp_dir().join("data")),
        chain: None,
    };
    match load(&sources) {
        Ok(loaded) => {
            let _ = peerd_node::config::render_effective(&loaded);
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
