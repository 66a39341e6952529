//! `zkconsent registry serve`: the registry service (to be written).

use crate::{output::Out, Cli, Failure};
use clap::Args;

/// `registry serve`.
#[derive(Args, Debug)]
pub struct RegistryServeArgs {
    /// Address to listen on (port 0: a free port; the address is printed first).
    #[arg(long, default_value = "127.0.0.1:8786")]
    pub listen: String,
}

pub(crate) fn run(_cli: &Cli, _args: &RegistryServeArgs, _out: &mut Out) -> Result<(), Failure> {
    Err(Failure::malformed("registry serve: not built yet"))
}
