//! Sealed wallets end to end: nothing readable at rest, two handles writing in turn,
//! sealing a plain wallet, a new passphrase.

use crate::{
    sealed::{KdfCost, Passphrase, SealError},
    Wallet, WalletError,
};
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use rand::{rngs::StdRng, SeedableRng};
use zkconsent_circuits::{
    grant::Grant,
    types::{GrantSalt, Purpose, Scope, SecretKey, Timestamp},
};
use zkconsent_store::Role;

/// Cheap argon2id costs: the storage is under test, not the KDF.
const TEST_KDF: KdfCost = KdfCost {
    memory_kib: 64,
    passes: 1,
    lanes: 1,
};

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.to_owned()).unwrap()
}

/// Every encoding a secret field element could leak in: bytes both ways, hex both ways
/// (either case), decimal.
fn encodings(x: &Fr) -> Vec<Vec<u8>> {
    let le = x.into_bigint().to_bytes_le();
    let be = x.into_bigint().to_bytes_be();
    let mut out = vec![le.clone(), be.clone()];
    for bytes in [&le, &be] {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        out.push(hex.to_uppercase().into_bytes());
        out.push(hex.into_bytes());
    }
    out.push(x.to_string().into_bytes());
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn nothing_secret_is_readable_in_a_sealed_wallet() {
    let mut rng = StdRng::seed_from_u64(15);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    let alice = SecretKey::random(&mut rng);
    let bob = SecretKey::random(&mut rng);
    let grant = Grant {
        patient: alice.id(),
        grantee: bob.id(),
        scope: Scope(3),
        purpose: Purpose(1),
        not_before: Timestamp(10),
        not_after: Timestamp(20),
        salt: GrantSalt::random(&mut rng),
    };
    {
        let mut w = Wallet::create_sealed(&path, &pass("correct horse"), TEST_KDF).unwrap();
        w.add_identity("alice", Role::Patient, &alice).unwrap();
        w.add_identity("bob", Role::Clinician, &bob).unwrap();
        w.add_grant(0, &grant, "alice", "bob").unwrap();
    }
    let mut everything = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        everything.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    for (what, x) in [
        ("alice's secret", alice.0),
        ("bob's secret", bob.0),
        ("the grant's salt", grant.salt.0),
        ("alice's id", alice.id().0),
        ("bob's id", bob.id().0),
    ] {
        for encoding in encodings(&x) {
            assert!(!contains(&everything, &encoding), "{what} readable at rest");
        }
    }
    for word in [&b"alice"[..], b"identities", b"SQLite format"] {
        assert!(!contains(&everything, word));
    }
    #[cfg(unix)]
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        use std::os::unix::fs::PermissionsExt;
        let mode = entry.unwrap().metadata().unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    assert!(matches!(
        Wallet::open(&path, None),
        Err(WalletError::Locked)
    ));
    assert!(matches!(
        Wallet::open(&path, Some(&pass("wrong horse"))),
        Err(WalletError::Seal(SealError::WrongPassphraseOrDamaged))
    ));
    let w = Wallet::open(&path, Some(&pass("correct horse"))).unwrap();
    assert!(w.is_sealed());
    assert_eq!(w.secret("alice").unwrap(), alice);
    assert_eq!(w.grant(0).unwrap().grant, grant);
}

#[test]
fn two_handles_write_in_turn_and_see_each_other() {
    let mut rng = StdRng::seed_from_u64(16);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    let p = pass("correct horse");
    let mut first = Wallet::create_sealed(&path, &p, TEST_KDF).unwrap();
    let mut second = Wallet::open(&path, Some(&p)).unwrap();
    let keys: Vec<SecretKey> = (0..6).map(|_| SecretKey::random(&mut rng)).collect();
    for (i, key) in keys.iter().enumerate() {
        let w = if i % 2 == 0 { &mut first } else { &mut second };
        w.add_identity(&format!("p{i}"), Role::Patient, key)
            .unwrap();
    }
    // A name taken by the other handle is seen at the next write.
    assert!(matches!(
        first.add_identity("p1", Role::Patient, &keys[0]),
        Err(WalletError::DuplicateIdentity(_))
    ));
    let reopened = Wallet::open(&path, Some(&p)).unwrap();
    assert_eq!(reopened.identities().unwrap().len(), keys.len());
    // Threads writing at once: every write lands.
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut w = Wallet::open(&path, Some(&pass("correct horse"))).unwrap();
                for i in 0..5 {
                    w.add_identity(
                        &format!("t{t}-{i}"),
                        Role::Clinician,
                        &SecretKey(Fr::from(i)),
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let reopened = Wallet::open(&path, Some(&p)).unwrap();
    assert_eq!(reopened.identities().unwrap().len(), keys.len() + 20);
}

#[test]
fn a_plain_wallet_is_sealed_in_place_and_rekeyed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    let key = SecretKey(Fr::from(77u64));
    {
        let mut w = Wallet::create(&path, None).unwrap();
        w.add_identity("alice", Role::Patient, &key).unwrap();
        assert!(!w.is_sealed());
    }
    assert!(!Wallet::file_is_sealed(&path).unwrap());
    Wallet::seal_file(&path, &pass("correct horse")).unwrap();
    assert!(Wallet::file_is_sealed(&path).unwrap());
    assert!(!dir.path().join("wallet.db-wal").exists());
    assert!(Wallet::seal_file(&path, &pass("correct horse")).is_err());
    let mut w = Wallet::open(&path, Some(&pass("correct horse"))).unwrap();
    assert_eq!(w.secret("alice").unwrap(), key);
    let mut other = Wallet::open(&path, Some(&pass("correct horse"))).unwrap();
    w.change_passphrase(&pass("battery staple")).unwrap();
    assert!(matches!(
        other.add_identity("bob", Role::Clinician, &key),
        Err(WalletError::Seal(SealError::Rekeyed))
    ));
    assert!(Wallet::open(&path, Some(&pass("correct horse"))).is_err());
    let w = Wallet::open(&path, Some(&pass("battery staple"))).unwrap();
    assert_eq!(w.secret("alice").unwrap(), key);
}

#[cfg(unix)]
#[test]
fn a_wallet_readable_by_others_is_narrowed_at_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    drop(Wallet::create_sealed(&path, &pass("correct horse"), TEST_KDF).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Wallet::open(&path, Some(&pass("correct horse"))).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_reader_refreshes_and_a_failed_write_leaves_memory_as_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    let p = pass("correct horse");
    let mut writer = Wallet::create_sealed(&path, &p, TEST_KDF).unwrap();
    let mut reader = Wallet::open(&path, Some(&p)).unwrap();
    writer
        .add_identity("alice", Role::Patient, &SecretKey(Fr::from(1u64)))
        .unwrap();
    assert!(reader.secret("alice").is_err());
    assert!(reader.refresh().unwrap());
    assert_eq!(reader.secret("alice").unwrap(), SecretKey(Fr::from(1u64)));
    assert!(!reader.refresh().unwrap());

    // The reseal cannot be written (its temporary path is a directory): the write fails and
    // memory goes back to the file.
    std::fs::create_dir(dir.path().join("wallet.db.tmp")).unwrap();
    assert!(writer
        .add_identity("ghost", Role::Patient, &SecretKey(Fr::from(2u64)))
        .is_err());
    assert!(matches!(
        writer.secret("ghost"),
        Err(WalletError::UnknownIdentity(_))
    ));
    std::fs::remove_dir(dir.path().join("wallet.db.tmp")).unwrap();
    writer
        .add_identity("bob", Role::Clinician, &SecretKey(Fr::from(3u64)))
        .unwrap();
}

#[test]
fn sealing_refuses_a_wallet_in_use_and_removes_plaintext_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.db");
    let mut plain = Wallet::create(&path, None).unwrap();
    plain
        .add_identity("alice", Role::Patient, &SecretKey(Fr::from(9u64)))
        .unwrap();
    // Another handle has it open: sealing would strand its writes, so it is refused.
    assert!(Wallet::seal_file(&path, &pass("correct horse")).is_err());
    assert!(!Wallet::file_is_sealed(&path).unwrap());
    drop(plain);
    Wallet::seal_file(&path, &pass("correct horse")).unwrap();
    // A WAL left beside a sealed wallet (a crash while sealing) holds plaintext pages: it is
    // removed at the next open.
    let wal = dir.path().join("wallet.db-wal");
    std::fs::write(&wal, b"plaintext pages").unwrap();
    let w = Wallet::open(&path, Some(&pass("correct horse"))).unwrap();
    assert!(!wal.exists());
    assert_eq!(w.secret("alice").unwrap(), SecretKey(Fr::from(9u64)));
}
