//! Anchoring interrupted between its steps: the process dies once the registry holds the
//! leaves (an `append` that panics after appending, the wallet dropped unwinding), or the
//! submission fails; the pending anchoring is then settled, found busy, or dropped.

use super::*;
use crate::{
    records::{AnchorStatus, AnchoredRecord, RecordSource, RECORD_LEAF_VERSION},
    testing::{candidate, no_append, states, FakeRegistry},
    FhirPatient, WALLET_SCHEMA_VERSION_NO_PENDING,
};
use rand::{rngs::StdRng, SeedableRng};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use zkconsent_circuits::types::SecretKey;

const PATIENT_A: &str = "Patient/a";
const PATIENT_B: &str = "Patient/b";
const MRN: &str = "urn:mrn|42";

fn fhir(reference: &str, identifiers: &[&str]) -> Vec<FhirPatient> {
    vec![FhirPatient {
        reference: reference.into(),
        identifiers: identifiers.iter().map(|&i| i.to_owned()).collect(),
    }]
}

fn condition(
    rng: &mut StdRng,
    patient: IdentityId,
    id: &str,
    digest: u64,
    subject: &str,
) -> RecordCandidate {
    candidate(
        rng,
        patient,
        RecordKind::Condition,
        id,
        digest,
        Some(subject),
    )
}

fn statuses(out: &[AnchoredRecord]) -> Vec<(u64, AnchorStatus)> {
    out.iter().map(|o| (o.index, o.status)).collect()
}

/// Whether `e` is the refusal of an anchoring that a pending one blocks.
fn is_busy(e: &WalletError) -> bool {
    matches!(e, WalletError::AnchoringInProgress(_))
}

/// What [`FakeRegistry::append`] does, for an `append` that does more.
fn appended(reg: &mut FakeRegistry, leaves: &[RecordCommitment], superseded: &[u64]) -> u64 {
    let first = reg.next;
    reg.next += leaves.len() as u64;
    reg.calls.push((leaves.to_vec(), superseded.to_vec()));
    first
}

/// Anchors `batch` with an `append` that appends to `reg` and then dies (panics), as a
/// process killed right after the registry answered; the wallet is dropped unwinding.
fn anchor_and_die(
    path: &Path,
    batch: &[RecordCandidate],
    doc: &[FhirPatient],
    reg: &mut FakeRegistry,
) {
    let died = catch_unwind(AssertUnwindSafe(|| {
        let mut w = Wallet::open(path, None).unwrap();
        let _ = w.anchor_records(
            batch,
            "alice",
            RecordSource::Document(doc),
            Timestamp(7),
            |leaves: &[RecordCommitment], superseded: &[u64]| -> Result<u64, WalletError> {
                let first = appended(reg, leaves, superseded);
                panic!("killed after the registry appended at {first}");
            },
        );
    }));
    assert!(died.is_err(), "append should have died");
}

#[test]
fn a_crash_after_append_is_settled_from_the_pending_anchoring() {
    let mut rng = StdRng::seed_from_u64(81);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    let alice = SecretKey::random(&mut rng).id();
    let doc = fhir(PATIENT_A, &[MRN]);
    let v1 = condition(&mut rng, alice, "c1", 1, PATIENT_A);
    {
        let mut w = Wallet::create(&path, None).unwrap();
        let mut reg = FakeRegistry::at(0);
        w.anchor_records(
            std::slice::from_ref(&v1),
            "alice",
            RecordSource::Document(&doc),
            Timestamp(5),
            reg.append(),
        )
        .unwrap();
    }
    // A new version of c1 and a new c2: the process dies once the registry holds them.
    let batch = [
        condition(&mut rng, alice, "c1", 2, PATIENT_A),
        condition(&mut rng, alice, "c2", 1, PATIENT_A),
    ];
    let mut reg = FakeRegistry::at(1);
    anchor_and_die(&path, &batch, &doc, &mut reg);
    let appended: Vec<RecordCommitment> = batch.iter().map(|c| c.record.commit()).collect();
    assert_eq!(reg.calls, [(appended.clone(), vec![0])]);

    let mut w = Wallet::open(&path, None).unwrap();
    // Nothing stored yet, but nothing lost: the openings are pending, salts included.
    assert_eq!(states(&w), [(0, RECORD_LEAF_VERSION, None)]);
    let pending = w.pending_anchorings().unwrap();
    assert_eq!(pending.len(), 1);
    let p = &pending[0];
    assert_eq!(p.commitments(), appended);
    assert_eq!(p.superseded(), [0]);
    assert_eq!(
        (
            p.patient_name.as_str(),
            p.created_at,
            p.fhir_patient.as_ref()
        ),
        ("alice", Timestamp(7), Some(&doc[0]))
    );
    assert_eq!(p.leaves[0].record, batch[0].record);
    assert_eq!(p.leaves[0].supersedes, [0]);
    assert!(p.leaves[1].supersedes.is_empty());
    // While pending, its resources and patient are taken.
    let e = w
        .anchor_records(
            &batch,
            "alice",
            RecordSource::Document(&doc),
            Timestamp(8),
            no_append,
        )
        .unwrap_err();
    assert!(is_busy(&e), "{e}");
    assert!(e.to_string().contains("Condition/c1"), "{e}");

    // Settling stores the openings where the registry put them, once.
    assert!(w.settle_anchoring(p.id, 1).unwrap());
    assert!(!w.settle_anchoring(p.id, 1).unwrap());
    assert!(w.pending_anchorings().unwrap().is_empty());
    assert_eq!(
        states(&w),
        [
            (0, RECORD_LEAF_VERSION, Some(1)),
            (1, RECORD_LEAF_VERSION, None),
            (2, RECORD_LEAF_VERSION, None),
        ]
    );
    let stored = w.record_opening(2).unwrap().unwrap();
    assert_eq!(stored.record, batch[1].record);
    assert_eq!(stored.anchored_at, Timestamp(7));
    assert_eq!(w.fhir_patient("alice").unwrap().as_ref(), Some(&doc[0]));
    // The same bundle again: every resource already anchored, nothing appended.
    let again = [
        condition(&mut rng, alice, "c1", 2, PATIENT_A),
        condition(&mut rng, alice, "c2", 1, PATIENT_A),
    ];
    let out = w
        .anchor_records(
            &again,
            "alice",
            RecordSource::Document(&doc),
            Timestamp(9),
            no_append,
        )
        .unwrap();
    assert_eq!(
        statuses(&out),
        [
            (1, AnchorStatus::AlreadyAnchored),
            (2, AnchorStatus::AlreadyAnchored)
        ]
    );
}

#[test]
fn a_failed_submission_stays_pending_until_dropped() {
    let mut rng = StdRng::seed_from_u64(82);
    let dir = tempfile::tempdir().unwrap();
    let mut w = Wallet::create(dir.path().join("wallet.db"), None).unwrap();
    let alice = SecretKey::random(&mut rng).id();
    let doc = fhir(PATIENT_A, &[]);
    let batch = [condition(&mut rng, alice, "c1", 1, PATIENT_A)];
    let e = w
        .anchor_records(
            &batch,
            "alice",
            RecordSource::Document(&doc),
            Timestamp(1),
            |_: &[RecordCommitment], _: &[u64]| Err(WalletError::UnknownGrant(0)),
        )
        .unwrap_err();
    assert!(matches!(e, WalletError::UnknownGrant(0)), "{e}");
    // The answer was lost, or the leaves refused: only the caller can tell.
    let pending = w.pending_anchorings().unwrap();
    assert_eq!(pending.len(), 1);
    assert!(w.record_openings().unwrap().is_empty());
    assert_eq!(w.fhir_patient("alice").unwrap(), None);
    w.drop_anchoring(pending[0].id).unwrap();
    assert!(w.pending_anchorings().unwrap().is_empty());
    // Dropped: the resources are free again, and anchored with fresh leaves.
    let mut reg = FakeRegistry::at(3);
    let out = w
        .anchor_records(
            &batch,
            "alice",
            RecordSource::Document(&doc),
            Timestamp(2),
            reg.append(),
        )
        .unwrap();
    assert_eq!(statuses(&out), [(3, AnchorStatus::Anchored)]);
}

#[test]
fn a_pending_anchoring_blocks_its_resources_patient_and_fhir_patient_only() {
    let mut rng = StdRng::seed_from_u64(83);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    let (alice, bob, carol) = (
        SecretKey::random(&mut rng).id(),
        SecretKey::random(&mut rng).id(),
        SecretKey::random(&mut rng).id(),
    );
    let doc_a = fhir(PATIENT_A, &[MRN]);
    let mut w = Wallet::create(&path, None).unwrap();
    let mut reg = FakeRegistry::at(0);
    let out = w
        .anchor_records(
            &[condition(&mut rng, alice, "c1", 1, PATIENT_A)],
            "alice",
            RecordSource::Document(&doc_a),
            Timestamp(1),
            |leaves: &[RecordCommitment], superseded: &[u64]| {
                // A second run on the same file while this one is submitting.
                let mut other = Wallet::open(&path, None).unwrap();
                let mut refused = |batch: &[RecordCandidate], name: &str, doc: &[FhirPatient]| {
                    let e = other
                        .anchor_records(
                            batch,
                            name,
                            RecordSource::Document(doc),
                            Timestamp(1),
                            no_append,
                        )
                        .unwrap_err();
                    assert!(is_busy(&e), "{e}");
                };
                // The same resource, for anyone.
                refused(
                    &[condition(&mut rng, bob, "c1", 1, PATIENT_B)],
                    "bob",
                    &fhir(PATIENT_B, &[]),
                );
                // Another resource of the same patient, or of the same FHIR patient.
                refused(
                    &[condition(&mut rng, alice, "c2", 1, PATIENT_A)],
                    "alice",
                    &doc_a,
                );
                refused(
                    &[condition(&mut rng, bob, "c3", 1, PATIENT_A)],
                    "bob",
                    &fhir(PATIENT_A, &[]),
                );
                // Another FHIR patient claiming one of its identifiers.
                refused(
                    &[condition(&mut rng, bob, "c4", 1, PATIENT_B)],
                    "bob",
                    &fhir(PATIENT_B, &[MRN]),
                );
                // Someone else's records go ahead.
                let mut reg_b = FakeRegistry::at(100);
                let out = other
                    .anchor_records(
                        &[condition(&mut rng, carol, "c5", 1, "Patient/c")],
                        "carol",
                        RecordSource::Document(&fhir("Patient/c", &[])),
                        Timestamp(1),
                        reg_b.append(),
                    )
                    .unwrap();
                assert_eq!(statuses(&out), [(100, AnchorStatus::Anchored)]);
                Ok::<_, WalletError>(appended(&mut reg, leaves, superseded))
            },
        )
        .unwrap();
    assert_eq!(statuses(&out), [(0, AnchorStatus::Anchored)]);
    assert!(w.pending_anchorings().unwrap().is_empty());
    assert_eq!(w.record_openings().unwrap().len(), 2);
}

#[test]
fn a_version_4_wallet_gains_the_pending_anchorings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    let w = Wallet::create(&path, None).unwrap();
    w.conn
        .execute_batch(&format!(
            "DROP TABLE pending_anchoring_identifiers; DROP TABLE pending_anchoring_superseded;
             DROP TABLE pending_anchoring_leaves; DROP TABLE pending_anchorings;
             DROP TABLE pending_grants;
             UPDATE meta SET value = '{WALLET_SCHEMA_VERSION_NO_PENDING}'
                 WHERE key = 'schema_version';"
        ))
        .unwrap();
    drop(w);
    let w = Wallet::open(&path, None).unwrap();
    assert!(w.pending_anchorings().unwrap().is_empty());
}
