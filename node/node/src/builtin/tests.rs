use peerd_transport_memory::MemoryNet;

use super::*;

#[test]
#[cfg(feature = "sled")]
fn store_paths_are_taken_under_the_data_dir() {
    let data = Path::new("/srv/peerd");
    let sled = |path: Option<&str>| {
        let cfg = peerd_store_sled::Config { path: path.map(PathBuf::from), ..Default::default() };
        StoreConfig::Sled(cfg).path(data)
    };
    assert_eq!(sled(None), Some(data.join("sled")));
    assert_eq!(sled(Some("db")), Some(data.join("db")));
    assert_eq!(sled(Some("/elsewhere")), Some(PathBuf::from("/elsewhere")));
}

#[test]
fn the_memory_store_opens_without_a_directory() {
    let store = StoreConfig::Memory(Default::default());
    assert_eq!(store.path(Path::new("/srv/peerd")), None);
    assert_eq!(store.open(Path::new("/nonexistent")).unwrap().kind(), "memory");
}

#[test]
fn a_kind_left_out_of_the_build_fails_to_open_naming_it() {
    let absent = NotCompiled { kind: "rocksdb", hint: "rebuild", options: serde_json::json!({}) };
    let err = StoreConfig::NotCompiled(absent.clone()).open(Path::new("/x")).err().unwrap();
    assert_eq!(err.to_string(), "store kind \"rocksdb\" is not available in this build: rebuild");
    let env = crate::config::Config::default().transport_env(MemoryNet::new(1));
    let err = TransportConfig::NotCompiled(NotCompiled { kind: "zmq", ..absent })
        .build(&env)
        .err()
        .unwrap();
    assert!(err.to_string().starts_with("transport kind \"zmq\""), "{err}");
}

#[test]
fn registry_refuses_sections_for_unknown_plugins() {
    let mut sections = BTreeMap::new();
    sections.insert("ghost".to_owned(), PluginConfig::default());
    let err = registry(&plugins(), &sections).unwrap_err();
    assert!(matches!(err, PluginError::Unknown(name) if name == "ghost"));
    assert!(registry(&plugins(), &BTreeMap::new()).is_ok());
}
