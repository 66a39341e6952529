//! `zkconsent prove cohort`: the patient of a bundle meets a study's criteria, for the
//! researcher's request, once per study; one proof, or a batch.

use super::{json_map, read_request_for, required, Gathered, Options, ProveCommand};
use crate::{context::read_bundle, output::Out, Cli, Failure, ProveCohortArgs};
use serde_json::{json, Map, Value};
use zkconsent::{
    circuits::{
        cohort::CohortPublic,
        fr_to_decimal,
        statement::Cohort,
        types::{Nonce, Timestamp, VerifierId},
    },
    fhir::Extraction,
    files::criteria::StudyTerms,
    home::{Home, HomeError},
    prover::Statement,
    statements::{cohort::CohortRequest, Terms},
    unix_now,
};

/// One proof to make: the flags of a single `prove cohort`, or one `--batch` line.
pub(crate) use zkconsent::files::batch::CohortLine as Line;

/// A line with its bundle and request read.
pub(crate) struct Prepared {
    extraction: Extraction,
    study: String,
    terms: StudyTerms,
    researcher: VerifierId,
    nonce: Nonce,
    now: Timestamp,
}

/// `prove cohort`.
struct CohortCommand;

impl ProveCommand for CohortCommand {
    type S = Cohort;
    type Line = Line;
    type Prepared = Prepared;

    fn prepare(line: Line) -> Result<Prepared, Failure> {
        // Inputs first: a malformed bundle or request is exit 2 whatever the home holds.
        let extraction = read_bundle(&line.bundle)?;
        let asked = read_request_for(&line.request, Statement::Cohort)?;
        let Terms::Cohort(cohort) = &asked.terms else {
            return Err(Failure::malformed("not a cohort request"));
        };
        Ok(Prepared {
            extraction,
            study: cohort.study.clone(),
            terms: cohort.study_terms().map_err(Failure::malformed)?,
            researcher: asked.verifier,
            nonce: asked.nonce(),
            now: match line.now {
                Some(t) => zkconsent::limits::check_time("now", t).map_err(Failure::malformed)?,
                None => unix_now(),
            },
        })
    }

    fn gather(home: &Home, p: &Prepared) -> Gathered<Cohort> {
        let request = CohortRequest {
            terms: &p.terms,
            researcher: p.researcher,
            nonce: p.nonce,
            now: p.now,
        };
        home.cohort_statement(&p.extraction, &request)
    }

    fn describe(
        _: &Home,
        p: &Prepared,
        public: &CohortPublic,
    ) -> Result<(String, Map<String, Value>), HomeError> {
        Ok((
            format!("cohort proof for study {} for {}", p.study, public.now),
            json_map([
                ("study", json!(p.study)),
                ("nullifier", json!(fr_to_decimal(&public.nullifier.0))),
                ("time_iso", json!(public.now.to_string())),
            ]),
        ))
    }
}

pub fn run(cli: &Cli, args: &ProveCohortArgs, out: &mut Out) -> Result<(), Failure> {
    let options = Options {
        batch: args.batch.as_deref(),
        out_dir: args.out_dir.as_deref(),
        out: args.out.as_deref(),
        profile: args.profile,
    };
    super::run::<CohortCommand>(cli, out, options, || {
        Ok(Line {
            bundle: required(&args.bundle, "bundle")?,
            request: required(&args.request, "request")?,
            now: args.now,
        })
    })
}
