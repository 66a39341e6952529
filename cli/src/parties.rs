//! Hand-offs between parties on separate machines: identity cards (`identity export`,
//! `identity import`) and sealed grant credentials (`grant issue --out`, `grant accept`).

use crate::{context::open, output::Out, Cli, Failure};
use clap::Args;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;
use std::path::{Path, PathBuf};
use zkconsent::{
    cards::{
        credential::{self, Accepted},
        store::{self, ImportOutcome},
        Card,
    },
    circuits::fr_to_decimal,
    files::write_private_atomic,
    home::Home,
    vocab::{describe_purpose, describe_scope},
};

/// `identity export`.
#[derive(Args, Debug)]
pub struct ExportCardArgs {
    /// The identity (its secret is in this home's wallet).
    pub name: String,
    /// File to write the card to.
    #[arg(long)]
    pub out: PathBuf,
}

/// `identity import`.
#[derive(Args, Debug)]
pub struct ImportCardArgs {
    /// The card file.
    pub card: PathBuf,
}

/// `grant accept`.
#[derive(Args, Debug)]
pub struct AcceptArgs {
    /// The sealed credential file.
    pub credential: PathBuf,
}

pub(crate) fn export_card(cli: &Cli, args: &ExportCardArgs, out: &mut Out) -> Result<(), Failure> {
    let home = open(cli)?;
    let card = Card::for_identity(&home, &args.name)?;
    write_private_atomic(&args.out, &card.to_file_bytes())
        .map_err(|e| Failure::malformed(format!("{}: {e}", args.out.display())))?;
    let fingerprint = card.fingerprint().to_hex();
    out.result(
        &format!(
            "card for {} ({}) written to {}\nfingerprint {fingerprint}: read it to the \
             recipient by another channel; they compare it when they import the card",
            card.name,
            card.role,
            args.out.display()
        ),
        json!({ "ok": true, "name": card.name, "role": card.role.as_str(),
                "id": fr_to_decimal(&card.id.0), "fingerprint": fingerprint,
                "out": args.out.display().to_string() }),
    );
    Ok(())
}

pub(crate) fn import_card(cli: &Cli, args: &ImportCardArgs, out: &mut Out) -> Result<(), Failure> {
    let card = Card::read(&args.card).map_err(Failure::malformed)?;
    let mut home = open(cli)?;
    let outcome = store::import_card_into(&mut home, &card)?;
    let fingerprint = card.fingerprint().to_hex();
    let (status, note) = match outcome {
        ImportOutcome::Imported => (
            "imported",
            "matches this home's registry (id and role)".to_owned(),
        ),
        ImportOutcome::ImportedUnregistered => (
            "imported_unregistered",
            format!(
                "{} is not in this home's registry yet: it is checked when a grant names it",
                card.name
            ),
        ),
        ImportOutcome::AlreadyImported => ("already_imported", "imported before: unchanged".into()),
    };
    out.result(
        &format!(
            "{} ({}) fingerprint {fingerprint}\n{note}; compare the fingerprint with the one \
             {} gave you",
            card.name, card.role, card.name
        ),
        json!({ "ok": true, "status": status, "name": card.name, "role": card.role.as_str(),
                "id": fr_to_decimal(&card.id.0), "fingerprint": fingerprint }),
    );
    Ok(())
}

pub(crate) fn accept(cli: &Cli, args: &AcceptArgs, out: &mut Out) -> Result<(), Failure> {
    let mut home = open(cli)?;
    let Accepted {
        index,
        grantee_name,
        patient_name,
        grant,
        already_held,
    } = credential::accept_file(&mut home, &args.credential)?;
    let verb = if already_held {
        "already held"
    } else {
        "accepted"
    };
    out.result(
        &format!(
            "grant {index} {verb}: {patient_name} -> {grantee_name}, scope {}, purpose {}, \
             valid from {} to {} (exclusive)",
            describe_scope(grant.scope),
            describe_purpose(grant.purpose),
            grant.not_before,
            grant.not_after
        ),
        json!({ "ok": true, "index": index, "already_held": already_held,
                "patient": patient_name, "grantee": grantee_name,
                "commitment": fr_to_decimal(&grant.commit().0),
                "not_before": grant.not_before.0, "not_after": grant.not_after.0,
                "not_before_iso": grant.not_before.to_string(),
                "not_after_iso": grant.not_after.to_string() }),
    );
    Ok(())
}

/// Reads a grantee's card for `grant issue --grantee-card` (checked against the registry).
pub(crate) fn read_card(home: &Home, path: &Path) -> Result<Card, Failure> {
    let card = Card::read(path).map_err(Failure::malformed)?;
    store::check_card(home, &card, true)?;
    Ok(card)
}

/// Seals the opening of grant `index` (in this home's wallet) to `card` and writes it.
pub(crate) fn write_credential(
    home: &Home,
    index: u64,
    card: &Card,
    out: &Path,
) -> Result<(), Failure> {
    // The grant is issued by now: say so, so a failed write is not taken for a failed issue.
    credential::write_credential(home, index, card, out, &mut StdRng::from_entropy()).map_err(|e| {
        let failure = Failure::from(e);
        Failure {
            code: failure.code,
            message: format!(
                "grant {index} was issued, but its credential was not written: {}",
                failure.message
            ),
        }
    })
}

/// The card this home imported for `name` (the grantee a Consent names).
pub(crate) fn imported_card(home: &Home, name: &str) -> Result<Card, Failure> {
    store::imported_card(home, name).map_err(Failure::from)
}
