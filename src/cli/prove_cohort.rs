//! `zkconsent prove cohort`: a Cohort proof that the patient of a bundle meets a study's
//! criteria, for the researcher's request.

use super::{
    commands::{open, refused, verifier_id},
    output::Out,
    prove::{json_map, prove_and_emit},
    record::read_bundle,
    Cli, Failure, ProveCohortArgs,
};
use serde_json::json;
use zkconsent::{
    circuits::{cohort::StudyId, fr_to_decimal, types::Nonce, types::Timestamp},
    cohort_proof::CohortRequest,
    criteria::read_criteria,
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
    prove_and_emit(
        out,
        &keys,
        &public.to_field_elements(),
        args.out.as_deref(),
        &format!("cohort proof for study {}", args.study),
        json_map([
            ("study", json!(args.study)),
            ("nullifier", json!(fr_to_decimal(&public.nullifier.0))),
        ]),
        |rng| prove_cohort(&keys, &public, &private, rng),
    )
}
