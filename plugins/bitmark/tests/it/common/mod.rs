//! Loads the bitmarkd test vectors for the vector tests.
//!
//! The vectors live in `tests/vectors/` at the repository root, or in the directory named
//! by `PEERD_VECTORS` (same layout). Every case of a file must be handled: a kind the
//! test does not know fails the test instead of being skipped.

use std::path::PathBuf;

use serde_json::Value;

/// The directory the vectors are read from.
pub(crate) fn vectors_dir() -> PathBuf {
    match std::env::var_os("PEERD_VECTORS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors"),
    }
}

/// All cases of one vector file.
pub(crate) fn cases(file: &str) -> Vec<Value> {
    let path = vectors_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read vector file {} (set PEERD_VECTORS to the vectors directory): {e}",
            path.display()
        )
    });
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("vector file {} is not JSON: {e}", path.display()));
    doc["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("vector file {} has no cases array", path.display()))
        .clone()
}

/// Runs `check(kind, case)` on every case of `file`. `check` returns false for a kind it
/// does not know, which fails the test. Prints how many cases were checked.
#[allow(clippy::print_stdout)] // reports how many cases of each file were checked
pub(crate) fn run(file: &str, mut check: impl FnMut(&str, &Value) -> bool) {
    let cases = cases(file);
    assert!(!cases.is_empty(), "{file} has no cases");
    let mut unknown = Vec::new();
    for case in &cases {
        let kind = case["kind"].as_str().unwrap_or("<no kind>");
        let name = case["name"].as_str().unwrap_or("<no name>");
        if !check(kind, case) {
            unknown.push(format!("{name} (kind {kind})"));
        }
    }
    assert!(unknown.is_empty(), "{file}: cases of unknown kind: {unknown:?}");
    println!("{file}: checked {} cases", cases.len());
}

/// Hex field of a case as bytes.
pub(crate) fn hex_field(case: &Value, field: &str) -> Vec<u8> {
    let text = case[field]
        .as_str()
        .unwrap_or_else(|| panic!("case field {field} is not a string: {case}"));
    hex::decode(text).unwrap_or_else(|e| panic!("case field {field} is not hex: {e}"))
}

/// Unsigned integer field (exact, up to 2^64-1).
pub(crate) fn u64_field(case: &Value, field: &str) -> u64 {
    case[field].as_u64().unwrap_or_else(|| panic!("case field {field} is not a u64: {case}"))
}

/// String field.
pub(crate) fn str_field<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field].as_str().unwrap_or_else(|| panic!("case field {field} is not a string: {case}"))
}

/// The case's `expected_error` (or `error`), `None` for success.
pub(crate) fn expected_error(case: &Value) -> Option<&str> {
    case.get("expected_error").or_else(|| case.get("error")).and_then(Value::as_str)
}
