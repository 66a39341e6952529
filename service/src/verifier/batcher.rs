//! The batch worker: one OS thread owns the home (its SQLite connections and key cache are
//! not shared across threads), drains up to `batch_max` queued verifications at a time, runs
//! their pairing checks as one random-linear-combination batch per statement, consumes the
//! accepted ones in arrival order, and answers each waiting HTTP task on its oneshot. Between
//! batches it issues requests and, every `sync_every`, syncs the registry replica.

use super::{
    metrics::{Metrics, Phase},
    terms::{IssueError, RequestSpec},
    VerifierConfig,
};
use std::{
    collections::HashSet,
    sync::{
        mpsc::{Receiver, RecvTimeoutError, TryRecvError},
        Arc,
    },
    time::Instant,
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
        answer_requests, finish, nullifier_of, pairing_failures, precheck_hashed, Accepted,
        Malformation, Prechecked, Rejection, VerifyFailure, VerifyOptions,
    },
};

/// Work for the thread that owns the home.
pub(crate) enum Job {
    /// Verify a proof against a request, and consume it if accepted.
    Verify(VerifyJob),
    /// Issue a request.
    Issue(IssueJob),
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
}

impl From<VerifyFailure> for Verdict {
    fn from(failure: VerifyFailure) -> Self {
        match failure {
            VerifyFailure::Rejected(r) => Self::Rejected(r),
            VerifyFailure::Malformed(
                m @ (Malformation::VerifyingKey(_)
                | Malformation::Registry(_)
                | Malformation::Wallet(_)),
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

/// Runs the worker until every sender is dropped.
pub(crate) fn run(
    mut home: Home,
    jobs: Receiver<Job>,
    config: VerifierConfig,
    metrics: Arc<Metrics>,
) {
    if home.sync().is_err() {
        metrics.sync_failed();
    }
    let mut next_sync = Instant::now() + config.sync_every;
    loop {
        let wait = next_sync.saturating_duration_since(Instant::now());
        match jobs.recv_timeout(wait) {
            Ok(first) => {
                let mut verifies = Vec::new();
                let mut issues = Vec::new();
                sort(first, &mut verifies, &mut issues);
                // Everything that queued while the last batch ran forms the next one.
                while verifies.len() < config.batch_max {
                    match jobs.try_recv() {
                        Ok(job) => sort(job, &mut verifies, &mut issues),
                        Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                    }
                }
                for job in issues {
                    issue(&mut home, job, &metrics);
                }
                if !verifies.is_empty() {
                    metrics.batch(verifies.len());
                    verify_batch(&mut home, verifies, &config, &metrics);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
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

fn sort(job: Job, verifies: &mut Vec<VerifyJob>, issues: &mut Vec<IssueJob>) {
    match job {
        Job::Verify(v) => verifies.push(v),
        Job::Issue(i) => issues.push(i),
    }
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

/// Verifies and consumes one batch, answering every job.
fn verify_batch(home: &mut Home, jobs: Vec<VerifyJob>, config: &VerifierConfig, metrics: &Metrics) {
    let now = unix_now();
    let started = Instant::now();
    let mut verdicts: Vec<Option<Verdict>> = Vec::with_capacity(jobs.len());
    let mut replies = Vec::with_capacity(jobs.len());
    let mut passed: Vec<(usize, Prechecked)> = Vec::with_capacity(jobs.len());
    let mut requests_seen: HashSet<Fr> = HashSet::with_capacity(jobs.len());
    for (index, job) in jobs.into_iter().enumerate() {
        replies.push(job.reply);
        let options = VerifyOptions {
            statement: job.request.statement(),
            policy: config.policy,
            verifier_now: now,
        };
        // A second answer to one request within a batch is a replay: only the first wins.
        if !requests_seen.insert(job.request_hash.0) {
            verdicts.push(Some(Verdict::Rejected(Rejection::Replay)));
            continue;
        }
        match precheck_hashed(
            home,
            job.proof,
            Some((&job.request, job.request_hash)),
            &options,
        ) {
            Ok(p) => {
                verdicts.push(None);
                passed.push((index, p));
            }
            Err(e) => verdicts.push(Some(e.into())),
        }
    }
    metrics.spent(Phase::Precheck, started.elapsed());
    let started = Instant::now();
    let proofs: Vec<&DecodedProof> = passed.iter().map(|(_, p)| &p.proof).collect();
    match pairing_failures(home, &proofs) {
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
            passed = survivors;
        }
        Err(e) => {
            let reason = e.to_string();
            for (index, _) in passed.drain(..) {
                verdicts[index] = Some(Verdict::Internal(reason.clone()));
            }
        }
    }
    metrics.spent(Phase::Pairing, started.elapsed());
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
