//! `zkconsent prove record`: the custodian proves facts about one anchored resource for a
//! verifier's request (disclosure, ranges, code set); one proof, or a batch.

use super::{
    batch::{self, BatchOf},
    json_map, prove_and_emit, read_request_for, required, Emit, LoadTimed,
};
use crate::{context::open, output::Out, Cli, Failure, ProveRecordArgs};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use zkconsent::{
    circuits::{
        record::{RecordPrivate, RecordPublic},
        statement::Record,
        types::{Nonce, VerifierId},
    },
    home::{Home, HomeError},
    prover::Statement,
    statements::{record::RecordTerms, Terms},
};

/// One proof to make: the flags of a single `prove record`, or one `--batch` line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Line {
    /// `Type/id` (its latest anchored version)…
    resource: Option<String>,
    /// …or a leaf index.
    leaf: Option<u64>,
    request: PathBuf,
}

/// A line with its request read.
pub(crate) struct Prepared {
    resource: Option<String>,
    leaf: Option<u64>,
    terms: RecordTerms,
    verifier: VerifierId,
    nonce: Nonce,
}

fn prepare(line: Line) -> Result<Prepared, Failure> {
    if line.resource.is_some() == line.leaf.is_some() {
        return Err(Failure::malformed("name the record by resource or by leaf"));
    }
    let asked = read_request_for(&line.request, Statement::Record)?;
    let Terms::Record(terms) = asked.terms.clone() else {
        return Err(Failure::malformed("not a record request"));
    };
    // The terms resolve (codes, dates, ranges) before anything is proved.
    terms.resolve().map_err(Failure::malformed)?;
    Ok(Prepared {
        resource: line.resource,
        leaf: line.leaf,
        terms,
        verifier: asked.verifier,
        nonce: asked.nonce(),
    })
}

/// The leaf a line names.
fn leaf_of(home: &Home, p: &Prepared) -> Result<u64, HomeError> {
    match (&p.resource, p.leaf) {
        (Some(resource), _) => home.record_leaf_of(resource),
        (None, Some(leaf)) => Ok(leaf),
        (None, None) => Err(HomeError::Invalid("no record named".into())),
    }
}

fn gather(home: &Home, p: &Prepared) -> Result<(RecordPublic, RecordPrivate), HomeError> {
    let request = p
        .terms
        .prove_request(leaf_of(home, p)?, p.verifier, p.nonce)
        .map_err(HomeError::Invalid)?;
    home.record_statement(&request)
}

pub fn run(cli: &Cli, args: &ProveRecordArgs, out: &mut Out) -> Result<(), Failure> {
    if let Some(file) = &args.batch {
        let batch = BatchOf::<Line, Prepared, Record> {
            prepare: &prepare,
            gather: &gather,
        };
        return batch::run(cli, file, args.out_dir.as_deref(), out, batch);
    }
    if args.resource.is_none() && args.leaf.is_none() {
        return Err(Failure::malformed("--resource or --leaf is required"));
    }
    let prepared = prepare(Line {
        resource: args.resource.clone(),
        leaf: args.leaf,
        request: required(&args.request, "request")?,
    })?;
    let home = open(cli)?;
    let leaf_index = leaf_of(&home, &prepared)?;
    let keys = LoadTimed::load(&home, Statement::Record)?;
    let (public, private) = gather(&home, &prepared)?;
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
