//! Anchoring: which candidates are new, new versions or already anchored, and which live
//! leaves they supersede. Idempotency lives here, because only the custodian knows which
//! resource a salted leaf commits to. The key is `(kind, resource id, digest)`:
//! - the identical resource again is already anchored, with its leaf index, if its leaf is
//!   live and of the current leaf version;
//! - otherwise the resource gets a new leaf, which supersedes every live leaf of its
//!   `Type/id` (the earlier version, or the version-2 leaves of a wallet from before schema
//!   version 4): the registry empties them in the same transition and the wallet marks their
//!   openings superseded (kept for audit, no longer provable). So the tree holds one leaf per
//!   resource, its latest version;
//! - a resource anchored for one patient is never re-anchored for another, and a FHIR
//!   document must be the FHIR patient bound to the zkconsent patient ([`crate::binding`]).
//!
//! Within one batch the version a resource ends with is its last candidate's digest: the
//! first candidate with that digest is the one anchored (or found already anchored), later
//! copies of it are reported already anchored, and candidates with another digest are
//! reported [`AnchorStatus::SupersededInBatch`] (never appended: a version nobody can prove
//! is not worth a leaf).
//!
//! [`Wallet::anchor_records`] works in three steps, so that no leaf is ever in the registry
//! while its opening exists nowhere ([`super::pending`]): one wallet transaction decides all
//! this and writes the new leaves' openings as a pending anchoring; the registry appends the
//! new leaves and empties the superseded ones; a second transaction stores the openings at
//! their indices. A pending anchoring takes its resources and patient: another anchoring of
//! them is refused until it settles, so two concurrent anchorings of one bundle cannot both
//! count a resource as new.

use super::{pending, resource_ref, Wallet, WalletError, RECORD_LEAF_VERSION};
use crate::binding::{self, FhirPatient};
use rusqlite::Connection;
use std::collections::HashMap;
use zkconsent_circuits::{
    record::{Record, RecordKind},
    types::{IdentityId, RecordCommitment, ResourceDigest, Timestamp},
};
use zkconsent_store::{
    codec::{fr_col, fr_to_blob, text_col, u64_col, u64_to_sql},
    identity::is_valid_name,
};

/// A resource offered for anchoring: its id, its full tuple (with a fresh salt, used only
/// if the resource turns out to be new) and the FHIR patient it is about.
#[derive(Clone, Debug)]
pub struct RecordCandidate {
    /// The FHIR resource id.
    pub resource_id: String,
    /// The tuple to commit.
    pub record: Record,
    /// The FHIR patient the resource is about (`Patient/id` when resolvable, else the
    /// reference as written), `None` if it names none. Checked for
    /// [`RecordSource::Document`] only.
    pub subject: Option<String>,
}

/// Where a batch of candidates comes from, which decides the patient checks.
#[derive(Clone, Copy, Debug)]
pub enum RecordSource<'a> {
    /// The resources of one FHIR document, whose Patient resources are these: the document's
    /// FHIR patient is checked against, and bound to, the zkconsent patient
    /// ([`crate::binding`]).
    Document(&'a [FhirPatient]),
    /// Records the custodian derived from openings already in the wallet for this patient
    /// (a condition summary): no document, so no FHIR patient to check or bind.
    Derived,
}

/// What anchoring did with one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorStatus {
    /// First anchoring of this `Type/id`.
    Anchored,
    /// This `Type/id` had a live leaf (another version, or the identical resource under the
    /// old leaf version), which this new leaf supersedes.
    NewVersion {
        /// Leaf index of the latest superseded leaf.
        previous: u64,
    },
    /// The identical resource is already anchored (nothing appended).
    AlreadyAnchored,
    /// A later candidate of the same batch is another version of this resource: this one
    /// is not anchored, and the outcome's index is the later version's leaf.
    SupersededInBatch,
}

impl AnchorStatus {
    /// [`AnchorStatus::Anchored`]'s name.
    pub const ANCHORED: &'static str = "anchored";
    /// [`AnchorStatus::NewVersion`]'s name (whatever the previous leaf).
    pub const NEW_VERSION: &'static str = "new_version";
    /// [`AnchorStatus::AlreadyAnchored`]'s name.
    pub const ALREADY_ANCHORED: &'static str = "already_anchored";
    /// [`AnchorStatus::SupersededInBatch`]'s name.
    pub const SUPERSEDED_IN_BATCH: &'static str = "superseded_in_batch";

    /// Short name for output: `anchored`, `new_version`, `already_anchored`,
    /// `superseded_in_batch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anchored => Self::ANCHORED,
            Self::NewVersion { .. } => Self::NEW_VERSION,
            Self::AlreadyAnchored => Self::ALREADY_ANCHORED,
            Self::SupersededInBatch => Self::SUPERSEDED_IN_BATCH,
        }
    }
}

/// One resource's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchoredRecord {
    /// Its kind.
    pub kind: RecordKind,
    /// Its FHIR id.
    pub resource_id: String,
    /// Its leaf index: the existing one when already anchored, the later version's for
    /// [`AnchorStatus::SupersededInBatch`].
    pub index: u64,
    /// What happened.
    pub status: AnchorStatus,
}

/// A leaf index known now, or the position of a leaf in this batch (known after appending).
#[derive(Clone, Copy)]
enum Slot {
    Stored(u64),
    Pending(u64),
}

/// A candidate's outcome before the batch's leaves have indices.
#[derive(Clone, Copy)]
enum Outcome {
    /// The identical resource is anchored (or earlier in this batch) at this slot.
    Already(Slot),
    /// Appended at this batch position; `previous` is the latest leaf it supersedes.
    New { pos: u64, previous: Option<u64> },
    /// Another version later in the batch is the resource's, at this slot.
    SupersededInBatch(Slot),
}

/// A resource across its versions.
type ResourceKey<'a> = (RecordKind, &'a str);

/// A live leaf of a resource: its index, leaf version and digest.
struct LiveLeaf {
    index: u64,
    leaf_version: u32,
    digest: ResourceDigest,
}

/// The live (not superseded) leaves of a resource, by leaf index.
fn live_leaves(conn: &Connection, key: ResourceKey<'_>) -> Result<Vec<LiveLeaf>, WalletError> {
    let mut stmt = conn.prepare_cached(
        "SELECT leaf_index, leaf_version, digest FROM records
         WHERE kind = ?1 AND resource_id = ?2 AND superseded_by IS NULL ORDER BY leaf_index",
    )?;
    let mut rows = stmt.query((u64_to_sql(key.0.code()), key.1))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(LiveLeaf {
            index: u64_col(row, 0, "records.leaf_index")?,
            // Any other value is not the current version, which is all that matters here.
            leaf_version: u32::try_from(u64_col(row, 1, "records.leaf_version")?)
                .unwrap_or_default(),
            digest: ResourceDigest(fr_col(row, 2, "records.digest")?),
        });
    }
    Ok(out)
}

/// The patient (id and name) of the latest anchored version of a resource, if any.
fn anchored_for(
    conn: &Connection,
    key: ResourceKey<'_>,
) -> Result<Option<(IdentityId, String)>, WalletError> {
    let mut stmt = conn.prepare_cached(
        "SELECT patient, patient_name FROM records WHERE kind = ?1 AND resource_id = ?2
         ORDER BY leaf_index DESC LIMIT 1",
    )?;
    let mut rows = stmt.query((u64_to_sql(key.0.code()), key.1))?;
    match rows.next()? {
        Some(row) => Ok(Some((
            IdentityId(fr_col(row, 0, "records.patient")?),
            text_col(row, 1, "records.patient_name")?,
        ))),
        None => Ok(None),
    }
}

/// Stores the opening of `record` (the resource `resource_id`) at leaf `index`.
pub(super) fn insert(
    conn: &Connection,
    index: u64,
    resource_id: &str,
    record: &Record,
    patient_name: &str,
    now: Timestamp,
) -> Result<(), WalletError> {
    let f = &record.fields;
    conn.prepare_cached(
        "INSERT INTO records (leaf_index, kind, resource_id, code, date, end_date, value,
             related_code, patient, coverage, digest, salt, patient_name, anchored_at,
             identity, leaf_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(rusqlite::params![
        u64_to_sql(index),
        u64_to_sql(f.kind.code()),
        resource_id,
        fr_to_blob(&f.code.0),
        u64_to_sql(f.date.0),
        u64_to_sql(f.end_date.0),
        u64_to_sql(f.value.0),
        fr_to_blob(&f.related_code.0),
        fr_to_blob(&record.patient.0),
        fr_to_blob(&f.coverage.0),
        fr_to_blob(&f.digest.0),
        fr_to_blob(&record.salt.0),
        patient_name,
        u64_to_sql(now.0),
        fr_to_blob(&f.identity.0),
        RECORD_LEAF_VERSION,
    ])?;
    Ok(())
}

/// Marks the leaves at `indices` superseded by the leaf at `by`.
pub(super) fn supersede(conn: &Connection, indices: &[u64], by: u64) -> Result<(), WalletError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE records SET superseded_by = ?1 WHERE leaf_index = ?2 AND superseded_by IS NULL",
    )?;
    for &index in indices {
        stmt.execute((u64_to_sql(by), u64_to_sql(index)))?;
    }
    Ok(())
}

/// What a batch does (module docs), decided before anything is written.
struct Plan<'c> {
    /// One per candidate, in order.
    outcomes: Vec<Outcome>,
    /// The candidates to append, in order, each with the live leaves it supersedes.
    new: Vec<(&'c RecordCandidate, Vec<u64>)>,
}

fn key(c: &RecordCandidate) -> ResourceKey<'_> {
    (c.record.fields.kind, c.resource_id.as_str())
}

/// The candidates of one resource in a batch.
struct Group {
    /// Its last candidate's digest: the version the batch leaves the resource at.
    last_digest: ResourceDigest,
    /// The first candidate with that digest: the one anchored, or found anchored.
    first: usize,
}

/// Decides every candidate's outcome (module docs) against the wallet's openings.
fn plan<'c>(conn: &Connection, candidates: &'c [RecordCandidate]) -> Result<Plan<'c>, WalletError> {
    let mut ids: HashMap<ResourceKey<'_>, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of = vec![0; candidates.len()];
    // Backwards, so the first candidate seen of a resource is its last.
    for (i, c) in candidates.iter().enumerate().rev() {
        let digest = c.record.fields.digest;
        let g = *ids.entry(key(c)).or_insert_with(|| {
            groups.push(Group {
                last_digest: digest,
                first: i,
            });
            groups.len() - 1
        });
        if groups[g].last_digest == digest {
            groups[g].first = i;
        }
        group_of[i] = g;
    }
    // Leaves are appended in the document order of the candidates anchored.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| groups[g].first);
    let mut slots = vec![Slot::Pending(0); groups.len()]; // every group's is set below
    let mut decided: Vec<Option<Outcome>> = vec![None; candidates.len()];
    let mut new = Vec::new();
    for g in order {
        let c = &candidates[groups[g].first];
        let k = key(c);
        if let Some((patient, name)) = anchored_for(conn, k)? {
            if patient != c.record.patient {
                return Err(WalletError::RecordOfAnotherPatient {
                    resource: resource_ref(k.0, k.1),
                    patient: name,
                });
            }
        }
        let live = live_leaves(conn, k)?;
        let same = live
            .iter()
            .find(|l| l.leaf_version == RECORD_LEAF_VERSION && l.digest == c.record.fields.digest);
        let outcome = match same {
            Some(l) => {
                slots[g] = Slot::Stored(l.index);
                Outcome::Already(slots[g])
            }
            None => {
                let pos = new.len() as u64;
                slots[g] = Slot::Pending(pos);
                new.push((c, live.iter().map(|l| l.index).collect()));
                Outcome::New {
                    pos,
                    previous: live.last().map(|l| l.index),
                }
            }
        };
        decided[groups[g].first] = Some(outcome);
    }
    let outcomes = candidates
        .iter()
        .zip(decided)
        .zip(group_of)
        .map(|((c, decided), g)| match decided {
            Some(outcome) => outcome,
            None if c.record.fields.digest == groups[g].last_digest => Outcome::Already(slots[g]),
            None => Outcome::SupersededInBatch(slots[g]),
        })
        .collect();
    Ok(Plan { outcomes, new })
}

impl Wallet {
    /// Anchors the new resources among `candidates` (all for the patient named
    /// `patient_name`, whose id is in each record; from `source`): checks the document's
    /// FHIR patient ([`crate::binding`]), decides which candidates are new, new versions or
    /// already anchored and which live leaves they supersede (module docs), calls `append`
    /// with the new leaves in order and the superseded leaf indices, ascending (it returns
    /// the first leaf index the registry assigned), then stores the openings, marks the
    /// superseded ones and binds the FHIR patient. `append` is not called when nothing is
    /// new. Returns one outcome per candidate, in order.
    ///
    /// The new openings are written as a pending anchoring before `append` is called
    /// ([`super::pending`]); if `append` fails, or storing the openings fails after it, the
    /// anchoring stays pending (the leaves may have landed): [`Wallet::pending_anchorings`],
    /// then [`Wallet::settle_anchoring`] or [`Wallet::drop_anchoring`], finish it.
    ///
    /// # Errors
    ///
    /// [`WalletError::InvalidName`], [`WalletError::RecordOfAnotherPatient`], the document
    /// refusals of [`crate::binding`] ([`WalletError::BundleHoldsTwoPatients`],
    /// [`WalletError::RecordAboutAnotherFhirPatient`], [`WalletError::UnknownBundlePatient`],
    /// [`WalletError::BoundToAnotherFhirPatient`], [`WalletError::FhirPatientOfAnother`]),
    /// [`WalletError::Sqlite`] with code `DatabaseBusy` if a pending anchoring holds one
    /// of the resources, the patient or the FHIR patient (nothing changes in any of these
    /// cases), `append`'s error (the anchoring stays pending), or a database error (after
    /// `append`: the anchoring stays pending).
    pub fn anchor_records<E: From<WalletError>>(
        &mut self,
        candidates: &[RecordCandidate],
        patient_name: &str,
        source: RecordSource<'_>,
        now: Timestamp,
        append: impl FnOnce(&[RecordCommitment], &[u64]) -> Result<u64, E>,
    ) -> Result<Vec<AnchoredRecord>, E> {
        if !is_valid_name(patient_name) {
            return Err(WalletError::InvalidName.into());
        }
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // Phase 1, one transaction: decide, and write what is to be anchored as pending.
        let tx = self.begin()?;
        let fhir_patient = match source {
            RecordSource::Document(patients) => Some(binding::check_document(
                &tx,
                patient_name,
                patients,
                candidates,
            )?),
            RecordSource::Derived => None,
        };
        pending::check_free(&tx, patient_name, fhir_patient.as_ref(), candidates)?;
        let Plan { outcomes, new } = plan(&tx, candidates)?;
        let first = if new.is_empty() {
            if let Some(p) = &fhir_patient {
                binding::bind(&tx, patient_name, p, now)?;
            }
            tx.commit()?;
            0
        } else {
            let id = pending::store(&tx, patient_name, fhir_patient.as_ref(), &new, now)?;
            tx.commit()?;
            let leaves: Vec<RecordCommitment> =
                new.iter().map(|(c, _)| c.record.commit()).collect();
            let mut superseded: Vec<u64> = new.iter().flat_map(|(_, s)| s).copied().collect();
            superseded.sort_unstable();
            // Each new leaf replaces its own resource's leaves, so none repeats; the registry
            // refuses repeats, so make that an invariant rather than an assumption.
            superseded.dedup();
            // Phase 2. On error the anchoring stays pending: whether the leaves landed is
            // not known here (a lost answer), and dropping their salts could orphan them.
            let first = append(&leaves, &superseded)?;
            // Phase 3, one transaction: the openings at their indices, no longer pending.
            self.settle_anchoring(id, first)?;
            first
        };
        let resolve = |slot: Slot| match slot {
            Slot::Stored(index) => index,
            Slot::Pending(pos) => first + pos,
        };
        Ok(candidates
            .iter()
            .zip(outcomes)
            .map(|(c, outcome)| {
                let (index, status) = match outcome {
                    Outcome::Already(slot) => (resolve(slot), AnchorStatus::AlreadyAnchored),
                    Outcome::SupersededInBatch(slot) => {
                        (resolve(slot), AnchorStatus::SupersededInBatch)
                    }
                    Outcome::New {
                        pos,
                        previous: None,
                    } => (first + pos, AnchorStatus::Anchored),
                    Outcome::New {
                        pos,
                        previous: Some(previous),
                    } => (first + pos, AnchorStatus::NewVersion { previous }),
                };
                AnchoredRecord {
                    kind: c.record.fields.kind,
                    resource_id: c.resource_id.clone(),
                    index,
                    status,
                }
            })
            .collect())
    }
}
