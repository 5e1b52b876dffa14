//! Costs, decay, the floor and the store.

use peerd_api::{Store, WriteBatch};

use super::super::persist::{self, decode, decode_key, encode_key, encode_value, CLIENTS};
use super::*;

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs()
}

fn balances(pool: &ClientPool, client: &ClientId, now_ms: u64) -> (f64, f64) {
    let b = pool.balances(client, now_ms).unwrap();
    (b.positive, b.negative)
}

#[test]
fn costs_drain_the_positive_balance_first_then_grow_the_negative() {
    let a = id("a");
    let config = ClientsConfig { capacity_price: 0.5, ..config() };
    let mut pool = full(config, &[(&a, 30.0, 4)]); // 1 + 0.5 · 4 = 3 credits a second
    assert_eq!(pool.priority(&a, T0), Some(10.0), "30 credits at 3 a second");
    assert_eq!(balances(&pool, &a, T0 + 4 * SEC), (18.0, 0.0));
    pool.served(&a, 3, T0 + 4 * SEC);
    assert_eq!(balances(&pool, &a, T0 + 4 * SEC), (15.0, 0.0));
    assert_eq!(balances(&pool, &a, T0 + 10 * SEC), (0.0, 3.0));
    assert_eq!(pool.priority(&a, T0 + 10 * SEC), Some(-3.0));
    // Reads change nothing; a tick charges, and charging twice for one second does not.
    pool.tick(T0 + 10 * SEC);
    pool.tick(T0 + 10 * SEC);
    assert_eq!(balances(&pool, &a, T0 + 10 * SEC), (0.0, 3.0));
    assert!(pool.disconnect(&a, T0 + 11 * SEC));
    assert_eq!(balances(&pool, &a, T0 + 100 * SEC), (0.0, 6.0), "nothing once disconnected");
}

#[test]
fn free_connections_rank_by_the_positive_balance_itself() {
    let a = id("a");
    let config = ClientsConfig { time_price: 0.0, ..config() };
    let pool = full(config, &[(&a, 7.0, 3)]);
    assert_eq!(pool.priority(&a, T0 + 100 * SEC), Some(7.0));
}

#[test]
fn balances_decay_exponentially_each_with_its_time_constant() {
    let (a, b) = (id("a"), id("b"));
    let config = ClientsConfig { positive_decay_secs: 100, negative_decay_secs: 10, ..config() };
    let mut pool = pool(config);
    pool.add_positive(&a, 100.0, T0);
    pool.served(&b, 50, T0);
    let (positive, _) = balances(&pool, &a, T0 + 37 * SEC);
    assert!(close(positive, 100.0 * (-0.37f64).exp()), "{positive}");
    let (_, negative) = balances(&pool, &b, T0 + 7 * SEC);
    assert!(close(negative, 50.0 * (-0.7f64).exp()), "{negative}");
    // Touching on the way does not change the curve.
    pool.served(&a, 0, T0 + 20 * SEC);
    let (positive, _) = balances(&pool, &a, T0 + 37 * SEC);
    assert!(close(positive, 100.0 * (-0.37f64).exp()), "{positive}");
    // A zero time constant never decays.
    let mut still = super::pool(super::config());
    still.add_positive(&a, 100.0, T0);
    assert_eq!(balances(&still, &a, T0 + 1_000_000 * SEC), (100.0, 0.0));
}

#[test]
fn decay_goes_on_across_a_restart() {
    let (a, b) = (id("a"), id("b"));
    let config = ClientsConfig { positive_decay_secs: 1000, negative_decay_secs: 500, ..config() };
    let store = peerd_store_memory::Store::new();
    let mut before = pool(config.clone());
    before.add_positive(&a, 100.0, T0);
    before.served(&b, 40, T0);
    persist::save(&store, &before, T0).unwrap();

    let restart = T0 + 1000 * SEC;
    let mut after = ClientPool::new(config.validate().unwrap(), restart);
    after.restore(persist::load(&store).unwrap(), restart);
    let (positive, _) = balances(&after, &a, restart);
    assert!(close(positive, 100.0 / std::f64::consts::E), "{positive}");
    let (_, negative) = balances(&after, &b, restart);
    assert!(close(negative, 40.0 * (-2.0f64).exp()), "{negative}");
    assert!(!after.is_connected(&a) && !after.is_connected(&b), "restored inactive");
}

#[test]
fn restoring_a_known_client_keeps_the_larger_balances() {
    let a = id("a");
    let mut positive = std::collections::BTreeMap::new();
    positive.insert(a.to_string(), 50.0);
    let mut pool = pool(ClientsConfig { positive, ..config() });
    let record =
        Record { id: a.clone(), balances: Balances { positive: 20.0, negative: 7.0 }, at_ms: T0 };
    pool.restore(vec![record], T0);
    assert_eq!(balances(&pool, &a, T0), (50.0, 7.0));
}

#[test]
fn balances_below_the_floor_are_neither_kept_nor_stored() {
    let (a, b, c) = (id("a"), id("b"), id("c"));
    let config = ClientsConfig { floor: 1.0, positive_decay_secs: 10, ..config() };
    let store = peerd_store_memory::Store::new();
    let mut pool = pool(config);
    pool.add_positive(&a, 0.5, T0);
    pool.add_positive(&b, 2.0, T0);
    pool.served(&c, 1, T0); // exactly the floor: kept
    let ids = |records: Vec<Record>| records.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(pool.records(T0)), [b.clone(), c.clone()]);
    persist::save(&store, &pool, T0).unwrap();
    assert_eq!(ids(persist::load(&store).unwrap()), [b.clone(), c.clone()]);
    // 2·exp(−1) < 1 after 10 s: b is dropped from the store, c stays.
    persist::save(&store, &pool, T0 + 10 * SEC).unwrap();
    assert_eq!(ids(persist::load(&store).unwrap()), std::slice::from_ref(&c));
    // And once idle past the timeout, forgotten from memory too.
    pool.tick(T0 + 600 * SEC);
    assert_eq!(pool.balances(&b, T0 + 600 * SEC), None);
    assert!(pool.balances(&c, T0 + 600 * SEC).is_some());
}

#[test]
fn entries_encode_as_documented_and_undecodable_ones_are_deleted() {
    let a = ClientId::new("zmq", vec![0xab, 0xcd]);
    assert_eq!(encode_key(&a).unwrap(), b"\x03zmq\xab\xcd");
    assert_eq!(decode_key(b"\x03zmq\xab\xcd"), Some(a.clone()));
    assert_eq!(encode_key(&ClientId::new("", vec![1])), None);
    assert_eq!(encode_key(&ClientId::new("x".repeat(256), vec![1])), None);
    let record =
        Record { id: a.clone(), balances: Balances { positive: 1.5, negative: 2.5 }, at_ms: T0 };
    let value = encode_value(&record);
    assert_eq!(&value[..8], &1.5f64.to_be_bytes());
    assert_eq!(&value[16..], &T0.to_be_bytes());
    assert_eq!(decode(&encode_key(&a).unwrap(), &value), Some(record.clone()));
    assert_eq!(decode(b"\x05zmq", &value), None, "the name is cut short");
    assert_eq!(decode(b"\x00", &value), None);
    assert_eq!(decode(&encode_key(&a).unwrap(), &value[..23]), None);
    let mut negative = value;
    negative[..8].copy_from_slice(&(-1.0f64).to_be_bytes());
    assert_eq!(decode(&encode_key(&a).unwrap(), &negative), None);

    let store = peerd_store_memory::Store::new();
    let mut batch = WriteBatch::new();
    batch.put(CLIENTS, encode_key(&a).unwrap(), value.to_vec());
    batch.put(CLIENTS, b"\x09zmq".to_vec(), value.to_vec());
    batch.put(CLIENTS, b"\x03zmqz".to_vec(), b"short".to_vec());
    store.write(batch).unwrap();
    assert_eq!(persist::load(&store).unwrap(), [record]);
    let left: Vec<_> = store.scan(CLIENTS, peerd_api::KeyRange::all()).unwrap().collect();
    assert_eq!(left.len(), 1, "the undecodable entries are gone");
}
