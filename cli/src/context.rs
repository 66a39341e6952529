//! What every command needs from its environment: the home, and the one rule that turns a
//! home error into a failure.

use crate::{Cli, Failure};
use zkconsent::home::{Home, HomeError};

pub(crate) fn open(cli: &Cli) -> Result<Home, Failure> {
    Home::open(&cli.home).map_err(|e| {
        Failure::malformed(format!(
            "{}: {e} (run `zkconsent setup --home {}` first)",
            cli.home.display(),
            cli.home.display()
        ))
    })
}

pub(crate) fn refused(e: HomeError) -> Failure {
    match e {
        // Input that can never succeed, the same exit from every command.
        HomeError::Invalid(_) | HomeError::UnknownIdentity { .. } | HomeError::WrongRole { .. } => {
            Failure::malformed(e)
        }
        _ => Failure::refused(e),
    }
}

/// Reads a request file: unreadable, malformed or altered is exit 2.
pub(crate) fn read_request(path: &std::path::Path) -> Result<zkconsent::request::Request, Failure> {
    zkconsent::request::Request::read(path).map_err(Failure::malformed)
}
