//! Resynchronisation progress: height / target, a smoothed blocks/s rate and an ETA.
//!
//! [`run`] polls the kernel through a [`peerd_kernel::status::StatusHandle`]; while the node is
//! in Resynchronise mode below a known network height it shows a progress bar on a
//! terminal (`progress/display.rs`, drawn around the log lines by [`LogWriter`]) and
//! otherwise logs one line every [`LOG_EVERY`]. The rate is an exponentially weighted
//! moving average over time ([`RATE_TIME_CONSTANT`]); before two observations, or when no
//! block arrived for long enough that the rate is zero, the ETA is "unknown".

mod display;

use std::fmt;
use std::time::Duration;

use peerd_api::Mode;
use tokio::time::Instant;

pub use display::{run, LogWriter};

use peerd_kernel::status::Snapshot;

/// Interval of the log lines when stderr is not a terminal.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// Refresh interval of the progress bar.
pub const BAR_EVERY: Duration = Duration::from_secs(1);

/// Time constant of the rate's moving average: a sample `dt` old weighs `exp(-dt/τ)`.
pub const RATE_TIME_CONSTANT: Duration = Duration::from_secs(30);

/// Rates below this many blocks/s give no ETA.
const MIN_RATE: f64 = 1e-3;

/// A blocks/s rate smoothed over time.
#[derive(Clone, Debug)]
pub struct RateMeter {
    last: Option<(Instant, u64)>,
    rate: Option<f64>,
}

impl RateMeter {
    /// A meter with no observation yet.
    pub fn new() -> Self {
        Self { last: None, rate: None }
    }

    /// Records the height at `at`. A height below the previous one (a rollback) restarts
    /// the meter from this observation.
    pub fn observe(&mut self, at: Instant, height: u64) {
        let Some((then, before)) = self.last else {
            self.last = Some((at, height));
            return;
        };
        if height < before {
            *self = Self { last: Some((at, height)), rate: None };
            return;
        }
        let dt = at.saturating_duration_since(then).as_secs_f64();
        if dt <= 0.0 {
            return;
        }
        // Heights stay far below 2^52, where the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let instant = (height - before) as f64 / dt;
        let weight = 1.0 - (-dt / RATE_TIME_CONSTANT.as_secs_f64()).exp();
        self.rate = Some(match self.rate {
            None => instant,
            Some(rate) => rate + weight * (instant - rate),
        });
        self.last = Some((at, height));
    }

    /// Blocks per second (None before two observations).
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Time to fetch `remaining` blocks at the current rate (None when the rate is unknown
    /// or about zero).
    pub fn eta(&self, remaining: u64) -> Option<Duration> {
        let rate = self.rate.filter(|r| *r >= MIN_RATE)?;
        #[allow(clippy::cast_precision_loss)]
        Duration::try_from_secs_f64(remaining as f64 / rate).ok()
    }
}

impl Default for RateMeter {
    fn default() -> Self {
        Self::new()
    }
}

/// One progress report.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Local height.
    pub height: u64,
    /// The network height being synced to.
    pub target: u64,
    /// Smoothed blocks/s (None before the second report).
    pub rate: Option<f64>,
    /// Estimated time left (None when unknown).
    pub eta: Option<Duration>,
}

impl fmt::Display for Progress {
    /// `height 120 / 1000 (12.0%), 35.2 blocks/s, ETA 25s`, with `unknown` for what is not
    /// known yet.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[allow(clippy::cast_precision_loss)]
        let percent = 100.0 * self.height as f64 / self.target.max(1) as f64;
        write!(f, "height {} / {} ({percent:.1}%), ", self.height, self.target)?;
        match self.rate {
            Some(rate) => write!(f, "{rate:.1} blocks/s, ")?,
            None => f.write_str("rate unknown, ")?,
        }
        write!(f, "ETA {}", eta_text(self.eta))
    }
}

/// `1h 02m 03s`, `4m 05s`, `12s`, or `unknown`.
pub fn eta_text(eta: Option<Duration>) -> String {
    let Some(eta) = eta else { return "unknown".to_owned() };
    let s = eta.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, min, sec) => format!("{min}m {sec:02}s"),
        (h, min, sec) => format!("{h}h {min:02}m {sec:02}s"),
    }
}

/// Turns snapshots into progress reports: one while resynchronising below a known
/// network height, None otherwise (and the rate starts afresh at the next sync).
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    meter: RateMeter,
}

impl Tracker {
    /// The report for a snapshot taken at `at`.
    pub fn update(&mut self, s: &Snapshot, at: Instant) -> Option<Progress> {
        let target = s.network_height.filter(|t| *t > s.height);
        let (Mode::Resynchronise, Some(target)) = (s.mode, target) else {
            self.meter = RateMeter::new();
            return None;
        };
        self.meter.observe(at, s.height);
        Some(Progress {
            height: s.height,
            target,
            rate: self.meter.rate(),
            eta: self.meter.eta(target - s.height),
        })
    }
}

#[cfg(test)]
mod tests;
