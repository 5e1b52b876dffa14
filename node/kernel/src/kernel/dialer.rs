//! One dialer for every outgoing connection the kernel asks for (static peers, rebalance
//! `Connect`s): at most `max_concurrent_dials` attempts in flight, each under
//! `dial_timeout`, failures retried with exponential backoff and jitter. Pure logic with
//! time passed in; the shell carries out its [`DialAction`]s.
//!
//! An attempt's slot is an [`OwnedSemaphorePermit`] held by its in-flight entry: whatever
//! ends the attempt (connected, failed, timed out, cancelled) drops the entry and with it
//! the permit, so a slot cannot leak by a forgotten decrement. Attempts beyond the cap wait
//! in order. Static peers are retried forever (the backoff stops growing at its ceiling);
//! dynamic ones `dynamic_attempts` times, then given up, which releases their upstream slot.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use peerd_api::bytes::Bytes;
use peerd_api::DialTarget;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The dialer's settings (from `[sync]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DialPolicy {
    /// Attempts in flight at once.
    pub(crate) max_concurrent: usize,
    /// How long an attempt may take before it counts as failed.
    pub(crate) timeout: Duration,
    /// The first retry's delay; it doubles with every failure.
    pub(crate) backoff: Duration,
    /// The longest delay between two attempts.
    pub(crate) max_backoff: Duration,
    /// Failed attempts after which a dynamic target is given up.
    pub(crate) dynamic_attempts: u32,
}

/// What the shell does for the dialer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DialAction {
    /// Send `Dial` for this target to its transport.
    Dial(DialTarget),
    /// The attempt timed out: tell the transport to stop trying (`Disconnect`).
    Abort(DialTarget),
    /// A dynamic target failed `dynamic_attempts` times: release its upstream slot.
    GiveUp(DialTarget),
}

type Key = (String, Bytes);

fn key(target: &DialTarget) -> Key {
    (target.transport.clone(), target.key.clone())
}

#[derive(Debug)]
struct Known {
    target: DialTarget,
    is_static: bool,
    failures: u32,
    /// When the next attempt may start (after a failure).
    retry_at: Option<Instant>,
}

#[derive(Debug)]
struct InFlight {
    deadline: Instant,
    _slot: OwnedSemaphorePermit,
}

/// Targets being dialled, waiting for a slot, or waiting to be retried.
#[derive(Debug)]
pub(crate) struct Dialer {
    policy: DialPolicy,
    slots: Arc<Semaphore>,
    known: HashMap<Key, Known>,
    in_flight: HashMap<Key, InFlight>,
    queue: VecDeque<Key>,
    rng: StdRng,
}

impl Dialer {
    pub(crate) fn new(policy: DialPolicy, seed: u64) -> Self {
        let policy = DialPolicy { max_concurrent: policy.max_concurrent.max(1), ..policy };
        Self {
            policy,
            slots: Arc::new(Semaphore::new(policy.max_concurrent)),
            known: HashMap::new(),
            in_flight: HashMap::new(),
            queue: VecDeque::new(),
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Attempts in flight now.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Asks for a connection to `target`. Nothing happens if it is already being dialled,
    /// queued or waiting for its retry (a `Reconnect` cannot start a dial storm).
    pub(crate) fn request(
        &mut self,
        target: DialTarget,
        is_static: bool,
        now: Instant,
    ) -> Vec<DialAction> {
        let k = key(&target);
        match self.known.get_mut(&k) {
            Some(known) => {
                known.target = target;
                known.is_static |= is_static;
                if known.retry_at.is_some()
                    || self.in_flight.contains_key(&k)
                    || self.queue.contains(&k)
                {
                    return Vec::new();
                }
            }
            None => {
                self.known
                    .insert(k.clone(), Known { target, is_static, failures: 0, retry_at: None });
            }
        }
        self.queue.push_back(k);
        self.start(now)
    }

    /// The connection is up: the attempt ends and the backoff resets.
    pub(crate) fn connected(&mut self, target: &DialTarget, now: Instant) -> Vec<DialAction> {
        let k = key(target);
        self.in_flight.remove(&k);
        self.queue.retain(|q| q != &k);
        self.known.remove(&k);
        self.start(now)
    }

    /// The transport reports that the attempt failed.
    pub(crate) fn failed(&mut self, target: &DialTarget, now: Instant) -> Vec<DialAction> {
        let k = key(target);
        if self.in_flight.remove(&k).is_none() {
            return Vec::new(); // not ours, or already timed out
        }
        let mut out = self.schedule_retry(&k, now);
        out.extend(self.start(now));
        out
    }

    /// The target is no longer wanted (released, banned): forget it.
    pub(crate) fn cancel(&mut self, target: &DialTarget, now: Instant) -> Vec<DialAction> {
        let k = key(target);
        self.in_flight.remove(&k);
        self.queue.retain(|q| q != &k);
        self.known.remove(&k);
        self.start(now)
    }

    /// Times out attempts past their deadline and starts retries that are due.
    pub(crate) fn poll(&mut self, now: Instant) -> Vec<DialAction> {
        let mut out = Vec::new();
        let expired: Vec<Key> = self
            .in_flight
            .iter()
            .filter(|(_, f)| f.deadline <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in expired {
            self.in_flight.remove(&k);
            if let Some(known) = self.known.get(&k) {
                out.push(DialAction::Abort(known.target.clone()));
            }
            out.extend(self.schedule_retry(&k, now));
        }
        let due: Vec<Key> = self
            .known
            .iter()
            .filter(|(_, t)| t.retry_at.is_some_and(|at| at <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for k in due {
            if let Some(known) = self.known.get_mut(&k) {
                known.retry_at = None;
            }
            self.queue.push_back(k);
        }
        out.extend(self.start(now));
        out
    }

    /// When [`Dialer::poll`] next has something to do.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let deadlines = self.in_flight.values().map(|f| f.deadline);
        let retries = self.known.values().filter_map(|t| t.retry_at);
        deadlines.chain(retries).min()
    }

    fn schedule_retry(&mut self, k: &Key, now: Instant) -> Vec<DialAction> {
        let Some(known) = self.known.get_mut(k) else { return Vec::new() };
        known.failures += 1;
        if !known.is_static && known.failures >= self.policy.dynamic_attempts {
            let target = known.target.clone();
            self.known.remove(k);
            return vec![DialAction::GiveUp(target)];
        }
        let delay = backoff(&self.policy, known.failures);
        // Jitter of up to a quarter, so that many failed targets do not retry in lockstep.
        let jitter = delay.mul_f64(self.rng.gen_range(0.0..0.25));
        known.retry_at = Some(now + delay + jitter);
        Vec::new()
    }

    /// Starts queued attempts while slots are free.
    fn start(&mut self, now: Instant) -> Vec<DialAction> {
        let mut out = Vec::new();
        while let Some(k) = self.queue.front().cloned() {
            let Ok(slot) = self.slots.clone().try_acquire_owned() else { break };
            self.queue.pop_front();
            let Some(known) = self.known.get(&k) else { continue };
            let deadline = now + self.policy.timeout;
            self.in_flight.insert(k, InFlight { deadline, _slot: slot });
            out.push(DialAction::Dial(known.target.clone()));
        }
        out
    }
}

/// The delay before the retry after `failures` failures: `backoff · 2^(failures − 1)`,
/// at most `max_backoff`.
pub(crate) fn backoff(policy: &DialPolicy, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    policy.backoff.saturating_mul(1 << doublings).min(policy.max_backoff)
}

#[cfg(test)]
mod tests;
