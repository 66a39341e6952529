//! HPKE envelopes: a known answer from RFC 9180, round trips, and every alteration refused.

use rand::{rngs::StdRng, SeedableRng};
use zkconsent_seal::{
    open, seal, Envelope, Fingerprint, SealError, SealKeyPair, SealPublicKey, ENVELOPE_VERSION,
    MAX_CIPHERTEXT_BYTES,
};

/// RFC 9180 appendix A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305,
/// base mode (also the CFRG test-vectors file the `hpke` crate ships, mode 0, kem 0x20,
/// kdf 1, aead 3), first encryption (sequence number 0, as a single-shot open uses).
mod rfc9180_a21 {
    pub const INFO: &str = "4f6465206f6e2061204772656369616e2055726e";
    pub const IKM_R: &str = "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df";
    pub const SK_RM: &str = "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb";
    pub const PK_RM: &str = "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a";
    pub const ENC: &str = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
    pub const AAD: &str = "436f756e742d30";
    pub const PT: &str = "4265617574792069732074727574682c20747275746820626561757479";
    pub const CT: &str = "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28";
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn kat_envelope() -> Envelope {
    let bytes = [
        &[ENVELOPE_VERSION][..],
        &unhex(rfc9180_a21::ENC),
        &unhex(rfc9180_a21::CT),
    ]
    .concat();
    Envelope::from_bytes(&bytes).unwrap()
}

#[test]
fn rfc9180_a21_known_answer() {
    use rfc9180_a21::*;
    let keypair = SealKeyPair::derive(&unhex(IKM_R));
    assert_eq!(keypair.public_key().to_hex(), PK_RM);
    let envelope = kat_envelope();
    let plaintext = open(&keypair, &unhex(INFO), &unhex(AAD), &envelope).unwrap();
    assert_eq!(hex::encode(plaintext), PT);
    // The fingerprint is SHA-256 over the domain and key, cut to 16 bytes (computed
    // independently with Python's hashlib).
    assert_eq!(
        keypair.public_key().fingerprint().to_hex(),
        "0968e62a7506855911627dfa8258b347"
    );
    // Debug never shows the private key.
    let shown = format!("{keypair:?}");
    assert!(!shown.contains(SK_RM) && shown.contains(PK_RM), "{shown}");
}

#[test]
fn the_known_answer_refuses_every_altered_byte() {
    use rfc9180_a21::*;
    let keypair = SealKeyPair::derive(&unhex(IKM_R));
    let (info, aad) = (unhex(INFO), unhex(AAD));
    let bytes = kat_envelope().to_bytes();
    for i in 1..bytes.len() {
        let mut altered = bytes.clone();
        altered[i] ^= 0x01;
        let envelope = Envelope::from_bytes(&altered).unwrap();
        assert_eq!(
            open(&keypair, &info, &aad, &envelope),
            Err(SealError::Open),
            "byte {i}"
        );
    }
}

#[test]
fn round_trip_and_every_alteration_fails() {
    let mut rng = StdRng::seed_from_u64(14);
    let alice = SealKeyPair::from_identity_secret(&[7u8; 32]);
    let mallory = SealKeyPair::from_identity_secret(&[8u8; 32]);
    let (info, aad, plaintext) = (b"zkconsent.test.v1", b"fingerprint", b"the opening");
    let envelope = seal(&alice.public_key(), info, aad, plaintext, &mut rng).unwrap();
    assert_eq!(open(&alice, info, aad, &envelope).unwrap(), plaintext);
    // Two seals of one message differ (a fresh ephemeral key each time).
    let again = seal(&alice.public_key(), info, aad, plaintext, &mut rng).unwrap();
    assert_ne!(again, envelope);

    assert_eq!(open(&mallory, info, aad, &envelope), Err(SealError::Open));
    let bytes = envelope.to_bytes();
    for i in 1..bytes.len() {
        let mut altered = bytes.clone();
        altered[i] ^= 0x80;
        let altered = Envelope::from_bytes(&altered).unwrap();
        assert_eq!(
            open(&alice, info, aad, &altered),
            Err(SealError::Open),
            "byte {i}"
        );
    }
    for i in 0..aad.len() {
        let mut altered = aad.to_vec();
        altered[i] ^= 0x01;
        assert_eq!(
            open(&alice, info, &altered, &envelope),
            Err(SealError::Open)
        );
    }
    for i in 0..info.len() {
        let mut altered = info.to_vec();
        altered[i] ^= 0x01;
        assert_eq!(open(&alice, &altered, aad, &envelope), Err(SealError::Open));
    }
    assert_eq!(open(&alice, info, b"", &envelope), Err(SealError::Open));
    // A truncated ciphertext (tag cut) does not open either.
    let mut cut = bytes.clone();
    cut.pop();
    let cut = Envelope::from_bytes(&cut).unwrap();
    assert_eq!(open(&alice, info, aad, &cut), Err(SealError::Open));
}

#[test]
fn identity_keys_are_deterministic_and_domain_separated() {
    let secret = [42u8; 32];
    let a = SealKeyPair::from_identity_secret(&secret);
    let b = SealKeyPair::from_identity_secret(&secret);
    assert_eq!(a.public_key(), b.public_key());
    // The identity's key is not DeriveKeyPair of the bare secret.
    assert_ne!(a.public_key(), SealKeyPair::derive(&secret).public_key());
    assert_ne!(
        a.public_key(),
        SealKeyPair::from_identity_secret(&[43u8; 32]).public_key()
    );
}

#[test]
fn byte_and_json_forms_round_trip_strictly() {
    let mut rng = StdRng::seed_from_u64(15);
    let alice = SealKeyPair::from_identity_secret(&[1u8; 32]);
    let envelope = seal(&alice.public_key(), b"i", b"a", b"message", &mut rng).unwrap();
    assert_eq!(
        Envelope::from_bytes(&envelope.to_bytes()).unwrap(),
        envelope
    );
    let json = serde_json::to_value(&envelope).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(
        json["suite"],
        "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305"
    );
    let back: Envelope = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, envelope);

    let refused = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = json.clone();
        edit(&mut v);
        serde_json::from_value::<Envelope>(v).is_err()
    };
    assert!(refused(&|v| v["version"] = 2.into()));
    assert!(refused(&|v| v["suite"] = "X25519, AES-GCM".into()));
    assert!(refused(&|v| v["extra"] = 1.into()));
    assert!(refused(&|v| {
        v.as_object_mut().unwrap().remove("ciphertext");
    }));
    assert!(refused(&|v| {
        let upper = v["ciphertext"].as_str().unwrap().to_uppercase();
        v["ciphertext"] = upper.into();
    }));
    assert!(refused(&|v| v["encapped_key"] = "00".into()));
    assert!(refused(&|v| v["ciphertext"] = "00".into()));
    assert!(refused(&|v| {
        v["ciphertext"] = "00".repeat(MAX_CIPHERTEXT_BYTES + 1).into();
    }));

    assert!(Envelope::from_bytes(&[]).is_err());
    assert!(Envelope::from_bytes(&[2; 64]).is_err());
    assert!(Envelope::from_bytes(&[ENVELOPE_VERSION; 40]).is_err());
    assert_eq!(
        Envelope::from_bytes(&vec![ENVELOPE_VERSION; 1 + 32 + MAX_CIPHERTEXT_BYTES + 1]),
        Err(SealError::TooLarge)
    );
    assert_eq!(
        seal(
            &alice.public_key(),
            b"",
            b"",
            &vec![0u8; MAX_CIPHERTEXT_BYTES],
            &mut rng
        ),
        Err(SealError::TooLarge)
    );
}

#[test]
fn keys_and_fingerprints_parse_one_spelling() {
    let key = SealKeyPair::from_identity_secret(&[3u8; 32]).public_key();
    assert_eq!(SealPublicKey::from_hex(&key.to_hex()), Ok(key));
    assert_eq!(SealPublicKey::from_bytes(key.to_bytes()), key);
    for bad in [
        String::new(),
        key.to_hex().to_uppercase(),
        key.to_hex()[2..].to_string(),
        format!("{}00", key.to_hex()),
        format!(" {}", &key.to_hex()[1..]),
    ] {
        assert_eq!(
            SealPublicKey::from_hex(&bad),
            Err(SealError::InvalidPublicKey)
        );
    }
    let fp = key.fingerprint();
    assert_eq!(Fingerprint::from_hex(&fp.to_hex()), Ok(fp));
    assert_eq!(fp.to_string().len(), 32);
    assert_eq!(
        Fingerprint::from_hex(&fp.to_hex().to_uppercase()),
        Err(SealError::InvalidFingerprint)
    );
}

#[test]
fn sealing_to_a_low_order_key_is_refused() {
    let mut rng = StdRng::seed_from_u64(16);
    // The all-zero point: every DH with it gives zero, which HPKE refuses.
    let zero = SealPublicKey::from_bytes([0u8; 32]);
    assert_eq!(seal(&zero, b"", b"", b"m", &mut rng), Err(SealError::Seal));
}
