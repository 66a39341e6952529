//! `zkconsent prove claim`: a Claim proof for one claim of a bundle, against the insurer's
//! covered diagnoses and request.

use super::{
    commands::{open, refused, verifier_id},
    output::Out,
    prove::{json_map, prove_and_emit},
    record::read_bundle,
    Cli, Failure, ProveClaimArgs,
};
use serde_json::json;
use zkconsent::{
    circuits::{fr_to_decimal, types::Nonce},
    claim_proof::ClaimRequest,
    code_list::read_code_set,
    prover::{prove_claim, Statement},
    verifier::parse_fr_decimal,
};

pub fn run(cli: &Cli, args: &ProveClaimArgs, out: &mut Out) -> Result<(), Failure> {
    // Inputs first: a malformed bundle or code list is exit 2 whatever the home holds.
    let extraction = read_bundle(&args.bundle)?;
    let covered = read_code_set(&args.covered).map_err(Failure::malformed)?;
    let nonce = Nonce(
        parse_fr_decimal(&args.nonce).map_err(|e| Failure::malformed(format!("nonce: {e}")))?,
    );
    let home = open(cli)?;
    let request = ClaimRequest {
        claim_id: &args.claim,
        insurer: verifier_id(&home, &args.verifier)?,
        nonce,
        covered: &covered,
    };
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
