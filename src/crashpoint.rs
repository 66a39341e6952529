//! Named points between the steps of a write that spans the wallet and a registry, where the
//! crash-consistency test (`tests/crash.rs`) stops the process dead: with
//! `ZKCONSENT_CRASH_AT=<point>` set, the process aborts there (no destructor, no flush, the
//! same for the files as `kill -9`). Unset, a point costs one environment lookup.

/// The environment variable naming the point to abort at.
pub const CRASH_ENV: &str = "ZKCONSENT_CRASH_AT";

/// Every point, for the test to walk.
pub const POINTS: [&str; 5] = [
    IDENTITY_STORED,
    GRANT_PENDING,
    GRANT_SUBMITTED,
    REVOKE_SUBMITTED,
    RECORDS_SUBMITTED,
];

/// An identity's secret is in the wallet; the registry has not seen it.
pub const IDENTITY_STORED: &str = "identity-stored";
/// A grant's opening is pending in the wallet; the registry has not seen it.
pub const GRANT_PENDING: &str = "grant-pending";
/// The registry holds the grant; the wallet's opening is still pending.
pub const GRANT_SUBMITTED: &str = "grant-submitted";
/// The registry revoked the grant; the command has not answered.
pub const REVOKE_SUBMITTED: &str = "revoke-submitted";
/// The registry holds the record leaves; the wallet has not committed their openings.
pub const RECORDS_SUBMITTED: &str = "records-submitted";

/// Aborts the process if [`CRASH_ENV`] names `point`.
pub fn hit(point: &str) {
    if std::env::var_os(CRASH_ENV).is_some_and(|v| v == point) {
        std::process::abort();
    }
}
