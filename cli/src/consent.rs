//! FHIR R4 Consent in and out (to be written).

use crate::{output::Out, Cli, Failure};
use clap::Args;
use std::path::{Path, PathBuf};
use zkconsent::{
    circuits::types::{Purpose, Scope, Timestamp},
    home::Home,
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

/// Reads a Consent for `grant issue --consent`.
pub(crate) fn grant_terms(_home: &Home, _path: &Path) -> Result<ConsentGrant, Failure> {
    Err(Failure::malformed("consent: not built yet"))
}

pub(crate) fn export(_cli: &Cli, _args: &ExportArgs, _out: &mut Out) -> Result<(), Failure> {
    Err(Failure::malformed("grant export: not built yet"))
}
