//! `zkconsent prove record`: a Record proof for one anchored resource, with the verifier's
//! disclosure, ranges and code set.

use super::{
    context::{open, read_request, refused},
    output::Out,
    prove::{json_map, prove_and_emit},
    Cli, Failure, ProveRecordArgs,
};
use serde_json::json;
use zkconsent::{
    prover::{prove_record, Statement},
    statements::Terms,
};

pub fn run(cli: &Cli, args: &ProveRecordArgs, out: &mut Out) -> Result<(), Failure> {
    let asked = read_request(&args.request)?;
    let Terms::Record(terms) = &asked.terms else {
        return Err(Failure::malformed(format!(
            "{}: a request for {}, not record",
            args.request.display(),
            asked.statement().name()
        )));
    };
    let home = open(cli)?;
    let leaf_index = match (&args.resource, args.leaf) {
        (Some(resource), _) => home.record_leaf_of(resource).map_err(refused)?,
        (None, Some(leaf)) => leaf,
        (None, None) => return Err(Failure::malformed("--resource or --leaf is required")),
    };
    let request = terms
        .prove_request(leaf_index, asked.verifier, asked.nonce())
        .map_err(Failure::malformed)?;
    let keys = home.keys(Statement::Record).map_err(Failure::malformed)?;
    let (public, private) = home.record_statement(&request).map_err(refused)?;
    prove_and_emit(
        out,
        &keys,
        &public.to_field_elements(),
        args.out.as_deref(),
        &format!("record proof for leaf {leaf_index}"),
        json_map([("leaf", json!(leaf_index))]),
        |rng| prove_record(&keys, &public, &private, rng),
    )
}
