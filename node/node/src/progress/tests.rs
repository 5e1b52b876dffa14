use std::time::Duration;

use tokio::time::Instant;

use super::*;

fn snapshot(mode: Mode, height: u64, network: Option<u64>) -> Snapshot {
    Snapshot {
        chain: "dev".into(),
        version: "0".into(),
        mode,
        state: "FetchBlocks".into(),
        height,
        tip: None,
        network_height: network,
        uptime: Duration::ZERO,
        min_upstreams: 1,
        identities: Vec::new(),
        peers: Vec::new(),
        bans: Vec::new(),
        dials_in_flight: 0,
        upstream_tasks: 0,
        fetch: Default::default(),
        clients: None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_steady_rate_is_measured_and_gives_an_eta() {
    let mut meter = RateMeter::new();
    meter.observe(Instant::now(), 100);
    assert_eq!(meter.rate(), None, "one observation has no rate");
    assert_eq!(meter.eta(500), None);
    for i in 1..=3 {
        tokio::time::advance(Duration::from_secs(10)).await;
        meter.observe(Instant::now(), 100 + 500 * i);
    }
    let rate = meter.rate().unwrap();
    assert!((rate - 50.0).abs() < 1e-9, "{rate}");
    assert_eq!(meter.eta(1000), Some(Duration::from_secs(20)));
}

#[tokio::test(start_paused = true)]
async fn the_rate_follows_a_change_smoothly() {
    let mut meter = RateMeter::new();
    meter.observe(Instant::now(), 0);
    tokio::time::advance(Duration::from_secs(10)).await;
    meter.observe(Instant::now(), 1000); // 100 blocks/s
    tokio::time::advance(Duration::from_secs(10)).await;
    meter.observe(Instant::now(), 1000); // a stall: 0 blocks/s for 10 s
    let weight = 1.0 - (-10.0f64 / 30.0).exp();
    let expected = 100.0 - weight * 100.0;
    let rate = meter.rate().unwrap();
    assert!((rate - expected).abs() < 1e-9, "{rate} != {expected}");
    assert!(rate > 50.0 && rate < 100.0, "smoothed, neither kept nor dropped: {rate}");
    // A long stall decays the rate to zero: the ETA becomes unknown rather than a lie.
    tokio::time::advance(Duration::from_secs(3600)).await;
    meter.observe(Instant::now(), 1000);
    assert_eq!(meter.eta(10), None);
}

#[tokio::test(start_paused = true)]
async fn a_rollback_restarts_the_meter() {
    let mut meter = RateMeter::new();
    meter.observe(Instant::now(), 500);
    tokio::time::advance(Duration::from_secs(10)).await;
    meter.observe(Instant::now(), 600);
    assert!(meter.rate().is_some());
    tokio::time::advance(Duration::from_secs(10)).await;
    meter.observe(Instant::now(), 400);
    assert_eq!(meter.rate(), None);
}

#[tokio::test(start_paused = true)]
async fn the_tracker_reports_only_while_resynchronising_below_the_target() {
    let mut tracker = Tracker::default();
    assert_eq!(tracker.update(&snapshot(Mode::Resynchronise, 10, None), Instant::now()), None);
    let first = tracker.update(&snapshot(Mode::Resynchronise, 10, Some(1010)), Instant::now());
    assert_eq!(
        first.clone().unwrap().to_string(),
        "height 10 / 1010 (1.0%), rate unknown, ETA unknown"
    );
    tokio::time::advance(Duration::from_secs(10)).await;
    let second = tracker.update(&snapshot(Mode::Resynchronise, 210, Some(1010)), Instant::now());
    assert_eq!(second.unwrap().to_string(), "height 210 / 1010 (20.8%), 20.0 blocks/s, ETA 40s");
    assert_eq!(tracker.update(&snapshot(Mode::Normal, 1010, Some(1010)), Instant::now()), None);
    let again = tracker.update(&snapshot(Mode::Resynchronise, 1010, Some(2010)), Instant::now());
    assert_eq!(again.unwrap().rate, None, "a new sync measures afresh");
}

#[test]
fn eta_text_is_compact() {
    assert_eq!(eta_text(None), "unknown");
    assert_eq!(eta_text(Some(Duration::from_secs(12))), "12s");
    assert_eq!(eta_text(Some(Duration::from_secs(245))), "4m 05s");
    assert_eq!(eta_text(Some(Duration::from_secs(3723))), "1h 02m 03s");
}

/// Log lines captured from the progress task.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }
}

#[tokio::test(start_paused = true)]
async fn off_a_terminal_a_line_is_logged_every_ten_seconds_while_resynchronising() {
    use peerd_kernel::status::StatusHandle;

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    // A scripted kernel: 100 blocks/s towards 10 000, in sync from 40 s on.
    let (status, mut queries) = StatusHandle::channel();
    let started = Instant::now();
    let kernel = tokio::spawn(async move {
        while let Some(query) = queries.recv().await {
            let secs = started.elapsed().as_secs();
            let s = if secs < 40 {
                snapshot(Mode::Resynchronise, 1000 + 100 * secs, Some(10_000))
            } else {
                snapshot(Mode::Normal, 10_000, Some(10_000))
            };
            query.answer(s);
            if secs >= 60 {
                break; // the kernel stops: the progress task ends
            }
        }
    });
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::time::timeout(Duration::from_secs(600), run(status, false, shutdown)).await.unwrap();
    kernel.await.unwrap();

    let lines = captured.lines();
    assert_eq!(lines.len(), 3, "at 10, 20 and 30 s only: {lines:#?}");
    assert!(
        lines[0].contains(
            "resynchronising height=2000 target=10000 blocks_per_s=\"unknown\" eta=unknown"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("height=3000 target=10000 blocks_per_s=\"100.0\" eta=1m 10s"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("height=4000 target=10000 blocks_per_s=\"100.0\" eta=1m 00s"),
        "{}",
        lines[2]
    );
}
