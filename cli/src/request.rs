//! `zkconsent request new`: a verifier writes a request with every term of its statement.

use crate::{
    context::{open, refused},
    output::{say, Out},
    Cli, Failure, RequestNewArgs,
};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;
use zkconsent::{
    circuits::fr_to_decimal,
    files::{code_list::read_code_list, criteria::read_criteria_text},
    prover::Statement,
    statements::{
        access::AccessTerms,
        claim::ClaimTerms,
        cohort::CohortTerms,
        record::{CodeSetTerm, RecordTerms},
        Terms,
    },
    unix_now,
    vocab::{parse_purpose, parse_scope},
};

pub fn new(cli: &Cli, args: &RequestNewArgs, out: &mut Out) -> Result<(), Failure> {
    let statement = Statement::from_name(&args.statement)
        .ok_or_else(|| Failure::malformed(format!("unknown statement {:?}", args.statement)))?;
    let mut home = open(cli)?;
    let required = |flag: &str, value: Option<&str>| -> Result<String, Failure> {
        value.map(str::to_owned).ok_or_else(|| {
            Failure::malformed(format!("a {} request needs --{flag}", statement.name()))
        })
    };
    let terms = match statement {
        Statement::Access => {
            let patient = required("patient", args.patient.as_deref())?;
            let patient = home.patient_id(&patient).map_err(refused)?;
            Terms::Access(AccessTerms::new(
                patient,
                parse_scope(&required("scope", args.scope.as_deref())?)
                    .map_err(Failure::malformed)?,
                parse_purpose(&args.purpose).map_err(Failure::malformed)?,
            ))
        }
        Statement::Record => Terms::Record(record_terms(args)?),
        Statement::Claim => {
            let member = required("member", args.member.as_deref())?;
            let member = home.patient_id(&member).map_err(refused)?;
            let covered = args
                .covered
                .as_deref()
                .ok_or_else(|| Failure::malformed("a claim request needs --covered"))?;
            Terms::Claim(ClaimTerms {
                covered: read_code_list(covered).map_err(Failure::malformed)?,
                member: fr_to_decimal(&member.0),
                coverage: required("coverage", args.coverage.as_deref())?,
                kinds: match &args.kinds {
                    Some(list) => list.split(',').map(|k| k.trim().to_owned()).collect(),
                    None => ClaimTerms::all_kinds(),
                },
            })
        }
        Statement::Cohort => {
            let criteria = args
                .criteria
                .as_deref()
                .ok_or_else(|| Failure::malformed("a cohort request needs --criteria"))?;
            Terms::Cohort(CohortTerms {
                study: required("study", args.study.as_deref())?,
                criteria: read_criteria_text(criteria).map_err(Failure::malformed)?,
            })
        }
        Statement::Authority => {
            return Err(Failure::malformed(
                "authority proofs are not requested: the registry checks them",
            ))
        }
    };
    let request = home
        .issue_request(
            &args.verifier,
            terms,
            unix_now(),
            &mut StdRng::from_entropy(),
        )
        .map_err(refused)?;
    let bytes = request.to_file_bytes();
    let hash = fr_to_decimal(&request.hash().0);
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes)
                .map_err(|e| Failure::malformed(format!("{}: {e}", path.display())))?;
            out.result(
                &format!(
                    "{} request from {}: {}\nwritten to {}\nrequest_hash {hash}",
                    statement.name(),
                    args.verifier,
                    request.terms.describe(),
                    path.display()
                ),
                json!({ "ok": true, "out": path.display().to_string(), "statement": statement.name(),
                        "request_hash": hash, "nonce": fr_to_decimal(&request.nonce().0) }),
            );
        }
        None => say(String::from_utf8_lossy(&bytes).trim_end()),
    }
    Ok(())
}

/// `LO..HI` with either end optional, as text.
fn split_range(
    flag: &str,
    text: Option<&str>,
) -> Result<(Option<String>, Option<String>), Failure> {
    let Some(text) = text else {
        return Ok((None, None));
    };
    let (lo, hi) = text
        .split_once("..")
        .ok_or_else(|| Failure::malformed(format!("--{flag} {text:?}: expected LO..HI")))?;
    let end = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Ok((end(lo), end(hi)))
}

fn record_terms(args: &RequestNewArgs) -> Result<RecordTerms, Failure> {
    let (value_min, value_max) = split_range("value-range", args.value_range.as_deref())?;
    let number = |s: Option<String>| -> Result<Option<u64>, Failure> {
        s.map(|v| {
            v.parse::<u64>()
                .map_err(|e| Failure::malformed(format!("--value-range {v:?}: {e}")))
        })
        .transpose()
    };
    let (date_from, date_to) = split_range("date-range", args.date_range.as_deref())?;
    Ok(RecordTerms {
        disclose: args
            .disclose
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect(),
        value_min: number(value_min)?,
        value_max: number(value_max)?,
        date_from,
        date_to,
        code_set: match &args.code_set {
            Some(path) => Some(CodeSetTerm {
                field: args.set_field.clone(),
                codes: read_code_list(path).map_err(Failure::malformed)?,
            }),
            None => None,
        },
    })
}
