use super::*;
use crate::{
    records::{AnchorStatus, RecordSource},
    testing::{candidate, no_append, FakeRegistry},
};
use rand::{rngs::StdRng, SeedableRng};
use zkconsent_circuits::{
    record::RecordKind,
    types::{IdentityId, SecretKey},
};

const MRN_1: &str = "urn:oid:1.2.36.146.595.217.0.1|12345";
const MRN_2: &str = "urn:oid:1.2.36.146.595.217.0.1|67890";

fn fhir(reference: &str, identifiers: &[&str]) -> FhirPatient {
    FhirPatient {
        reference: reference.into(),
        identifiers: identifiers.iter().map(|s| s.to_string()).collect(),
    }
}

/// A bundle of `reference`: its Patient resource and a Condition about it.
fn bundle(rng: &mut StdRng, patient: IdentityId, reference: &str) -> Vec<RecordCandidate> {
    let id = reference.trim_start_matches(FHIR_PATIENT_PREFIX);
    vec![
        candidate(rng, patient, RecordKind::Patient, id, 1, Some(reference)),
        candidate(
            rng,
            patient,
            RecordKind::Condition,
            &format!("c-{id}"),
            1,
            Some(reference),
        ),
    ]
}

struct Setup {
    rng: StdRng,
    w: Wallet,
    alice: IdentityId,
    bob: IdentityId,
    _dir: tempfile::TempDir,
}

/// A wallet where alice's bundle (Patient/a, with `MRN_1`) is anchored and bound.
fn alice_bound(seed: u64) -> Setup {
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut w = Wallet::create(dir.path().join("wallet.db"), None).unwrap();
    let (alice, bob) = (
        SecretKey::random(&mut rng).id(),
        SecretKey::random(&mut rng).id(),
    );
    let doc = [fhir("Patient/a", &[MRN_1])];
    let mut reg = FakeRegistry::at(0);
    w.anchor_records(
        &bundle(&mut rng, alice, "Patient/a"),
        "alice",
        RecordSource::Document(&doc),
        Timestamp(1),
        reg.append(),
    )
    .unwrap();
    assert_eq!(reg.calls.len(), 1);
    Setup {
        rng,
        w,
        alice,
        bob,
        _dir: dir,
    }
}

/// Anchors `batch` with `no_append`, expecting a refusal that leaves the wallet as it was.
fn refused(
    s: &mut Setup,
    batch: &[RecordCandidate],
    patient_name: &str,
    patients: &[FhirPatient],
) -> WalletError {
    let (openings, bindings) = (
        s.w.record_openings().unwrap(),
        (
            s.w.fhir_patient("alice").unwrap(),
            s.w.fhir_patient("bob").unwrap(),
        ),
    );
    let e =
        s.w.anchor_records(
            batch,
            patient_name,
            RecordSource::Document(patients),
            Timestamp(2),
            no_append,
        )
        .unwrap_err();
    assert_eq!(s.w.record_openings().unwrap(), openings, "{e}");
    assert_eq!(
        (
            s.w.fhir_patient("alice").unwrap(),
            s.w.fhir_patient("bob").unwrap()
        ),
        bindings,
        "{e}"
    );
    e
}

#[test]
fn the_first_anchoring_binds_and_the_same_patient_anchors_again() {
    let mut s = alice_bound(81);
    assert_eq!(
        s.w.fhir_patient("alice").unwrap(),
        Some(fhir("Patient/a", &[MRN_1]))
    );
    assert_eq!(s.w.fhir_patient("bob").unwrap(), None);
    // The same bundle again: fine, nothing new.
    let doc = [fhir("Patient/a", &[MRN_1])];
    let out =
        s.w.anchor_records(
            &bundle(&mut s.rng, s.alice, "Patient/a"),
            "alice",
            RecordSource::Document(&doc),
            Timestamp(2),
            no_append,
        )
        .unwrap();
    assert!(out
        .iter()
        .all(|o| o.status == AnchorStatus::AlreadyAnchored));
    // A later bundle adding an identifier binds it too; a resource naming no patient is
    // fine.
    let doc = [fhir("Patient/a", &[MRN_1, MRN_2])];
    let mut batch = bundle(&mut s.rng, s.alice, "Patient/a");
    batch.push(candidate(
        &mut s.rng,
        s.alice,
        RecordKind::Observation,
        "o1",
        1,
        None,
    ));
    let mut reg = FakeRegistry::at(2);
    s.w.anchor_records(
        &batch,
        "alice",
        RecordSource::Document(&doc),
        Timestamp(3),
        reg.append(),
    )
    .unwrap();
    assert_eq!(reg.calls[0].0.len(), 1);
    assert_eq!(
        s.w.fhir_patient("alice").unwrap(),
        Some(fhir("Patient/a", &[MRN_1, MRN_2]))
    );
}

#[test]
fn another_fhir_patients_bundle_is_refused_whole() {
    let mut s = alice_bound(82);
    let batch = bundle(&mut s.rng, s.alice, "Patient/b");
    let e = refused(&mut s, &batch, "alice", &[fhir("Patient/b", &[])]);
    assert_eq!(
        e.to_string(),
        "alice is bound to Patient/a; this bundle is Patient/b's"
    );
    // Alice's FHIR patient anchored for bob.
    let batch = bundle(&mut s.rng, s.bob, "Patient/a");
    let e = refused(&mut s, &batch, "bob", &[fhir("Patient/a", &[])]);
    assert_eq!(
        e.to_string(),
        "Patient/a is alice's (bound at first anchoring), not bob's"
    );
    // Another FHIR id carrying alice's medical record number.
    let batch = bundle(&mut s.rng, s.bob, "Patient/b");
    let e = refused(&mut s, &batch, "bob", &[fhir("Patient/b", &[MRN_1])]);
    assert!(
        matches!(e, WalletError::FhirPatientOfAnother { ref owner, .. } if owner == "alice"),
        "{e}"
    );
    assert!(e.to_string().contains(MRN_1), "{e}");
    // Bob's own bundle is fine, and binds him.
    let batch = bundle(&mut s.rng, s.bob, "Patient/b");
    let doc = [fhir("Patient/b", &[MRN_2])];
    let mut reg = FakeRegistry::at(2);
    s.w.anchor_records(
        &batch,
        "bob",
        RecordSource::Document(&doc),
        Timestamp(3),
        reg.append(),
    )
    .unwrap();
    assert_eq!(s.w.fhir_patient("bob").unwrap(), Some(doc[0].clone()));
    // Bob is bound now; a copy of alice's Patient under a new id still names alice.
    let batch = bundle(&mut s.rng, s.bob, "Patient/renamed");
    let e = refused(&mut s, &batch, "bob", &[fhir("Patient/renamed", &[MRN_1])]);
    assert_eq!(
        e.to_string(),
        format!(
            "Patient/renamed's identifier {MRN_1} is alice's (bound at first anchoring), not bob's"
        )
    );
    let e = refused(&mut s, &batch, "bob", &[fhir("Patient/renamed", &[])]);
    assert_eq!(
        e.to_string(),
        "bob is bound to Patient/b; this bundle is Patient/renamed's"
    );
}

#[test]
fn a_bundle_of_two_patients_or_about_another_is_refused() {
    let mut s = alice_bound(83);
    let mut batch = bundle(&mut s.rng, s.alice, "Patient/a");
    batch.extend(bundle(&mut s.rng, s.alice, "Patient/b"));
    let two = [fhir("Patient/a", &[]), fhir("Patient/b", &[])];
    let e = refused(&mut s, &batch, "alice", &two);
    assert_eq!(
        e.to_string(),
        "bundle holds two patients: Patient/a and Patient/b"
    );
    // One Patient, but a resource about someone else (resolved or as written).
    for other in ["Patient/b", "urn:uuid:0d7f"] {
        let mut batch = bundle(&mut s.rng, s.alice, "Patient/a");
        batch.push(candidate(
            &mut s.rng,
            s.alice,
            RecordKind::Observation,
            "x",
            1,
            Some(other),
        ));
        let e = refused(&mut s, &batch, "alice", &[fhir("Patient/a", &[])]);
        assert_eq!(
            e.to_string(),
            format!("Observation/x is about {other}, but the bundle's patient is Patient/a")
        );
    }
}

#[test]
fn without_a_patient_resource_the_subjects_decide() {
    let mut s = alice_bound(84);
    let obs = |s: &mut Setup, id: &str, subject: Option<&str>| {
        candidate(&mut s.rng, s.alice, RecordKind::Observation, id, 1, subject)
    };
    // Nothing names a patient, or what is named is no Patient/id.
    for subject in [None, Some("urn:uuid:0d7f"), Some("Patient/")] {
        let batch = [obs(&mut s, "o1", subject)];
        let e = refused(&mut s, &batch, "alice", &[]);
        assert!(
            e.to_string()
                .starts_with("cannot tell whose records these are"),
            "{e}"
        );
    }
    // Subjects that disagree: the first is the bundle's patient.
    let batch = [
        obs(&mut s, "o1", Some("Patient/a")),
        obs(&mut s, "o2", Some("Patient/b")),
    ];
    let e = refused(&mut s, &batch, "alice", &[]);
    assert_eq!(
        e.to_string(),
        "Observation/o2 is about Patient/b, but the bundle's patient is Patient/a"
    );
    // A common subject is the bundle's patient, checked against the binding.
    let batch = [obs(&mut s, "o3", Some("Patient/b"))];
    let e = refused(&mut s, &batch, "alice", &[]);
    assert!(
        matches!(e, WalletError::BoundToAnotherFhirPatient { .. }),
        "{e}"
    );
    let batch = [
        obs(&mut s, "o3", Some("Patient/a")),
        obs(&mut s, "o4", None),
    ];
    let mut reg = FakeRegistry::at(2);
    s.w.anchor_records(
        &batch,
        "alice",
        RecordSource::Document(&[]),
        Timestamp(3),
        reg.append(),
    )
    .unwrap();
    assert_eq!(reg.calls[0].0.len(), 2);
}

#[test]
fn derived_records_are_not_checked_against_a_document() {
    let mut s = alice_bound(85);
    let summary = candidate(
        &mut s.rng,
        s.alice,
        RecordKind::ConditionSummary,
        "a",
        7,
        None,
    );
    let mut reg = FakeRegistry::at(2);
    let out =
        s.w.anchor_records(
            &[summary],
            "alice",
            RecordSource::Derived,
            Timestamp(3),
            reg.append(),
        )
        .unwrap();
    assert_eq!(out[0].status, AnchorStatus::Anchored);
    assert_eq!(
        s.w.fhir_patient("alice").unwrap(),
        Some(fhir("Patient/a", &[MRN_1]))
    );
}
