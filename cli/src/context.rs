//! What every command needs from its environment: the home, and the one rule that turns a
//! home error into a failure.

use crate::{Cli, Failure};
use zkconsent::{
    home::{Home, HomeError},
    verify::VerifyFailure,
};

pub(crate) fn open(cli: &Cli) -> Result<Home, Failure> {
    Home::open(&cli.home).map_err(|e| {
        Failure::malformed(format!(
            "{}: {e} (run `zkconsent setup --home {}` first)",
            cli.home.display(),
            cli.home.display()
        ))
    })
}

/// The one rule from a home error to an exit code: input that can never succeed (an unknown
/// identity, a wrong role, an impossible request) and an unusable home are 2 from every
/// command; a refusal of a well-formed operation (a false statement, a registry or wallet
/// refusal) is 1.
impl From<HomeError> for Failure {
    fn from(e: HomeError) -> Self {
        match e {
            HomeError::Invalid(_)
            | HomeError::UnknownIdentity { .. }
            | HomeError::WrongRole { .. }
            | HomeError::HomeExists(_)
            | HomeError::DepthMismatch { .. }
            | HomeError::Encoding { .. }
            | HomeError::Inconsistent(_) => Failure::malformed(e),
            HomeError::Card(ref c) if c.is_malformed() => Failure::malformed(e),
            HomeError::Registry(_)
            | HomeError::Wallet(_)
            | HomeError::Prover(_)
            | HomeError::Card(_) => Failure::refused(e),
        }
    }
}

/// A verifier's verdict: rejected is 1, malformed is 2, from `verify`, `verify-snarkjs` and
/// every other command that verifies.
impl From<VerifyFailure> for Failure {
    fn from(failure: VerifyFailure) -> Self {
        match failure {
            VerifyFailure::Rejected(reason) => Failure::refused(format!("invalid: {reason}")),
            VerifyFailure::Malformed(reason) => Failure::malformed(format!("malformed: {reason}")),
        }
    }
}

/// [`Failure::from`] a home error, for `map_err`.
pub(crate) fn refused(e: HomeError) -> Failure {
    Failure::from(e)
}

/// Reads a request file: unreadable, malformed or altered is exit 2.
pub(crate) fn read_request(path: &std::path::Path) -> Result<zkconsent::request::Request, Failure> {
    zkconsent::request::Request::read(path).map_err(Failure::malformed)
}

/// Reads and extracts a FHIR bundle (or a single resource); malformed input is exit 2.
pub(crate) fn read_bundle(file: &std::path::Path) -> Result<zkconsent::fhir::Extraction, Failure> {
    let bytes = zkconsent::files::read_limited(file, zkconsent::fhir::MAX_BUNDLE_BYTES)
        .map_err(Failure::malformed)?;
    zkconsent::fhir::extract(&bytes)
        .map_err(|e| Failure::malformed(format!("{}: {e}", file.display())))
}
