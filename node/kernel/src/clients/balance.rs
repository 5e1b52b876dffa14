//! A client's two balances, their exponential decay and what connecting costs.

use std::time::Duration;

use serde::Serialize;

/// A client's balances at one moment, in credits (both `>= 0`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Balances {
    /// What the client can still spend.
    pub positive: f64,
    /// What it owes.
    pub negative: f64,
}

/// Prices and decay: everything that turns time and use into balances.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rates {
    /// Credits per connected second.
    pub(crate) time_price: f64,
    /// Credits per connected second and capacity unit.
    pub(crate) capacity_price: f64,
    /// Credits per request served.
    pub(crate) request_price: f64,
    /// Time constant of the positive balance's decay (zero: never decays).
    pub(crate) positive_decay: Duration,
    /// Time constant of the negative balance's decay (zero: never decays).
    pub(crate) negative_decay: Duration,
}

impl Rates {
    /// Credits per connected second at `capacity`.
    pub(crate) fn per_second(&self, capacity: u64) -> f64 {
        self.time_price + self.capacity_price * capacity as f64
    }

    /// The priority of `balances` at `capacity` (unbiased): the seconds of connection the
    /// positive balance still pays for (the balance itself if connecting is free), or
    /// minus the debt once nothing positive is left.
    pub(crate) fn priority(&self, balances: Balances, capacity: u64) -> f64 {
        if balances.positive > 0.0 {
            let rate = self.per_second(capacity);
            if rate > 0.0 {
                balances.positive / rate
            } else {
                balances.positive
            }
        } else if balances.negative > 0.0 {
            -balances.negative
        } else {
            0.0
        }
    }
}

/// `value` after `elapsed_ms` of decay with time constant `tau` (zero: no decay).
pub(crate) fn decay(value: f64, elapsed_ms: u64, tau: Duration) -> f64 {
    if tau.is_zero() || elapsed_ms == 0 {
        return value;
    }
    value * (-(elapsed_ms as f64 / 1000.0) / tau.as_secs_f64()).exp()
}

/// Balances as they were at `at_ms`; read them at another time with [`Ledger::at`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Ledger {
    pub(crate) balances: Balances,
    /// Unix milliseconds at which `balances` were valid.
    pub(crate) at_ms: u64,
}

impl Ledger {
    /// Nothing, valid at `at_ms`.
    pub(crate) fn empty(at_ms: u64) -> Self {
        Self { balances: Balances::default(), at_ms }
    }

    /// The balances decayed to `now_ms` (unchanged if `now_ms` is not later).
    pub(crate) fn at(&self, now_ms: u64, rates: &Rates) -> Balances {
        let elapsed = now_ms.saturating_sub(self.at_ms);
        Balances {
            positive: decay(self.balances.positive, elapsed, rates.positive_decay),
            negative: decay(self.balances.negative, elapsed, rates.negative_decay),
        }
    }

    /// Decays the balances to `now_ms` and makes that their time. A clock that went back
    /// keeps the later time: balances never grow back by decay run backwards.
    pub(crate) fn advance(&mut self, now_ms: u64, rates: &Rates) {
        self.balances = self.at(now_ms, rates);
        self.at_ms = self.at_ms.max(now_ms);
    }

    /// Pays `cost` from the positive balance while it lasts; the rest becomes debt.
    pub(crate) fn charge(&mut self, cost: f64) {
        if cost.is_nan() || cost <= 0.0 {
            return;
        }
        let paid = cost.min(self.balances.positive);
        self.balances.positive -= paid;
        self.balances.negative += cost - paid;
    }

    /// Adds `amount` (negative: takes it away) to the positive balance, never below zero.
    /// A non-finite amount is ignored.
    pub(crate) fn credit(&mut self, amount: f64) {
        if amount.is_finite() {
            self.balances.positive = (self.balances.positive + amount).max(0.0);
        }
    }
}
