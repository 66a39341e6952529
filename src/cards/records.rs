//! Record openings handed from the custodian to the patient: what a Cohort proof needs that
//! only the custodian's wallet holds, sealed to the patient's card (`record export-openings`)
//! and accepted into the patient's wallet (`record accept`).
//!
//! A Cohort proof ([`Home::cohort_statement`]) reads, besides the patient's secret and grant:
//! - an opening of the bundle's `Patient/id`, to find whose proof it is;
//! - the patient's latest condition summary, whose leaf the proof opens;
//! - the latest version, anchored before that summary, of each of the patient's Conditions:
//!   the summary's list is rebuilt from their codes and checked against its list hash.
//!
//! Exactly these are handed over, nothing else of the patient's record (no Observation,
//! Claim, Encounter…). The Conditions go as full openings although the proof reads only their
//! codes, because the wallet keeps openings (the patient checks each against the registry).
//!
//! HPKE's base mode does not authenticate the sender: anyone holding the patient's card can
//! seal a file to them. What makes an accepted opening trustworthy is the registry: each one
//! must commit to the leaf at its index in this home's replica, and together they must
//! rebuild the summary's list. The file names its recipient and the recipient key's
//! fingerprint in the clear; the fingerprint is the envelope's associated data.

use super::{seal_keypair, Card};
use crate::{
    fhir::codes::resource_identity,
    files::{read_limited, write_private_atomic},
    home::{Home, HomeError},
    records::summary::summarised_codes,
    registry::{RegistryError, Role},
    seal::{self, Envelope, Fingerprint, SealError},
    verifier::{fr_to_decimal, parse_fr_decimal},
    wallet::{records::import::RecordImportError, RecordOpening, WalletError, RECORD_LEAF_VERSION},
};
use ark_bn254::Fr;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};
use zkconsent_circuits::{
    cohort::ConditionSummary,
    record::{Record, RecordFields, RecordKind, ResourceIdentity, ScaledValue},
    types::{CodeId, EpochDay, IdentityId, RecordSalt, ResourceDigest, Timestamp},
};

/// Value of a record-openings file's `format`.
pub const RECORD_OPENINGS_FORMAT: &str = "zkconsent.record-openings";
/// Record-openings file version this build writes and reads.
pub const RECORD_OPENINGS_VERSION: u32 = 1;
/// HPKE `info` of a record-openings file: what the sealed bytes are.
pub const RECORD_OPENINGS_INFO: &[u8] = b"zkconsent.record-openings.v1";
/// Value of the sealed content's `format`.
pub const OPENING_SET_FORMAT: &str = "zkconsent.record-opening-set";
/// Largest file read: the envelope's ciphertext is at most 64 KiB, twice that in hex.
pub const MAX_RECORD_OPENINGS_BYTES: usize = 160 * 1024;
/// Longest resource id accepted (FHIR ids are at most 64 characters).
const MAX_RESOURCE_ID_BYTES: usize = 256;

/// Why record openings were not handed over or not accepted.
#[derive(Debug, thiserror::Error)]
pub enum RecordHandoffError {
    /// The home (registry, wallet, unknown patient…).
    #[error("{0}")]
    Home(#[from] HomeError),
    /// The file is unreadable, too large, or not a valid record-openings file.
    #[error("{0}")]
    Malformed(String),
    /// The card is not the named patient's (another id, or not a patient).
    #[error("the card of {card:?} is not the card of patient {patient:?} in this home's registry")]
    NotThePatientsCard {
        /// The card's name.
        card: String,
        /// The patient named.
        patient: String,
    },
    /// The custodian's wallet does not hold what a Cohort proof needs.
    #[error("cannot hand over {patient}'s openings: {reason}")]
    NotReady {
        /// The patient.
        patient: String,
        /// What is missing.
        reason: String,
    },
    /// No identity of this home holds the key the file is sealed to.
    #[error(
        "these record openings are sealed to {recipient}; this home does not hold {recipient}'s key"
    )]
    NotOurs {
        /// The recipient the file names.
        recipient: String,
    },
    /// The file does not open with the recipient's key: altered or damaged.
    #[error(
        "the record openings do not open with {recipient}'s key: they were altered or damaged \
         in transit"
    )]
    Altered {
        /// The identity whose key was tried.
        recipient: String,
    },
    /// Sealed to this home's identity, but about another patient (or it is not a patient).
    #[error("the record openings were sealed to {recipient} but are about another patient")]
    WrongPatient {
        /// The identity it was sealed to.
        recipient: String,
    },
    /// An opening is not the leaf at its index in this home's registry.
    #[error("record leaf {index}: {reason}")]
    NotInRegistry {
        /// Leaf index.
        index: u64,
        /// What differs.
        reason: String,
    },
    /// The wallet refused the openings (a different opening held at a leaf, a stale one).
    #[error("{0}")]
    Import(RecordImportError),
}

impl RecordHandoffError {
    fn malformed(reason: impl std::fmt::Display) -> Self {
        Self::Malformed(reason.to_string())
    }

    /// Whether the input can never succeed (exit 2) rather than being refused by this home's
    /// state (exit 1). [`RecordHandoffError::Home`] is classified by its own rules.
    pub fn is_malformed(&self) -> bool {
        match self {
            Self::Malformed(_) | Self::NotThePatientsCard { .. } | Self::Altered { .. } => true,
            Self::Home(_)
            | Self::NotReady { .. }
            | Self::NotOurs { .. }
            | Self::WrongPatient { .. }
            | Self::NotInRegistry { .. }
            | Self::Import(_) => false,
        }
    }
}

impl From<RegistryError> for RecordHandoffError {
    fn from(e: RegistryError) -> Self {
        Self::Home(e.into())
    }
}

impl From<WalletError> for RecordHandoffError {
    fn from(e: WalletError) -> Self {
        Self::Home(e.into())
    }
}

impl From<RecordImportError> for RecordHandoffError {
    fn from(e: RecordImportError) -> Self {
        match e {
            RecordImportError::Wallet(w) => w.into(),
            other => Self::Import(other),
        }
    }
}

/// The file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpeningsFileJson {
    format: String,
    version: u32,
    recipient: String,
    recipient_fingerprint: String,
    envelope: Envelope,
}

/// The sealed content: the patient's id and the openings (each commits to that id).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpeningSetJson {
    format: String,
    version: u32,
    patient: String,
    patient_name: String,
    openings: Vec<LeafJson>,
}

/// One opening: every committed field but the patient (the set's), and its leaf.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeafJson {
    index: u64,
    kind: u64,
    resource_id: String,
    code: String,
    date: u64,
    end_date: u64,
    value: u64,
    related_code: String,
    coverage: String,
    digest: String,
    identity: String,
    salt: String,
    anchored_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    superseded_by: Option<u64>,
}

impl LeafJson {
    fn of(o: &RecordOpening) -> Self {
        let f = &o.record.fields;
        Self {
            index: o.index,
            kind: f.kind.code(),
            resource_id: o.resource_id.clone(),
            code: fr_to_decimal(&f.code.0),
            date: f.date.0,
            end_date: f.end_date.0,
            value: f.value.0,
            related_code: fr_to_decimal(&f.related_code.0),
            coverage: fr_to_decimal(&f.coverage.0),
            digest: fr_to_decimal(&f.digest.0),
            identity: fr_to_decimal(&f.identity.0),
            salt: fr_to_decimal(&o.record.salt.0),
            anchored_at: o.anchored_at.0,
            superseded_by: o.superseded_by,
        }
    }

    fn opening(
        self,
        patient: IdentityId,
        patient_name: &str,
    ) -> Result<RecordOpening, RecordHandoffError> {
        let index = self.index;
        let bad = |reason: String| {
            RecordHandoffError::malformed(format!("sealed opening of leaf {index}: {reason}"))
        };
        let field = |name: &str, s: &str| -> Result<Fr, RecordHandoffError> {
            parse_fr_decimal(s).map_err(|e| bad(format!("{name}: {e}")))
        };
        let kind =
            RecordKind::from_code(self.kind).ok_or_else(|| bad(format!("kind {}", self.kind)))?;
        let id_ok = !self.resource_id.is_empty()
            && self.resource_id.len() <= MAX_RESOURCE_ID_BYTES
            && self.resource_id.bytes().all(|b| b.is_ascii_graphic());
        if !id_ok {
            return Err(bad("invalid resource id".into()));
        }
        Ok(RecordOpening {
            index,
            record: Record {
                fields: RecordFields {
                    kind,
                    code: CodeId(field("code", &self.code)?),
                    date: EpochDay(self.date),
                    end_date: EpochDay(self.end_date),
                    value: ScaledValue(self.value),
                    related_code: CodeId(field("related_code", &self.related_code)?),
                    coverage: CodeId(field("coverage", &self.coverage)?),
                    digest: ResourceDigest(field("digest", &self.digest)?),
                    identity: ResourceIdentity(field("identity", &self.identity)?),
                },
                patient,
                salt: RecordSalt(field("salt", &self.salt)?),
            },
            resource_id: self.resource_id,
            patient_name: patient_name.to_owned(),
            anchored_at: Timestamp(self.anchored_at),
            leaf_version: RECORD_LEAF_VERSION,
            superseded_by: self.superseded_by,
        })
    }
}

/// What `record export-openings` sealed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exported {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The leaves handed over, by index.
    pub indices: Vec<u64>,
    /// The condition summary's leaf.
    pub summary: u64,
}

/// What a Cohort proof for `patient` (the custodian's name for them) needs from `openings`:
/// the latest Patient opening, the latest condition summary and the Conditions its list is
/// rebuilt from, in leaf order. Mirrors [`Home::cohort_statement`] and
/// [`summarised_codes`].
fn cohort_openings(
    openings: &[RecordOpening],
    patient: &str,
    id: IdentityId,
) -> Result<Vec<RecordOpening>, String> {
    let theirs: Vec<&RecordOpening> = openings
        .iter()
        .filter(|o| o.patient_name == patient && o.record.patient == id)
        .collect();
    let latest = |kind: RecordKind| {
        theirs
            .iter()
            .filter(|o| o.record.fields.kind == kind)
            .max_by_key(|o| o.index)
            .copied()
    };
    let summary = latest(RecordKind::ConditionSummary)
        .ok_or("no condition summary is anchored for them: run `record summary` first")?;
    let person = latest(RecordKind::Patient)
        .ok_or("no Patient record is anchored for them: anchor their bundle first")?;
    for o in [summary, person] {
        o.provable().map_err(|e| e.to_string())?;
    }
    // The latest version of each Condition anchored before the summary, as
    // `summarised_codes` takes them (superseded since or not).
    let mut conditions: BTreeMap<&str, &RecordOpening> = BTreeMap::new();
    for o in theirs
        .iter()
        .filter(|o| o.record.fields.kind == RecordKind::Condition && o.index < summary.index)
    {
        let slot = conditions.entry(o.resource_id.as_str()).or_insert(o);
        if o.index > slot.index {
            *slot = o;
        }
    }
    let mut out: Vec<RecordOpening> = [person, summary]
        .into_iter()
        .chain(conditions.into_values())
        .cloned()
        .collect();
    if let Some(old) = out.iter().find(|o| o.leaf_version != RECORD_LEAF_VERSION) {
        return Err(format!(
            "{} (leaf {}) is of an old leaf version: anchor the bundle again and run `record \
             summary`",
            old.resource(),
            old.index
        ));
    }
    out.sort_by_key(|o| o.index);
    check_complete(&out)?;
    Ok(out)
}

/// The openings are one Patient, one condition summary and Conditions before it, which
/// rebuild the summary's list exactly (what the Cohort prover checks).
fn check_complete(openings: &[RecordOpening]) -> Result<(), String> {
    let of_kind = |kind: RecordKind| {
        openings
            .iter()
            .filter(move |o| o.record.fields.kind == kind)
    };
    let (Some(summary), None) = (
        of_kind(RecordKind::ConditionSummary).next(),
        of_kind(RecordKind::ConditionSummary).nth(1),
    ) else {
        return Err("not exactly one condition summary".into());
    };
    if of_kind(RecordKind::Patient).count() != 1 {
        return Err("not exactly one Patient record".into());
    }
    let extra = openings.iter().find(|o| match o.record.fields.kind {
        RecordKind::Patient | RecordKind::ConditionSummary => false,
        RecordKind::Condition => o.index > summary.index,
        _ => true,
    });
    if let Some(o) = extra {
        return Err(format!(
            "{} at leaf {} is not something a Cohort proof reads",
            o.resource(),
            o.index
        ));
    }
    let indices: BTreeSet<u64> = openings.iter().map(|o| o.index).collect();
    if indices.len() != openings.len() {
        return Err("two openings of one leaf".into());
    }
    let codes = summarised_codes(openings, &summary.patient_name, summary.index);
    let f = &summary.record.fields;
    let rebuilt =
        ConditionSummary::new(summary.record.patient, f.date, f.end_date, &codes, f.digest)
            .map_err(|e| format!("condition summary: {e}"))?;
    if rebuilt.list_hash() != f.code {
        return Err(format!(
            "the Conditions do not rebuild the condition summary at leaf {}",
            summary.index
        ));
    }
    Ok(())
}

/// Each opening commits to the leaf at its index in this home's registry: the Patient and
/// the summary in the tree now, a Condition in the tree or superseded since (its opening
/// saying so).
fn check_in_registry(home: &Home, openings: &[RecordOpening]) -> Result<(), RecordHandoffError> {
    for o in openings {
        let commitment = o.record.commit();
        let not_in = |reason: &str| RecordHandoffError::NotInRegistry {
            index: o.index,
            reason: reason.into(),
        };
        let leaf = home
            .registry
            .find_record(commitment)?
            .filter(|l| l.index == o.index)
            .ok_or_else(|| {
                not_in("this home's registry holds no such leaf there (is it synced?)")
            })?;
        let kind = o.record.fields.kind;
        // A FHIR resource's identity is its `Type/id`: this binds the id the prover matches
        // the bundle's Patient against (a summary's identity is its digest).
        if kind != RecordKind::ConditionSummary
            && o.record.fields.identity != resource_identity(kind.resource_type(), &o.resource_id)
        {
            return Err(not_in(
                "the opening's resource id is not the one it commits to",
            ));
        }
        match (leaf.is_present(), o.superseded_by) {
            (true, None) => {
                if home.registry.record_leaf(o.index)? != commitment.0 {
                    return Err(not_in("the registry's tree does not hold its commitment"));
                }
            }
            (false, Some(by)) if kind == RecordKind::Condition && by > o.index => {}
            (false, _) => return Err(not_in("superseded: its leaf is no longer in the tree")),
            (true, Some(_)) => {
                return Err(not_in("marked superseded, but its leaf is in the tree"))
            }
        }
    }
    Ok(())
}

/// Seals to `card` the openings a Cohort proof for `patient` needs (module docs), from this
/// (the custodian's) home.
///
/// # Errors
///
/// [`HomeError::UnknownIdentity`] or [`HomeError::WrongRole`] for the patient,
/// [`RecordHandoffError::NotThePatientsCard`], [`RecordHandoffError::NotReady`],
/// [`RecordHandoffError::NotInRegistry`] (the registry disagrees with the wallet), database
/// errors.
pub fn seal_record_openings<R: RngCore + CryptoRng>(
    home: &Home,
    patient: &str,
    card: &Card,
    rng: &mut R,
) -> Result<Exported, RecordHandoffError> {
    let registered =
        home.registry
            .identity(patient)?
            .ok_or_else(|| HomeError::UnknownIdentity {
                name: patient.into(),
            })?;
    if registered.role != Role::Patient {
        return Err(HomeError::WrongRole {
            name: patient.into(),
            actual: registered.role,
            expected: Role::Patient,
        }
        .into());
    }
    if card.id != registered.id || card.role != Role::Patient {
        return Err(RecordHandoffError::NotThePatientsCard {
            card: card.name.clone(),
            patient: patient.into(),
        });
    }
    let openings = cohort_openings(&home.wallet()?.record_openings()?, patient, registered.id)
        .map_err(|reason| RecordHandoffError::NotReady {
            patient: patient.into(),
            reason,
        })?;
    check_in_registry(home, &openings)?;
    let summary = openings
        .iter()
        .find(|o| o.record.fields.kind == RecordKind::ConditionSummary)
        .map(|o| o.index)
        .ok_or(HomeError::Inconsistent("a checked set without its summary"))?;
    let plaintext = serde_json::to_vec(&OpeningSetJson {
        format: OPENING_SET_FORMAT.into(),
        version: RECORD_OPENINGS_VERSION,
        patient: fr_to_decimal(&registered.id.0),
        patient_name: patient.into(),
        openings: openings.iter().map(LeafJson::of).collect(),
    })
    .map_err(RecordHandoffError::malformed)?;
    let fingerprint = card.fingerprint();
    let envelope = seal::seal(
        &card.seal_key,
        RECORD_OPENINGS_INFO,
        fingerprint.as_bytes(),
        &plaintext,
        rng,
    )
    .map_err(|e| RecordHandoffError::NotReady {
        patient: patient.into(),
        reason: format!("cannot seal {} openings to the card: {e}", openings.len()),
    })?;
    let mut bytes = serde_json::to_vec_pretty(&OpeningsFileJson {
        format: RECORD_OPENINGS_FORMAT.into(),
        version: RECORD_OPENINGS_VERSION,
        recipient: card.name.clone(),
        recipient_fingerprint: fingerprint.to_hex(),
        envelope,
    })
    .map_err(RecordHandoffError::malformed)?;
    bytes.push(b'\n');
    Ok(Exported {
        bytes,
        indices: openings.iter().map(|o| o.index).collect(),
        summary,
    })
}

/// [`seal_record_openings`], written to `out` (all or nothing, owner-only).
///
/// # Errors
///
/// As [`seal_record_openings`], and file errors ([`RecordHandoffError::Malformed`]).
pub fn write_record_openings<R: RngCore + CryptoRng>(
    home: &Home,
    patient: &str,
    card: &Card,
    out: &Path,
    rng: &mut R,
) -> Result<Exported, RecordHandoffError> {
    let exported = seal_record_openings(home, patient, card, rng)?;
    write_private_atomic(out, &exported.bytes)
        .map_err(|e| RecordHandoffError::malformed(format!("{}: {e}", out.display())))?;
    Ok(exported)
}

/// Record openings accepted into the patient's wallet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedOpenings {
    /// The patient: this home's identity the file was sealed to.
    pub patient_name: String,
    /// The leaves, by index.
    pub indices: Vec<u64>,
    /// The condition summary's leaf.
    pub summary: u64,
    /// How many openings the wallet did not hold yet (0: nothing changed).
    pub stored: usize,
}

/// Reads a record-openings file (bounded) and [`accept`]s it.
///
/// # Errors
///
/// As [`accept`]; an unreadable file is [`RecordHandoffError::Malformed`].
pub fn accept_file(home: &mut Home, path: &Path) -> Result<AcceptedOpenings, RecordHandoffError> {
    let bytes = read_limited(path, MAX_RECORD_OPENINGS_BYTES)
        .map_err(|e| RecordHandoffError::malformed(e.to_string()))?;
    accept(home, &bytes)
}

/// Accepts record openings: finds this home's identity whose seal key they are sealed to,
/// opens them, checks they are that patient's and form a complete Cohort hand-off whose
/// every opening is the registry's leaf at its index, and stores them in the wallet (the
/// same file again changes nothing).
///
/// # Errors
///
/// [`RecordHandoffError::Malformed`], [`RecordHandoffError::NotOurs`],
/// [`RecordHandoffError::Altered`], [`RecordHandoffError::WrongPatient`],
/// [`RecordHandoffError::NotInRegistry`], [`RecordHandoffError::Import`], database errors.
pub fn accept(home: &mut Home, bytes: &[u8]) -> Result<AcceptedOpenings, RecordHandoffError> {
    if bytes.len() > MAX_RECORD_OPENINGS_BYTES {
        return Err(RecordHandoffError::malformed(format!(
            "record openings larger than {MAX_RECORD_OPENINGS_BYTES} bytes"
        )));
    }
    let file: OpeningsFileJson = serde_json::from_slice(bytes)
        .map_err(|e| RecordHandoffError::malformed(format!("not a record-openings file: {e}")))?;
    if file.format != RECORD_OPENINGS_FORMAT || file.version != RECORD_OPENINGS_VERSION {
        return Err(RecordHandoffError::malformed(format!(
            "not a {RECORD_OPENINGS_FORMAT:?} file of version {RECORD_OPENINGS_VERSION}"
        )));
    }
    let fingerprint = Fingerprint::from_hex(&file.recipient_fingerprint)
        .map_err(|e| RecordHandoffError::malformed(format!("recipient_fingerprint: {e}")))?;
    let mut recipient = None;
    for identity in home.wallet()?.identities()? {
        let keypair = seal_keypair(&home.wallet()?.secret(&identity.name)?);
        if keypair.public_key().fingerprint() == fingerprint {
            recipient = Some((identity, keypair));
            break;
        }
    }
    let Some((identity, keypair)) = recipient else {
        return Err(RecordHandoffError::NotOurs {
            recipient: printable(&file.recipient),
        });
    };
    let plaintext = seal::open(
        &keypair,
        RECORD_OPENINGS_INFO,
        fingerprint.as_bytes(),
        &file.envelope,
    )
    .map_err(|e| match e {
        SealError::Open => RecordHandoffError::Altered {
            recipient: identity.name.clone(),
        },
        other => RecordHandoffError::malformed(other),
    })?;
    let bad = |reason: String| RecordHandoffError::malformed(format!("sealed openings: {reason}"));
    let set: OpeningSetJson = serde_json::from_slice(&plaintext).map_err(|e| bad(e.to_string()))?;
    if set.format != OPENING_SET_FORMAT || set.version != RECORD_OPENINGS_VERSION {
        return Err(bad(format!(
            "not a {OPENING_SET_FORMAT:?} of version {RECORD_OPENINGS_VERSION}"
        )));
    }
    let patient = parse_fr_decimal(&set.patient).map_err(|e| bad(format!("patient: {e}")))?;
    if identity.role != Role::Patient || patient != identity.id.0 {
        return Err(RecordHandoffError::WrongPatient {
            recipient: identity.name,
        });
    }
    let mut openings = set
        .openings
        .into_iter()
        .map(|leaf| leaf.opening(identity.id, &identity.name))
        .collect::<Result<Vec<_>, _>>()?;
    openings.sort_by_key(|o| o.index);
    check_complete(&openings).map_err(bad)?;
    check_in_registry(home, &openings)?;
    let stored = home
        .wallet_mut()?
        .import_record_openings(&identity.name, &openings)?;
    let summary = openings
        .iter()
        .find(|o| o.record.fields.kind == RecordKind::ConditionSummary)
        .map(|o| o.index)
        .ok_or(HomeError::Inconsistent("a checked set without its summary"))?;
    Ok(AcceptedOpenings {
        patient_name: identity.name,
        indices: openings.iter().map(|o| o.index).collect(),
        summary,
        stored,
    })
}

/// A name from a file, safe to print (the recipient field is not authenticated).
fn printable(name: &str) -> String {
    if zkconsent_store::identity::is_valid_name(name) {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}
