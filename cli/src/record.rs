//! `zkconsent record anchor|list|summary`: FHIR records and condition summaries in the
//! records tree (`export-openings` and `accept`, the hand-off to the patient, are in
//! `record_handoff`).
//!
//! Exit codes: 2 for an unreadable or malformed document (the message names the resource and
//! field), 1 for a refusal (unknown patient, not a patient, a resource of another patient, a
//! full tree), 0 otherwise.

use super::{
    context::{open, read_bundle, refused},
    output::Out,
    record_handoff, Cli, Failure, RecordCommand,
};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::{json, Map, Value};
use std::{collections::BTreeMap, path::Path};
use zkconsent::{
    circuits::types::EpochDay,
    fhir::dates::{format_day, parse_day},
    records::AnchorReport,
    unix_now,
    verifier::fr_to_decimal,
    wallet::AnchorStatus,
};

pub fn run(cli: &Cli, command: &RecordCommand, out: &mut Out) -> Result<(), Failure> {
    match command {
        RecordCommand::Anchor { file, patient } => anchor(cli, file, patient, out),
        RecordCommand::List => list(cli, out),
        RecordCommand::Summary { patient, as_of } => summary(cli, patient, as_of.as_deref(), out),
        RecordCommand::ExportOpenings(args) => record_handoff::export(cli, args, out),
        RecordCommand::Accept(args) => record_handoff::accept(cli, args, out),
    }
}

fn anchor(cli: &Cli, file: &Path, patient: &str, out: &mut Out) -> Result<(), Failure> {
    // Input first: a malformed document is exit 2 whatever the home holds.
    let extraction = read_bundle(file)?;
    let mut home = open(cli)?;
    let report = home
        .anchor_records(
            patient,
            &extraction,
            unix_now(),
            &mut StdRng::from_entropy(),
        )
        .map_err(refused)?;
    out.result(
        &human(file, patient, &report),
        machine(file, patient, &report),
    );
    Ok(())
}

fn summary(cli: &Cli, patient: &str, as_of: Option<&str>, out: &mut Out) -> Result<(), Failure> {
    let now = unix_now();
    let as_of = match as_of {
        Some(text) => parse_day(text).map_err(|e| Failure::malformed(format!("--as-of: {e}")))?,
        None => EpochDay::of_timestamp(now).ok_or_else(|| {
            Failure::malformed(format!(
                "today ({now}) is past {}, the last date: pass --as-of",
                EpochDay::LAST
            ))
        })?,
    };
    let mut home = open(cli)?;
    let report = home
        .anchor_condition_summary(patient, as_of, now, &mut StdRng::from_entropy())
        .map_err(refused)?;
    let status = report.anchored.status.as_str();
    out.result(
        &format!(
            "condition summary for {patient} as of {}: {} distinct condition codes, leaf {} ({})",
            format_day(as_of),
            report.codes,
            report.anchored.index,
            status.replace('_', " ")
        ),
        json!({ "ok": true, "patient": patient, "as_of": format_day(as_of), "codes": report.codes,
                "leaf": report.anchored.index, "status": status }),
    );
    Ok(())
}

/// `Type n, Type n` in a stable order, or `none`.
fn counts<K: AsRef<str>>(counts: impl IntoIterator<Item = (K, u64)>) -> String {
    let parts: Vec<String> = counts
        .into_iter()
        .map(|(k, n)| format!("{} {n}", k.as_ref()))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn by_kind(report: &AnchorReport, status: &str) -> BTreeMap<&'static str, u64> {
    report
        .count_by_kind(status)
        .into_iter()
        .map(|(k, n)| (k.resource_type(), n))
        .collect()
}

fn human(file: &Path, patient: &str, report: &AnchorReport) -> String {
    let anchored = report.count(AnchorStatus::ANCHORED);
    let versions = report.count(AnchorStatus::NEW_VERSION);
    let repeated = report.count(AnchorStatus::ALREADY_ANCHORED);
    let unsupported: u64 = report.unsupported.values().sum();
    let mut lines = vec![
        format!(
            "{}: {} supported resources for {patient}",
            file.display(),
            report.records.len()
        ),
        format!(
            "  anchored:         {anchored} ({})",
            counts(by_kind(report, AnchorStatus::ANCHORED))
        ),
        format!(
            "  new versions:     {versions} ({})",
            counts(by_kind(report, AnchorStatus::NEW_VERSION))
        ),
        format!("  already anchored: {repeated}"),
    ];
    let in_batch = report.count(AnchorStatus::SUPERSEDED_IN_BATCH);
    if in_batch > 0 {
        // Earlier versions of a resource in the same file: never anchored.
        lines.push(format!("  superseded in this file: {in_batch}"));
    }
    lines.extend([format!(
        "  not anchored (unsupported types): {unsupported} ({})",
        counts(report.unsupported.iter().map(|(k, n)| (k.as_str(), *n)))
    )]);
    let new: Vec<u64> = report
        .records
        .iter()
        .filter(|r| r.status != AnchorStatus::AlreadyAnchored)
        .map(|r| r.index)
        .collect();
    if let (Some(first), Some(last)) = (new.iter().min(), new.iter().max()) {
        lines.push(format!("  leaves {first}..={last}"));
    }
    lines.push(format!(
        "records root {}",
        fr_to_decimal(&report.records_root.0)
    ));
    lines.join("\n")
}

fn object(counts: BTreeMap<&str, u64>) -> Value {
    Value::Object(
        counts
            .into_iter()
            .map(|(k, n)| (k.to_owned(), json!(n)))
            .collect::<Map<_, _>>(),
    )
}

fn machine(file: &Path, patient: &str, report: &AnchorReport) -> Value {
    let records: Vec<Value> = report
        .records
        .iter()
        .map(|r| {
            let mut v = json!({ "type": r.kind.resource_type(), "id": r.resource_id,
                                "index": r.index, "status": r.status.as_str() });
            if let AnchorStatus::NewVersion { previous } = r.status {
                v["previous"] = json!(previous);
            }
            v
        })
        .collect();
    json!({
        "ok": true,
        "file": file.display().to_string(),
        "patient": patient,
        "anchored": object(by_kind(report, AnchorStatus::ANCHORED)),
        "new_versions": object(by_kind(report, AnchorStatus::NEW_VERSION)),
        "already_anchored": object(by_kind(report, AnchorStatus::ALREADY_ANCHORED)),
        "anchored_total": report.count(AnchorStatus::ANCHORED),
        "new_versions_total": report.count(AnchorStatus::NEW_VERSION),
        "already_anchored_total": report.count(AnchorStatus::ALREADY_ANCHORED),
        "superseded_in_batch_total": report.count(AnchorStatus::SUPERSEDED_IN_BATCH),
        "unsupported": object(report.unsupported.iter().map(|(k, n)| (k.as_str(), *n)).collect()),
        "records_root": fr_to_decimal(&report.records_root.0),
        "records": records,
    })
}

fn list(cli: &Cli, out: &mut Out) -> Result<(), Failure> {
    let home = open(cli)?;
    let openings = home
        .wallet()?
        .record_openings()
        .map_err(Failure::malformed)?;
    let lines: Vec<String> = openings
        .iter()
        .map(|o| {
            format!(
                "{:>6}  {:<20} {:<40} {}  {}",
                o.index,
                o.record.fields.kind.resource_type(),
                o.resource_id,
                format_day(o.record.fields.date),
                o.patient_name
            )
        })
        .collect();
    let machine: Vec<Value> = openings
        .iter()
        .map(|o| {
            json!({ "index": o.index, "type": o.record.fields.kind.resource_type(),
                    "id": o.resource_id, "date": format_day(o.record.fields.date),
                    "patient": o.patient_name, "anchored_at": o.anchored_at.0,
                    "anchored_at_iso": o.anchored_at.to_string(),
                    "leaf": fr_to_decimal(&o.record.commit().0) })
        })
        .collect();
    let human = if lines.is_empty() {
        "no records anchored".to_string()
    } else {
        lines.join("\n")
    };
    out.result(&human, json!({ "ok": true, "records": machine }));
    Ok(())
}
