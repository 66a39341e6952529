//! `zkconsent prove record`: a Record proof for one anchored resource, with the verifier's
//! disclosure, ranges and code set.

use super::{json_map, prove_and_emit, Emit, LoadTimed};
use crate::{
    context::{open, read_request, refused},
    output::Out,
    Cli, Failure, ProveRecordArgs,
};
use serde_json::json;
use zkconsent::{circuits::statement::Record, prover::Statement, statements::Terms};

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
    let keys = LoadTimed::load(&home, Statement::Record)?;
    let (public, private) = home.record_statement(&request).map_err(refused)?;
    prove_and_emit::<Record>(
        out,
        &keys,
        &public,
        &private,
        Emit {
            path: args.out.as_deref(),
            summary: &format!("record proof for leaf {leaf_index}"),
            result: json_map([("leaf", json!(leaf_index))]),
            profile: args.profile,
        },
    )
}
