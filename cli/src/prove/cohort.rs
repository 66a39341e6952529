//! `zkconsent prove cohort`: a Cohort proof that the patient of a bundle meets a study's
//! criteria, for the researcher's request.

use super::{json_map, prove_and_emit, Emit, LoadTimed};
use crate::{
    context::{open, read_request, refused},
    output::Out,
    record::read_bundle,
    Cli, Failure, ProveCohortArgs,
};
use serde_json::json;
use zkconsent::{
    circuits::statement::Cohort,
    circuits::{fr_to_decimal, types::Timestamp},
    prover::Statement,
    statements::Terms,
    unix_now,
};

pub fn run(cli: &Cli, args: &ProveCohortArgs, out: &mut Out) -> Result<(), Failure> {
    // Inputs first: a malformed bundle or criteria file is exit 2 whatever the home holds.
    let extraction = read_bundle(&args.bundle)?;
    let asked = read_request(&args.request)?;
    let Terms::Cohort(cohort) = &asked.terms else {
        return Err(Failure::malformed(format!(
            "{}: a request for {}, not cohort",
            args.request.display(),
            asked.statement().name()
        )));
    };
    let terms = cohort.study_terms().map_err(Failure::malformed)?;
    let home = open(cli)?;
    let request = cohort.prove_request(
        &terms,
        asked.verifier,
        asked.nonce(),
        args.now.map(Timestamp).unwrap_or_else(unix_now),
    );
    let keys = LoadTimed::load(&home, Statement::Cohort)?;
    let (public, private) = home
        .cohort_statement(&extraction, &request)
        .map_err(refused)?;
    prove_and_emit::<Cohort>(
        out,
        &keys,
        &public,
        &private,
        Emit {
            path: args.out.as_deref(),
            summary: &format!("cohort proof for study {}", cohort.study),
            result: json_map([
                ("study", json!(cohort.study)),
                ("nullifier", json!(fr_to_decimal(&public.nullifier.0))),
            ]),
            profile: args.profile,
        },
    )
}
