//! `zkconsent prove claim`: a Claim proof for one claim of a bundle, against the insurer's
//! covered diagnoses and request.

use super::{
    context::{open, read_request, refused},
    output::Out,
    prove::{json_map, prove_and_emit},
    record::read_bundle,
    Cli, Failure, ProveClaimArgs,
};
use serde_json::json;
use zkconsent::{
    circuits::fr_to_decimal,
    prover::{prove_claim, Statement},
    statements::Terms,
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
    let keys = home.keys(Statement::Claim).map_err(Failure::malformed)?;
    let (public, private) = home
        .claim_statement(&extraction, &request)
        .map_err(refused)?;
    prove_and_emit(
        out,
        &keys,
        &public.to_field_elements(),
        args.out.as_deref(),
        &format!("claim proof for {}", args.claim),
        json_map([
            ("claim", json!(args.claim)),
            ("nullifier", json!(fr_to_decimal(&public.nullifier.0))),
        ]),
        |rng| prove_claim(&keys, &public, &private, rng),
    )
}
