//! `zkconsent prove claim`: a Claim proof for one claim of a bundle, against the insurer's
//! covered diagnoses and request.

use super::{json_map, prove_and_emit, Emit, LoadTimed};
use crate::{
    context::{open, read_request, refused},
    output::Out,
    record::read_bundle,
    Cli, Failure, ProveClaimArgs,
};
use serde_json::json;
use zkconsent::{
    circuits::fr_to_decimal, circuits::statement::Claim, prover::Statement, statements::Terms,
};

pub fn run(cli: &Cli, args: &ProveClaimArgs, out: &mut Out) -> Result<(), Failure> {
    // Inputs first: a malformed bundle or code list is exit 2 whatever the home holds.
    let extraction = read_bundle(&args.bundle)?;
    let asked = read_request(&args.request)?;
    let Terms::Claim(terms) = &asked.terms else {
        return Err(Failure::malformed(format!(
            "{}: a request for {}, not claim",
            args.request.display(),
            asked.statement().name()
        )));
    };
    let covered = terms.covered_set().map_err(Failure::malformed)?;
    let home = open(cli)?;
    let request = terms.prove_request(&args.claim, asked.verifier, asked.nonce(), &covered);
    let keys = LoadTimed::load(&home, Statement::Claim)?;
    let (public, private) = home
        .claim_statement(&extraction, &request)
        .map_err(refused)?;
    prove_and_emit::<Claim>(
        out,
        &keys,
        &public,
        &private,
        Emit {
            path: args.out.as_deref(),
            summary: &format!("claim proof for {}", args.claim),
            result: json_map([
                ("claim", json!(args.claim)),
                ("nullifier", json!(fr_to_decimal(&public.nullifier.0))),
            ]),
            profile: args.profile,
        },
    )
}
