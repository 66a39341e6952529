//! The batch worker: one OS thread owns the home (its SQLite connections and key cache are
//! not shared across threads). It prechecks each verification as it arrives, runs a batch's
//! pairing checks (one random-linear-combination batch per statement) on the rayon pool while
//! the next batch fills, consumes the accepted proofs in arrival order in one transaction,
//! and answers each waiting HTTP task on its oneshot. Between jobs it issues requests and,
//! every `sync_every`, syncs the registry replica.

use super::{
    metrics::{Metrics, Phase},
    terms::{IssueError, RequestSpec},
    VerifierConfig,
};
use std::{
    collections::{HashSet, VecDeque},
    sync::{
        mpsc::{Receiver, RecvTimeoutError, SyncSender},
        Arc,
    },
    time::{Duration, Instant},
};
use tokio::sync::oneshot;
use zkconsent::{
    circuits::types::RequestHash,
    files::proof::DecodedProof,
    home::Home,
    prover::Statement,
    registry::PolicyError,
    request::Request,
    unix_now,
    verifier::{Fr, VerifyError},
    verify::{
        answer_requests, finish, nullifier_of, pairing_failures_keyed, pairing_keys,
        precheck_hashed, Accepted, Malformation, Prechecked, Rejection, VerifyFailure,
        VerifyOptions,
    },
};

/// Work for the thread that owns the home.
pub(crate) enum Job {
    /// Verify a proof against a request, and consume it if accepted.
    Verify(VerifyJob),
    /// Issue a request.
    Issue(IssueJob),
    /// The pairing checks of the batch in flight are done.
    Paired(Paired),
    /// No more calls will come: finish what is queued and in flight, then exit.
    Shutdown,
}

/// A decoded proof and the request it claims to answer, with where to send the verdict.
pub(crate) struct VerifyJob {
    /// The proof, decoded off the worker thread.
    pub proof: DecodedProof,
    /// The request, parsed and hash-checked off the worker thread.
    pub request: Request,
    /// Its hash, computed there.
    pub request_hash: RequestHash,
    /// Where the verdict goes.
    pub reply: oneshot::Sender<Verdict>,
}

/// A request to issue, with where to send the request file.
pub(crate) struct IssueJob {
    /// The terms as asked.
    pub spec: RequestSpec,
    /// The file's bytes, or why not.
    pub reply: oneshot::Sender<Result<Vec<u8>, IssueError>>,
}

/// What the worker decided for one proof.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Accepted, and the request (and nullifier) consumed.
    Accepted(Box<Accepted>),
    /// A well-formed proof that failed: 422.
    Rejected(Rejection),
    /// Input that cannot be used: 400.
    Malformed(String),
    /// The home failed (database, keys): 500.
    Internal(String),
    /// Too many proofs waiting: 503, retry.
    Unavailable,
}

impl From<VerifyFailure> for Verdict {
    fn from(failure: VerifyFailure) -> Self {
        match failure {
            VerifyFailure::Rejected(r) => Self::Rejected(r),
            VerifyFailure::Malformed(
                m @ (Malformation::VerifyingKey(_)
                | Malformation::Registry(_)
                | Malformation::Wallet(_)
                | Malformation::Issued(_)),
            ) => Self::Internal(m.to_string()),
            VerifyFailure::Malformed(m) => Self::Malformed(m.to_string()),
        }
    }
}

/// Loads the prepared verifying key of every statement a request can ask for, so the first
/// verification pays no key load and a broken key stops the service at start.
///
/// # Errors
///
/// The first key that cannot be loaded.
pub(crate) fn load_keys(home: &Home) -> Result<(), zkconsent::home::HomeError> {
    for statement in Statement::ALL {
        if statement != Statement::Authority {
            home.verifying_key(statement)?;
        }
    }
    Ok(())
}

/// Runs the worker until [`Job::Shutdown`] (or every sender is dropped), then finishes the
/// batch in flight. `loopback` is the worker's own queue: a pairing task running on the
/// rayon pool posts its [`Job::Paired`] there.
///
/// The pipeline: a proof is prechecked as soon as it arrives (on this thread, which owns the
/// home) and joins the next batch; while one batch's pairings run on the pool, the next one
/// fills. When a pairing result comes back, its batch is finished (roots, clock, one commit)
/// and answered, and the next batch's pairing starts at once. So a lone proof is checked
/// alone, and under load batches grow to what arrived during one pairing.
pub(crate) fn run(
    mut home: Home,
    jobs: Receiver<Job>,
    loopback: SyncSender<Job>,
    config: VerifierConfig,
    metrics: Arc<Metrics>,
) {
    if home.sync().is_err() {
        metrics.sync_failed();
    }
    let mut next_sync = Instant::now() + config.sync_every;
    let mut filling = Batch::default();
    let mut waiting: VecDeque<VerifyJob> = VecDeque::new();
    // The batch whose pairing checks run on the pool.
    let mut in_flight: Option<Batch> = None;
    let mut stopping = false;
    // A batch whose pairing result just came back, to finish this turn.
    let mut paired: Option<(Batch, Paired)> = None;
    loop {
        if stopping && in_flight.is_none() && filling.is_empty() && waiting.is_empty() {
            return;
        }
        let wait = next_sync.saturating_duration_since(Instant::now());
        match jobs.recv_timeout(wait) {
            Ok(Job::Verify(job)) => {
                if filling.len() < config.batch_max {
                    filling.precheck(&home, job, &config, &metrics);
                } else if waiting.len() < config.queue_capacity {
                    waiting.push_back(job);
                } else {
                    // Taking it off the queue must not lift the queue's bound.
                    let _ = job.reply.send(Verdict::Unavailable);
                }
            }
            Ok(Job::Issue(job)) => issue(&mut home, job, &metrics),
            Ok(Job::Paired(result)) => {
                if let Some(batch) = in_flight.take() {
                    metrics.spent(Phase::Pairing, result.took);
                    paired = Some((batch, result));
                }
            }
            Ok(Job::Shutdown) => stopping = true,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => stopping = true,
        }
        if in_flight.is_none() {
            in_flight = start_next(
                &home,
                &mut filling,
                &mut waiting,
                &loopback,
                &config,
                &metrics,
            );
        }
        // Finished after the next batch started pairing: the pool never waits for the
        // database.
        if let Some((batch, result)) = paired.take() {
            finish_batch(&mut home, batch, result.failing, &config, &metrics);
        }
        if Instant::now() >= next_sync {
            if home.sync().is_err() {
                metrics.sync_failed();
            }
            next_sync = Instant::now() + config.sync_every;
        }
    }
}

fn is_unknown_root(finished: &Result<Accepted, VerifyFailure>) -> bool {
    matches!(
        finished,
        Err(VerifyFailure::Rejected(Rejection::Policy(
            PolicyError::UnknownRoot { .. }
        )))
    )
}

fn issue(home: &mut Home, job: IssueJob, metrics: &Metrics) {
    let result = job.spec.statement().and_then(|statement| {
        let verifier = job.spec.verifier.clone();
        let terms = job.spec.terms(home)?;
        let mut rng = rand::rngs::OsRng;
        let request = home.issue_request(&verifier, terms, unix_now(), &mut rng)?;
        metrics.issued(statement);
        Ok(request.to_file_bytes())
    });
    // The caller may have gone (timeout, disconnect): nothing to tell.
    let _ = job.reply.send(result);
}

/// A batch being filled: every proof prechecked on arrival, with its verdict if that
/// already decided it.
#[derive(Default)]
struct Batch {
    /// Where each proof's verdict goes, in arrival order.
    replies: Vec<oneshot::Sender<Verdict>>,
    /// Verdicts decided so far, by arrival.
    verdicts: Vec<Option<Verdict>>,
    /// Proofs past the precheck, with their arrival index.
    passed: Vec<(usize, Prechecked)>,
    /// Requests answered in this batch: a second answer to one is a replay.
    requests_seen: HashSet<Fr>,
}

impl Batch {
    fn len(&self) -> usize {
        self.replies.len()
    }

    fn is_empty(&self) -> bool {
        self.replies.is_empty()
    }

    /// The checks before the pairing: key, request, terms, replay of an answered request.
    fn precheck(
        &mut self,
        home: &Home,
        job: VerifyJob,
        config: &VerifierConfig,
        metrics: &Metrics,
    ) {
        let started = Instant::now();
        let index = self.replies.len();
        self.replies.push(job.reply);
        // A second answer to one request within a batch is a replay: only the first wins.
        if !self.requests_seen.insert(job.request_hash.0) {
            self.verdicts
                .push(Some(Verdict::Rejected(Rejection::Replay)));
            return;
        }
        let options = VerifyOptions {
            statement: job.request.statement(),
            policy: config.policy,
            verifier_now: unix_now(),
        };
        match precheck_hashed(
            home,
            job.proof,
            Some((&job.request, job.request_hash)),
            &options,
        ) {
            Ok(p) => {
                self.verdicts.push(None);
                self.passed.push((index, p));
            }
            Err(e) => self.verdicts.push(Some(e.into())),
        }
        metrics.spent(Phase::Precheck, started.elapsed());
    }
}

/// Starts pairing the batch being filled, if it holds anything. Proofs that overflowed a
/// batch are prechecked into it first.
fn start_next(
    home: &Home,
    filling: &mut Batch,
    waiting: &mut VecDeque<VerifyJob>,
    loopback: &SyncSender<Job>,
    config: &VerifierConfig,
    metrics: &Metrics,
) -> Option<Batch> {
    while filling.len() < config.batch_max {
        let Some(job) = waiting.pop_front() else {
            break;
        };
        filling.precheck(home, job, config, metrics);
    }
    if filling.is_empty() {
        return None;
    }
    let batch = std::mem::take(filling);
    metrics.batch(batch.len());
    Some(start_pairing(home, batch, loopback.clone()))
}

/// What a pairing task sends back.
pub(crate) struct Paired {
    /// Positions in the batch's `passed` whose pairing check failed, or why none could run.
    failing: Result<Vec<usize>, String>,
    /// How long the checks took.
    took: Duration,
}

/// Starts the pairing checks of `batch` on the rayon pool; the result comes back on
/// `loopback` as [`Job::Paired`]. Returns the batch, now in flight.
fn start_pairing(home: &Home, batch: Batch, loopback: SyncSender<Job>) -> Batch {
    let proofs: Vec<DecodedProof> = batch.passed.iter().map(|(_, p)| p.proof.clone()).collect();
    let refs: Vec<&DecodedProof> = proofs.iter().collect();
    match pairing_keys(home, &refs) {
        Ok(keys) => rayon::spawn(move || {
            let started = Instant::now();
            let refs: Vec<&DecodedProof> = proofs.iter().collect();
            // A panic on the pool would abort the process: make it this batch's error.
            let failing = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pairing_failures_keyed(&keys, &refs)
            }))
            .map_err(|_| "the pairing checks failed unexpectedly".to_string());
            // The worker holds the receiver until this batch is answered.
            let _ = loopback.send(Job::Paired(Paired {
                failing,
                took: started.elapsed(),
            }));
        }),
        Err(e) => {
            let _ = loopback.send(Job::Paired(Paired {
                failing: Err(e.to_string()),
                took: Duration::ZERO,
            }));
        }
    }
    batch
}

/// Finishes a batch whose pairing checks are done: the checks after them, one transaction
/// consuming every accepted proof, and every answer.
fn finish_batch(
    home: &mut Home,
    batch: Batch,
    failing: Result<Vec<usize>, String>,
    config: &VerifierConfig,
    metrics: &Metrics,
) {
    let now = unix_now();
    let Batch {
        replies,
        mut verdicts,
        passed,
        ..
    } = batch;
    let passed = match failing {
        Ok(failing) => {
            let failing: HashSet<usize> = failing.into_iter().collect();
            let mut survivors = Vec::with_capacity(passed.len());
            for (position, (index, p)) in passed.into_iter().enumerate() {
                if failing.contains(&position) {
                    verdicts[index] = Some(Verdict::Rejected(Rejection::Invalid(
                        VerifyError::InvalidProof,
                    )));
                } else {
                    survivors.push((index, p));
                }
            }
            survivors
        }
        Err(reason) => {
            for (index, _) in passed {
                verdicts[index] = Some(Verdict::Internal(reason.clone()));
            }
            Vec::new()
        }
    };
    let mut nullifiers_seen: HashSet<(usize, Fr)> = HashSet::new();
    let mut accepted: Vec<(usize, Accepted)> = Vec::with_capacity(passed.len());
    for (index, p) in passed {
        let options = VerifyOptions {
            statement: p.proof.statement,
            policy: config.policy,
            verifier_now: now,
        };
        match check(home, p, &options, &mut nullifiers_seen, metrics) {
            Ok(a) => accepted.push((index, a)),
            Err(verdict) => verdicts[index] = Some(verdict),
        }
    }
    // One transaction for the whole batch: one commit, not one per proof.
    let started = Instant::now();
    let refs: Vec<&Accepted> = accepted.iter().map(|(_, a)| a).collect();
    let answers = answer_requests(home, &refs, now);
    metrics.spent(Phase::Consume, started.elapsed());
    for ((index, a), answer) in accepted.into_iter().zip(answers) {
        verdicts[index] = Some(match answer {
            Ok(()) => Verdict::Accepted(Box::new(a)),
            Err(e) => e.into(),
        });
    }
    for (reply, verdict) in replies.into_iter().zip(verdicts) {
        let verdict = verdict.unwrap_or_else(|| Verdict::Internal("no verdict".into()));
        // The caller may have gone: the proof was consumed all the same, as over the CLI.
        let _ = reply.send(verdict);
    }
}

/// The checks after the pairing (roots, clock), with nullifiers deduplicated in arrival
/// order, so of two proofs spending one nullifier the first wins.
fn check(
    home: &mut Home,
    prechecked: Prechecked,
    options: &VerifyOptions,
    nullifiers_seen: &mut HashSet<(usize, Fr)>,
    metrics: &Metrics,
) -> Result<Accepted, Verdict> {
    if let Some(n) = nullifier_of(&prechecked.proof) {
        let slot = Statement::ALL
            .iter()
            .position(|s| *s == n.statement)
            .unwrap_or_default();
        if !nullifiers_seen.insert((slot, n.value)) {
            return Err(Verdict::Rejected(Rejection::NullifierSpent {
                statement: n.statement,
            }));
        }
    }
    let started = Instant::now();
    let retry = home.remote().is_some().then(|| prechecked.clone());
    let mut finished = finish(home, prechecked, options);
    if let (Some(prechecked), true) = (retry, is_unknown_root(&finished)) {
        // A proof made on a root newer than this replica: catch up once, then judge it.
        if home.sync().is_ok() {
            finished = finish(home, prechecked, options);
        } else {
            metrics.sync_failed();
        }
    }
    metrics.spent(Phase::Registry, started.elapsed());
    finished.map_err(Verdict::from)
}
