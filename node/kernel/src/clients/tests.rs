//! Admission, eviction, pins, limits, ticks and snapshots, with scripted times.

use super::*;

mod balances;
mod config;

pub(super) const T0: u64 = 1_700_000_000_000;
pub(super) const SEC: u64 = 1_000;

pub(super) fn id(name: &str) -> ClientId {
    ClientId::new("zmq", name.as_bytes().to_vec())
}

/// Two clients, ten capacity units, one credit a second or a request, no decay, no bias.
pub(super) fn config() -> ClientsConfig {
    ClientsConfig {
        max_inbound: 2,
        max_capacity: 10,
        time_price: 1.0,
        capacity_price: 0.0,
        request_price: 1.0,
        positive_decay_secs: 0,
        negative_decay_secs: 0,
        connected_bias_secs: 0,
        inactive_timeout_secs: 600,
        floor: 0.01,
        evict_below: -1000.0,
        ..ClientsConfig::default()
    }
}

pub(super) fn pool(config: ClientsConfig) -> ClientPool {
    ClientPool::new(config.validate().unwrap(), T0)
}

fn admitted(evicted: &[&ClientId]) -> Admission {
    Admission::Admitted { evicted: evicted.iter().map(|&i| i.clone()).collect() }
}

/// A pool holding `clients`, each given its positive balance and connected at T0.
fn full(config: ClientsConfig, clients: &[(&ClientId, f64, u64)]) -> ClientPool {
    let mut pool = pool(config);
    for &(client, positive, capacity) in clients {
        pool.add_positive(client, positive, T0);
        assert_eq!(pool.connect(client, capacity, T0), admitted(&[]), "{client}");
    }
    pool
}

#[test]
fn admits_up_to_max_inbound_then_evicts_the_lowest_only_for_a_strictly_better_newcomer() {
    let (a, b, c) = (id("a"), id("b"), id("c"));
    let mut pool = full(config(), &[(&a, 100.0, 1), (&b, 50.0, 1)]);
    assert_eq!(pool.connect(&c, 1, T0), Admission::Refused(Refusal::PoolFull));
    pool.add_positive(&c, 50.0, T0);
    assert_eq!(
        pool.connect(&c, 1, T0),
        Admission::Refused(Refusal::PoolFull),
        "equal is not enough"
    );
    pool.add_positive(&c, 1.0, T0);
    assert_eq!(pool.connect(&c, 1, T0), admitted(&[&b]));
    assert!(pool.is_connected(&a) && pool.is_connected(&c) && !pool.is_connected(&b));
    assert_eq!(pool.snapshot(T0).connected, 2);
}

#[test]
fn connecting_twice_is_admitted_once() {
    let a = id("a");
    let mut pool = full(config(), &[(&a, 0.0, 1)]);
    assert_eq!(pool.connect(&a, 5, T0 + SEC), admitted(&[]));
    let snapshot = pool.snapshot(T0 + SEC);
    assert_eq!((snapshot.connected, snapshot.capacity_used), (1, 1));
    assert_eq!(pool.counts().admitted, 1);
}

#[test]
fn the_connected_bias_protects_against_a_marginally_better_newcomer_only() {
    let (a, b) = (id("a"), id("b"));
    let config = ClientsConfig { max_inbound: 1, connected_bias_secs: 60, ..config() };
    let mut pool = full(config, &[(&a, 100.0, 1)]);
    pool.add_positive(&b, 150.0, T0);
    assert_eq!(pool.connect(&b, 1, T0), Admission::Refused(Refusal::PoolFull));
    pool.add_positive(&b, 11.0, T0);
    assert_eq!(pool.connect(&b, 1, T0), admitted(&[&a]), "161 > 100 + 60");
}

#[test]
fn pinned_clients_are_always_admitted_and_never_evicted() {
    let (a, b, c) = (id("a"), id("b"), id("c"));
    let config = ClientsConfig {
        max_inbound: 1,
        evict_below: -5.0,
        pinned: vec![a.to_string()],
        ..config()
    };
    let mut pool = full(config, &[(&a, 0.0, 1)]);
    pool.add_positive(&b, 1e9, T0);
    assert_eq!(pool.connect(&b, 1, T0), Admission::Refused(Refusal::PoolFull));
    assert!(pool.pin(c.clone()));
    assert_eq!(pool.connect(&c, 1, T0), admitted(&[]), "over the limit");
    assert_eq!(pool.snapshot(T0).connected, 2);
    // Deep in debt, and still not evicted.
    pool.served(&a, 100, T0);
    pool.served(&c, 100, T0);
    assert_eq!(pool.tick(T0 + SEC), Vec::<ClientId>::new());
    assert!(pool.is_connected(&a) && pool.is_connected(&c));
    assert!(!pool.unpin(&a), "a config pin stays");
    assert!(pool.unpin(&c));
    assert_eq!(pool.tick(T0 + 2 * SEC), vec![c.clone()]);
    assert!(pool.is_connected(&a) && !pool.is_connected(&c));
}

#[test]
fn the_capacity_limit_evicts_as_many_as_needed_or_none() {
    let (a, b, c, d, e, f) = (id("a"), id("b"), id("c"), id("d"), id("e"), id("f"));
    let config = ClientsConfig { max_inbound: 10, ..config() };
    let mut pool = full(config, &[(&a, 100.0, 6), (&b, 10.0, 4)]);
    assert_eq!(pool.connect(&c, 11, T0), Admission::Refused(Refusal::CapacityTooLarge));
    pool.add_positive(&c, 50.0, T0);
    assert_eq!(pool.connect(&c, 3, T0), admitted(&[&b]));
    pool.add_positive(&d, 1000.0, T0);
    assert_eq!(pool.connect(&d, 5, T0), admitted(&[&c, &a]), "lowest first");
    pool.add_positive(&e, 20.0, T0);
    assert_eq!(pool.connect(&e, 5, T0), admitted(&[]));
    // f would have to evict e (fine) and d (not): it is refused and e stays.
    pool.add_positive(&f, 500.0, T0);
    assert_eq!(pool.connect(&f, 10, T0), Admission::Refused(Refusal::PoolFull));
    assert!(pool.is_connected(&d) && pool.is_connected(&e));
    assert_eq!(pool.snapshot(T0).capacity_used, 10);
}

#[test]
fn refusals_and_evictions_are_counted() {
    let (a, b, c, d) = (id("a"), id("b"), id("c"), id("d"));
    let config = ClientsConfig { evict_below: -5.0, ..config() };
    let mut pool = full(config, &[(&a, 0.0, 1), (&b, 10.0, 1)]);
    pool.connect(&c, 1, T0);
    pool.connect(&c, 1, T0);
    pool.connect(&c, 11, T0);
    pool.served(&d, 6, T0);
    assert_eq!(pool.connect(&d, 1, T0), Admission::Refused(Refusal::Indebted));
    pool.add_positive(&c, 5.0, T0);
    assert_eq!(pool.connect(&c, 1, T0), admitted(&[&a]));
    pool.served(&b, 100, T0);
    assert_eq!(pool.tick(T0), vec![b]);
    let counts = PoolCounts {
        admitted: 3,
        evicted: 2,
        refused_full: 2,
        refused_capacity: 1,
        refused_indebted: 1,
    };
    assert_eq!(pool.counts(), counts);
}

#[test]
fn tick_evicts_clients_below_evict_below_even_with_room() {
    let (a, b) = (id("a"), id("b"));
    let config = ClientsConfig { max_inbound: 10, evict_below: -10.0, ..config() };
    let mut pool = full(config, &[(&a, 0.0, 1), (&b, 0.0, 1)]);
    pool.served(&a, 5, T0);
    // a: 5 requests + 5 seconds = −10, not below; b: 5 seconds.
    assert_eq!(pool.tick(T0 + 5 * SEC), Vec::<ClientId>::new());
    assert_eq!(pool.tick(T0 + 6 * SEC), vec![a.clone()]);
    assert!(!pool.is_connected(&a) && pool.is_connected(&b));
    assert_eq!(pool.connect(&a, 1, T0 + 6 * SEC), Admission::Refused(Refusal::Indebted));
}

#[test]
fn inactive_clients_are_forgotten_after_the_timeout_unless_they_have_a_balance() {
    let (a, b, c) = (id("a"), id("b"), id("c"));
    let config = ClientsConfig { max_inbound: 1, time_price: 0.0, request_price: 0.0, ..config() };
    let mut pool = full(config, &[(&a, 0.0, 1)]);
    pool.add_positive(&b, 5.0, T0);
    assert_eq!(pool.connect(&c, 1, T0), Admission::Refused(Refusal::PoolFull));
    assert!(pool.balances(&c, T0).is_some(), "refused, and remembered all the same");
    let gone = T0 + SEC + 600 * SEC;
    assert!(pool.disconnect(&a, T0 + SEC));
    assert!(!pool.disconnect(&a, T0 + SEC), "only once");
    pool.tick(gone - 1);
    assert!(pool.balances(&a, gone - 1).is_some());
    pool.tick(gone);
    assert_eq!(pool.balances(&a, gone), None);
    assert_eq!(pool.balances(&c, gone), None);
    assert_eq!(pool.balances(&b, gone).map(|b| b.positive), Some(5.0));
}

#[test]
fn the_snapshot_lists_every_client_by_priority() {
    let (a, b, c, d) = (id("a"), id("b"), id("c"), id("d"));
    let config = ClientsConfig { max_inbound: 3, pinned: vec![c.to_string()], ..config() };
    let mut pool = full(config, &[(&a, 10.0, 1), (&b, 30.0, 2), (&c, 0.0, 1)]);
    pool.served(&c, 2, T0);
    pool.add_positive(&d, 20.0, T0);
    let snapshot = pool.snapshot(T0 + SEC);
    let order: Vec<&str> = snapshot.clients.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(order, ["zmq:62", "zmq:64", "zmq:61", "zmq:63"]);
    let c_view = &snapshot.clients[3];
    assert!(c_view.connected && c_view.pinned);
    assert_eq!((c_view.negative, c_view.priority, c_view.capacity), (3.0, -3.0, 1));
    assert_eq!(c_view.connected_since_ms, Some(T0));
    let d_view = &snapshot.clients[1];
    assert!(!d_view.connected && !d_view.pinned && d_view.connected_since_ms.is_none());
    assert_eq!((snapshot.capacity_used, snapshot.capacity_max), (4, 10));
    assert_eq!((snapshot.connected, snapshot.connected_max), (3, 3));
    let json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(json["clients"][0]["positive"], 29.0);
}

#[test]
fn with_the_defaults_a_busy_connected_client_keeps_its_place_against_a_flood() {
    let mut pool = pool(ClientsConfig::default());
    let honest = id("honest");
    assert_eq!(pool.connect(&honest, 1, T0), admitted(&[]));
    pool.served(&honest, 100_000, T0 + SEC); // a peer syncing from us
    for n in 0..49 {
        let flooder = id(&format!("flood-{n}"));
        assert_eq!(pool.connect(&flooder, 1, T0 + 2 * SEC), admitted(&[]));
        pool.served(&flooder, 1, T0 + 2 * SEC);
    }
    for n in 49..1000 {
        let newcomer = id(&format!("flood-{n}"));
        let at = T0 + 3 * SEC + n;
        assert_eq!(pool.connect(&newcomer, 1, at), Admission::Refused(Refusal::PoolFull), "{n}");
    }
    assert!(pool.is_connected(&honest));
}
