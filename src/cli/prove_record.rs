//! `zkconsent prove record`: a Record proof for one anchored resource, with the verifier's
//! disclosure, ranges and code set.

use super::{
    commands::{open, refused, verifier_id},
    output::Out,
    prove::{json_map, prove_and_emit},
    Cli, Failure, ProveRecordArgs,
};
use serde_json::json;
use zkconsent::{
    circuits::{
        record::{fields, DiscloseMask, InclusiveRange, SetField, DISCLOSABLE_FIELDS},
        types::Nonce,
    },
    code_list::read_code_set,
    fhir::dates::parse_day,
    prover::{prove_record, Statement},
    record_proof::RecordRequest,
    verifier::parse_fr_decimal,
};

pub fn run(cli: &Cli, args: &ProveRecordArgs, out: &mut Out) -> Result<(), Failure> {
    let home = open(cli)?;
    let leaf_index = match (&args.resource, args.leaf) {
        (Some(resource), _) => home.record_leaf_of(resource).map_err(refused)?,
        (None, Some(leaf)) => leaf,
        (None, None) => return Err(Failure::malformed("--resource or --leaf is required")),
    };
    let request = RecordRequest {
        leaf_index,
        verifier: verifier_id(&home, &args.verifier)?,
        nonce: Nonce(
            parse_fr_decimal(&args.nonce).map_err(|e| Failure::malformed(format!("nonce: {e}")))?,
        ),
        disclose: parse_disclose(args.disclose.as_deref().unwrap_or(""))?,
        value_range: parse_range(args.value_range.as_deref(), |s| {
            s.parse::<u64>().map_err(|e| e.to_string())
        })?,
        date_range: parse_range(args.date_range.as_deref(), |s| {
            parse_day(s).map(|d| d.0).map_err(|e| e.to_string())
        })?,
        code_set: match &args.code_set {
            Some(path) => Some((
                parse_set_field(&args.set_field)?,
                read_code_set(path).map_err(Failure::malformed)?,
            )),
            None => None,
        },
    };
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

/// `code,date,value`: tuple field names (spec §10.2), any but the salt.
fn parse_disclose(list: &str) -> Result<DiscloseMask, Failure> {
    let mut offsets = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let offset = fields::NAMES[..DISCLOSABLE_FIELDS]
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| {
                Failure::malformed(format!(
                    "--disclose: {name:?} is not one of {}",
                    fields::NAMES[..DISCLOSABLE_FIELDS].join(", ")
                ))
            })?;
        offsets.push(offset);
    }
    DiscloseMask::of(&offsets).ok_or_else(|| Failure::malformed("--disclose: bad field"))
}

/// `LO..HI`, either side optional (open ends are 0 and 2^64 - 1); absent: any value.
fn parse_range(
    text: Option<&str>,
    parse: impl Fn(&str) -> Result<u64, String>,
) -> Result<InclusiveRange, Failure> {
    let Some(text) = text else {
        return Ok(InclusiveRange::ANY);
    };
    let (lo, hi) = text
        .split_once("..")
        .ok_or_else(|| Failure::malformed(format!("range {text:?}: expected LO..HI")))?;
    let bound = |s: &str, open: u64| -> Result<u64, Failure> {
        if s.is_empty() {
            Ok(open)
        } else {
            parse(s).map_err(|e| Failure::malformed(format!("range {text:?}: {e}")))
        }
    };
    Ok(InclusiveRange::new(bound(lo, 0)?, bound(hi, u64::MAX)?))
}

/// `code` or `related_code`.
fn parse_set_field(name: &str) -> Result<SetField, Failure> {
    match name {
        "code" => Ok(SetField::Code),
        "related_code" => Ok(SetField::RelatedCode),
        other => Err(Failure::malformed(format!(
            "--set-field {other:?}: expected code or related_code"
        ))),
    }
}
