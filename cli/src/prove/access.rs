//! `zkconsent prove access`: the clinician proves access under a grant for a custodian's
//! request; one proof, or a batch.

use super::{
    batch::{self, BatchOf},
    json_map, prove_and_emit, read_request_for, required, Emit, LoadTimed,
};
use crate::{context::open, output::Out, Cli, Failure, ProveAccessArgs};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use zkconsent::{
    circuits::{
        access::{AccessPrivate, AccessPublic},
        statement::Access,
        types::Timestamp,
    },
    home::{Home, HomeError},
    prover::Statement,
    statements::{access::AccessRequest, Terms},
    unix_now,
};

/// One proof to make: the flags of a single `prove access`, or one `--batch` line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Line {
    grant: u64,
    request: PathBuf,
    now: Option<u64>,
}

/// What the clinician proves for a line: its request's terms under the grant.
fn prepare(line: Line) -> Result<AccessRequest, Failure> {
    let asked = read_request_for(&line.request, Statement::Access)?;
    let Terms::Access(terms) = &asked.terms else {
        return Err(Failure::malformed("not an access request"));
    };
    Ok(terms.prove_request(
        line.grant,
        asked.verifier,
        asked.nonce(),
        line.now.map(Timestamp).unwrap_or_else(unix_now),
    ))
}

fn gather(
    home: &Home,
    request: &AccessRequest,
) -> Result<(AccessPublic, AccessPrivate), HomeError> {
    home.access_statement(request)
}

pub fn run(cli: &Cli, args: &ProveAccessArgs, out: &mut Out) -> Result<(), Failure> {
    if let Some(file) = &args.batch {
        let batch = BatchOf::<Line, AccessRequest, Access> {
            prepare: &prepare,
            gather: &gather,
        };
        return batch::run(cli, file, args.out_dir.as_deref(), out, batch);
    }
    let grant = required(&args.grant, "grant")?;
    let request = prepare(Line {
        grant,
        request: required(&args.request, "request")?,
        now: args.now,
    })?;
    let home = open(cli)?;
    let keys = LoadTimed::load(&home, Statement::Access)?;
    let (public, private) = gather(&home, &request)?;
    prove_and_emit::<Access>(
        out,
        &keys,
        &public,
        &private,
        Emit {
            path: args.out.as_deref(),
            summary: &format!("access proof under grant {grant}"),
            result: json_map([("grant", json!(grant))]),
            profile: args.profile,
        },
    )
}
