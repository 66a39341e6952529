//! `zkconsent prove claim`: the custodian proves one claim of a bundle for an insurer's
//! request (covered diagnosis, member policy, claim nullifier); one proof, or a batch.

use super::{json_map, read_request_for, required, Gathered, Options, ProveCommand};
use crate::{context::read_bundle, output::Out, Cli, Failure, ProveClaimArgs};
use serde_json::{json, Map, Value};
use zkconsent::{
    circuits::{
        claim::ClaimPublic,
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
pub(crate) use zkconsent::files::batch::ClaimLine as Line;

/// A line with its bundle and request read.
pub(crate) struct Prepared {
    extraction: Extraction,
    claim: String,
    covered: CodeSet,
    insurer: VerifierId,
    nonce: Nonce,
}

/// `prove claim`.
struct ClaimCommand;

impl ProveCommand for ClaimCommand {
    type S = Claim;
    type Line = Line;
    type Prepared = Prepared;

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

    fn gather(home: &Home, p: &Prepared) -> Gathered<Claim> {
        let request = ClaimRequest {
            claim_id: &p.claim,
            insurer: p.insurer,
            nonce: p.nonce,
            covered: &p.covered,
        };
        home.claim_statement(&p.extraction, &request)
    }

    fn describe(
        _: &Home,
        p: &Prepared,
        public: &ClaimPublic,
    ) -> Result<(String, Map<String, Value>), HomeError> {
        Ok((
            format!("claim proof for {}", p.claim),
            json_map([
                ("claim", json!(p.claim)),
                ("nullifier", json!(fr_to_decimal(&public.nullifier.0))),
            ]),
        ))
    }
}

pub fn run(cli: &Cli, args: &ProveClaimArgs, out: &mut Out) -> Result<(), Failure> {
    let options = Options {
        batch: args.batch.as_deref(),
        out_dir: args.out_dir.as_deref(),
        out: args.out.as_deref(),
        profile: args.profile,
    };
    super::run::<ClaimCommand>(cli, out, options, || {
        Ok(Line {
            bundle: required(&args.bundle, "bundle")?,
            claim: required(&args.claim, "claim")?,
            request: required(&args.request, "request")?,
        })
    })
}
