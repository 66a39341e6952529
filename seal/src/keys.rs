//! Key pairs, public keys and fingerprints.

use crate::SealError;
use hpke::{Deserializable, Kem as _, Serializable};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The KEM of the suite.
pub(crate) type Kem = hpke::kem::X25519HkdfSha256;

/// Length of an X25519 public key.
pub const PUBLIC_KEY_BYTES: usize = 32;
/// Length of a fingerprint: half of SHA-256, enough against a second preimage, short enough
/// for people to read aloud.
pub const FINGERPRINT_BYTES: usize = 16;
/// Prefix of the input keying material from which an identity's key pair is derived, so the
/// X25519 key is independent of every other use of the identity's secret.
pub const SEAL_KEY_DOMAIN: &[u8] = b"zkconsent.seal.x25519.v1";
/// Prefix hashed before a public key to make its fingerprint.
pub const FINGERPRINT_DOMAIN: &[u8] = b"zkconsent.seal.fingerprint.v1";

/// A recipient's public key (X25519, 32 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SealPublicKey([u8; PUBLIC_KEY_BYTES]);

impl SealPublicKey {
    /// The key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; PUBLIC_KEY_BYTES]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_BYTES] {
        self.0
    }

    /// Lowercase hex (64 digits).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses [`SealPublicKey::to_hex`]'s form, and nothing else (one spelling per key).
    ///
    /// # Errors
    ///
    /// [`SealError::InvalidPublicKey`].
    pub fn from_hex(s: &str) -> Result<Self, SealError> {
        decode_lower_hex::<PUBLIC_KEY_BYTES>(s)
            .map(Self)
            .ok_or(SealError::InvalidPublicKey)
    }

    /// The key's fingerprint: the first 16 bytes of SHA-256(domain ‖ key).
    pub fn fingerprint(&self) -> Fingerprint {
        let digest = Sha256::new()
            .chain_update(FINGERPRINT_DOMAIN)
            .chain_update(self.0)
            .finalize();
        let mut out = [0u8; FINGERPRINT_BYTES];
        out.copy_from_slice(&digest[..FINGERPRINT_BYTES]);
        Fingerprint(out)
    }

    pub(crate) fn to_hpke(self) -> Result<<Kem as hpke::Kem>::PublicKey, SealError> {
        <Kem as hpke::Kem>::PublicKey::from_bytes(&self.0).map_err(|_| SealError::Seal)
    }
}

impl std::fmt::Debug for SealPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealPublicKey({})", self.to_hex())
    }
}

/// What people compare to be sure a card's key is the one its owner holds.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; FINGERPRINT_BYTES]);

impl Fingerprint {
    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; FINGERPRINT_BYTES] {
        &self.0
    }

    /// Lowercase hex (32 digits).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses [`Fingerprint::to_hex`]'s form, and nothing else.
    ///
    /// # Errors
    ///
    /// [`SealError::InvalidFingerprint`].
    pub fn from_hex(s: &str) -> Result<Self, SealError> {
        decode_lower_hex::<FINGERPRINT_BYTES>(s)
            .map(Self)
            .ok_or(SealError::InvalidFingerprint)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

/// A recipient's key pair. Neither `Clone` nor a `Debug` that shows the secret; the private
/// key (x25519-dalek's `StaticSecret`) is zeroed when dropped.
pub struct SealKeyPair {
    secret: <Kem as hpke::Kem>::PrivateKey,
    public: SealPublicKey,
}

impl SealKeyPair {
    /// The key pair of an identity, from its secret's bytes: RFC 9180's `DeriveKeyPair` on
    /// `SEAL_KEY_DOMAIN ‖ secret`, so no new secret has to be stored.
    pub fn from_identity_secret(secret: &[u8]) -> Self {
        let mut ikm = Zeroizing::new(Vec::with_capacity(SEAL_KEY_DOMAIN.len() + secret.len()));
        ikm.extend_from_slice(SEAL_KEY_DOMAIN);
        ikm.extend_from_slice(secret);
        Self::derive(&ikm)
    }

    /// RFC 9180's `DeriveKeyPair(ikm)` for the suite's KEM (its test vectors use this
    /// directly; identities use [`SealKeyPair::from_identity_secret`]). `ikm` should hold
    /// at least 32 bytes of entropy.
    pub fn derive(ikm: &[u8]) -> Self {
        let (secret, public) = Kem::derive_keypair(ikm);
        let mut bytes = [0u8; PUBLIC_KEY_BYTES];
        bytes.copy_from_slice(&public.to_bytes());
        Self {
            secret,
            public: SealPublicKey(bytes),
        }
    }

    /// The public key.
    pub fn public_key(&self) -> SealPublicKey {
        self.public
    }

    pub(crate) fn secret(&self) -> &<Kem as hpke::Kem>::PrivateKey {
        &self.secret
    }
}

impl std::fmt::Debug for SealKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// Exactly `2 * N` lowercase hex digits.
pub(crate) fn decode_lower_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}
