//! A flood of inbound CURVE clients with fresh keys against a listener whose client pool
//! (the kernel's `peerd_kernel::clients`, handed over as `TransportCommand::Admit`) holds
//! 50: the pool fills, every later newcomer's handshake is refused by ZAP (`400 pool
//! full`), and the honest clients that were connected first are still answered.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::common;
use crate::curve::handshake_failed;
use common::{answer_heights, bare, blocking, text, Bare, RawClient};
use peerd_api::bytes::Bytes;
use peerd_api::{PeerId, Request, RequestId, SystemClock, TransportCommand};
use peerd_kernel::clients::{ClientPool, Clients, ClientsConfig};
use peerd_kernel::status::Metrics;
use peerd_transport_zmq::keys::KeyPair;
use peerd_transport_zmq::socket::event;
use peerd_transport_zmq::ZmqTransport;
use tokio::sync::oneshot;

const MAX_INBOUND: usize = 50;
const HONEST: usize = 5;
const FLOOD: usize = 1000;
const BATCH: usize = 100;

/// Opens `count` clients with fresh keys (connecting starts the CURVE handshake, where the
/// pool decides); returns how many handshakes succeeded and how many were refused.
fn flood(addr: SocketAddr, server: [u8; 32], count: usize) -> (usize, usize) {
    let (admitted, refused, _clients) = knock(addr, server, count);
    (admitted, refused)
}

/// Opens `count` clients with fresh keys, a hundred at a time, and keeps them open; returns
/// how many handshakes succeeded, how many were refused, and the clients.
pub(crate) fn knock(
    addr: SocketAddr,
    key: [u8; 32],
    count: usize,
) -> (usize, usize, Vec<RawClient>) {
    let (mut admitted, mut refused) = (0, 0);
    let mut open = Vec::new();
    for _ in 0..count.div_ceil(BATCH) {
        let batch: Vec<RawClient> =
            (0..BATCH.min(count - open.len())).map(|_| RawClient::curve(addr, &key)).collect();
        for client in &batch {
            let seen =
                client.events_until(|e| e == event::HANDSHAKE_SUCCEEDED || handshake_failed(e));
            if seen.contains(&event::HANDSHAKE_SUCCEEDED) {
                admitted += 1;
            } else {
                refused += 1;
            }
        }
        open.extend(batch);
    }
    (admitted, refused, open)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_fresh_keys_fill_the_pool_and_the_honest_clients_are_still_served() {
    let keys = KeyPair::generate().unwrap();
    let transport = ZmqTransport::new(keys.clone()).listen(vec!["127.0.0.1:0".parse().unwrap()]);
    let Bare { handle, addr, events, shutdown } = bare(transport, "flood-test");
    answer_heights(events);
    let config =
        ClientsConfig { max_inbound: MAX_INBOUND, max_capacity: 100, ..Default::default() };
    let clock = Arc::new(SystemClock);
    let pool = ClientPool::new(config.validate().unwrap(), peerd_api::Clock::unix_now_ms(&*clock));
    let metrics = Arc::new(Metrics::default());
    let commands = vec![("zmq".to_owned(), handle.commands.clone())];
    let clients = Clients::new(pool, clock, commands, metrics.clone());
    handle.commands.send(TransportCommand::Admit(clients.gate("zmq"))).await.unwrap();
    // Commands reach the socket thread in order: once a later one is answered, the pool is in.
    let (reply, answer) = oneshot::channel();
    let nobody = PeerId::new(Bytes::from_static(b"nobody"));
    let request = TransportCommand::Request {
        id: RequestId(1),
        peer: nobody,
        request: Request::Height,
        reply,
    };
    handle.commands.send(request).await.unwrap();
    assert!(answer.await.unwrap().is_err());

    let server = keys.public;
    let honest = blocking(move || {
        let honest: Vec<RawClient> = (0..HONEST).map(|_| RawClient::curve(addr, &server)).collect();
        for client in &honest {
            assert_eq!(text(&client.ask(&[b"dev", b"N"]))[0], "N");
        }
        honest
    })
    .await;
    let (mut admitted, mut refused) = (0, 0);
    for _ in 0..FLOOD / BATCH {
        let (a, r) = blocking(move || flood(addr, server, BATCH)).await;
        admitted += a;
        refused += r;
    }
    assert_eq!(admitted, MAX_INBOUND - HONEST, "the flood takes the free places only");
    assert_eq!(refused, FLOOD - admitted);
    let pool = clients.snapshot();
    assert_eq!(pool.connected, MAX_INBOUND, "{} connected", pool.connected);
    let refusals = metrics.total("peerd_clients_refused_total");
    assert!(refusals >= refused as u64, "{refusals} refusals counted");

    // The honest clients, connected before the flood, are answered as before.
    blocking(move || {
        for client in &honest {
            let reply = client.ask(&[b"dev", b"N"]);
            assert_eq!(text(&reply)[0], "N");
            assert_eq!(reply[1], 5u64.to_be_bytes());
        }
    })
    .await;
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_gets_at_most_max_inbound_per_ip_clients() {
    let keys = KeyPair::generate().unwrap();
    let transport = ZmqTransport::new(keys.clone())
        .listen(vec!["127.0.0.1:0".parse().unwrap()])
        .inbound_per_ip(3);
    let Bare { handle: _handle, addr, events, shutdown } = bare(transport, "per-ip-test");
    answer_heights(events);
    let server = keys.public;
    let (admitted, refused) = blocking(move || flood(addr, server, 5)).await;
    assert_eq!((admitted, refused), (3, 2), "three keys from 127.0.0.1, then refused");
    shutdown.cancel();
}
