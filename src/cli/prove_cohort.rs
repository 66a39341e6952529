//! `zkconsent prove cohort`: a Cohort proof that the patient of a bundle meets a study's
//! criteria, for the researcher's request.

use super::{
    commands::{open, refused, verifier_id},
    output::Out,
    prove::{emit_proof, json_map},
    record::read_bundle,
    Cli, Failure, ProveCohortArgs,
};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;
use std::time::Instant;
use zkconsent::{
    circuits::{cohort::StudyId, fr_to_decimal, types::Nonce, types::Timestamp},
    cohort_proof::CohortRequest,
    criteria::read_criteria,
    home::proof_file,
    prover::{prove_cohort, Statement},
    unix_now,
    verifier::parse_fr_decimal,
};

pub fn run(cli: &Cli, args: &ProveCohortArgs, out: &mut Out) -> Result<(), Failure> {
    // Inputs first: a malformed bundle or criteria file is exit 2 whatever the home holds.
    let extraction = read_bundle(&args.bundle)?;
    let study =
        StudyId::from_name(&args.study).map_err(|e| Failure::malformed(format!("--study: {e}")))?;
    let terms = read_criteria(&args.criteria)
        .and_then(|c| c.terms(study))
        .map_err(Failure::malformed)?;
    let nonce = Nonce(
        parse_fr_decimal(&args.nonce).map_err(|e| Failure::malformed(format!("nonce: {e}")))?,
    );
    let home = open(cli)?;
    let request = CohortRequest {
        terms: &terms,
        researcher: verifier_id(&home, &args.verifier)?,
        nonce,
        now: args.now.map(Timestamp).unwrap_or_else(unix_now),
    };
    let keys = home.keys(Statement::Cohort).map_err(Failure::malformed)?;
    let (public, private) = home
        .cohort_statement(&extraction, &request)
        .map_err(refused)?;
    let start = Instant::now();
    let proof = prove_cohort(&keys, &public, &private, &mut StdRng::from_entropy())
        .map_err(|e| refused(e.into()))?;
    let millis = start.elapsed().as_secs_f64() * 1e3;
    let json_text = proof_file(&keys, &public.to_field_elements(), &proof)
        .map_err(refused)?
        .to_json();
    emit_proof(
        out,
        args.out.as_deref(),
        &json_text,
        &format!("cohort proof for study {} ({millis:.0} ms)", args.study),
        json_map([
            ("study", json!(args.study)),
            ("nullifier", json!(fr_to_decimal(&public.nullifier.0))),
            ("ms", json!(millis)),
        ]),
    )
}
