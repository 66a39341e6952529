//! Sealed hand-offs between parties: a file one party writes for another (a grant credential)
//! is encrypted to the recipient's public key with HPKE (RFC 9180), base mode, suite
//! DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305, from the `hpke` crate.
//! Nothing cryptographic is implemented here: this crate fixes the suite, derives an
//! identity's key pair from its existing secret ([`SealKeyPair::from_identity_secret`]), and
//! gives envelopes a versioned byte and JSON form ([`Envelope`]).
//!
//! A recipient's key is identified to people by its [`Fingerprint`], which they compare out
//! of band (the key itself is not bound to the identity's public id by anything a machine
//! can check).
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod envelope;
mod keys;
mod rng;

pub use envelope::{open, seal, Envelope, ENVELOPE_VERSION, MAX_CIPHERTEXT_BYTES, SUITE};
pub use keys::{
    Fingerprint, SealKeyPair, SealPublicKey, FINGERPRINT_BYTES, FINGERPRINT_DOMAIN,
    PUBLIC_KEY_BYTES, SEAL_KEY_DOMAIN,
};

/// Why sealing, opening or decoding failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// A public key is not 64 lowercase hex digits (32 bytes).
    #[error("invalid seal key: expected {PUBLIC_KEY_BYTES} bytes as lowercase hex")]
    InvalidPublicKey,
    /// A fingerprint is not 32 lowercase hex digits (16 bytes).
    #[error("invalid key fingerprint: expected {FINGERPRINT_BYTES} bytes as lowercase hex")]
    InvalidFingerprint,
    /// An envelope's encoding is wrong (version, suite, lengths, hex).
    #[error("malformed envelope: {0}")]
    MalformedEnvelope(&'static str),
    /// The plaintext (or a ciphertext) is longer than [`MAX_CIPHERTEXT_BYTES`] allows.
    #[error("sealed message larger than {MAX_CIPHERTEXT_BYTES} bytes")]
    TooLarge,
    /// Encapsulation or encryption failed (a recipient key no one can hold, such as a
    /// low-order point).
    #[error("cannot seal to this key")]
    Seal,
    /// Decapsulation or decryption failed: another recipient's key, or an envelope, info or
    /// associated data that was altered.
    #[error("the envelope does not open with this key: it was sealed to another key or altered")]
    Open,
}
