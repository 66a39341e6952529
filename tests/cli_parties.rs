//! Parties in separate homes through the binary: identity cards exported and imported, a
//! grant credential sealed to the grantee's card, accepted in the grantee's home only, and
//! proved and verified there. The homes come from one `setup` (copied, so they share
//! params); registries are kept equal by copying `registry.db` after each registry write,
//! standing in for a registry service; each wallet holds its own party's secret only.

mod common;

use common::*;
use std::path::{Path, PathBuf};

const REGISTRY_FILE: &str = "registry.db";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The registry of `from` given to every home in `to`.
fn share_registry(from: &Path, to: &[&Path]) {
    for home in to {
        std::fs::copy(from.join(REGISTRY_FILE), home.join(REGISTRY_FILE)).expect("copy registry");
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// alice (patient), bob (clinician) and clinic (verifier), each in its own home, all three
/// in every registry; `impostor` is a home from the same setup whose own "bob" is another
/// identity.
struct Homes {
    dir: tempfile::TempDir,
    alice: PathBuf,
    bob: PathBuf,
    clinic: PathBuf,
    impostor: PathBuf,
}

fn homes() -> Homes {
    let dir = tempfile::tempdir().expect("tempdir");
    let template = dir.path().join("template");
    zkh(&template, &["setup", "--depth", "4"]).expect_code(0);
    let [alice, bob, clinic, impostor] =
        ["alice", "bob", "clinic", "impostor"].map(|n| dir.path().join(n));
    for home in [&alice, &bob, &clinic, &impostor] {
        copy_dir(&template, home);
    }
    zkh(&alice, &["identity", "new", "alice", "--role", "patient"]).expect_code(0);
    share_registry(&alice, &[&bob]);
    zkh(&bob, &["identity", "new", "bob", "--role", "clinician"]).expect_code(0);
    share_registry(&bob, &[&clinic]);
    zkh(
        &clinic,
        &["identity", "new", "clinic", "--role", "verifier"],
    )
    .expect_code(0);
    share_registry(&clinic, &[&alice, &bob]);
    zkh(
        &impostor,
        &["identity", "new", "bob", "--role", "clinician"],
    )
    .expect_code(0);
    Homes {
        dir,
        alice,
        bob,
        clinic,
        impostor,
    }
}

#[test]
fn a_grant_crosses_homes_as_a_sealed_credential() {
    let h = homes();
    let file = |name: &str| h.dir.path().join(name);

    // bob's card, exported in bob's home, imported in alice's.
    let card = file("bob.card.json");
    let run = zkh(
        &h.bob,
        &["--json", "identity", "export", "bob", "--out", path(&card)],
    );
    run.expect_code(0);
    let exported = run.json();
    let fingerprint = exported["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_owned();
    assert_eq!(fingerprint.len(), 32);
    let human = zkh(
        &h.bob,
        &[
            "identity",
            "export",
            "bob",
            "--out",
            path(&file("again.json")),
        ],
    );
    human.expect_code(0);
    assert!(human.stdout.contains(&fingerprint), "{}", human.stdout);
    // bob's home holds no secret for alice.
    zkh(
        &h.bob,
        &[
            "identity",
            "export",
            "alice",
            "--out",
            path(&file("x.json")),
        ],
    )
    .expect_code(2)
    .one_line_error();

    let run = zkh(&h.alice, &["--json", "identity", "import", path(&card)]);
    run.expect_code(0);
    let imported = run.json();
    assert_eq!(
        (&imported["name"], &imported["role"], &imported["status"]),
        (&"bob".into(), &"clinician".into(), &"imported".into())
    );
    assert_eq!(imported["fingerprint"], fingerprint.as_str());
    assert_eq!(imported["id"], exported["id"]);
    let again = zkh(&h.alice, &["identity", "import", path(&card)]);
    again.expect_code(0);
    assert!(
        again.stdout.contains("bob (clinician)") && again.stdout.contains(&fingerprint),
        "{}",
        again.stdout
    );

    // A card for "bob" from another home (another id): refused where bob is registered.
    let impostor_card = file("impostor.card.json");
    zkh(
        &h.impostor,
        &["identity", "export", "bob", "--out", path(&impostor_card)],
    )
    .expect_code(0);
    let err = zkh(&h.alice, &["identity", "import", path(&impostor_card)]);
    err.expect_code(1);
    assert!(
        err.one_line_error().contains("does not match"),
        "{}",
        err.stderr
    );
    // An altered card is malformed.
    let mut altered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&card).expect("card")).expect("card JSON");
    altered["extra"] = true.into();
    let altered_path = file("altered.card.json");
    std::fs::write(&altered_path, altered.to_string()).expect("write");
    zkh(&h.alice, &["identity", "import", path(&altered_path)]).expect_code(2);

    // alice issues to bob's card and writes the credential.
    let credential = file("grant.cred");
    let (nb, na) = (NOT_BEFORE.to_string(), NOT_AFTER.to_string());
    let run = zkh(
        &h.alice,
        &[
            "--json",
            "grant",
            "issue",
            "--patient",
            "alice",
            "--grantee-card",
            path(&card),
            "--scope",
            "conditions,observations",
            "--not-before",
            &nb,
            "--not-after",
            &na,
            "--out",
            path(&credential),
        ],
    );
    run.expect_code(0);
    let index = run.json()["index"].as_u64().expect("index");
    assert_eq!(index, 0);
    assert!(credential.is_file());
    // The impostor's card cannot be the grantee: refused before anything is issued.
    zkh(
        &h.alice,
        &[
            "grant",
            "issue",
            "--patient",
            "alice",
            "--grantee-card",
            path(&impostor_card),
            "--scope",
            "all",
            "--out",
            path(&file("no.cred")),
        ],
    )
    .expect_code(1);
    share_registry(&h.alice, &[&h.bob, &h.clinic, &h.impostor]);

    // Stolen: the clinic's home (no bob key) and the impostor's "bob" cannot use it.
    for thief in [&h.clinic, &h.impostor] {
        let err = zkh(thief, &["grant", "accept", path(&credential)]);
        err.expect_code(1);
        assert!(
            err.one_line_error()
                .contains("this credential is sealed to bob; this home does not hold bob's key"),
            "{}",
            err.stderr
        );
    }
    // Tampered: one hex digit of the ciphertext changed.
    let mut tampered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&credential).expect("credential")).expect("JSON");
    let ct = tampered["envelope"]["ciphertext"]
        .as_str()
        .expect("ct")
        .to_owned();
    let flipped = if ct.starts_with('0') { "1" } else { "0" };
    tampered["envelope"]["ciphertext"] = format!("{flipped}{}", &ct[1..]).into();
    let tampered_path = file("tampered.cred");
    std::fs::write(&tampered_path, tampered.to_string()).expect("write");
    let err = zkh(&h.bob, &["grant", "accept", path(&tampered_path)]);
    err.expect_code(2);
    assert!(err.one_line_error().contains("altered"), "{}", err.stderr);

    // bob accepts (twice: the second changes nothing).
    let run = zkh(&h.bob, &["--json", "grant", "accept", path(&credential)]);
    run.expect_code(0);
    let accepted = run.json();
    assert_eq!(
        (
            &accepted["index"],
            &accepted["patient"],
            &accepted["grantee"]
        ),
        (&0.into(), &"alice".into(), &"bob".into())
    );
    assert_eq!(accepted["already_held"], false);
    let run = zkh(&h.bob, &["--json", "grant", "accept", path(&credential)]);
    run.expect_code(0);
    assert_eq!(run.json()["already_held"], true);

    // The clinic asks, bob proves in his home, the clinic verifies in its own.
    let (request, _) = new_access_request(&h.clinic, "observations");
    let proof = file("access.json");
    let base = BASE.to_string();
    prove(
        &h.bob,
        index,
        &request,
        &["--now", &base, "--out", path(&proof)],
    )
    .expect_code(0);
    let verdict = verify_answer(&h.clinic, &proof, &request);
    verdict.expect_code(0);
    // alice's home has no secret of bob's: it cannot prove under its own grant.
    prove(&h.alice, index, &request, &["--now", &base]).expect_code(1);
}
