//! `zkconsent prove claim`: the custodian proves one claim of a bundle for an insurer's
//! request (covered diagnosis, member policy, claim nullifier); one proof, or a batch.

use super::{
    batch::{self, BatchOf},
    json_map, prove_and_emit, read_request_for, required, Emit, LoadTimed,
};
use crate::{
    context::{open, read_bundle},
    output::Out,
    Cli, Failure, ProveClaimArgs,
};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use zkconsent::{
    circuits::{
        claim::{ClaimPrivate, ClaimPublic},
        fr_to_decimal,
        record::CodeSet,
        statement::Claim,
        types::{Nonce, VerifierId},
    },
    fhir::Extraction,
    home::{Home, HomeError},
    prover::Statement,
    statements::{claim::ClaimRequest, Terms},
};

/// One proof to make: the flags of a single `prove claim`, or one `--batch` line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Line {
    bundle: PathBuf,
    claim: String,
    request: PathBuf,
}

/// A line with its bundle and request read.
pub(crate) struct Prepared {
    extraction: Extraction,
    claim: String,
    covered: CodeSet,
    insurer: VerifierId,
    nonce: Nonce,
}

fn prepare(line: Line) -> Result<Prepared, Failure> {
    // Inputs first: a malformed bundle or request is exit 2 whatever the home holds.
    let extraction = read_bundle(&line.bundle)?;
    let asked = read_request_for(&line.request, Statement::Claim)?;
    let Terms::Claim(terms) = &asked.terms else {
        return Err(Failure::malformed("not a claim request"));
    };
    Ok(Prepared {
        extraction,
        claim: line.claim,
        covered: terms.covered_set().map_err(Failure::malformed)?,
        insurer: asked.verifier,
        nonce: asked.nonce(),
    })
}

fn gather(home: &Home, p: &Prepared) -> Result<(ClaimPublic, ClaimPrivate), HomeError> {
    let request = ClaimRequest {
        claim_id: &p.claim,
        insurer: p.insurer,
        nonce: p.nonce,
        covered: &p.covered,
    };
    home.claim_statement(&p.extraction, &request)
}

pub fn run(cli: &Cli, args: &ProveClaimArgs, out: &mut Out) -> Result<(), Failure> {
    if let Some(file) = &args.batch {
        let batch = BatchOf::<Line, Prepared, Claim> {
            prepare: &prepare,
            gather: &gather,
        };
        return batch::run(cli, file, args.out_dir.as_deref(), out, batch);
    }
    let prepared = prepare(Line {
        bundle: required(&args.bundle, "bundle")?,
        claim: required(&args.claim, "claim")?,
        request: required(&args.request, "request")?,
    })?;
    let home = open(cli)?;
    let keys = LoadTimed::load(&home, Statement::Claim)?;
    let (public, private) = gather(&home, &prepared)?;
    prove_and_emit::<Claim>(
        out,
        &keys,
        &public,
        &private,
        Emit {
            path: args.out.as_deref(),
            summary: &format!("claim proof for {}", prepared.claim),
            result: json_map([
                ("claim", json!(prepared.claim)),
                ("nullifier", json!(fr_to_decimal(&public.nullifier.0))),
            ]),
            profile: args.profile,
        },
    )
}
