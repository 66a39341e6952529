//! Anchoring interrupted at a home at depth 4: after the registry appended (the crash point
//! `records-submitted`), before it was called, and refused for good on the retry.

use super::*;
use crate::{
    fhir::Extraction,
    registry::Role,
    wallet::{
        records::{AnchorStatus, RecordCandidate, RecordSource},
        FhirPatient,
    },
};
use ark_bn254::Fr;
use rand::{rngs::StdRng, SeedableRng};
use std::{collections::HashSet, path::Path};
use zkconsent_circuits::{record::Record, types::RecordSalt};

/// Records are anchored around this time.
const NOW: u64 = 1_750_000_000;
/// One day.
const DAY: u64 = 86_400;
/// A bundle with a Patient resource.
const BUNDLE: &str = "Cris921_Rath779_d4519c92-d241-b2b2-7360-291d60be699e.json";
/// Resources taken from it: a depth-4 records tree has 16 slots.
const RECORDS: usize = 6;
/// The patient.
const ALICE: &str = "alice";

/// A home at depth 4 with the patient, and the first [`RECORDS`] records of [`BUNDLE`].
fn setup(dir: &Path, rng: &mut StdRng) -> Extraction {
    let mut home = Home::init(dir, 4, Timestamp(NOW - DAY), rng).unwrap();
    home.create_identity(ALICE, Role::Patient, rng).unwrap();
    let path = format!("{}/tests/data/fhir/{BUNDLE}", env!("CARGO_MANIFEST_DIR"));
    let mut extraction = crate::fhir::extract(&std::fs::read(path).unwrap()).unwrap();
    assert!(extraction.records.len() > RECORDS);
    extraction.records.truncate(RECORDS);
    extraction
}

/// What `Home::anchor_records` anchors for `extraction`: candidates and the document's
/// FHIR patients.
fn candidates(
    home: &Home,
    extraction: &Extraction,
    rng: &mut StdRng,
) -> (Vec<RecordCandidate>, Vec<FhirPatient>) {
    let patient = home.patient_id(ALICE).unwrap();
    let candidates = extraction
        .records
        .iter()
        .map(|r| RecordCandidate {
            resource_id: r.id.clone(),
            record: Record {
                fields: r.fields.clone(),
                patient,
                salt: RecordSalt::random(rng),
            },
            subject: r.subject.clone(),
        })
        .collect();
    let patients = extraction
        .patients
        .iter()
        .map(|p| FhirPatient {
            reference: p.reference.clone(),
            identifiers: p.identifiers.clone(),
        })
        .collect();
    (candidates, patients)
}

/// Anchors `extraction` up to its submission and stops there, as a process killed then:
/// after the registry appended if `submit`, before it was called otherwise.
fn anchor_interrupted(dir: &Path, extraction: &Extraction, submit: bool, rng: &mut StdRng) {
    let mut home = Home::open(dir).unwrap();
    let (candidates, patients) = candidates(&home, extraction, rng);
    let now = Timestamp(NOW);
    let (wallet, registry, remote) = home.parts_mut().unwrap();
    let e = wallet
        .anchor_records(
            &candidates,
            ALICE,
            RecordSource::Document(&patients),
            now,
            |leaves, superseded| {
                if submit {
                    Home::submit_anchoring(registry, remote, leaves, superseded, now)?;
                }
                Err(HomeError::Inconsistent("killed"))
            },
        )
        .unwrap_err();
    assert!(matches!(e, HomeError::Inconsistent("killed")), "{e}");
    assert!(home.wallet().unwrap().record_openings().unwrap().is_empty());
    assert_eq!(
        home.wallet().unwrap().pending_anchorings().unwrap().len(),
        1
    );
}

/// Every opening is the registry's leaf at its index, and no leaf is anchored twice.
fn assert_consistent(home: &Home, leaves: usize) {
    let records = home.registry.records().unwrap();
    assert_eq!(records.len(), leaves);
    let distinct: HashSet<_> = records.iter().map(|r| r.leaf).collect();
    assert_eq!(distinct.len(), records.len(), "a leaf anchored twice");
    let openings = home.wallet().unwrap().record_openings().unwrap();
    assert_eq!(openings.len(), leaves);
    for (o, r) in openings.iter().zip(&records) {
        assert_eq!((o.index, o.record.commit()), (r.index, r.leaf));
    }
    assert!(home
        .wallet()
        .unwrap()
        .pending_anchorings()
        .unwrap()
        .is_empty());
}

/// The same bundle again: every resource is already anchored, nothing is appended.
fn assert_all_anchored(dir: &Path, extraction: &Extraction, rng: &mut StdRng) {
    let mut home = Home::open(dir).unwrap();
    let report = home
        .anchor_records(ALICE, extraction, Timestamp(crate::unix_now().0 + DAY), rng)
        .unwrap();
    assert_eq!(report.records.len(), RECORDS);
    assert!(
        report
            .records
            .iter()
            .all(|r| r.status == AnchorStatus::AlreadyAnchored),
        "{:?}",
        report.records
    );
    assert_consistent(&home, RECORDS);
    assert_eq!(
        home.wallet()
            .unwrap()
            .fhir_patient(ALICE)
            .unwrap()
            .map(|p| p.reference),
        extraction.patients.first().map(|p| p.reference.clone())
    );
}

#[test]
fn an_anchoring_killed_after_the_registry_appended_is_settled() {
    let mut rng = StdRng::seed_from_u64(91);
    let dir = tempfile::tempdir().unwrap();
    let extraction = setup(dir.path(), &mut rng);
    anchor_interrupted(dir.path(), &extraction, true, &mut rng);
    let mut home = Home::open(dir.path()).unwrap();
    // The registry holds the leaves, their openings are pending: settled, not resubmitted.
    assert_eq!(home.registry.records().unwrap().len(), RECORDS);
    let before = home.registry.records_root().unwrap();
    assert_eq!(home.reconcile_anchorings().unwrap(), [(0, RECORDS as u64)]);
    assert_eq!(home.registry.records_root().unwrap(), before);
    assert_consistent(&home, RECORDS);
    assert!(home.reconcile_anchorings().unwrap().is_empty());
    drop(home);
    assert_all_anchored(dir.path(), &extraction, &mut rng);
}

#[test]
fn an_anchoring_killed_before_its_submission_is_submitted_again() {
    let mut rng = StdRng::seed_from_u64(92);
    let dir = tempfile::tempdir().unwrap();
    let extraction = setup(dir.path(), &mut rng);
    anchor_interrupted(dir.path(), &extraction, false, &mut rng);
    let mut home = Home::open(dir.path()).unwrap();
    assert!(home.registry.records().unwrap().is_empty());
    assert_eq!(home.reconcile_anchorings().unwrap(), [(0, RECORDS as u64)]);
    assert_consistent(&home, RECORDS);
    drop(home);
    assert_all_anchored(dir.path(), &extraction, &mut rng);
}

#[test]
fn an_anchoring_refused_for_good_is_dropped_and_can_be_made_again() {
    let mut rng = StdRng::seed_from_u64(93);
    let dir = tempfile::tempdir().unwrap();
    let extraction = setup(dir.path(), &mut rng);
    anchor_interrupted(dir.path(), &extraction, false, &mut rng);
    let mut home = Home::open(dir.path()).unwrap();
    // Someone else filled the tree meanwhile: the retry is refused (tree full).
    let others: Vec<RecordCommitment> =
        (1..=12u64).map(|i| RecordCommitment(Fr::from(i))).collect();
    home.registry
        .anchor_records(&others, &[], Timestamp(NOW))
        .unwrap();
    assert!(home.reconcile_anchorings().unwrap().is_empty());
    assert!(home
        .wallet()
        .unwrap()
        .pending_anchorings()
        .unwrap()
        .is_empty());
    assert!(home.wallet().unwrap().record_openings().unwrap().is_empty());
    assert_eq!(home.registry.records().unwrap().len(), others.len());
    // Dropped: the resources are free again (here refused by the full tree, not as busy).
    let e = home
        .anchor_records(
            ALICE,
            &extraction,
            Timestamp(crate::unix_now().0 + DAY),
            &mut rng,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            HomeError::Registry(RegistryError::RecordsTreeFull { .. })
        ),
        "{e}"
    );
}
