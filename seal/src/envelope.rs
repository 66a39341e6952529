//! Envelopes: the encapsulated key and the ciphertext, in a versioned byte and JSON form.

use crate::{
    keys::{decode_lower_hex, Kem},
    rng::HpkeRng,
    SealError, SealKeyPair, SealPublicKey, PUBLIC_KEY_BYTES,
};
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use serde::{Deserialize, Serialize};

type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::ChaCha20Poly1305;

/// Version of the envelope encoding (the byte form's first byte, the JSON form's `version`).
pub const ENVELOPE_VERSION: u8 = 1;
/// The suite's name, written in the JSON form and checked on reading.
pub const SUITE: &str = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305";
/// Largest ciphertext (tag included) an envelope may hold: hand-offs are small, and a bound
/// keeps a hostile file from making us allocate.
pub const MAX_CIPHERTEXT_BYTES: usize = 64 * 1024;
/// ChaCha20-Poly1305's tag: the shortest ciphertext.
const TAG_BYTES: usize = 16;
/// Length of the byte form's header: version, then the encapsulated key.
const HEADER_BYTES: usize = 1 + PUBLIC_KEY_BYTES;

/// A sealed message: HPKE's encapsulated key and the AEAD ciphertext.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "EnvelopeJson", into = "EnvelopeJson")]
pub struct Envelope {
    encapped_key: [u8; PUBLIC_KEY_BYTES],
    ciphertext: Vec<u8>,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("encapped_key", &hex::encode(self.encapped_key))
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

impl Envelope {
    /// The encapsulated key.
    pub fn encapped_key(&self) -> &[u8; PUBLIC_KEY_BYTES] {
        &self.encapped_key
    }

    /// The ciphertext (tag included).
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// `version ‖ encapped key ‖ ciphertext`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_BYTES + self.ciphertext.len());
        out.push(ENVELOPE_VERSION);
        out.extend_from_slice(&self.encapped_key);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parses [`Envelope::to_bytes`]'s form.
    ///
    /// # Errors
    ///
    /// [`SealError::MalformedEnvelope`] or [`SealError::TooLarge`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        let (&version, rest) = bytes
            .split_first()
            .ok_or(SealError::MalformedEnvelope("empty"))?;
        if version != ENVELOPE_VERSION {
            return Err(SealError::MalformedEnvelope("unknown version"));
        }
        if rest.len() < PUBLIC_KEY_BYTES {
            return Err(SealError::MalformedEnvelope("truncated encapsulated key"));
        }
        let (key, ciphertext) = rest.split_at(PUBLIC_KEY_BYTES);
        let mut encapped_key = [0u8; PUBLIC_KEY_BYTES];
        encapped_key.copy_from_slice(key);
        Self::new(encapped_key, ciphertext.to_vec())
    }

    fn new(encapped_key: [u8; PUBLIC_KEY_BYTES], ciphertext: Vec<u8>) -> Result<Self, SealError> {
        if ciphertext.len() > MAX_CIPHERTEXT_BYTES {
            return Err(SealError::TooLarge);
        }
        if ciphertext.len() < TAG_BYTES {
            return Err(SealError::MalformedEnvelope(
                "ciphertext shorter than its tag",
            ));
        }
        Ok(Self {
            encapped_key,
            ciphertext,
        })
    }
}

/// The JSON form: `{"version":1,"suite":SUITE,"encapped_key":hex,"ciphertext":hex}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeJson {
    version: u8,
    suite: String,
    encapped_key: String,
    ciphertext: String,
}

impl From<Envelope> for EnvelopeJson {
    fn from(e: Envelope) -> Self {
        Self {
            version: ENVELOPE_VERSION,
            suite: SUITE.to_owned(),
            encapped_key: hex::encode(e.encapped_key),
            ciphertext: hex::encode(&e.ciphertext),
        }
    }
}

impl TryFrom<EnvelopeJson> for Envelope {
    type Error = SealError;

    fn try_from(j: EnvelopeJson) -> Result<Self, SealError> {
        if j.version != ENVELOPE_VERSION {
            return Err(SealError::MalformedEnvelope("unknown version"));
        }
        if j.suite != SUITE {
            return Err(SealError::MalformedEnvelope("unknown suite"));
        }
        let encapped_key = decode_lower_hex::<PUBLIC_KEY_BYTES>(&j.encapped_key).ok_or(
            SealError::MalformedEnvelope("encapped_key is not 32 bytes of hex"),
        )?;
        // Checked before decoding so a huge string is refused without a second allocation.
        if j.ciphertext.len() > 2 * MAX_CIPHERTEXT_BYTES {
            return Err(SealError::TooLarge);
        }
        let lower = j
            .ciphertext
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let ciphertext = hex::decode(&j.ciphertext).ok().filter(|_| lower).ok_or(
            SealError::MalformedEnvelope("ciphertext is not lowercase hex"),
        )?;
        Self::new(encapped_key, ciphertext)
    }
}

/// Seals `plaintext` to `recipient`, binding `info` (the context: what this message is) and
/// `aad` (authenticated, not encrypted); both must be given again to open it.
///
/// # Errors
///
/// [`SealError::TooLarge`], or [`SealError::Seal`] for a key no one can hold.
pub fn seal<R: rand_core::RngCore + rand_core::CryptoRng>(
    recipient: &SealPublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut R,
) -> Result<Envelope, SealError> {
    if plaintext.len() > MAX_CIPHERTEXT_BYTES - TAG_BYTES {
        return Err(SealError::TooLarge);
    }
    let pk = recipient.to_hpke()?;
    let (encapped, ciphertext) = hpke::single_shot_seal::<Aead, Kdf, Kem, _>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        aad,
        &mut HpkeRng(rng),
    )
    .map_err(|_| SealError::Seal)?;
    let mut encapped_key = [0u8; PUBLIC_KEY_BYTES];
    encapped_key.copy_from_slice(&encapped.to_bytes());
    Envelope::new(encapped_key, ciphertext)
}

/// Opens an envelope sealed to `keypair`'s public key with the same `info` and `aad`.
///
/// # Errors
///
/// [`SealError::Open`]: sealed to another key, or anything altered.
pub fn open(
    keypair: &SealKeyPair,
    info: &[u8],
    aad: &[u8],
    envelope: &Envelope,
) -> Result<Vec<u8>, SealError> {
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(&envelope.encapped_key)
        .map_err(|_| SealError::Open)?;
    hpke::single_shot_open::<Aead, Kdf, Kem>(
        &OpModeR::Base,
        keypair.secret(),
        &encapped,
        info,
        &envelope.ciphertext,
        aad,
    )
    .map_err(|_| SealError::Open)
}
