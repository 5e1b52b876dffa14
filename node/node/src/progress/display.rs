//! Showing progress: a bar on a terminal, log lines otherwise, and the log writer that
//! keeps the two apart.

use std::io::Write;
use std::sync::{Mutex, PoisonError};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::fmt::MakeWriter;

use super::{eta_text, Progress, Tracker, BAR_EVERY, LOG_EVERY};
use peerd_kernel::status::StatusHandle;

/// The bar on screen, if any: log lines are written around it.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn active_bar() -> Option<ProgressBar> {
    ACTIVE_BAR.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

fn set_active_bar(bar: Option<ProgressBar>) {
    *ACTIVE_BAR.lock().unwrap_or_else(PoisonError::into_inner) = bar;
}

/// A tracing writer to stderr that hides the progress bar while a line is written, so
/// log lines and the bar never overwrite each other. Each event is written in one piece.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogWriter;

/// One event's bytes, written to stderr when dropped.
#[derive(Debug, Default)]
pub struct LogLine(Vec<u8>);

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        // Nowhere to report a failed log write; it is dropped like stderr itself would.
        let write = || std::io::stderr().lock().write_all(&self.0);
        let _ = match active_bar() {
            Some(bar) => bar.suspend(write),
            None => write(),
        };
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> Self::Writer {
        LogLine::default()
    }
}

/// Where progress goes.
enum Display {
    Bar(Option<ProgressBar>),
    Log,
}

impl Display {
    fn show(&mut self, p: &Progress) {
        match self {
            Display::Log => tracing::info!(
                height = p.height,
                target = p.target,
                blocks_per_s = p.rate.map(|r| format!("{r:.1}")).unwrap_or("unknown".into()),
                eta = %eta_text(p.eta),
                "resynchronising"
            ),
            Display::Bar(bar) => {
                let bar = bar.get_or_insert_with(|| {
                    let bar = ProgressBar::new(p.target);
                    let style =
                        ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar());
                    bar.set_style(style.progress_chars("=> "));
                    bar.set_prefix("resynchronising");
                    set_active_bar(Some(bar.clone()));
                    bar
                });
                bar.set_length(p.target);
                bar.set_position(p.height);
                let rate = p.rate.map_or("rate unknown".to_owned(), |r| format!("{r:.1} blocks/s"));
                bar.set_message(format!("{rate}, ETA {}", eta_text(p.eta)));
            }
        }
    }

    fn clear(&mut self) {
        if let Display::Bar(bar) = self {
            if let Some(bar) = bar.take() {
                set_active_bar(None);
                bar.finish_and_clear();
            }
        }
    }
}

/// Polls `status` until `shutdown` is cancelled or the kernel stops answering: a bar
/// refreshed every [`BAR_EVERY`] when `terminal`, else a log line every [`LOG_EVERY`],
/// while the node resynchronises.
pub async fn run(status: StatusHandle, terminal: bool, shutdown: CancellationToken) {
    let (every, mut display) =
        if terminal { (BAR_EVERY, Display::Bar(None)) } else { (LOG_EVERY, Display::Log) };
    let mut tick = tokio::time::interval_at(Instant::now() + every, every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut tracker = Tracker::default();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let Ok(snapshot) = status.snapshot().await else { break };
        match tracker.update(&snapshot, Instant::now()) {
            Some(progress) => display.show(&progress),
            None => display.clear(),
        }
    }
    display.clear();
}
