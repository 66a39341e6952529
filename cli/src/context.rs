//! What every command needs from its environment: the home, and the one rule that turns a
//! home error into a failure.

use crate::{Cli, Failure};
use zkconsent::{
    home::{Home, HomeError},
    reconcile::ReconcileReport,
    registry::RegistryError,
    remote::{client::RemoteError, replica::ReplicaError},
    verify::VerifyFailure,
};

/// Opens the home, brings a replica up to date with its registry service, and finishes
/// writes a crash interrupted ([`Home::reconcile`]).
pub(crate) fn open(cli: &Cli) -> Result<Home, Failure> {
    let mut home = open_only(cli)?;
    sync_replica(cli, &mut home)?;
    let report = home.reconcile().map_err(Failure::from)?;
    say_reconciled(&report);
    Ok(home)
}

/// Opens the home for a command that needs no secret (verifying a proof): the params and the
/// registry (a replica brought up to date), never the wallet, so no passphrase is asked and
/// no key is derived. Interrupted writes are left for the next command that opens the wallet
/// (finishing them needs it); a request the index lacks is still looked up in the wallet.
pub(crate) fn open_public(cli: &Cli) -> Result<Home, Failure> {
    let mut home = Home::open_for_reading(&cli.home).map_err(|e| home_failure(cli, e))?;
    sync_replica(cli, &mut home)?;
    Ok(home)
}

/// A replica brought up to date with the registry service it names (`--registry` must name
/// the same one).
fn sync_replica(cli: &Cli, home: &mut Home) -> Result<(), Failure> {
    if let Some(url) = &cli.registry {
        let configured = home.remote().map(|c| c.location());
        if configured.as_deref() != Some(url.trim_end_matches('/')) {
            return Err(Failure::malformed(format!(
                "{} does not replicate {url}: run `zkconsent --home DIR --registry {url} join` \
                 for a new home",
                cli.home.display()
            )));
        }
    }
    match home.sync() {
        Ok(_) => Ok(()),
        // Offline, the replica as last synced still proves and verifies (root ages bound
        // how stale it may be); a replica the service contradicts is never used.
        Err(HomeError::Remote(ReplicaError::Remote(e))) if e.status().is_none() => {
            note(format!("warning: {e}; using the replica as last synced"));
            Ok(())
        }
        Err(e) => Err(Failure::from(e)),
    }
}

/// Opens the home as it is, wallet included: no sync, no reconciling (for commands that only
/// read files, and the services, which sync on their own schedule).
pub(crate) fn open_only(cli: &Cli) -> Result<Home, Failure> {
    let home = open_home(cli)?;
    // Opened now: a wrong passphrase or a damaged wallet stops the command before it starts.
    let wallet = home.wallet().map_err(|e| home_failure(cli, e))?;
    if !wallet.is_sealed() {
        note(format!(
            "warning: {} is not encrypted; `zkconsent wallet seal` encrypts it",
            wallet.file_path().display()
        ));
    }
    Ok(home)
}

/// Opens the home's params and registry; the wallet opens on first use.
fn open_home(cli: &Cli) -> Result<Home, Failure> {
    Home::open(&cli.home).map_err(|e| home_failure(cli, e))
}

/// A home that cannot be opened: damaged or locked parts are named; anything else is taken
/// for a home not set up yet.
fn home_failure(cli: &Cli, e: HomeError) -> Failure {
    match e {
        // A locked or damaged wallet or registry: the home exists, setting it up again is
        // no advice.
        HomeError::Wallet(ref w) if w.is_unusable() => {
            Failure::malformed(format!("{}: {e}", cli.home.display()))
        }
        HomeError::Registry(ref r) if r.is_unusable() && !matches!(r, RegistryError::Io(_)) => {
            Failure::malformed(format!("{}: {e}", cli.home.display()))
        }
        HomeError::Prover(ref p) if p.is_unusable_params() && !p.is_missing_file() => {
            Failure::malformed(format!("{}: {e}", cli.home.display()))
        }
        _ => Failure::malformed(format!(
            "{}: {e} (run `zkconsent setup --home {}` first, or `join`)",
            cli.home.display(),
            cli.home.display()
        )),
    }
}

/// A line on stderr, so `--json` output stays one object.
fn note(text: String) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn say_reconciled(report: &ReconcileReport) {
    for name in &report.identities_registered {
        note(format!(
            "finished an interrupted write: identity {name} registered"
        ));
    }
    for index in report
        .grants_settled
        .iter()
        .chain(&report.grants_resubmitted)
    {
        note(format!(
            "finished an interrupted write: grant {index} issued"
        ));
    }
    for (first, count) in &report.anchorings_settled {
        note(format!(
            "finished an interrupted write: {count} record leaves anchored from leaf {first}"
        ));
    }
    for why in &report.grants_dropped {
        note(format!("an interrupted grant issue was refused: {why}"));
    }
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
            HomeError::Remote(ref r) => remote_failure(r, &e),
            HomeError::RemoteConfig(_) => Failure::malformed(e),
            HomeError::Wallet(ref w) if w.is_unusable() => Failure::malformed(e),
            HomeError::Registry(ref r) if r.is_unusable() => Failure::malformed(e),
            HomeError::Prover(ref p) if p.is_unusable_params() => Failure::malformed(e),
            HomeError::SecretMismatch { .. } => Failure::malformed(e),
            HomeError::Registry(_)
            | HomeError::Wallet(_)
            | HomeError::Prover(_)
            | HomeError::Card(_) => Failure::refused(e),
        }
    }
}

/// A service's refusal of a well-formed write (a proof that does not verify, a conflict, a
/// full tree) is 1; everything else about the service (unreachable, a malformed request,
/// a replica it contradicts) is 2.
fn remote_failure(r: &ReplicaError, e: &HomeError) -> Failure {
    match r {
        ReplicaError::Remote(RemoteError::Api {
            status: 401 | 403 | 404 | 409 | 422,
            ..
        }) => Failure::refused(e),
        ReplicaError::Local(_) | ReplicaError::Upstream { refused: true, .. } => {
            Failure::refused(e)
        }
        _ => Failure::malformed(e),
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
