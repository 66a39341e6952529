//! `join` and `sync` (to be written).

use crate::{output::Out, Cli, Failure};
use std::path::Path;

pub(crate) fn join(_cli: &Cli, _token_file: Option<&Path>, _out: &mut Out) -> Result<(), Failure> {
    Err(Failure::malformed("join: not built yet"))
}

pub(crate) fn sync(_cli: &Cli, _out: &mut Out) -> Result<(), Failure> {
    Err(Failure::malformed("sync: not built yet"))
}

pub(crate) fn demo_parties(_dir: &Path, _depth: usize, _out: &mut Out) -> Result<(), Failure> {
    Err(Failure::malformed("demo --parties: not built yet"))
}
