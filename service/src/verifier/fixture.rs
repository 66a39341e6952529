//! A ready home for tests, benchmarks and demos of the verifier service: single-party setup,
//! a patient, a clinician and a verifier, one Access grant, and any number of distinct
//! Access requests (issued by the verifier, so the service accepts them) each with a proof
//! that answers it. Development setup only: every secret lives in this one home.

use rand::rngs::OsRng;
use std::path::Path;
use zkconsent::{
    circuits::{
        statement::Access,
        types::{Purpose, Timestamp},
    },
    home::{proof_file, Home, HomeError},
    prover::{prove_batch_statement, Statement, DEFAULT_BATCH_SPLIT},
    registry::Role,
    statements::{access::AccessTerms, authority::GrantRequest, Terms},
    unix_now,
    vocab::parse_scope,
};

/// The patient's identity name.
pub const PATIENT: &str = "alice";
/// The clinician's identity name.
pub const CLINICIAN: &str = "dr-bob";
/// The verifier's identity name.
pub const VERIFIER: &str = "st-mary";
/// The scope granted.
pub const GRANTED_SCOPE: &str = "conditions,observations";
/// The scope every fixture request asks for.
pub const REQUESTED_SCOPE: &str = "observations";
/// HL7 PurposeOfUse `treatment`.
const TREATMENT: Purpose = Purpose(1);
/// How long the grant lasts.
const GRANT_SECS: u64 = 30 * 24 * 3600;
/// How far before setup the grant starts (so a proof at setup time is inside it).
const GRANT_LEAD_SECS: u64 = 60;

/// A request file and the proof file that answers it.
#[derive(Clone, Debug)]
pub struct ProofPair {
    /// The request file's bytes, as the verifier issued them.
    pub request: Vec<u8>,
    /// The proof file's bytes.
    pub proof: Vec<u8>,
}

/// Creates a home at `dir` (grants tree of `depth`) with [`PATIENT`], [`CLINICIAN`],
/// [`VERIFIER`] and one grant, issues `n` Access requests from [`VERIFIER`] and proves each
/// (in parallel; `on_proof` is called as each finishes). The home is closed on return, so a
/// service can open it.
///
/// # Errors
///
/// Setup, database or proving failures.
pub fn access_home(
    dir: &Path,
    depth: usize,
    n: usize,
    on_proof: &(dyn Fn(usize) + Sync),
) -> Result<Vec<ProofPair>, HomeError> {
    let mut rng = OsRng;
    let start = unix_now();
    let mut home = Home::init(dir, depth, start, &mut rng)?;
    home.create_identity(PATIENT, Role::Patient, &mut rng)?;
    home.create_identity(CLINICIAN, Role::Clinician, &mut rng)?;
    home.create_identity(VERIFIER, Role::Verifier, &mut rng)?;
    let grant = GrantRequest {
        patient: PATIENT.into(),
        grantee: CLINICIAN.into(),
        scope: parse_scope(GRANTED_SCOPE).map_err(HomeError::Invalid)?,
        purpose: TREATMENT,
        not_before: Timestamp(start.0.saturating_sub(GRANT_LEAD_SECS)),
        not_after: Timestamp(start.0 + GRANT_SECS),
    };
    let (index, _) = home.issue_grant(&grant, start, &mut rng)?;
    more_access_proofs(&mut home, index, n, on_proof)
}

/// Issues `n` more Access requests from [`VERIFIER`] in an open fixture home and proves each
/// under grant `grant_index`.
///
/// # Errors
///
/// Database or proving failures.
pub fn more_access_proofs(
    home: &mut Home,
    grant_index: u64,
    n: usize,
    on_proof: &(dyn Fn(usize) + Sync),
) -> Result<Vec<ProofPair>, HomeError> {
    let mut rng = OsRng;
    let terms = AccessTerms::new(
        home.identity_id(PATIENT)?,
        parse_scope(REQUESTED_SCOPE).map_err(HomeError::Invalid)?,
        TREATMENT,
    );
    let mut requests = Vec::with_capacity(n);
    let mut statements = Vec::with_capacity(n);
    for _ in 0..n {
        let now = unix_now();
        let request = home.issue_request(VERIFIER, Terms::Access(terms.clone()), now, &mut rng)?;
        let asked = terms.prove_request(grant_index, request.verifier, request.nonce(), now);
        statements.push(home.access_statement(&asked)?);
        requests.push(request);
    }
    let keys = home.keys(Statement::Access)?;
    let proofs = prove_batch_statement::<Access>(&keys, &statements, DEFAULT_BATCH_SPLIT, on_proof);
    let mut pairs = Vec::with_capacity(n);
    for ((request, (public, _)), proof) in requests.iter().zip(&statements).zip(proofs) {
        let file = proof_file(&keys, &public.to_field_elements(), &proof?)?;
        pairs.push(ProofPair {
            request: request.to_file_bytes(),
            proof: file.to_json().into_bytes(),
        });
    }
    Ok(pairs)
}
