//! The registry service's `/v1` JSON API: one type per body, shared by the service
//! (`zkconsent-service`) and its client ([`super::client`]). Field elements are decimal
//! strings (as everywhere in zkconsent's JSON), proofs hex of their compressed bytes, times
//! Unix seconds. Every body is a closed object: unknown fields are refused.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /healthz` | | `ok` |
//! | `GET /metrics` | | Prometheus text |
//! | `GET /v1/info` | | [`Info`] |
//! | `GET /v1/params` | | [`ParamsList`] |
//! | `GET /v1/params/{name}` | | the file's bytes |
//! | `GET /v1/log?identities_after=&grants_after=&records_after=&limit=` | | [`LogPage`] |
//! | `POST /v1/identities` | [`NewIdentity`] | [`IdentityAck`] |
//! | `POST /v1/grants` | [`IssueGrant`] | [`GrantAck`] |
//! | `POST /v1/grants/{index}/revoke` | [`RevokeGrant`] | [`GrantAck`] |
//! | `POST /v1/records` (custodians: `Authorization: Bearer TOKEN`) | [`AnchorRecords`] | [`AnchorAck`] |
//!
//! Every write is idempotent: sending the same body again (a retry after a timeout) answers
//! with the first outcome and changes nothing. Errors answer [`ApiError`] with status 400
//! (malformed), 401 (no or wrong custodian token), 403 (an authority proof that does not
//! verify), 404 (unknown grant or file), 409 (conflicts with what is registered: a name taken
//! by another id, leaves anchored differently), 422 (refused: a full tree, an empty leaf),
//! 503 (busy; retry) or 500.

use serde::{Deserialize, Serialize};

/// `Info::format`.
pub const REGISTRY_API_FORMAT: &str = "zkconsent.registry";
/// `Info::api`: the version in the paths (`/v1`).
pub const REGISTRY_API_VERSION: u32 = 1;
/// Most entries of each kind one [`LogPage`] holds (and the default `limit`).
pub const MAX_LOG_PAGE: u64 = 1000;
/// Largest request body the service reads, in bytes (an anchoring of many leaves).
pub const MAX_REQUEST_BODY: usize = 4 << 20;

/// `GET /v1/info`: what the registry is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Info {
    /// [`REGISTRY_API_FORMAT`].
    pub format: String,
    /// [`REGISTRY_API_VERSION`].
    pub api: u32,
    /// Both trees' depth.
    pub depth: usize,
    /// SHA-256 (hex) of the params directory's `manifest.json`: a client's params must be
    /// these (which pins every key by its hash).
    pub manifest_sha256: String,
    /// The current heads.
    pub heads: Heads,
}

/// `GET /v1/params`: the params directory's files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsList {
    /// `manifest.json` first, then every key file it names.
    pub files: Vec<ParamsFile>,
}

/// One params file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsFile {
    /// File name inside the params directory.
    pub name: String,
    /// SHA-256 (hex) of its bytes.
    pub sha256: String,
    /// Its length.
    pub bytes: u64,
}

/// How far each log goes, and the roots at that point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heads {
    /// Sequence number of the last identity registered (0: none).
    pub identities: u64,
    /// Sequence number of the last grant event (0: none).
    pub grant_events: u64,
    /// Sequence number of the last record anchoring (0: none).
    pub record_events: u64,
    /// The grants root after `grant_events`.
    pub grants_root: String,
    /// The records root after `record_events`.
    pub records_root: String,
}

/// `GET /v1/log`: entries after the given sequence numbers, at most `limit` of each kind,
/// in order, with the heads at the time of reading (a page may stop before them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogPage {
    /// Identities registered.
    pub identities: Vec<IdentityEntry>,
    /// Grant issues and revocations, each with its authority proof.
    pub grant_events: Vec<GrantEventEntry>,
    /// Record anchorings.
    pub record_events: Vec<RecordEventEntry>,
    /// The heads when the page was read.
    pub heads: Heads,
}

/// One registered identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// Unique name.
    pub name: String,
    /// `patient`, `clinician` or `verifier`.
    pub role: String,
    /// Public id.
    pub id: String,
}

/// One grant event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantEventEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// `issue` or `revoke`.
    pub kind: String,
    /// The leaf acted on.
    pub leaf_index: u64,
    /// The grant commitment (for a revoke, the one zeroed).
    pub commitment: String,
    /// The authority proof, hex of its compressed bytes.
    pub proof: String,
    /// Grants root before.
    pub root_before: String,
    /// Grants root after.
    pub root_after: String,
    /// When, Unix seconds.
    pub at: u64,
}

/// One record anchoring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordEventEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// Index of the first leaf appended.
    pub first_index: u64,
    /// The leaves appended, in order.
    pub leaves: Vec<String>,
    /// Earlier leaves emptied, in the order given.
    pub superseded: Vec<u64>,
    /// Records root before.
    pub root_before: String,
    /// Records root after.
    pub root_after: String,
    /// When, Unix seconds.
    pub at: u64,
}

/// `POST /v1/identities`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIdentity {
    /// Unique name.
    pub name: String,
    /// `patient`, `clinician` or `verifier`.
    pub role: String,
    /// Public id.
    pub id: String,
}

/// The answer to [`NewIdentity`] (also to its retry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityAck {
    /// Its sequence number.
    pub seq: u64,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Public id.
    pub id: String,
}

/// `POST /v1/grants`: a new grant leaf with its issue proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueGrant {
    /// The grant commitment.
    pub commitment: String,
    /// The authority proof for `(issue, commitment)`, hex.
    pub proof: String,
}

/// `POST /v1/grants/{index}/revoke`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeGrant {
    /// The authority proof for `(revoke, commitment at index)`, hex.
    pub proof: String,
}

/// The answer to [`IssueGrant`] and [`RevokeGrant`] (also to their retries).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantAck {
    /// The leaf.
    pub index: u64,
    /// `active` or `revoked`, now.
    pub status: String,
    /// Sequence number of the event that did it.
    pub event_seq: u64,
    /// Grants root after that event.
    pub root: String,
    /// When that event happened, Unix seconds.
    pub at: u64,
}

/// `POST /v1/records`: a custodian's anchoring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorRecords {
    /// Leaves to append, in order (at least one).
    pub leaves: Vec<String>,
    /// Earlier leaves to empty in the same transition.
    pub superseded: Vec<u64>,
}

/// The answer to [`AnchorRecords`] (also to its retry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorAck {
    /// Sequence number of the anchoring.
    pub event_seq: u64,
    /// Index of the first leaf appended.
    pub first_index: u64,
    /// Leaves appended.
    pub count: u64,
    /// Records root after.
    pub root: String,
    /// When, Unix seconds.
    pub at: u64,
}

/// Every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// A stable code: `malformed`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `refused`, `busy`, `internal`.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
}
