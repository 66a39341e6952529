//! Cards and credentials over real homes at depth 4: one home set up once, copied for each
//! party, so every wallet holds its own party's secret only.

use super::{
    credential::{self, CREDENTIAL_INFO},
    seal_keypair,
    store::{self, ImportOutcome, CARDS_FILE},
    Card, CardError,
};
use crate::{
    home::{Home, HomeError, REGISTRY_FILE},
    registry::Role,
    statements::{access::AccessRequest, authority::GrantRequest},
    verifier::fr_to_decimal,
};
use ark_bn254::Fr;
use rand::{rngs::StdRng, SeedableRng};
use std::{path::Path, sync::OnceLock};
use zkconsent_circuits::types::{IdentityId, Nonce, Purpose, Scope, Timestamp, VerifierId};

/// Grants are valid around this time.
const NOW: u64 = 1_750_000_000;
/// One day.
const DAY: u64 = 86_400;

/// A home with params only (no identities), set up once per test binary.
fn template() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        Home::init(
            dir.path(),
            4,
            Timestamp(NOW - DAY),
            &mut StdRng::seed_from_u64(14),
        )
        .unwrap();
        dir
    })
    .path()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The public state of `from` (its registry) given to `to`.
fn share_registry(from: &Path, to: &Path) {
    std::fs::copy(from.join(REGISTRY_FILE), to.join(REGISTRY_FILE)).unwrap();
}

/// Three homes from one setup: alice (patient), bob (clinician), carol (verifier), each
/// registered in all three registries, each secret in its own wallet only.
struct Parties {
    _dir: tempfile::TempDir,
    alice: std::path::PathBuf,
    bob: std::path::PathBuf,
    carol: std::path::PathBuf,
}

impl Parties {
    fn new(seed: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| dir.path().join(n));
        let mut rng = StdRng::seed_from_u64(seed);
        let mut last: Option<&Path> = None;
        for (home, name, role) in [
            (&alice, "alice", Role::Patient),
            (&bob, "bob", Role::Clinician),
            (&carol, "carol", Role::Verifier),
        ] {
            copy_dir(template(), home);
            if let Some(prev) = last {
                share_registry(prev, home);
            }
            Home::open(home)
                .unwrap()
                .create_identity(name, role, &mut rng)
                .unwrap();
            last = Some(home);
        }
        share_registry(&carol, &alice);
        share_registry(&carol, &bob);
        Self {
            _dir: dir,
            alice,
            bob,
            carol,
        }
    }

    /// alice grants bob `scope` for treatment, around [`NOW`]; the registry goes to all.
    fn issue(&self, scope: u64) -> (u64, Card) {
        let bob_card = Card::for_identity(&Home::open(&self.bob).unwrap(), "bob").unwrap();
        let mut alice = Home::open(&self.alice).unwrap();
        let request = GrantRequest {
            patient: "alice".into(),
            grantee: bob_card.name.clone(),
            scope: Scope(scope),
            purpose: Purpose(1),
            not_before: Timestamp(NOW - DAY),
            not_after: Timestamp(NOW + DAY),
        };
        let (index, _) = alice
            .issue_grant(&request, Timestamp(NOW), &mut StdRng::seed_from_u64(scope))
            .unwrap();
        drop(alice);
        share_registry(&self.alice, &self.bob);
        share_registry(&self.alice, &self.carol);
        (index, bob_card)
    }
}

fn card_error(result: Result<impl std::fmt::Debug, HomeError>) -> CardError {
    match result {
        Err(HomeError::Card(e)) => e,
        other => panic!("expected a card error, got {other:?}"),
    }
}

#[test]
fn cards_parse_strictly() {
    let keypair = seal_keypair(&zkconsent_circuits::types::SecretKey(Fr::from(5u64)));
    let card = Card {
        name: "dr bob".into(),
        role: Role::Clinician,
        id: IdentityId(Fr::from(77u64)),
        seal_key: keypair.public_key(),
    };
    let bytes = card.to_file_bytes();
    assert_eq!(Card::from_json(&bytes).unwrap(), card);
    let json = card.to_json();
    assert_eq!(json["format"], "zkconsent.card");
    assert_eq!(json["version"], 1);
    assert_eq!(json["id"], "77");
    assert_eq!(json["seal_key"], keypair.public_key().to_hex());

    let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("unknown field", Box::new(|v| v["extra"] = 1.into())),
        (
            "format",
            Box::new(|v| v["format"] = "zkconsent.cred".into()),
        ),
        ("version", Box::new(|v| v["version"] = 2.into())),
        ("id = r", Box::new(|v| v["id"] = r.into())),
        ("leading zero", Box::new(|v| v["id"] = "077".into())),
        ("id as number", Box::new(|v| v["id"] = 77.into())),
        ("role", Box::new(|v| v["role"] = "admin".into())),
        ("empty name", Box::new(|v| v["name"] = "".into())),
        (
            "control name",
            Box::new(|v| v["name"] = "bob\u{1b}[2J".into()),
        ),
        ("key length", Box::new(|v| v["seal_key"] = "00".into())),
        (
            "upper-case key",
            Box::new(|v| {
                let upper = v["seal_key"].as_str().unwrap().to_uppercase();
                v["seal_key"] = upper.into();
            }),
        ),
        (
            "missing id",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("id");
            }),
        ),
    ];
    for (what, edit) in edits {
        let mut v = json.clone();
        edit(&mut v);
        let err = Card::from_json(v.to_string().as_bytes()).unwrap_err();
        assert!(err.is_malformed(), "{what}: {err}");
    }
    let mut big = json.clone();
    big["name"] = "x".repeat(5000).into();
    assert!(Card::from_json(big.to_string().as_bytes()).is_err());
    assert!(Card::from_json(b"").is_err());
    assert!(Card::from_json(b"[]").is_err());
}

#[test]
fn export_and_import_check_the_registry() {
    let parties = Parties::new(1);
    let bob = Home::open(&parties.bob).unwrap();
    let alice = Home::open(&parties.alice).unwrap();
    let bob_card = Card::for_identity(&bob, "bob").unwrap();
    assert_eq!(bob_card.id, bob.identity_id("bob").unwrap());
    assert_eq!(bob_card.role, Role::Clinician);
    // Deterministic: the key comes from the secret.
    assert_eq!(Card::for_identity(&bob, "bob").unwrap(), bob_card);
    // bob's home holds no secret for alice, even though the registry has her.
    assert!(matches!(
        card_error(Card::for_identity(&bob, "alice")),
        CardError::NotInWallet { .. }
    ));

    assert_eq!(
        store::import_card(&alice, &bob_card).unwrap(),
        ImportOutcome::Imported
    );
    assert_eq!(
        store::import_card(&alice, &bob_card).unwrap(),
        ImportOutcome::AlreadyImported
    );
    assert_eq!(store::imported_card(&alice, "bob").unwrap(), bob_card);
    assert!(alice.dir().join(CARDS_FILE).is_file());

    // Another key under bob's name: refused, the first card stays.
    let mut other_key = bob_card.clone();
    other_key.seal_key =
        seal_keypair(&zkconsent_circuits::types::SecretKey(Fr::from(9u64))).public_key();
    let err = card_error(store::import_card(&alice, &other_key));
    assert!(matches!(err, CardError::ConflictingCard { .. }), "{err}");
    assert!(!err.is_malformed());
    // bob's own home refuses a card for bob with a key that is not bob's.
    assert!(matches!(
        card_error(store::import_card(&bob, &other_key)),
        CardError::NotOurKey { .. }
    ));

    // A card for a registered name with another id or role: refused.
    let mut impostor = bob_card.clone();
    impostor.id = IdentityId(Fr::from(12345u64));
    let err = card_error(store::import_card(&alice, &impostor));
    assert!(matches!(err, CardError::RegistryMismatch { .. }), "{err}");
    assert!(err.to_string().contains(&fr_to_decimal(&bob_card.id.0)));
    let mut wrong_role = bob_card.clone();
    wrong_role.role = Role::Verifier;
    assert!(matches!(
        card_error(store::import_card(&alice, &wrong_role)),
        CardError::RegistryMismatch { .. }
    ));

    // An unregistered name: kept, but not usable in a grant until registered.
    let mut dave = bob_card.clone();
    dave.name = "dave".into();
    assert!(matches!(
        card_error(store::import_card(&alice, &dave)),
        CardError::IdOfAnother { .. }
    ));
    dave.id = IdentityId(Fr::from(4242u64));
    assert_eq!(
        store::import_card(&alice, &dave).unwrap(),
        ImportOutcome::ImportedUnregistered
    );
    assert!(matches!(
        card_error(store::imported_card(&alice, "dave")),
        CardError::NotRegistered { .. }
    ));
    assert!(matches!(
        card_error(store::imported_card(&alice, "erin")),
        CardError::NoImportedCard { .. }
    ));
    assert_eq!(store::imported_cards(&alice).unwrap().len(), 2);

    // A damaged cards.json is malformed, never silently replaced.
    std::fs::write(alice.dir().join(CARDS_FILE), b"{\"format\":1}").unwrap();
    let err = card_error(store::import_card(&alice, &bob_card));
    assert!(err.is_malformed(), "{err}");
}

#[test]
fn a_wallet_secret_that_does_not_derive_the_registry_id_is_refused() {
    let parties = Parties::new(2);
    // bob's registry entry, as another home registered it for another secret.
    let other = tempfile::tempdir().unwrap();
    copy_dir(template(), other.path());
    Home::open(other.path())
        .unwrap()
        .create_identity("bob", Role::Clinician, &mut StdRng::seed_from_u64(99))
        .unwrap();
    share_registry(other.path(), &parties.bob);
    let bob = Home::open(&parties.bob).unwrap();
    let err = card_error(Card::for_identity(&bob, "bob"));
    assert!(matches!(err, CardError::SecretMismatch { .. }), "{err}");
    assert!(err.is_malformed());
}

#[test]
fn a_credential_opens_only_for_the_grantee_and_lands_in_its_wallet() {
    let parties = Parties::new(3);
    let (index, bob_card) = parties.issue(0b11);
    let mut rng = StdRng::seed_from_u64(30);
    let bytes = {
        let alice = Home::open(&parties.alice).unwrap();
        credential::seal_credential(&alice, index, &bob_card, &mut rng).unwrap()
    };
    let file: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(file["format"], "zkconsent.grant-credential");
    assert_eq!(file["recipient"], "bob");
    assert_eq!(
        file["recipient_fingerprint"],
        bob_card.fingerprint().to_hex()
    );
    // Nothing of the grant in the clear.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let opening = Home::open(&parties.alice)
        .unwrap()
        .wallet()
        .unwrap()
        .grant(index)
        .unwrap();
    assert!(!text.contains(&fr_to_decimal(&opening.grant.salt.0)));
    assert!(!text.contains(&fr_to_decimal(&opening.grant.commit().0)));

    // Stolen: carol holds no key it is sealed to.
    let mut carol = Home::open(&parties.carol).unwrap();
    let err = card_error(credential::accept(&mut carol, &bytes));
    assert!(matches!(err, CardError::NotOurs { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "this credential is sealed to bob; this home does not hold bob's key"
    );
    assert!(carol.wallet().unwrap().grants().unwrap().is_empty());

    // Tampered: every hex digit of the envelope changed in turn is refused.
    let mut bob = Home::open(&parties.bob).unwrap();
    for field in ["encapped_key", "ciphertext"] {
        let digits = file["envelope"][field].as_str().unwrap().to_owned();
        for i in (0..digits.len()).step_by(7) {
            let mut altered = file.clone();
            let mut chars: Vec<char> = digits.chars().collect();
            chars[i] = if chars[i] == '0' { '1' } else { '0' };
            altered["envelope"][field] = chars.into_iter().collect::<String>().into();
            let err = card_error(credential::accept(&mut bob, altered.to_string().as_bytes()));
            assert!(
                matches!(err, CardError::Altered { .. }),
                "{field} {i}: {err}"
            );
            assert!(err.is_malformed());
        }
    }
    // The fingerprint is the associated data: another identity's fingerprint finds no key
    // here, and a bad one is malformed.
    let mut altered = file.clone();
    altered["recipient_fingerprint"] = "00".repeat(16).into();
    assert!(matches!(
        card_error(credential::accept(&mut bob, altered.to_string().as_bytes())),
        CardError::NotOurs { .. }
    ));
    altered["recipient_fingerprint"] = "zz".into();
    assert!(
        card_error(credential::accept(&mut bob, altered.to_string().as_bytes())).is_malformed()
    );
    assert!(bob.wallet().unwrap().grants().unwrap().is_empty());

    // The grantee accepts; again is a no-op.
    let accepted = credential::accept(&mut bob, &bytes).unwrap();
    assert_eq!(
        (
            accepted.index,
            accepted.grantee_name.as_str(),
            accepted.patient_name.as_str()
        ),
        (index, "bob", "alice")
    );
    assert!(!accepted.already_held);
    assert_eq!(accepted.grant, opening.grant);
    assert!(credential::accept(&mut bob, &bytes).unwrap().already_held);
    let held = bob.wallet().unwrap().grant(index).unwrap();
    assert_eq!(
        (held.grant, held.grantee_name.as_str()),
        (opening.grant.clone(), "bob")
    );

    // bob can now state Access under it (the proof itself is the CLI test's).
    let request = AccessRequest {
        grant_index: index,
        verifier: VerifierId(bob.identity_id("carol").unwrap().0),
        nonce: Nonce(Fr::from(1u64)),
        scope: Scope(0b01),
        purpose: None,
        now: Timestamp(NOW),
    };
    bob.access_statement(&request).unwrap();
}

#[test]
fn credentials_are_checked_against_the_registry_and_the_grant() {
    let parties = Parties::new(4);
    let saved = tempfile::tempdir().unwrap();
    let before = saved.path().join(REGISTRY_FILE);
    std::fs::copy(parties.bob.join(REGISTRY_FILE), &before).unwrap();
    let (index, bob_card) = parties.issue(0b1);
    let mut rng = StdRng::seed_from_u64(40);
    let alice_home = Home::open(&parties.alice).unwrap();
    // A card that is not the grantee's: refused before sealing.
    let alice_card = Card::for_identity(&alice_home, "alice").unwrap();
    let err = card_error(credential::seal_credential(
        &alice_home,
        index,
        &alice_card,
        &mut rng,
    ));
    assert!(matches!(err, CardError::NotTheGrantee { .. }), "{err}");
    let bytes = credential::seal_credential(&alice_home, index, &bob_card, &mut rng).unwrap();
    drop(alice_home);

    // A grant sealed to bob that grants someone else: refused after opening.
    let opening = Home::open(&parties.alice)
        .unwrap()
        .wallet()
        .unwrap()
        .grant(index)
        .unwrap();
    let plaintext = serde_json::json!({
        "format": "zkconsent.grant-opening", "version": 1, "index": index,
        "commitment": fr_to_decimal(&opening.grant.commit().0),
        "patient": fr_to_decimal(&opening.grant.patient.0), "patient_name": "alice",
        "grantee": fr_to_decimal(&opening.grant.patient.0), "grantee_name": "bob",
        "scope": 1, "purpose": 1, "not_before": NOW - DAY, "not_after": NOW + DAY,
        "salt": fr_to_decimal(&opening.grant.salt.0),
    });
    let fingerprint = bob_card.fingerprint();
    let envelope = crate::seal::seal(
        &bob_card.seal_key,
        CREDENTIAL_INFO,
        fingerprint.as_bytes(),
        plaintext.to_string().as_bytes(),
        &mut rng,
    )
    .unwrap();
    let forged = serde_json::json!({
        "format": "zkconsent.grant-credential", "version": 1, "recipient": "bob",
        "recipient_fingerprint": fingerprint.to_hex(), "envelope": envelope,
    });
    let mut bob = Home::open(&parties.bob).unwrap();
    let err = card_error(credential::accept(&mut bob, forged.to_string().as_bytes()));
    // The stated commitment is the real grant's, so the fields do not commit to it.
    assert!(err.is_malformed(), "{err}");

    // Bob's registry has not seen the grant yet: refused, nothing stored.
    drop(bob);
    std::fs::copy(&before, parties.bob.join(REGISTRY_FILE)).unwrap();
    let mut bob = Home::open(&parties.bob).unwrap();
    let err = card_error(credential::accept(&mut bob, &bytes));
    assert!(matches!(err, CardError::NotInRegistry { .. }), "{err}");
    assert!(!err.is_malformed());

    // Revoked: refused.
    drop(bob);
    let mut alice = Home::open(&parties.alice).unwrap();
    alice
        .revoke_grant(index, Timestamp(NOW + 1), &mut rng)
        .unwrap();
    drop(alice);
    share_registry(&parties.alice, &parties.bob);
    let mut bob = Home::open(&parties.bob).unwrap();
    let err = card_error(credential::accept(&mut bob, &bytes));
    assert!(
        matches!(&err, CardError::NotInRegistry { reason, .. } if reason == "revoked"),
        "{err}"
    );
    assert!(!err.is_malformed());
    assert!(bob.wallet().unwrap().grants().unwrap().is_empty());
}
