//! Node mode and clocks shared by the kernel and handlers.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// bitmarkd's node mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Shutting down or not started.
    Stopped,
    /// Catching up with the network: block and transaction gossip is ignored.
    Resynchronise,
    /// In sync: everything is processed.
    Normal,
}

/// A shared, cheaply readable [`Mode`] cell written by the kernel.
#[derive(Clone, Debug)]
pub struct ModeCell(Arc<AtomicU8>);

impl ModeCell {
    /// A cell holding `mode`.
    pub fn new(mode: Mode) -> Self {
        Self(Arc::new(AtomicU8::new(mode as u8)))
    }

    /// The current mode.
    pub fn get(&self) -> Mode {
        match self.0.load(Ordering::Acquire) {
            0 => Mode::Stopped,
            1 => Mode::Resynchronise,
            _ => Mode::Normal,
        }
    }

    /// Sets the mode (kernel only).
    pub fn set(&self, mode: Mode) {
        self.0.store(mode as u8, Ordering::Release);
    }
}

/// Wall-clock time in Unix seconds, injectable so that simulations follow paused tokio time.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn unix_now(&self) -> u64;

    /// Milliseconds since the Unix epoch (by default, [`Clock::unix_now`] in milliseconds).
    fn unix_now_ms(&self) -> u64 {
        self.unix_now().saturating_mul(1000)
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_now(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }

    fn unix_now_ms(&self) -> u64 {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    }
}

/// A clock that starts at a fixed Unix time and advances with `tokio::time`, so that
/// paused-time tests see consistent wall-clock timestamps.
#[derive(Clone, Copy, Debug)]
pub struct TokioClock {
    base_unix: u64,
    base: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading `base_unix` now.
    pub fn starting_at(base_unix: u64) -> Self {
        Self { base_unix, base: tokio::time::Instant::now() }
    }
}

impl Clock for TokioClock {
    fn unix_now(&self) -> u64 {
        self.base_unix + self.base.elapsed().as_secs()
    }

    fn unix_now_ms(&self) -> u64 {
        let elapsed = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.base_unix.saturating_mul(1000).saturating_add(elapsed)
    }
}
