use super::*;
use crate::{
    testing::{candidate, no_append, old_wallet, states, FakeRegistry},
    FhirPatient, WALLET_SCHEMA_VERSION,
};
use rand::{rngs::StdRng, SeedableRng};
use zkconsent_circuits::{
    record::RecordKind,
    types::{RecordCommitment, SecretKey},
};
use zkconsent_store::{sql::meta, Role};

const PATIENT_A: &str = "Patient/a";

fn patient_a() -> Vec<FhirPatient> {
    vec![FhirPatient {
        reference: PATIENT_A.into(),
        identifiers: Vec::new(),
    }]
}

fn condition(rng: &mut StdRng, patient: IdentityId, id: &str, digest: u64) -> RecordCandidate {
    candidate(
        rng,
        patient,
        RecordKind::Condition,
        id,
        digest,
        Some(PATIENT_A),
    )
}

fn outcomes(out: &[AnchoredRecord]) -> Vec<(&str, u64, AnchorStatus)> {
    out.iter()
        .map(|o| (o.resource_id.as_str(), o.index, o.status))
        .collect()
}

#[test]
fn a_new_version_supersedes_the_live_leaf_and_openings_round_trip() {
    let mut rng = StdRng::seed_from_u64(71);
    let dir = tempfile::tempdir().unwrap();
    let mut w = Wallet::create(dir.path().join("wallet.db"), None).unwrap();
    let alice = SecretKey::random(&mut rng).id();
    let doc = patient_a();
    let source = RecordSource::Document(&doc);
    let a1 = condition(&mut rng, alice, "c1", 1);
    let b1 = condition(&mut rng, alice, "c2", 1);
    let a1_again = condition(&mut rng, alice, "c1", 1); // same resource, fresh salt
    let a2 = condition(&mut rng, alice, "c1", 2); // changed resource
                                                  // Two versions of c1 in one batch: only the last is anchored.
    let mut reg = FakeRegistry::at(10);
    let out = w
        .anchor_records(
            &[a1.clone(), b1.clone(), a1_again, a2.clone()],
            "alice",
            source,
            Timestamp(9),
            reg.append(),
        )
        .unwrap();
    assert_eq!(
        outcomes(&out),
        [
            ("c1", 11, AnchorStatus::SupersededInBatch),
            ("c2", 10, AnchorStatus::Anchored),
            ("c1", 11, AnchorStatus::SupersededInBatch),
            ("c1", 11, AnchorStatus::Anchored),
        ]
    );
    assert_eq!(
        reg.calls,
        [(vec![b1.record.commit(), a2.record.commit()], vec![])]
    );
    // The identical resource again: already anchored, nothing appended.
    let a2_again = condition(&mut rng, alice, "c1", 2);
    let out = w
        .anchor_records(&[a2_again], "alice", source, Timestamp(10), no_append)
        .unwrap();
    assert_eq!(outcomes(&out), [("c1", 11, AnchorStatus::AlreadyAnchored)]);
    // A third version supersedes the second's leaf, in the registry and the wallet.
    let a3 = condition(&mut rng, alice, "c1", 3);
    let mut reg = FakeRegistry::at(12);
    let out = w
        .anchor_records(
            std::slice::from_ref(&a3),
            "alice",
            source,
            Timestamp(11),
            reg.append(),
        )
        .unwrap();
    assert_eq!(
        outcomes(&out),
        [("c1", 12, AnchorStatus::NewVersion { previous: 11 })]
    );
    assert_eq!(reg.calls, [(vec![a3.record.commit()], vec![11])]);
    assert_eq!(
        states(&w),
        [
            (10, RECORD_LEAF_VERSION, None),
            (11, RECORD_LEAF_VERSION, Some(12)),
            (12, RECORD_LEAF_VERSION, None),
        ]
    );
    // The superseded opening is kept, flagged, and refused for proving.
    let e = w.record_opening(11).unwrap_err();
    assert!(
        matches!(
            e,
            WalletError::SupersededRecord {
                index: 11,
                by: 12,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(w.record_opening(12).unwrap().unwrap().record, a3.record);
    assert!(w.record_opening(99).unwrap().is_none());
    // Back to the second version's content: its superseded leaf does not count, a new one
    // supersedes the third's.
    let mut reg = FakeRegistry::at(13);
    let out = w
        .anchor_records(
            &[condition(&mut rng, alice, "c1", 2)],
            "alice",
            source,
            Timestamp(12),
            reg.append(),
        )
        .unwrap();
    assert_eq!(
        outcomes(&out),
        [("c1", 13, AnchorStatus::NewVersion { previous: 12 })]
    );
    assert_eq!(reg.calls[0].1, [12]);
    // Openings round-trip, identity and salt included, and Debug hides the salt.
    let openings = w.record_openings().unwrap();
    assert_eq!(openings.len(), 4);
    assert_eq!(openings[0].record, b1.record);
    assert_eq!(openings[0].record.commit(), b1.record.commit());
    assert_eq!(
        openings[0].record.fields.identity,
        b1.record.fields.identity
    );
    assert_eq!(
        (openings[0].resource(), openings[0].anchored_at),
        ("Condition/c2".to_string(), Timestamp(9))
    );
    assert!(openings
        .iter()
        .all(|o| o.leaf_version == RECORD_LEAF_VERSION));
    let shown = format!("{openings:?}");
    assert!(
        !shown.contains(&zkconsent_circuits::fr_to_hex(&a1.record.salt.0)),
        "{shown}"
    );
}

#[test]
fn in_a_batch_the_first_copy_of_the_last_version_is_anchored() {
    let mut rng = StdRng::seed_from_u64(73);
    let dir = tempfile::tempdir().unwrap();
    let mut w = Wallet::create(dir.path().join("wallet.db"), None).unwrap();
    let alice = SecretKey::random(&mut rng).id();
    let doc = patient_a();
    let batch = [
        condition(&mut rng, alice, "c9", 1),
        condition(&mut rng, alice, "c9", 2),
        condition(&mut rng, alice, "c9", 1),
    ];
    let mut reg = FakeRegistry::at(0);
    let out = w
        .anchor_records(
            &batch,
            "alice",
            RecordSource::Document(&doc),
            Timestamp(1),
            reg.append(),
        )
        .unwrap();
    assert_eq!(
        outcomes(&out),
        [
            ("c9", 0, AnchorStatus::Anchored),
            ("c9", 0, AnchorStatus::SupersededInBatch),
            ("c9", 0, AnchorStatus::AlreadyAnchored),
        ]
    );
    assert_eq!(reg.calls, [(vec![batch[0].record.commit()], vec![])]);
}

#[test]
fn another_patients_resource_and_a_failed_append_change_nothing() {
    let mut rng = StdRng::seed_from_u64(72);
    let dir = tempfile::tempdir().unwrap();
    let mut w = Wallet::create(dir.path().join("wallet.db"), None).unwrap();
    w.add_identity("alice", Role::Patient, &SecretKey::random(&mut rng))
        .unwrap();
    let (alice, bob) = (
        SecretKey::random(&mut rng).id(),
        SecretKey::random(&mut rng).id(),
    );
    // Derived records: no document, so only the resource's own patient is checked.
    let mut reg = FakeRegistry::at(0);
    w.anchor_records(
        &[condition(&mut rng, alice, "c1", 1)],
        "alice",
        RecordSource::Derived,
        Timestamp(1),
        reg.append(),
    )
    .unwrap();
    for digest in [1, 2] {
        let e = w
            .anchor_records(
                &[condition(&mut rng, bob, "c1", digest)],
                "bob",
                RecordSource::Derived,
                Timestamp(2),
                no_append,
            )
            .unwrap_err();
        assert!(
            matches!(e, WalletError::RecordOfAnotherPatient { ref patient, .. } if patient == "alice"),
            "{e}"
        );
    }
    let e = w
        .anchor_records(
            &[condition(&mut rng, alice, "c9", 1)],
            "alice",
            RecordSource::Derived,
            Timestamp(2),
            |_: &[RecordCommitment], _: &[u64]| Err(WalletError::UnknownGrant(0)),
        )
        .unwrap_err();
    assert!(matches!(e, WalletError::UnknownGrant(0)));
    assert_eq!(w.record_openings().unwrap().len(), 1);
    assert!(matches!(
        w.anchor_records(&[], " bad", RecordSource::Derived, Timestamp(2), no_append),
        Err(WalletError::InvalidName)
    ));
}

#[test]
fn ten_field_openings_are_kept_flagged_and_superseded_by_anchoring_again() {
    for version in [2, 3] {
        let mut rng = StdRng::seed_from_u64(74);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.db");
        let alice = SecretKey::random(&mut rng).id();
        let patient = candidate(
            &mut rng,
            alice,
            RecordKind::Patient,
            "a",
            1,
            Some(PATIENT_A),
        );
        let (c1, c2) = (
            condition(&mut rng, alice, "c1", 1),
            condition(&mut rng, alice, "c1", 2),
        );
        // Schema 3 kept every version's leaf (append-only).
        old_wallet(&path, version, &[patient.clone(), c1, c2.clone()], "alice");
        let mut w = Wallet::open(&path, None).unwrap();
        assert_eq!(
            meta(&w.conn, "schema_version").unwrap(),
            Some(WALLET_SCHEMA_VERSION.to_string())
        );
        let old = RECORD_LEAF_VERSION_TEN_FIELDS;
        assert_eq!(states(&w), [(0, old, None), (1, old, None), (2, old, None)]);
        let kept = &w.record_openings().unwrap()[2];
        assert_eq!(kept.record.fields.identity, ResourceIdentity::default());
        assert_eq!(kept.record.fields.digest, c2.record.fields.digest);
        assert_eq!(kept.record.salt, c2.record.salt);
        let e = w.record_opening(2).unwrap_err();
        assert!(
            matches!(
                e,
                WalletError::OldRecordLeaf {
                    index: 2,
                    leaf_version: 2,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("anchor the bundle again"), "{e}");
        // The same bundle again: nothing counts as already anchored; the new leaves
        // supersede every live old one.
        let doc = patient_a();
        let source = RecordSource::Document(&doc);
        let again = [patient.clone(), c2.clone()];
        let mut reg = FakeRegistry::at(3);
        let out = w
            .anchor_records(&again, "alice", source, Timestamp(5), reg.append())
            .unwrap();
        assert_eq!(
            outcomes(&out),
            [
                ("a", 3, AnchorStatus::NewVersion { previous: 0 }),
                ("c1", 4, AnchorStatus::NewVersion { previous: 2 }),
            ]
        );
        assert_eq!(reg.calls[0].1, [0, 1, 2]);
        let new = RECORD_LEAF_VERSION;
        assert_eq!(
            states(&w),
            [
                (0, old, Some(3)),
                (1, old, Some(4)),
                (2, old, Some(4)),
                (3, new, None),
                (4, new, None)
            ]
        );
        assert!(w.record_opening(4).unwrap().is_some());
        let out = w
            .anchor_records(&again, "alice", source, Timestamp(6), no_append)
            .unwrap();
        assert!(out
            .iter()
            .all(|o| o.status == AnchorStatus::AlreadyAnchored));
    }
}

#[test]
fn a_version_1_wallet_is_upgraded_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    let w = Wallet::create(&path, None).unwrap();
    w.conn
        .execute_batch(
            "DROP TABLE records; DROP TABLE requests; DROP TABLE fhir_patient_identifiers;
             DROP TABLE fhir_patients; DROP TABLE pending_grants;
             DROP TABLE pending_anchoring_identifiers; DROP TABLE pending_anchoring_superseded;
             DROP TABLE pending_anchoring_leaves; DROP TABLE pending_anchorings;
             UPDATE meta SET value = '1' WHERE key = 'schema_version';",
        )
        .unwrap();
    drop(w);
    let w = Wallet::open(&path, None).unwrap();
    assert!(w.record_openings().unwrap().is_empty());
    assert_eq!(w.fhir_patient("alice").unwrap(), None);
    w.conn
        .execute(
            "UPDATE meta SET value = '7' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    drop(w);
    assert!(matches!(
        Wallet::open(&path, None),
        Err(WalletError::SchemaVersion { .. })
    ));
}
