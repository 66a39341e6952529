//! `zkconsent record export-openings|accept`: the record openings a Cohort proof needs,
//! handed from the custodian's home to the patient's, sealed to the patient's card.
//!
//! Exit codes: 2 for an unreadable, malformed or altered file, or a card that is not the
//! patient's; 1 for a refusal (sealed to another home's key, about another patient, not the
//! registry's leaves, a wallet holding different openings); 0 otherwise.

use crate::{context::open, output::Out, Cli, Failure};
use clap::Args;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;
use std::path::PathBuf;
use zkconsent::cards::{
    records::{self, AcceptedOpenings, Exported, RecordHandoffError},
    store, Card,
};

/// `record export-openings`.
#[derive(Args, Debug)]
pub struct ExportOpeningsArgs {
    /// The patient (a registered patient whose bundle is anchored and summarised here).
    #[arg(long)]
    pub patient: String,
    /// The patient's card (`identity export`): the openings are sealed to it.
    #[arg(long)]
    pub to_card: PathBuf,
    /// File to write the sealed openings to.
    #[arg(long)]
    pub out: PathBuf,
}

/// `record accept`.
#[derive(Args, Debug)]
pub struct AcceptOpeningsArgs {
    /// The sealed record-openings file.
    pub file: PathBuf,
}

/// A hand-off error as the CLI's failure.
fn failure(e: RecordHandoffError) -> Failure {
    match e {
        RecordHandoffError::Home(h) => Failure::from(h),
        other if other.is_malformed() => Failure::malformed(other),
        other => Failure::refused(other),
    }
}

pub(crate) fn export(cli: &Cli, args: &ExportOpeningsArgs, out: &mut Out) -> Result<(), Failure> {
    // Input first: a malformed card is exit 2 whatever the home holds.
    let card = Card::read(&args.to_card).map_err(Failure::malformed)?;
    let home = open(cli)?;
    store::check_card(&home, &card, true)?;
    let Exported {
        indices, summary, ..
    } = records::write_record_openings(
        &home,
        &args.patient,
        &card,
        &args.out,
        &mut StdRng::from_entropy(),
    )
    .map_err(failure)?;
    let fingerprint = card.fingerprint().to_hex();
    out.result(
        &format!(
            "{} record openings of {} (condition summary at leaf {summary}) sealed to {}'s \
             card (fingerprint {fingerprint}), written to {}",
            indices.len(),
            args.patient,
            card.name,
            args.out.display()
        ),
        json!({ "ok": true, "patient": args.patient, "recipient": card.name,
                "fingerprint": fingerprint, "leaves": indices, "summary": summary,
                "out": args.out.display().to_string() }),
    );
    Ok(())
}

pub(crate) fn accept(cli: &Cli, args: &AcceptOpeningsArgs, out: &mut Out) -> Result<(), Failure> {
    let mut home = open(cli)?;
    let AcceptedOpenings {
        patient_name,
        indices,
        summary,
        stored,
    } = records::accept_file(&mut home, &args.file).map_err(failure)?;
    let what = if stored == 0 {
        "already held: nothing changed".to_owned()
    } else {
        format!("{stored} stored")
    };
    out.result(
        &format!(
            "{} record openings of {patient_name} accepted (condition summary at leaf \
             {summary}), {what}; `prove cohort` can use them",
            indices.len()
        ),
        json!({ "ok": true, "patient": patient_name, "leaves": indices, "summary": summary,
                "stored": stored, "already_held": stored == 0 }),
    );
    Ok(())
}
