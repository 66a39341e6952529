//! Verifying a proof file: decoding and the key, the request's terms, the pairing check, then
//! the registry and the clock, each public input by its role ([`crate::statements`]).
//!
//! Outcomes map to the CLI's exit codes: accepted (0); [`VerifyFailure::Rejected`], a
//! well-formed proof that does not verify or fails policy (1); [`VerifyFailure::Malformed`],
//! unreadable input or an unusable environment (2).

use crate::{
    files::proof::{DecodedProof, ProofFile},
    home::Home,
    registry::{check_clock, Answer, RootCheckError, RootPolicy, SpentNullifier},
    request::{Issued, Request},
    statements::{inputs_with, roles, InputRole},
};
use zkconsent_circuits::{
    range::fits_in_bits,
    types::{AccessTag, GrantsRoot, RecordsRoot, RequestHash, Timestamp},
};
use zkconsent_prover::Statement;
use zkconsent_verifier as verifier;

pub use crate::verdict::{Malformation, Rejection, VerifyFailure};

/// What the verifier checks besides the proof and the request's terms.
#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions {
    /// The statement the verifier asks for; a proof of any other statement is rejected.
    pub statement: Statement,
    /// Root age and clock skew limits.
    pub policy: RootPolicy,
    /// The verifier's clock.
    pub verifier_now: Timestamp,
}

impl VerifyOptions {
    /// `statement` with the default policy at `verifier_now`.
    pub fn new(statement: Statement, verifier_now: Timestamp) -> Self {
        Self {
            statement,
            policy: RootPolicy::default(),
            verifier_now,
        }
    }

    /// Access with the default policy at `verifier_now`.
    pub fn access(verifier_now: Timestamp) -> Self {
        Self::new(Statement::Access, verifier_now)
    }
}

/// An accepted proof.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The decoded proof.
    pub proof: DecodedProof,
    /// The request it answers, when the verifier named one (every term was checked).
    pub request: Option<Request>,
}

impl Accepted {
    /// Whether the proof was checked against a request.
    pub fn request_checked(&self) -> bool {
        self.request.is_some()
    }

    /// The public inputs nothing checked, by name: without a request, every term of the
    /// statement and its request hash; with one, none.
    pub fn not_checked(&self) -> Vec<&'static str> {
        if self.request.is_some() {
            return Vec::new();
        }
        let statement = self.proof.statement;
        let names = statement.input_names();
        roles(statement)
            .iter()
            .zip(names)
            .filter(|(role, _)| matches!(role, InputRole::Term | InputRole::RequestHash))
            .map(|(_, name)| *name)
            .collect()
    }
}

/// Verifies a proof file's bytes against a home's params and registry.
///
/// # Errors
///
/// [`VerifyFailure`] naming the reason.
pub fn verify_proof_bytes(
    home: &Home,
    bytes: &[u8],
    request: Option<&Request>,
    options: &VerifyOptions,
) -> Result<Accepted, VerifyFailure> {
    let decoded = decode_proof(bytes)?;
    // A service prepares each key once; a one-shot verifier checks with the key as read.
    let check = if home.is_long_lived_verifier() {
        let pvk = check_key(home, &decoded, options)?;
        if let Some(request) = request {
            check_request(home, &decoded, request, request.hash())?;
        }
        verifier::verify(&pvk, &decoded.inputs, &decoded.proof)
    } else {
        let vk = check_unprepared_key(home, &decoded, options)?;
        if let Some(request) = request {
            check_request(home, &decoded, request, request.hash())?;
        }
        verifier::verify_once(&vk, &decoded.inputs, &decoded.proof)
    };
    check.map_err(|e| VerifyFailure::Rejected(Rejection::Invalid(e)))?;
    finish(
        home,
        Prechecked {
            proof: decoded,
            request: request.cloned(),
        },
        options,
    )
}

/// A proof that passed every check that comes before the pairing check: it decodes, it is
/// for the statement, circuit, depth and key asked for, and (with a request) it answers that
/// request's terms and the request was not answered yet. A verifier service gathers these
/// from many callers, runs their pairing checks as one batch ([`pairing_failures`]), then
/// [`finish`]es the ones that pass.
#[derive(Clone, Debug)]
pub struct Prechecked {
    /// The decoded proof.
    pub proof: DecodedProof,
    /// The request it answers, when the verifier named one.
    pub request: Option<Request>,
}

/// Decodes a proof file strictly (no home needed, so callers may decode off the thread that
/// owns the home).
///
/// # Errors
///
/// [`Malformation::ProofFile`] naming what does not decode.
pub fn decode_proof(bytes: &[u8]) -> Result<DecodedProof, VerifyFailure> {
    ProofFile::decode(bytes).map_err(|e| Malformation::ProofFile(e.to_string()).into())
}

/// The checks before the pairing check, for a decoded proof: the key, circuit and depth,
/// then (with a request) the request's terms, hash and that it is still unanswered.
///
/// # Errors
///
/// [`VerifyFailure`] naming the reason, as [`verify_proof_bytes`] would.
pub fn precheck(
    home: &Home,
    decoded: DecodedProof,
    request: Option<&Request>,
    options: &VerifyOptions,
) -> Result<Prechecked, VerifyFailure> {
    precheck_hashed(home, decoded, request.map(|r| (r, r.hash())), options)
}

/// [`precheck`] for a request whose hash the caller already has (from
/// [`Request::from_file_bytes_hashed`]): a service's worker thread does no hashing.
///
/// # Errors
///
/// As [`precheck`].
pub fn precheck_hashed(
    home: &Home,
    decoded: DecodedProof,
    request: Option<(&Request, RequestHash)>,
    options: &VerifyOptions,
) -> Result<Prechecked, VerifyFailure> {
    check_key(home, &decoded, options)?;
    if let Some((request, hash)) = request {
        check_request(home, &decoded, request, hash)?;
    }
    Ok(Prechecked {
        proof: decoded,
        request: request.map(|(r, _)| r.clone()),
    })
}

/// The pairing checks of many prechecked proofs, one random-linear-combination batch per
/// statement (one multi-pairing each; the verifier names the failing proofs when a batch
/// fails). Returns the positions in `items` of the proofs that do not verify.
///
/// # Errors
///
/// [`Malformation::VerifyingKey`] when a statement's key cannot be loaded.
pub fn pairing_failures(home: &Home, items: &[&DecodedProof]) -> Result<Vec<usize>, VerifyFailure> {
    Ok(pairing_failures_keyed(&pairing_keys(home, items)?, items))
}

/// The prepared verifying key of every statement among `items`, for
/// [`pairing_failures_keyed`] (which then needs no home, so it can run on another thread).
///
/// # Errors
///
/// [`Malformation::VerifyingKey`] when a statement's key cannot be loaded.
pub fn pairing_keys(home: &Home, items: &[&DecodedProof]) -> Result<PairingKeys, VerifyFailure> {
    let mut keys = Vec::new();
    for statement in Statement::ALL {
        if items.iter().any(|d| d.statement == statement) {
            let (pvk, _) = home
                .verifying_key(statement)
                .map_err(Malformation::VerifyingKey)?;
            keys.push((statement, pvk));
        }
    }
    Ok(PairingKeys(keys))
}

/// Prepared verifying keys by statement ([`pairing_keys`]).
#[derive(Clone)]
pub struct PairingKeys(Vec<(Statement, std::sync::Arc<verifier::PreparedVerifyingKey>)>);

impl std::fmt::Debug for PairingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(s, _)| s.name()))
            .finish()
    }
}

/// [`pairing_failures`] with the keys given. A proof whose statement has no key fails.
pub fn pairing_failures_keyed(keys: &PairingKeys, items: &[&DecodedProof]) -> Vec<usize> {
    let mut failing = Vec::new();
    for statement in Statement::ALL {
        let group: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].statement == statement)
            .collect();
        if group.is_empty() {
            continue;
        }
        let Some((_, pvk)) = keys.0.iter().find(|(s, _)| *s == statement) else {
            failing.extend(group);
            continue;
        };
        let proofs: Vec<&DecodedProof> = group.iter().map(|&i| items[i]).collect();
        failing.extend(
            batch_failures(pvk, &proofs)
                .into_iter()
                .filter_map(|local| group.get(local).copied()),
        );
    }
    failing.sort_unstable();
    failing
}

/// Fewest proofs per parallel share of a batch: below this, one share (its own final
/// exponentiation) costs more than the cores it would save.
const MIN_PARALLEL_SHARE: usize = 8;

/// The positions of the proofs (all for `pvk`) whose pairing check fails: one batch per
/// core (each share one multi-pairing), so a verifier service's batch uses every core.
fn batch_failures(pvk: &verifier::PreparedVerifyingKey, proofs: &[&DecodedProof]) -> Vec<usize> {
    use rayon::prelude::*;
    let shares = rayon::current_num_threads()
        .min(proofs.len() / MIN_PARALLEL_SHARE)
        .max(1);
    let share_len = proofs.len().div_ceil(shares).max(1);
    proofs
        .par_chunks(share_len)
        .enumerate()
        .flat_map_iter(|(n, share)| {
            share_failures(pvk, share)
                .into_iter()
                .map(move |local| n * share_len + local)
        })
        .collect()
}

/// The positions of the proofs in one share whose pairing check fails, by one batch.
fn share_failures(pvk: &verifier::PreparedVerifyingKey, proofs: &[&DecodedProof]) -> Vec<usize> {
    let items: Vec<(&[verifier::Fr], &verifier::Proof)> = proofs
        .iter()
        .map(|d| (d.inputs.as_slice(), &d.proof))
        .collect();
    let scalars = batch_weights(items.len());
    match verifier::verify_batch(pvk, &items, &scalars) {
        Ok(()) => Vec::new(),
        Err(verifier::BatchError::Invalid { failing }) => failing,
        // Counts were checked per proof by the decoder; treat anything else as all failed.
        Err(_) => (0..items.len()).collect(),
    }
}

/// The checks after the pairing check: roots against the registry's freshness policy, the
/// proof's time against the clock, nullifiers unspent.
///
/// # Errors
///
/// [`VerifyFailure`] naming the reason.
pub fn finish(
    home: &Home,
    prechecked: Prechecked,
    options: &VerifyOptions,
) -> Result<Accepted, VerifyFailure> {
    check_registry(home, &prechecked.proof, options)?;
    Ok(Accepted {
        proof: prechecked.proof,
        request: prechecked.request,
    })
}

/// Verifies many proof files at once: each is decoded and checked against the key, the
/// pairing checks of all well-formed ones run as one random-linear-combination batch (one
/// multi-pairing; on failure the verifier names the failing proofs), then each gets the
/// registry checks. A request is answered by one proof, so a batch checks no request terms
/// (each result names them as not checked). Results are in input order.
pub fn verify_batch_bytes(
    home: &Home,
    files: &[Vec<u8>],
    options: &VerifyOptions,
) -> Vec<Result<Accepted, VerifyFailure>> {
    let mut results: Vec<Result<Option<DecodedProof>, VerifyFailure>> =
        Vec::with_capacity(files.len());
    let mut pvk = None;
    for bytes in files {
        results.push(decode_for(home, bytes, options).map(|(decoded, key)| {
            pvk.get_or_insert(key);
            Some(decoded)
        }));
    }
    if let Some(pvk) = pvk {
        let batch: Vec<(usize, &DecodedProof)> = results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().ok().and_then(|d| d.as_ref()).map(|d| (i, d)))
            .collect();
        let proofs: Vec<&DecodedProof> = batch.iter().map(|(_, d)| *d).collect();
        let failing: Vec<usize> = batch_failures(&pvk, &proofs)
            .into_iter()
            .filter_map(|position| batch.get(position).map(|(index, _)| *index))
            .collect();
        for index in failing {
            results[index] = Err(VerifyFailure::Rejected(Rejection::Invalid(
                verifier::VerifyError::InvalidProof,
            )));
        }
    }
    results
        .into_iter()
        .map(|r| match r {
            Ok(Some(decoded)) => check_registry(home, &decoded, options).map(|()| Accepted {
                proof: decoded,
                request: None,
            }),
            Ok(None) => Err(Malformation::NoProof.into()),
            Err(e) => Err(e),
        })
        .collect()
}

/// Random 128-bit non-zero weights for batch verification, drawn after the proofs are fixed.
pub fn batch_weights(n: usize) -> Vec<verifier::Fr> {
    use rand::RngCore;
    let mut rng = rand::rngs::OsRng;
    (0..n)
        .map(|_| loop {
            let mut bytes = [0u8; 16];
            rng.fill_bytes(&mut bytes);
            let w = u128::from_le_bytes(bytes);
            if w != 0 {
                break verifier::Fr::from(w);
            }
        })
        .collect()
}

/// Decodes a proof file and checks it is for the statement, circuit, depth and key asked for.
fn decode_for(
    home: &Home,
    bytes: &[u8],
    options: &VerifyOptions,
) -> Result<(DecodedProof, std::sync::Arc<verifier::PreparedVerifyingKey>), VerifyFailure> {
    let decoded = decode_proof(bytes)?;
    let pvk = check_key(home, &decoded, options)?;
    Ok((decoded, pvk))
}

/// Checks a decoded proof is for the statement, circuit, depth and key asked for; returns
/// the key, prepared.
fn check_key(
    home: &Home,
    decoded: &DecodedProof,
    options: &VerifyOptions,
) -> Result<std::sync::Arc<verifier::PreparedVerifyingKey>, VerifyFailure> {
    check_statement(decoded, options)?;
    let (pvk, vk_sha256) = home
        .verifying_key(decoded.statement)
        .map_err(Malformation::VerifyingKey)?;
    check_shape(home, decoded, &vk_sha256, pvk.num_public_inputs())?;
    Ok(pvk)
}

/// [`check_key`], returning the key as read (for [`verifier::verify_once`]).
fn check_unprepared_key(
    home: &Home,
    decoded: &DecodedProof,
    options: &VerifyOptions,
) -> Result<std::sync::Arc<verifier::VerifyingKey>, VerifyFailure> {
    check_statement(decoded, options)?;
    let (vk, vk_sha256) = home
        .unprepared_verifying_key(decoded.statement)
        .map_err(Malformation::VerifyingKey)?;
    check_shape(home, decoded, &vk_sha256, vk.num_public_inputs())?;
    Ok(vk)
}

/// The proof is for the statement the verifier asks for (checked before any key loads).
fn check_statement(decoded: &DecodedProof, options: &VerifyOptions) -> Result<(), VerifyFailure> {
    if decoded.statement != options.statement {
        return Err(Rejection::OtherStatement {
            proof: decoded.statement,
            asked: options.statement,
        }
        .into());
    }
    Ok(())
}

/// The proof's circuit version, tree depth, key hash and input count are this home's.
fn check_shape(
    home: &Home,
    decoded: &DecodedProof,
    vk_sha256: &str,
    num_public_inputs: usize,
) -> Result<(), VerifyFailure> {
    let statement = decoded.statement;
    if decoded.circuit_version != statement.circuit_version() {
        return Err(Rejection::CircuitVersion {
            statement,
            proof: decoded.circuit_version,
            ours: statement.circuit_version(),
        }
        .into());
    }
    let params_depth = home.params.manifest().tree_depth;
    if statement.has_tree_depth() && decoded.tree_depth != Some(params_depth) {
        return Err(Rejection::TreeDepth {
            proof: decoded.tree_depth,
            ours: params_depth,
        }
        .into());
    }
    if decoded.vk_sha256 != vk_sha256 {
        return Err(Rejection::OtherKey {
            proof: short(&decoded.vk_sha256).into(),
            ours: short(vk_sha256).into(),
        }
        .into());
    }
    if decoded.inputs.len() != num_public_inputs {
        return Err(Malformation::InputCount.into());
    }
    Ok(())
}

/// The request is one this home issued, for this statement, and every term input and the
/// request hash are exactly the request's. Runs before the pairing check: a proof for other
/// terms is named as such, whether or not it verifies.
fn check_request(
    home: &Home,
    decoded: &DecodedProof,
    request: &Request,
    hash: RequestHash,
) -> Result<(), VerifyFailure> {
    // The home keeps a digest of the canonical bytes of each request it issued.
    let issued = home
        .issued(hash, &request.to_file_bytes_hashed(hash))
        .map_err(Malformation::Issued)?;
    match issued {
        Issued::Same => {}
        Issued::Differs => return Err(Malformation::RequestDiffers.into()),
        Issued::NotIssued => return Err(Malformation::RequestNotIssued.into()),
    }
    if request.statement() != decoded.statement {
        return Err(Rejection::OtherStatement {
            proof: decoded.statement,
            asked: request.statement(),
        }
        .into());
    }
    let names = decoded.statement.input_names();
    let terms = request
        .terms
        .term_values(request.verifier)
        .map_err(Malformation::Terms)?;
    for (offset, expected) in terms {
        let proven = decoded.inputs.get(offset);
        if !proven.is_some_and(|x| expected.admits(x)) {
            return Err(Rejection::OtherTerms {
                input: names.get(offset).copied().unwrap_or("input"),
            }
            .into());
        }
    }
    match request_of(decoded) {
        Some((proven, _)) if proven == hash => {}
        _ => return Err(Rejection::OtherRequest.into()),
    }
    // A request answered before is a replay, whatever else the proof spends.
    let answered = home
        .registry
        .is_answered(hash)
        .map_err(Malformation::Registry)?;
    if answered {
        return Err(replayed());
    }
    Ok(())
}

fn replayed() -> VerifyFailure {
    Rejection::Replay.into()
}

/// The checks against the registry and the clock, by input role: roots the freshness policy
/// accepts (current, followed only by appends, or within the grace period after the first
/// removal), a proof time close to the verifier's clock, unspent nullifiers. A refused root
/// is rejected with the tree it belongs to ([`Rejection::Policy`]).
fn check_registry(
    home: &Home,
    decoded: &DecodedProof,
    options: &VerifyOptions,
) -> Result<(), VerifyFailure> {
    for (role, x) in roles(decoded.statement).iter().zip(&decoded.inputs) {
        match role {
            InputRole::GrantsRoot => home
                .registry
                .check_root(GrantsRoot(*x), options.verifier_now, &options.policy)
                .map_err(root_failure)?,
            InputRole::RecordsRoot => home
                .registry
                .check_records_root(RecordsRoot(*x), options.verifier_now, &options.policy)
                .map_err(root_failure)?,
            InputRole::Time => check_time(x, options)?,
            InputRole::Term
            | InputRole::RequestHash
            | InputRole::Nullifier
            | InputRole::AccessTag
            | InputRole::Disclosed => {}
        }
    }
    check_nullifier_unspent(home, decoded)
}

/// The input with `role`, if the statement has one.
fn input_with(decoded: &DecodedProof, role: InputRole) -> Option<verifier::Fr> {
    inputs_with(decoded.statement, role)
        .next()
        .and_then(|i| decoded.inputs.get(i).copied())
}

/// The request a proof answers, and the tag recorded with it: Access's access tag (the
/// patient's audit handle), zero for statements without one.
fn request_of(decoded: &DecodedProof) -> Option<(RequestHash, AccessTag)> {
    let request = input_with(decoded, InputRole::RequestHash)?;
    let tag = input_with(decoded, InputRole::AccessTag).unwrap_or_default();
    Some((RequestHash(request), AccessTag(tag)))
}

/// The nullifier a proof spends: a Claim's (one service, one insurer) or a Cohort's (one
/// patient, one study).
pub fn nullifier_of(decoded: &DecodedProof) -> Option<SpentNullifier> {
    Some(SpentNullifier {
        statement: decoded.statement,
        value: input_with(decoded, InputRole::Nullifier)?,
    })
}

/// A proof whose nullifier was already spent is a second claim (or enrolment).
fn check_nullifier_unspent(home: &Home, decoded: &DecodedProof) -> Result<(), VerifyFailure> {
    let Some(nullifier) = nullifier_of(decoded) else {
        return Ok(());
    };
    let spent = home
        .registry
        .is_spent(&nullifier)
        .map_err(Malformation::Registry)?;
    if spent {
        Err(nullifier_reused(nullifier.statement))
    } else {
        Ok(())
    }
}

fn nullifier_reused(statement: Statement) -> VerifyFailure {
    Rejection::NullifierSpent { statement }.into()
}

fn root_failure(e: RootCheckError) -> VerifyFailure {
    match e {
        RootCheckError::Policy(p) => Rejection::Policy(p).into(),
        RootCheckError::Registry(r) => Malformation::Registry(r).into(),
    }
}

/// The proof's time is a 64-bit timestamp close to the verifier's clock.
fn check_time(now: &verifier::Fr, options: &VerifyOptions) -> Result<(), VerifyFailure> {
    // A verifying proof has now < 2^64 (the circuit range-checks it); be defensive anyway.
    if !fits_in_bits(now, 64) {
        return Err(Rejection::TimeOutOfRange.into());
    }
    check_clock(
        Timestamp(fr_to_u64(now)),
        options.verifier_now,
        &options.policy,
    )
    .map_err(|e| Rejection::Policy(e).into())
}

/// Records an accepted proof's request as answered and spends its nullifier, if it has one;
/// a second answer is a replay, a second use of the nullifier a reuse.
///
/// # Errors
///
/// [`VerifyFailure::Rejected`] on replay or nullifier reuse, [`VerifyFailure::Malformed`] on
/// database errors or a proof accepted without a request (nothing was checked to consume).
pub fn answer_request(
    home: &mut Home,
    accepted: &Accepted,
    at: Timestamp,
) -> Result<(), VerifyFailure> {
    if accepted.request.is_none() {
        return Err(Malformation::NoRequest.into());
    }
    let Some((request, tag)) = request_of(&accepted.proof) else {
        return Ok(());
    };
    let nullifier = nullifier_of(&accepted.proof);
    let answer = home
        .registry
        .answer(request, tag, nullifier, at)
        .map_err(Malformation::Registry)?;
    match answer {
        Answer::Fresh => Ok(()),
        Answer::RequestReplayed => Err(replayed()),
        // Only a proof with a nullifier can reuse one.
        Answer::NullifierReused => Err(nullifier_reused(
            nullifier.map_or(accepted.proof.statement, |n| n.statement),
        )),
    }
}

/// [`answer_request`] for many accepted proofs in one registry transaction (a verifier
/// service's batch: one commit instead of one per proof). Results are in input order; of two
/// proofs answering one request or spending one nullifier, the first wins.
pub fn answer_requests(
    home: &mut Home,
    accepted: &[&Accepted],
    at: Timestamp,
) -> Vec<Result<(), VerifyFailure>> {
    let mut results: Vec<Option<Result<(), VerifyFailure>>> = Vec::with_capacity(accepted.len());
    let mut items = Vec::new();
    let mut positions = Vec::new();
    for (position, a) in accepted.iter().enumerate() {
        if a.request.is_none() {
            results.push(Some(Err(Malformation::NoRequest.into())));
            continue;
        }
        match request_of(&a.proof) {
            Some((request, tag)) => {
                items.push((request, tag, nullifier_of(&a.proof)));
                positions.push(position);
                results.push(None);
            }
            None => results.push(Some(Ok(()))),
        }
    }
    match home.registry.answer_many(&items, at) {
        Ok(answers) => {
            for ((position, answer), (_, _, nullifier)) in positions.iter().zip(answers).zip(&items)
            {
                results[*position] = Some(match answer {
                    Answer::Fresh => Ok(()),
                    Answer::RequestReplayed => Err(replayed()),
                    Answer::NullifierReused => Err(nullifier_reused(
                        nullifier.map_or(accepted[*position].proof.statement, |n| n.statement),
                    )),
                });
            }
        }
        // Nothing was written: answer one by one, so each proof gets its own error.
        Err(_) => {
            for position in positions {
                results[position] = Some(answer_request(home, accepted[position], at));
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Malformation::NoRequest.into())))
        .collect()
}

fn fr_to_u64(x: &verifier::Fr) -> u64 {
    use ark_ff::PrimeField;
    x.into_bigint().0[0]
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}
