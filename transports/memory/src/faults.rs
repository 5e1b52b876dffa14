//! What the network does to each message: drop, delay, duplicate, reorder.

use std::time::Duration;

use rand::Rng;

/// Fault settings for one direction of a link, or for the whole net.
///
/// Probabilities outside `0.0..=1.0` are clamped (NaN counts as 0). A message first survives
/// or not (`drop`), then gets a delay drawn uniformly from `delay_min..=delay_max` plus a
/// uniform extra of up to `reorder` (so later messages can overtake earlier ones), and is
/// delivered a second time, with its own delay, with probability `duplicate`.
///
/// ```
/// use std::time::Duration;
/// use peerd_transport_memory::Faults;
///
/// let lossy = Faults::default().with_drop(0.1).with_delay(Duration::from_millis(5), Duration::from_millis(50));
/// assert_eq!(lossy.drop, 0.1);
/// assert!(Faults::default().is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Probability that a message is lost; the requester then times out.
    pub drop: f64,
    /// Probability that a message is delivered twice.
    pub duplicate: f64,
    /// Shortest delivery delay.
    pub delay_min: Duration,
    /// Longest delivery delay (a value below `delay_min` counts as `delay_min`).
    pub delay_max: Duration,
    /// Upper bound of a random extra delay per message, which reorders messages.
    pub reorder: Duration,
}

impl Faults {
    /// No faults: every message is delivered at once, exactly once.
    pub const NONE: Faults = Faults {
        drop: 0.0,
        duplicate: 0.0,
        delay_min: Duration::ZERO,
        delay_max: Duration::ZERO,
        reorder: Duration::ZERO,
    };

    /// Sets the drop probability.
    pub fn with_drop(mut self, probability: f64) -> Self {
        self.drop = probability;
        self
    }

    /// Sets the duplicate probability.
    pub fn with_duplicate(mut self, probability: f64) -> Self {
        self.duplicate = probability;
        self
    }

    /// Sets the delay range (`min..=max`).
    pub fn with_delay(mut self, min: Duration, max: Duration) -> Self {
        self.delay_min = min;
        self.delay_max = max;
        self
    }

    /// Sets the bound of the random reordering delay.
    pub fn with_reorder(mut self, max_extra: Duration) -> Self {
        self.reorder = max_extra;
        self
    }

    /// True when these settings change nothing.
    pub fn is_none(&self) -> bool {
        clamp(self.drop) == 0.0
            && clamp(self.duplicate) == 0.0
            && self.delay_min.max(self.delay_max).is_zero()
            && self.reorder.is_zero()
    }

    /// Decides the fate of one message: the delays of its deliveries, empty if dropped.
    ///
    /// Random numbers are drawn only for the faults that are set, so that adding a delay
    /// does not change which messages a seed drops.
    pub(crate) fn plan(&self, rng: &mut impl Rng) -> Vec<Duration> {
        let drop = clamp(self.drop);
        if drop > 0.0 && rng.gen_bool(drop) {
            return Vec::new();
        }
        let mut deliveries = vec![self.sample_delay(rng)];
        let duplicate = clamp(self.duplicate);
        if duplicate > 0.0 && rng.gen_bool(duplicate) {
            deliveries.push(self.sample_delay(rng));
        }
        deliveries
    }

    fn sample_delay(&self, rng: &mut impl Rng) -> Duration {
        let max = self.delay_max.max(self.delay_min);
        let base =
            if max > self.delay_min { uniform(rng, self.delay_min, max) } else { self.delay_min };
        let extra = if self.reorder.is_zero() {
            Duration::ZERO
        } else {
            uniform(rng, Duration::ZERO, self.reorder)
        };
        base + extra
    }
}

/// A probability usable by `gen_bool`.
fn clamp(p: f64) -> f64 {
    if p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// A uniform duration in `min..=max`, at nanosecond resolution (durations above ~584 years
/// saturate, which no test needs).
fn uniform(rng: &mut impl Rng, min: Duration, max: Duration) -> Duration {
    let lo = u64::try_from(min.as_nanos()).unwrap_or(u64::MAX);
    let hi = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX).max(lo);
    Duration::from_nanos(rng.gen_range(lo..=hi))
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn no_faults_deliver_once_at_once() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..100 {
            assert_eq!(Faults::NONE.plan(&mut rng), vec![Duration::ZERO]);
        }
    }

    #[test]
    fn out_of_range_probabilities_are_clamped() {
        let mut rng = StdRng::seed_from_u64(2);
        assert!(Faults::default().with_drop(7.0).plan(&mut rng).is_empty());
        assert_eq!(Faults::default().with_drop(f64::NAN).plan(&mut rng).len(), 1);
        assert_eq!(Faults::default().with_duplicate(2.0).plan(&mut rng).len(), 2);
        assert_eq!(Faults::default().with_duplicate(-1.0).plan(&mut rng).len(), 1);
    }

    #[test]
    fn delays_stay_in_range() {
        let mut rng = StdRng::seed_from_u64(3);
        let (min, max, extra) =
            (Duration::from_millis(10), Duration::from_millis(20), Duration::from_millis(5));
        let faults = Faults::default().with_delay(min, max).with_reorder(extra);
        let delays: Vec<_> = (0..200).flat_map(|_| faults.plan(&mut rng)).collect();
        assert!(delays.iter().all(|d| *d >= min && *d <= max + extra));
        assert!(delays.iter().any(|d| *d > max), "the reorder extra is applied");
        assert!(delays.windows(2).any(|w| w[0] != w[1]), "delays vary");
        // An inverted range means a fixed delay.
        let fixed = Faults::default().with_delay(max, min);
        assert_eq!(fixed.plan(&mut rng), vec![max]);
    }
}
