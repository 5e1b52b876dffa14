//! Waiting for a condition in tests: the one polling loop every test crate uses.
//!
//! Time is tokio's, so under paused time (the kernel and network simulations) a wait that
//! cannot succeed fails at once instead of hanging, and on real sockets it is bounded by the
//! limit. Nothing here reads the wall clock.

use std::time::Duration;

use tokio::time::Instant;

/// How often [`wait_until`] looks at its condition.
pub const STEP: Duration = Duration::from_millis(20);

/// The condition of a [`wait_until`] did not hold within its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} did not happen within {limit:?}")]
pub struct TimedOut {
    /// What was waited for.
    pub what: String,
    /// How long it was waited for.
    pub limit: Duration,
}

/// Checks `done` every `step` until it holds and returns the time that took, or
/// [`TimedOut`] once `limit` has passed. The caller decides how to fail (with its own
/// context: a seed, every node's state).
pub async fn poll_until(
    what: &str,
    limit: Duration,
    step: Duration,
    mut done: impl FnMut() -> bool,
) -> Result<Duration, TimedOut> {
    let start = Instant::now();
    while !done() {
        if start.elapsed() >= limit {
            return Err(TimedOut { what: what.to_owned(), limit });
        }
        tokio::time::sleep(step).await;
    }
    Ok(start.elapsed())
}

/// As [`poll_until`] every [`STEP`], failing the test on a timeout.
///
/// # Panics
///
/// If `done` does not hold within `limit`.
pub async fn wait_until(what: &str, limit: Duration, done: impl FnMut() -> bool) -> Duration {
    match poll_until(what, limit, STEP, done).await {
        Ok(took) => took,
        Err(timed_out) => panic!("{timed_out}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn returns_the_time_it_took() {
        let start = Instant::now();
        let took = wait_until("a second", Duration::from_secs(5), || {
            start.elapsed() >= Duration::from_secs(1)
        })
        .await;
        assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(1) + 2 * STEP);
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_with_what_and_the_limit() {
        let err = poll_until("never", Duration::from_secs(2), STEP, || false).await.unwrap_err();
        assert_eq!(err, TimedOut { what: "never".into(), limit: Duration::from_secs(2) });
        assert_eq!(err.to_string(), "never did not happen within 2s");
    }
}
