//! The verifier service's counters and histograms, rendered in the Prometheus text format
//! (version 0.0.4) by hand: a handful of atomics needs no metrics framework.

use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};
use zkconsent::prover::Statement;

/// Upper bounds of the batch-size histogram's buckets (proofs per pairing batch).
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
/// Upper bounds of the verify latency histogram's buckets, in seconds.
const LATENCY_BUCKETS_SECS: [f64; 13] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];
/// Label of outcomes whose statement is unknown (a body that did not parse).
const UNKNOWN_STATEMENT: &str = "unknown";
/// Statement label slots: every statement, then [`UNKNOWN_STATEMENT`].
const STATEMENT_SLOTS: usize = Statement::ALL.len() + 1;
/// Histogram sums are kept in these units of the observed value (micro-units).
const SUM_SCALE: f64 = 1e6;

/// How a `/v1/verify` call ended, as counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 200: accepted and consumed.
    Accepted,
    /// 422: a well-formed proof that failed.
    Rejected,
    /// 400 or 413: input that could not be used.
    Malformed,
    /// 500 or 503: the service could not decide.
    Error,
}

impl Outcome {
    const ALL: [Self; 4] = [Self::Accepted, Self::Rejected, Self::Malformed, Self::Error];

    fn name(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Malformed => "malformed",
            Self::Error => "error",
        }
    }

    fn slot(self) -> usize {
        Self::ALL
            .iter()
            .position(|o| *o == self)
            .unwrap_or_default()
    }
}

/// A fixed-bucket histogram of non-negative values.
#[derive(Debug)]
struct Histogram<const N: usize> {
    bounds: [f64; N],
    /// Per-bucket counts (not cumulative); the last slot is `+Inf`.
    counts: [AtomicU64; N],
    overflow: AtomicU64,
    count: AtomicU64,
    sum_micro: AtomicU64,
}

impl<const N: usize> Histogram<N> {
    fn new(bounds: [f64; N]) -> Self {
        Self {
            bounds,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            overflow: AtomicU64::new(0),
            count: AtomicU64::new(0),
            sum_micro: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: f64) {
        match self.bounds.iter().position(|b| value <= *b) {
            Some(i) => self.counts[i].fetch_add(1, Ordering::Relaxed),
            None => self.overflow.fetch_add(1, Ordering::Relaxed),
        };
        self.count.fetch_add(1, Ordering::Relaxed);
        // Saturating float-to-int cast: a negative or absurd value cannot wrap the sum.
        let micro = (value * SUM_SCALE) as u64;
        self.sum_micro.fetch_add(micro, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0u64;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.overflow.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micro.load(Ordering::Relaxed) as f64 / SUM_SCALE;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {}", self.count.load(Ordering::Relaxed));
    }
}

/// The service's metrics, shared by the HTTP handlers and the batch worker.
#[derive(Debug)]
pub struct Metrics {
    /// `[statement slot][outcome slot]`.
    verifications: [[AtomicU64; Outcome::ALL.len()]; STATEMENT_SLOTS],
    requests_issued: [AtomicU64; STATEMENT_SLOTS],
    batch_size: Histogram<{ BATCH_BUCKETS.len() }>,
    latency: Histogram<{ LATENCY_BUCKETS_SECS.len() }>,
    sync_failures: AtomicU64,
    /// Worker time by phase, in microseconds.
    phase_micros: [AtomicU64; Phase::ALL.len()],
}

/// Where the batch worker spends its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Key, request and term checks, and the replay lookup, per proof.
    Precheck,
    /// The batched pairing checks.
    Pairing,
    /// Root, clock and nullifier checks after the pairing.
    Registry,
    /// Answering the request and spending the nullifier (one commit each).
    Consume,
}

impl Phase {
    const ALL: [Self; 4] = [Self::Precheck, Self::Pairing, Self::Registry, Self::Consume];

    fn name(self) -> &'static str {
        match self {
            Self::Precheck => "precheck",
            Self::Pairing => "pairing",
            Self::Registry => "registry",
            Self::Consume => "consume",
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            verifications: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            requests_issued: std::array::from_fn(|_| AtomicU64::new(0)),
            batch_size: Histogram::new(BATCH_BUCKETS),
            latency: Histogram::new(LATENCY_BUCKETS_SECS),
            sync_failures: AtomicU64::new(0),
            phase_micros: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

fn statement_slot(statement: Option<Statement>) -> usize {
    statement
        .and_then(|s| Statement::ALL.iter().position(|x| *x == s))
        .unwrap_or(Statement::ALL.len())
}

fn statement_label(slot: usize) -> &'static str {
    Statement::ALL
        .get(slot)
        .map_or(UNKNOWN_STATEMENT, |s| s.name())
}

impl Metrics {
    /// Counts one `/v1/verify` call and its latency (arrival to answer).
    pub fn verified(&self, statement: Option<Statement>, outcome: Outcome, latency: Duration) {
        self.verifications[statement_slot(statement)][outcome.slot()]
            .fetch_add(1, Ordering::Relaxed);
        self.latency.observe(latency.as_secs_f64());
    }

    /// Counts one request issued.
    pub fn issued(&self, statement: Statement) {
        self.requests_issued[statement_slot(Some(statement))].fetch_add(1, Ordering::Relaxed);
    }

    /// Records the size of one batch the worker formed.
    pub fn batch(&self, size: usize) {
        self.batch_size.observe(size as f64);
    }

    /// Adds worker time spent in `phase`.
    pub fn spent(&self, phase: Phase, time: Duration) {
        let slot = Phase::ALL
            .iter()
            .position(|p| *p == phase)
            .unwrap_or_default();
        let micros = u64::try_from(time.as_micros()).unwrap_or(u64::MAX);
        self.phase_micros[slot].fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts a registry sync that failed.
    pub fn sync_failed(&self) {
        self.sync_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let name = "zkconsent_verifier_verifications_total";
        let _ = writeln!(
            out,
            "# HELP {name} /v1/verify calls by statement and outcome."
        );
        let _ = writeln!(out, "# TYPE {name} counter");
        for (slot, row) in self.verifications.iter().enumerate() {
            for (outcome, count) in Outcome::ALL.iter().zip(row) {
                let _ = writeln!(
                    out,
                    "{name}{{statement=\"{}\",outcome=\"{}\"}} {}",
                    statement_label(slot),
                    outcome.name(),
                    count.load(Ordering::Relaxed)
                );
            }
        }
        let name = "zkconsent_verifier_requests_issued_total";
        let _ = writeln!(out, "# HELP {name} Requests issued by statement.");
        let _ = writeln!(out, "# TYPE {name} counter");
        for (slot, count) in self
            .requests_issued
            .iter()
            .enumerate()
            .take(Statement::ALL.len())
        {
            let _ = writeln!(
                out,
                "{name}{{statement=\"{}\"}} {}",
                statement_label(slot),
                count.load(Ordering::Relaxed)
            );
        }
        self.batch_size.render(
            &mut out,
            "zkconsent_verifier_batch_size",
            "Proofs per batch the worker formed.",
        );
        self.latency.render(
            &mut out,
            "zkconsent_verifier_verify_seconds",
            "Latency of /v1/verify, from arrival to answer.",
        );
        let name = "zkconsent_verifier_worker_seconds_total";
        let _ = writeln!(out, "# HELP {name} Batch worker time by phase.");
        let _ = writeln!(out, "# TYPE {name} counter");
        for (phase, micros) in Phase::ALL.iter().zip(&self.phase_micros) {
            let seconds = micros.load(Ordering::Relaxed) as f64 / SUM_SCALE;
            let _ = writeln!(out, "{name}{{phase=\"{}\"}} {seconds}", phase.name());
        }
        let name = "zkconsent_verifier_sync_failures_total";
        let _ = writeln!(out, "# HELP {name} Registry replica syncs that failed.");
        let _ = writeln!(out, "# TYPE {name} counter");
        let _ = writeln!(out, "{name} {}", self.sync_failures.load(Ordering::Relaxed));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cumulative_buckets_and_labelled_counters() {
        let m = Metrics::default();
        m.batch(1);
        m.batch(3);
        m.batch(1000);
        m.verified(
            Some(Statement::Access),
            Outcome::Accepted,
            Duration::from_millis(3),
        );
        m.verified(None, Outcome::Malformed, Duration::from_millis(1));
        let text = m.render();
        assert!(text.contains("zkconsent_verifier_batch_size_bucket{le=\"1\"} 1\n"));
        assert!(text.contains("zkconsent_verifier_batch_size_bucket{le=\"4\"} 2\n"));
        assert!(text.contains("zkconsent_verifier_batch_size_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("zkconsent_verifier_batch_size_count 3\n"));
        assert!(text.contains(
            "zkconsent_verifier_verifications_total{statement=\"access\",outcome=\"accepted\"} 1\n"
        ));
        assert!(text.contains(
            "zkconsent_verifier_verifications_total{statement=\"unknown\",outcome=\"malformed\"} 1\n"
        ));
        assert!(text.contains("zkconsent_verifier_verify_seconds_bucket{le=\"0.005\"} 2\n"));
    }
}
