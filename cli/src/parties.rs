//! Identity cards and sealed grant credentials (to be written).

use crate::{output::Out, Cli, Failure};
use clap::Args;
use std::path::{Path, PathBuf};
use zkconsent::{cards::Card, home::Home};

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

pub(crate) fn export_card(
    _cli: &Cli,
    _args: &ExportCardArgs,
    _out: &mut Out,
) -> Result<(), Failure> {
    Err(Failure::malformed("identity export: not built yet"))
}

pub(crate) fn import_card(
    _cli: &Cli,
    _args: &ImportCardArgs,
    _out: &mut Out,
) -> Result<(), Failure> {
    Err(Failure::malformed("identity import: not built yet"))
}

pub(crate) fn accept(_cli: &Cli, _args: &AcceptArgs, _out: &mut Out) -> Result<(), Failure> {
    Err(Failure::malformed("grant accept: not built yet"))
}

/// Reads a grantee's card for `grant issue --grantee-card` (checked against the registry).
pub(crate) fn read_card(_home: &Home, _path: &Path) -> Result<Card, Failure> {
    Err(Failure::malformed("cards: not built yet"))
}

/// Seals the opening of grant `index` (in this home's wallet) to `card` and writes it.
pub(crate) fn write_credential(
    _home: &Home,
    _index: u64,
    _card: &Card,
    _out: &Path,
) -> Result<(), Failure> {
    Err(Failure::malformed("credentials: not built yet"))
}

/// The card this home imported for `name` (the grantee a Consent names).
pub(crate) fn imported_card(_home: &Home, _name: &str) -> Result<Card, Failure> {
    Err(Failure::malformed("cards: not built yet"))
}
