//! `zkconsent serve`: the verifier service (to be written).

use crate::{output::Out, Cli, Failure};
use clap::Args;

/// `serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0: a free port; the address is printed first).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: String,
}

pub(crate) fn run(_cli: &Cli, _args: &ServeArgs, _out: &mut Out) -> Result<(), Failure> {
    Err(Failure::malformed("serve: not built yet"))
}
