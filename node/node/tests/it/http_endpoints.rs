//! The HTTP API against real kernels on the memory transport, over real sockets on
//! 127.0.0.1, in paused time: every endpoint answers with the documented fields, healthz
//! and readyz flip as upstreams register and the node syncs, a stopped kernel is a 503.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use peerd_api::{Chain, NodeLink, NodeRequest, TokioClock, Transport, TransportContext};
use peerd_kernel::connector::SyncConfig;
use peerd_kernel::status::{Metrics, StatusHandle};
use peerd_kernel::Kernel;
use peerd_node::http::{self, HttpError, HttpState};
use peerd_testkit::chain::ToyChain;
use peerd_transport_memory::MemoryNet;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A kernel with its HTTP API.
struct Node {
    addr: SocketAddr,
    shutdown: CancellationToken,
    kernel: JoinHandle<()>,
}

/// Starts `name` on `net` serving `chain`; `setup` may change the kernel before it runs.
async fn start(
    net: &MemoryNet,
    name: &str,
    chain: Arc<ToyChain>,
    sync: SyncConfig,
    setup: impl FnOnce(Kernel) -> Kernel,
) -> Node {
    let (events_tx, mut events) = mpsc::channel(peerd_api::CHANNEL_CAPACITY);
    let shutdown = CancellationToken::new();
    let ctx = TransportContext {
        chain: "toy".into(),
        version: "test".into(),
        events: events_tx,
        shutdown: shutdown.clone(),
        metrics: Default::default(),
    };
    let handle = Box::new(net.transport(name)).start(ctx).unwrap();
    let (status, queries) = StatusHandle::channel();
    let metrics = Arc::new(Metrics::default());
    let kernel = Kernel::new(chain, sync)
        .with_seed(5)
        .with_version("9.9.9")
        .with_inline_chain(true)
        .with_clock(Arc::new(TokioClock::starting_at(1_700_000_000)))
        .with_status(queries)
        .with_metrics(metrics.clone());
    let kernel = setup(kernel);
    let stop = shutdown.clone();
    let kernel = tokio::spawn(async move {
        kernel.run(&[handle], &mut events, &stop).await.unwrap();
    });
    let state = HttpState { status, metrics, ready_within: 2 };
    let addr = "127.0.0.1:0".parse().unwrap();
    let server = http::serve(addr, state, CancellationToken::new()).await.unwrap();
    Node { addr: server.local_addr, shutdown, kernel }
}

fn sync(min_upstreams: usize) -> SyncConfig {
    SyncConfig {
        min_upstreams,
        min_votes: 1,
        fetch_window: 32,
        cycle_interval: Duration::from_secs(1),
        poll_interval: Duration::from_secs(2),
        ..SyncConfig::default()
    }
}

/// `GET path` over a fresh connection: status code, content type and body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let code = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type: ").map(str::to_owned))
        .unwrap_or_default();
    (code, content_type, body.to_owned())
}

async fn json(addr: SocketAddr, path: &str) -> (u16, Value) {
    let (code, content_type, body) = get(addr, path).await;
    assert_eq!(content_type, "application/json", "{path}");
    (code, serde_json::from_str(&body).unwrap())
}

/// Polls `path` once per (paused) second until it answers `code`, for at most `limit`.
async fn until_code(addr: SocketAddr, path: &str, code: u16, limit: Duration) -> Value {
    let give_up = Instant::now() + limit;
    loop {
        let (got, body) = json(addr, path).await;
        if got == code {
            return body;
        }
        assert!(Instant::now() < give_up, "{path} still {got} after {limit:?}: {body}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn health_and_readiness_flip_as_the_node_gets_an_upstream_and_syncs() {
    let net = MemoryNet::new(21);
    let source = ToyChain::build(40, 2);
    let src = start(&net, "src", Arc::new(source.clone()), sync(0), |k| k).await;
    let fresh = Arc::new(ToyChain::new());
    let (link_tx, requests) = mpsc::channel(4);
    let node =
        start(&net, "fresh", fresh.clone(), sync(1), |k| k.with_node_requests(requests)).await;

    let (code, health) = json(node.addr, "/healthz").await;
    assert_eq!(code, 503);
    assert_eq!(health["ok"], false);
    assert_eq!(health["registered"], 0);
    assert_eq!(health["min_upstreams"], 1);
    let reason = health["reason"].as_str().unwrap();
    assert!(reason.contains("0 of the 1 required upstreams"), "{reason}");
    let (code, ready) = json(node.addr, "/readyz").await;
    assert_eq!(code, 503);
    assert_eq!(ready["reason"], "mode is resynchronise, not normal");
    assert_eq!(ready["mode"], "resynchronise");

    assert!(NodeLink::new(link_tx).send(NodeRequest::Connect(MemoryNet::target("src"))));
    let health = until_code(node.addr, "/healthz", 200, Duration::from_secs(60)).await;
    assert_eq!((health["ok"].clone(), health["registered"].clone()), (true.into(), 1.into()));
    assert!(health["reason"].is_null());
    let ready = until_code(node.addr, "/readyz", 200, Duration::from_secs(300)).await;
    assert_eq!(ready["mode"], "normal");
    assert_eq!(ready["height"], 40);
    assert_eq!(fresh.height().unwrap(), 40);

    // /status: every documented field.
    let (code, status) = json(node.addr, "/status").await;
    assert_eq!(code, 200);
    assert_eq!(status["chain"], "toy");
    assert_eq!(status["version"], "9.9.9");
    assert_eq!(status["mode"], "normal");
    assert!(status["state"].is_string());
    assert_eq!(status["height"], 40);
    assert_eq!(status["network_height"], 40);
    assert_eq!(status["tip"], source.digest(40).unwrap().unwrap().to_string());
    assert_eq!(status["sync"]["syncing"], false);
    assert_eq!(status["sync"]["target"], 40);
    assert_eq!(status["sync"]["remaining"], 0);
    assert_eq!(status["sync"]["progress"], 1.0);
    assert!(status["uptime_secs"].as_u64().unwrap() > 0);
    assert_eq!(status["min_upstreams"], 1);
    assert_eq!(status["peers"]["memory"]["connected"], 1);
    assert_eq!(status["peers"]["memory"]["registered"], 1);
    assert_eq!(status["identities"][0]["transport"], "memory");
    assert_eq!(status["identities"][0]["public_key"], hex::encode("fresh"));
    assert_eq!(status["identities"][0]["listeners"], hex::encode("fresh"));

    // /peers: the one upstream.
    let (code, peers) = json(node.addr, "/peers").await;
    assert_eq!(code, 200);
    let peer = &peers["peers"][0];
    assert_eq!(peers["peers"].as_array().unwrap().len(), 1);
    assert_eq!(peer["transport"], "memory");
    assert_eq!(peer["peer"], "src");
    assert_eq!(peer["public_key"], hex::encode("src"));
    assert_eq!(peer["listeners"], hex::encode("src"));
    assert_eq!(peer["addresses"][0], "src");
    assert_eq!(peer["direction"], "outgoing");
    assert_eq!(peer["kind"], "dynamic");
    assert_eq!(peer["registered"], true);
    assert_eq!(peer["remote_height"], 40);
    assert!(peer["last_response_secs"].as_f64().unwrap() >= 0.0);

    // /metrics: gauges from the snapshot and the kernel's counters.
    let (code, content_type, text) = get(node.addr, "/metrics").await;
    assert_eq!(code, 200);
    assert_eq!(content_type, peerd_node::http::METRICS_CONTENT_TYPE);
    assert!(text.ends_with("# EOF\n"), "an OpenMetrics exposition ends with # EOF");
    let lines: Vec<&str> = text.lines().collect();
    for line in [
        "peerd_height 40",
        "peerd_network_height 40",
        "peerd_mode{mode=\"normal\"} 1",
        "peerd_peers{transport=\"memory\",direction=\"outgoing\"} 1",
        "peerd_peers_total 1",
        "peerd_peers_registered{transport=\"memory\"} 1",
        "peerd_min_upstreams 1",
        "peerd_info{chain=\"toy\",version=\"9.9.9\"} 1",
    ] {
        assert!(lines.contains(&line), "{line:?} missing from:\n{text}");
    }
    // The node asked for blocks 2 to 40: its outbound counter says so.
    let asked = lines
        .iter()
        .find_map(|l| l.strip_prefix("peerd_requests_sent_total{command=\"B\",result=\"ok\"} "))
        .unwrap_or_else(|| panic!("no B requests sent: {text}"));
    assert!(asked.parse::<u64>().unwrap() >= 39, "blocks 2 to 40 were fetched: {asked}");
    // The source served the registration, polls and fetches: its counters say so.
    let (_, _, served) = get(src.addr, "/metrics").await;
    let served: Vec<&str> = served.lines().collect();
    assert!(served.contains(&"# TYPE peerd_requests_served counter"), "{served:?}");
    let fetches = served
        .iter()
        .find_map(|l| l.strip_prefix("peerd_requests_served_total{command=\"B\",result=\"ok\"} "))
        .unwrap_or_else(|| panic!("no B requests counted: {served:?}"));
    assert!(fetches.parse::<u64>().unwrap() >= 39, "blocks 2 to 40 were fetched: {fetches}");

    // A stopped kernel: every endpoint is a 503 with the reason.
    node.shutdown.cancel();
    node.kernel.await.unwrap();
    for path in ["/status", "/peers", "/healthz", "/readyz", "/metrics"] {
        let (code, _, body) = get(node.addr, path).await;
        assert_eq!(code, 503, "{path}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["ok"], false);
        assert!(body["reason"].as_str().unwrap().contains("not answering status queries"));
    }
}

#[tokio::test(start_paused = true)]
async fn a_standalone_node_is_healthy_and_ready_on_its_own() {
    let net = MemoryNet::new(22);
    let node = start(&net, "solo", Arc::new(ToyChain::build(5, 1)), sync(0), |k| k).await;
    let (code, health) = json(node.addr, "/healthz").await;
    assert_eq!((code, health["ok"].clone()), (200, true.into()), "{health}");
    let (code, ready) = json(node.addr, "/readyz").await;
    assert_eq!((code, ready["network_height"].clone()), (200, 5.into()), "{ready}");
    let (_, status) = json(node.addr, "/status").await;
    assert_eq!(status["state"], "Standalone");
    assert_eq!(status["peers"]["memory"]["connected"], 0);
    let (code, _, _) = get(node.addr, "/nothing").await;
    assert_eq!(code, 404);
    let (code, clients) = json(node.addr, "/clients").await;
    assert_eq!((code, clients["ok"].clone()), (404, false.into()), "no pool: {clients}");
}

#[tokio::test(start_paused = true)]
async fn clients_shows_the_pool_with_its_limits_and_clients() {
    let net = MemoryNet::new(23);
    let config = peerd_kernel::clients::ClientsConfig {
        max_inbound: 7,
        positive: [(format!("memory:{}", hex::encode(b"friend")), 250.0)].into_iter().collect(),
        ..Default::default()
    };
    let clients = config.validate().unwrap();
    let chain = Arc::new(ToyChain::build(5, 1));
    let node = start(&net, "pooled", chain, sync(0), |k| k.with_clients(clients)).await;
    let (code, pool) = json(node.addr, "/clients").await;
    assert_eq!(code, 200, "{pool}");
    assert_eq!((pool["connected"].clone(), pool["connected_max"].clone()), (0.into(), 7.into()));
    let friend = &pool["clients"][0];
    assert_eq!(friend["id"], format!("memory:{}", hex::encode(b"friend")), "{pool}");
    assert_eq!(
        (friend["positive"].clone(), friend["connected"].clone()),
        (250.0.into(), false.into())
    );
    for field in ["negative", "priority", "pinned", "capacity", "connected_since_ms"] {
        assert!(friend.get(field).is_some(), "{field} in {friend}");
    }
}

#[tokio::test]
async fn an_address_in_use_is_a_start_up_error_naming_it() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let (status, _queries) = StatusHandle::channel();
    let state = HttpState { status, metrics: Arc::default(), ready_within: 2 };
    let err = http::serve(addr, state, CancellationToken::new()).await.unwrap_err();
    assert!(matches!(err, HttpError::Bind { .. }));
    let text = err.to_string();
    assert!(text.contains(&addr.to_string()) && text.contains("[http] listen"), "{text}");
}
