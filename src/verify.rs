//! Verifying a proof file: decoding, the key, the pairing check, then the verifier's policy.
//!
//! Outcomes map to the CLI's exit codes: accepted (0); [`VerifyFailure::Rejected`], a
//! well-formed proof that does not verify or fails policy (1); [`VerifyFailure::Malformed`],
//! unreadable input or an unusable environment (2).

use crate::{
    home::Home,
    proof_file::{DecodedProof, ProofFile},
    registry::{check_clock, Answer, RootCheckError, RootPolicy, SpentNullifier},
};
use zkconsent_circuits::{
    access::inputs,
    claim::{self, PolicyCommitment},
    cohort::{self, StudyCriteria},
    range::fits_in_bits,
    record::{self, CodeSetRoot},
    types::{
        AccessTag, GrantsRoot, PatientRef, Purpose, RecordsRoot, RequestHash, Scope, Timestamp,
    },
};
use zkconsent_prover::Statement;
use zkconsent_verifier as verifier;

/// Why a proof was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyFailure {
    /// Well-formed, but the proof does not verify or the policy rejects it.
    #[error("rejected: {0}")]
    Rejected(String),
    /// Unreadable or malformed input, or params/registry unusable.
    #[error("malformed: {0}")]
    Malformed(String),
}

impl VerifyFailure {
    /// The CLI exit code: 1 for rejected, 2 for malformed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Rejected(_) => 1,
            Self::Malformed(_) => 2,
        }
    }
}

/// What the verifier checks besides the proof.
#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions {
    /// The statement the verifier asks for; a proof of any other statement is rejected.
    pub statement: Statement,
    /// Root age and clock skew limits.
    pub policy: RootPolicy,
    /// The verifier's clock.
    pub verifier_now: Timestamp,
    /// If set, the request hash the verifier expects (from its id and nonce).
    pub expected_request: Option<RequestHash>,
    /// If set, the patient the verifier is about to serve: `H(patient_id, verifier_id)`.
    pub expected_patient_ref: Option<PatientRef>,
    /// If set, the scope the verifier is about to serve: the proof's scope must cover it.
    pub required_scope: Option<Scope>,
    /// If set, the purpose the verifier serves: the proof's purpose must equal it.
    pub required_purpose: Option<Purpose>,
    /// If set, the verifier's code set: a Record proof's set predicate or a Claim's covered
    /// set must be this one.
    pub required_code_set: Option<CodeSetRoot>,
    /// If set, the insurer's member policy: a Claim's policy commitment must equal it.
    pub expected_policy: Option<PolicyCommitment>,
    /// If set, the study's terms: a Cohort proof's study, age window, summary freshness,
    /// inclusion set, exclusion list, scope and purpose must be exactly these.
    pub expected_study: Option<StudyCriteria>,
}

impl VerifyOptions {
    /// Access with the default policy at `verifier_now`, nothing else required.
    pub fn access(verifier_now: Timestamp) -> Self {
        Self {
            statement: Statement::Access,
            policy: RootPolicy::default(),
            verifier_now,
            expected_request: None,
            expected_patient_ref: None,
            required_scope: None,
            required_purpose: None,
            required_code_set: None,
            expected_policy: None,
            expected_study: None,
        }
    }
}

/// An accepted proof.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The decoded proof.
    pub proof: DecodedProof,
    /// Whether the request hash was checked against an expected one.
    pub request_checked: bool,
}

/// Verifies a proof file's bytes against a home's params and registry.
///
/// # Errors
///
/// [`VerifyFailure`] naming the reason.
pub fn verify_proof_bytes(
    home: &Home,
    bytes: &[u8],
    options: &VerifyOptions,
) -> Result<Accepted, VerifyFailure> {
    let (decoded, pvk) = decode_for(home, bytes, options)?;
    verifier::verify(&pvk, &decoded.inputs, &decoded.proof)
        .map_err(|e| VerifyFailure::Rejected(format!("proof does not verify: {e}")))?;
    check_policy(home, decoded, options)
}

/// Verifies many proof files at once: each is decoded and checked against the key, the
/// pairing checks of all well-formed ones run as one random-linear-combination batch (one
/// multi-pairing; on failure the verifier names the failing proofs), then each gets the
/// policy checks. The request binding is per proof, so `options.expected_request` must be
/// `None` here. Results are in input order.
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
        let items: Vec<(&[verifier::Fr], &verifier::Proof)> = batch
            .iter()
            .map(|(_, d)| (d.inputs.as_slice(), &d.proof))
            .collect();
        let scalars = batch_weights(items.len());
        let failing: Vec<usize> = match verifier::verify_batch(&pvk, &items, &scalars) {
            Ok(()) => Vec::new(),
            Err(verifier::BatchError::Invalid { failing }) => failing,
            // Counts were checked per proof by the decoder; treat anything else as all failed.
            Err(_) => (0..items.len()).collect(),
        };
        let failing: Vec<usize> = failing
            .into_iter()
            .filter_map(|position| batch.get(position).map(|(index, _)| *index))
            .collect();
        for index in failing {
            results[index] = Err(VerifyFailure::Rejected(
                "proof does not verify: proof is invalid".into(),
            ));
        }
    }
    results
        .into_iter()
        .map(|r| match r {
            Ok(Some(decoded)) => check_policy(home, decoded, options),
            Ok(None) => Err(VerifyFailure::Malformed("no proof".into())),
            Err(e) => Err(e),
        })
        .collect()
}

/// Random 128-bit non-zero weights for batch verification, drawn after the proofs are fixed.
fn batch_weights(n: usize) -> Vec<verifier::Fr> {
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
) -> Result<(DecodedProof, verifier::PreparedVerifyingKey), VerifyFailure> {
    let decoded = ProofFile::decode(bytes).map_err(|e| VerifyFailure::Malformed(e.to_string()))?;
    let statement = decoded.statement;
    if statement != options.statement {
        return Err(VerifyFailure::Rejected(format!(
            "this is a proof of {}, not of {}",
            statement.name(),
            options.statement.name()
        )));
    }
    let (pvk, vk_sha256) = home
        .verifying_key(statement)
        .map_err(|e| VerifyFailure::Malformed(format!("verifying key: {e}")))?;
    if decoded.circuit_version != statement.circuit_version() {
        return Err(VerifyFailure::Rejected(format!(
            "proof is for {} circuit version {}, this verifier has {}",
            statement.name(),
            decoded.circuit_version,
            statement.circuit_version()
        )));
    }
    let params_depth = home.params.manifest().tree_depth;
    if statement.has_tree_depth() && decoded.tree_depth != Some(params_depth) {
        return Err(VerifyFailure::Rejected(format!(
            "proof is for a grants tree of depth {}, this registry's is {params_depth}",
            decoded
                .tree_depth
                .map(|d| d.to_string())
                .unwrap_or_default()
        )));
    }
    if decoded.vk_sha256 != vk_sha256 {
        return Err(VerifyFailure::Rejected(format!(
            "proof was made for verifying key {}, not this registry's {}",
            short(&decoded.vk_sha256),
            short(&vk_sha256)
        )));
    }
    if decoded.inputs.len() != pvk.num_public_inputs() {
        return Err(VerifyFailure::Malformed(
            "wrong number of public inputs for the key".into(),
        ));
    }
    Ok((decoded, pvk))
}

/// The verifier's policy on a proof whose pairing check passed.
fn check_policy(
    home: &Home,
    decoded: DecodedProof,
    options: &VerifyOptions,
) -> Result<Accepted, VerifyFailure> {
    match decoded.statement {
        Statement::Access => {
            check_grants_policy(home, &decoded, inputs::NOW, inputs::GRANTS_ROOT, options)?;
            check_access_terms(&decoded, options)?;
        }
        Statement::Cohort => {
            use cohort::inputs as c;
            check_grants_policy(home, &decoded, c::NOW, c::GRANTS_ROOT, options)?;
            check_records_root(home, decoded.inputs[c::RECORDS_ROOT], options)?;
            if let Some(study) = options.expected_study {
                if decoded.inputs[..] != study_inputs(&decoded.inputs, study)[..] {
                    return Err(VerifyFailure::Rejected(
                        "proof is for other study terms (study, ages, codes, summary date, scope \
                         or purpose differ)"
                            .into(),
                    ));
                }
            }
        }
        Statement::Record => {
            check_records_root(home, decoded.inputs[record::inputs::RECORDS_ROOT], options)?;
            check_code_set(&decoded, record::inputs::CODE_SET_ROOT, options)?;
        }
        Statement::Claim => {
            check_records_root(home, decoded.inputs[claim::inputs::RECORDS_ROOT], options)?;
            check_code_set(&decoded, claim::inputs::COVERED_SET_ROOT, options)?;
            if let Some(policy) = options.expected_policy {
                if decoded.inputs[claim::inputs::POLICY] != policy.0 {
                    return Err(VerifyFailure::Rejected(
                        "claim is under another policy (not this member's coverage)".into(),
                    ));
                }
            }
        }
        Statement::Authority => {}
    }
    check_request(&decoded, options)?;
    check_nullifier_unspent(home, &decoded)?;
    Ok(Accepted {
        request_checked: options.expected_request.is_some() && request_of(&decoded).is_some(),
        proof: decoded,
    })
}

/// The request a proof answers, and the tag recorded with it: Access's access tag (the
/// patient's audit handle), zero for statements without one.
fn request_of(decoded: &DecodedProof) -> Option<(RequestHash, AccessTag)> {
    let request = match decoded.statement {
        Statement::Access => inputs::REQUEST_HASH,
        Statement::Record => record::inputs::REQUEST_HASH,
        Statement::Claim => claim::inputs::REQUEST_HASH,
        Statement::Cohort => cohort::inputs::REQUEST_HASH,
        Statement::Authority => return None,
    };
    let tag = match decoded.statement {
        Statement::Access => decoded.inputs[inputs::ACCESS_TAG],
        _ => verifier::Fr::from(0u64),
    };
    Some((RequestHash(decoded.inputs[request]), AccessTag(tag)))
}

/// The nullifier a proof spends: a Claim's (one resource, one insurer) or a Cohort's (one
/// patient, one study).
pub fn nullifier_of(decoded: &DecodedProof) -> Option<SpentNullifier> {
    let (statement, offset) = match decoded.statement {
        Statement::Claim => (claim::STATEMENT, claim::inputs::NULLIFIER),
        Statement::Cohort => (cohort::STATEMENT, cohort::inputs::NULLIFIER),
        Statement::Access | Statement::Authority | Statement::Record => return None,
    };
    Some(SpentNullifier {
        statement,
        value: decoded.inputs[offset],
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
        .map_err(|e| VerifyFailure::Malformed(format!("registry: {e}")))?;
    if spent {
        Err(nullifier_reused(nullifier.statement))
    } else {
        Ok(())
    }
}

fn nullifier_reused(statement: &str) -> VerifyFailure {
    VerifyFailure::Rejected(format!("{statement} nullifier already spent"))
}

/// The proof's code set (input `offset`) must be the verifier's, when it names one.
fn check_code_set(
    decoded: &DecodedProof,
    offset: usize,
    options: &VerifyOptions,
) -> Result<(), VerifyFailure> {
    match options.required_code_set {
        Some(root) if decoded.inputs[offset] != root.0 => Err(VerifyFailure::Rejected(
            "proof is against another code set".into(),
        )),
        _ => Ok(()),
    }
}

/// The proof's records root must be one the registry had, recently enough.
fn check_records_root(
    home: &Home,
    root: verifier::Fr,
    options: &VerifyOptions,
) -> Result<(), VerifyFailure> {
    home.registry
        .check_records_root(RecordsRoot(root), options.verifier_now, &options.policy)
        .map_err(root_failure)
}

/// The request binding, when the verifier names the request it issued.
fn check_request(decoded: &DecodedProof, options: &VerifyOptions) -> Result<(), VerifyFailure> {
    match (options.expected_request, request_of(decoded)) {
        (Some(expected), Some((request, _))) if request != expected => Err(
            VerifyFailure::Rejected("proof answers another request (request hash differs)".into()),
        ),
        _ => Ok(()),
    }
}

fn root_failure(e: RootCheckError) -> VerifyFailure {
    match e {
        RootCheckError::Policy(p) => VerifyFailure::Rejected(p.to_string()),
        RootCheckError::Registry(r) => VerifyFailure::Malformed(format!("registry: {r}")),
    }
}

/// The inputs a Cohort proof for `study` must have: the proof's own roots, time, nullifier
/// and request, and the study's terms everywhere else (through the statement's encoder).
fn study_inputs(
    proof: &[verifier::Fr],
    study: StudyCriteria,
) -> [verifier::Fr; cohort::inputs::COUNT] {
    use cohort::inputs as c;
    let zero = verifier::Fr::from(0u64);
    let mut out = cohort::CohortPublic {
        records_root: RecordsRoot(zero),
        grants_root: GrantsRoot(zero),
        now: Timestamp(0),
        scope: study.scope,
        purpose: study.purpose,
        birth_window: study.birth_window,
        summary_not_before: study.summary_not_before,
        inclusion_root: study.inclusion_root,
        exclusion_hash: study.exclusion_hash,
        study: study.study,
        nullifier: cohort::CohortNullifier(zero),
        request_hash: RequestHash(zero),
    }
    .to_field_elements();
    for own in [
        c::RECORDS_ROOT,
        c::GRANTS_ROOT,
        c::NOW,
        c::NULLIFIER,
        c::REQUEST_HASH,
    ] {
        out[own] = proof[own];
    }
    out
}

/// The proof's time is close to the verifier's clock and its grants root is recent enough.
fn check_grants_policy(
    home: &Home,
    decoded: &DecodedProof,
    now_input: usize,
    root_input: usize,
    options: &VerifyOptions,
) -> Result<(), VerifyFailure> {
    let now_fr = decoded.inputs[now_input];
    // A verifying proof has now < 2^64 (the circuit range-checks it); be defensive anyway.
    if !fits_in_bits(&now_fr, 64) {
        return Err(VerifyFailure::Rejected(
            "proof time is not a 64-bit timestamp".into(),
        ));
    }
    let proof_now = Timestamp(fr_to_u64(&now_fr));
    check_clock(proof_now, options.verifier_now, &options.policy)
        .map_err(|e| VerifyFailure::Rejected(e.to_string()))?;
    let root = GrantsRoot(decoded.inputs[root_input]);
    home.registry
        .check_root(root, options.verifier_now, &options.policy)
        .map_err(root_failure)
}

/// The patient, scope and purpose the verifier asked for.
fn check_access_terms(
    decoded: &DecodedProof,
    options: &VerifyOptions,
) -> Result<(), VerifyFailure> {
    let input = |i: usize| decoded.inputs[i];
    if let Some(expected) = options.expected_patient_ref {
        if input(inputs::PATIENT_REF) != expected.0 {
            return Err(VerifyFailure::Rejected(
                "proof is for another patient (patient reference differs)".into(),
            ));
        }
    }
    if let Some(required) = options.required_scope {
        let proven = input(inputs::SCOPE);
        if !fits_in_bits(&proven, 64) || !Scope(fr_to_u64(&proven)).covers(required) {
            return Err(VerifyFailure::Rejected(
                "proof's scope does not cover the records asked for".into(),
            ));
        }
    }
    if let Some(required) = options.required_purpose {
        if input(inputs::PURPOSE) != required.to_fr() {
            return Err(VerifyFailure::Rejected(
                "proof is for another purpose".into(),
            ));
        }
    }
    Ok(())
}

/// Records an accepted proof's request as answered and spends its nullifier, if it has one;
/// a second answer is a replay, a second use of the nullifier a reuse.
///
/// # Errors
///
/// [`VerifyFailure::Rejected`] on replay or nullifier reuse, [`VerifyFailure::Malformed`] on
/// database errors.
pub fn answer_request(
    home: &mut Home,
    accepted: &Accepted,
    at: Timestamp,
) -> Result<(), VerifyFailure> {
    let Some((request, tag)) = request_of(&accepted.proof) else {
        return Ok(());
    };
    let nullifier = nullifier_of(&accepted.proof);
    let answer = home
        .registry
        .answer(request, tag, nullifier, at)
        .map_err(|e| VerifyFailure::Malformed(format!("registry: {e}")))?;
    match answer {
        Answer::Fresh => Ok(()),
        Answer::RequestReplayed => Err(VerifyFailure::Rejected(
            "request already answered (replay)".into(),
        )),
        // Only a proof with a nullifier can reuse one.
        Answer::NullifierReused => Err(nullifier_reused(
            nullifier.map_or("statement", |n| n.statement),
        )),
    }
}

fn fr_to_u64(x: &verifier::Fr) -> u64 {
    use ark_ff::PrimeField;
    x.into_bigint().0[0]
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}
