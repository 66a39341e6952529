//! `zkconsent prove record`: the custodian proves facts about one anchored resource for a
//! verifier's request (disclosure, ranges, code set); one proof, or a batch.

use super::{json_map, read_request_for, required, Gathered, Options, ProveCommand};
use crate::{output::Out, Cli, Failure, ProveRecordArgs};
use serde_json::{json, Map, Value};
use zkconsent::{
    circuits::{
        record::RecordPublic,
        statement::Record,
        types::{Nonce, VerifierId},
    },
    home::{Home, HomeError},
    prover::Statement,
    statements::{record::RecordTerms, Terms},
};

/// One proof to make: the flags of a single `prove record`, or one `--batch` line.
pub(crate) use zkconsent::files::batch::RecordLine as Line;

/// A line with its request read.
pub(crate) struct Prepared {
    resource: Option<String>,
    leaf: Option<u64>,
    terms: RecordTerms,
    verifier: VerifierId,
    nonce: Nonce,
}

/// `prove record`.
struct RecordCommand;

impl ProveCommand for RecordCommand {
    type S = Record;
    type Line = Line;
    type Prepared = Prepared;

    fn prepare(line: Line) -> Result<Prepared, Failure> {
        if line.resource.is_some() == line.leaf.is_some() {
            return Err(Failure::malformed(
                "name the record by --resource or by --leaf",
            ));
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

    fn gather(home: &Home, p: &Prepared) -> Gathered<Record> {
        let request = p
            .terms
            .prove_request(leaf_of(home, p)?, p.verifier, p.nonce)
            .map_err(HomeError::Invalid)?;
        home.record_statement(&request)
    }

    fn describe(
        home: &Home,
        p: &Prepared,
        _: &RecordPublic,
    ) -> Result<(String, Map<String, Value>), HomeError> {
        let leaf = leaf_of(home, p)?;
        Ok((
            format!("record proof for leaf {leaf}"),
            json_map([("leaf", json!(leaf))]),
        ))
    }
}

/// The leaf a line names.
fn leaf_of(home: &Home, p: &Prepared) -> Result<u64, HomeError> {
    match (&p.resource, p.leaf) {
        (Some(resource), _) => home.record_leaf_of(resource),
        (None, Some(leaf)) => Ok(leaf),
        (None, None) => Err(HomeError::Invalid("no record named".into())),
    }
}

pub fn run(cli: &Cli, args: &ProveRecordArgs, out: &mut Out) -> Result<(), Failure> {
    let options = Options {
        batch: args.batch.as_deref(),
        out_dir: args.out_dir.as_deref(),
        out: args.out.as_deref(),
        profile: args.profile,
    };
    super::run::<RecordCommand>(cli, out, options, || {
        if args.resource.is_none() && args.leaf.is_none() {
            return Err(Failure::malformed("--resource or --leaf is required"));
        }
        Ok(Line {
            resource: args.resource.clone(),
            leaf: args.leaf,
            request: required(&args.request, "request")?,
        })
    })
}
