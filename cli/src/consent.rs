//! FHIR R4 Consent in and out: `grant issue --consent FILE` reads a grant's terms from a
//! Consent, `grant export N --fhir` writes grant N as one. The mapping and the refusals are
//! the library's ([`zkconsent::consent`], [`zkconsent::fhir::consent`]); this file only
//! turns their errors into exit codes and prints.

use crate::{
    context::open,
    output::{say, Out},
    Cli, Failure,
};
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};
use zkconsent::{
    circuits::types::{Purpose, Scope, Timestamp},
    consent::{export_grant, read_terms, ConsentError},
    home::Home,
    unix_now,
};

/// `grant export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Grant leaf index (its opening is in this home's wallet).
    pub index: u64,
    /// As a FHIR R4 Consent resource (the only format so far).
    #[arg(long)]
    pub fhir: bool,
    /// File to write (default: print).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// What a Consent resource grants.
#[derive(Debug)]
pub(crate) struct ConsentGrant {
    /// The grantee: the name of an identity whose card this home imported.
    pub grantee: String,
    pub scope: Scope,
    pub purpose: Purpose,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

/// Exit 2 for a bad file or a grant this home lacks, 1 for a refusal, the home's own
/// mapping for wallet and registry errors.
fn failure(e: ConsentError) -> Failure {
    match e {
        ConsentError::Home(h) => Failure::from(h),
        e if e.is_malformed() => Failure::malformed(e),
        e => Failure::refused(e),
    }
}

/// Reads a Consent for `grant issue --consent` (a window without a start begins now); the
/// Consent's patient, when it names one, must be `patient`.
pub(crate) fn grant_terms(
    home: &Home,
    path: &Path,
    patient: &str,
) -> Result<ConsentGrant, Failure> {
    let terms = read_terms(path, unix_now()).map_err(failure)?;
    terms.check_patient(home, patient).map_err(failure)?;
    Ok(ConsentGrant {
        grantee: terms.grantee,
        scope: terms.scope,
        purpose: terms.purpose,
        not_before: terms.not_before,
        not_after: terms.not_after,
    })
}

/// `grant export N --fhir [--out FILE]`.
pub(crate) fn export(cli: &Cli, args: &ExportArgs, out: &mut Out) -> Result<(), Failure> {
    if !args.fhir {
        return Err(Failure::malformed(
            "grant export: name the format (--fhir: a FHIR R4 Consent)",
        ));
    }
    let home = open(cli)?;
    let consent = export_grant(&home, args.index).map_err(failure)?;
    let status = consent["status"].as_str().unwrap_or_default().to_owned();
    let mut text = serde_json::to_string_pretty(&consent)
        .map_err(|e| Failure::malformed(format!("grant {}: {e}", args.index)))?;
    text.push('\n');
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| Failure::malformed(format!("{}: {e}", path.display())))?;
            out.result(
                &format!(
                    "grant {} written as a FHIR R4 Consent ({status}) to {}",
                    args.index,
                    path.display()
                ),
                json!({ "ok": true, "index": args.index, "status": status,
                        "out": path.display().to_string() }),
            );
        }
        None if out.is_json() => out.result(
            "",
            json!({ "ok": true, "index": args.index, "status": status, "consent": consent }),
        ),
        None => say(text.trim_end()),
    }
    Ok(())
}
