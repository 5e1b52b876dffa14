//! The foreground of `peerd testnet up`: a live table until Ctrl-C or SIGTERM, then every
//! node stopped.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tokio::signal::unix::{signal, SignalKind};

use super::manifest::Network;
use super::output::Output;
use super::poll::{self, Row};
use super::start::{reap, Children};
use super::{procs, TestnetError};

/// Refresh period of the table on a terminal.
const TERMINAL_EVERY: Duration = Duration::from_secs(1);
/// Period of the table as plain lines (not a terminal).
const LINES_EVERY: Duration = Duration::from_secs(5);
/// Heights kept per node for the blocks/s column (the window is this many polls).
const RATE_SAMPLES: usize = 10;

/// Blocks per second of each node over its last polls.
#[derive(Debug, Default)]
pub struct Rates {
    samples: Vec<VecDeque<(Instant, u64)>>,
}

impl Rates {
    /// Records the heights of `rows` seen at `now` and fills in their `blocks_per_s`.
    pub fn update(&mut self, rows: &mut [Row], now: Instant) {
        self.samples.resize_with(rows.len(), VecDeque::new);
        for (row, samples) in rows.iter_mut().zip(&mut self.samples) {
            let Some(height) = row.height else {
                samples.clear();
                continue;
            };
            samples.push_back((now, height));
            if samples.len() > RATE_SAMPLES {
                samples.pop_front();
            }
            if let (Some(first), Some(last)) = (samples.front(), samples.back()) {
                let secs = last.0.duration_since(first.0).as_secs_f64();
                if secs > 0.0 {
                    row.blocks_per_s = Some(last.1.saturating_sub(first.1) as f64 / secs);
                }
            }
        }
    }
}

/// Shows the table until a signal, then stops every node of `network`.
///
/// # Errors
///
/// [`TestnetError::Runtime`] if the signal handlers cannot be installed;
/// [`TestnetError::Io`] if the output cannot be written.
pub async fn foreground(
    network: &Network,
    children: &mut Children,
    out: &mut Output<'_>,
) -> Result<(), TestnetError> {
    let mut int = signal(SignalKind::interrupt()).map_err(TestnetError::Runtime)?;
    let mut term = signal(SignalKind::terminate()).map_err(TestnetError::Runtime)?;
    let every = if out.terminal { TERMINAL_EVERY } else { LINES_EVERY };
    let mut tick = tokio::time::interval(every);
    let mut rates = Rates::default();
    let mut drawn = 0;
    let started = Instant::now();
    out.line(&format!(
        "network of {} nodes running in {}; Ctrl-C stops it",
        network.nodes.len(),
        network.dir.display()
    ))?;
    loop {
        tokio::select! {
            _ = int.recv() => break,
            _ = term.recv() => break,
            _ = tick.tick() => {
                reap(children);
                let mut rows = poll::rows(network).await;
                rates.update(&mut rows, Instant::now());
                let table = poll::table(&rows);
                let mut text = String::new();
                if out.terminal && drawn > 0 {
                    // Back to the table's first line, and clear from there down.
                    text.push_str(&format!("\x1b[{drawn}F\x1b[J"));
                }
                if !out.terminal {
                    text.push_str(&format!("-- after {} s\n", started.elapsed().as_secs()));
                }
                text.push_str(&table);
                drawn = table.lines().count();
                out.write(&text)?;
            }
        }
    }
    out.line("stopping the network…")?;
    let nodes: Vec<_> = network.nodes.iter().collect();
    let killed = procs::stop(&nodes, procs::STOP_GRACE, || reap(children));
    for (_, child) in children.iter_mut() {
        let _ = child.wait();
    }
    if killed.is_empty() {
        out.line("every node stopped")
    } else {
        out.line(&format!(
            "stopped; killed after {} s: {}",
            procs::STOP_GRACE.as_secs(),
            killed.join(", ")
        ))
    }
}
