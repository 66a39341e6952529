//! The sealed wallet file: the whole SQLite database encrypted under a passphrase.
//!
//! The passphrase is stretched with argon2id (RFC 9106) over a random salt; the database
//! image is sealed with XChaCha20-Poly1305 under a fresh random nonce at every write, the
//! header (format, argon2 costs, salt, nonce) authenticated as associated data. Nothing of
//! the wallet, not even its table names, is readable without the passphrase, and a flipped
//! bit anywhere is refused ([`SealError::WrongPassphraseOrDamaged`]).
//!
//! ```text
//! offset  size  field
//!      0     8  MAGIC ("ZKCWLT" ‖ 0 ‖ format version 1)
//!      8     4  argon2id memory cost, KiB (u32, little-endian)
//!     12     4  argon2id passes
//!     16     4  argon2id lanes
//!     20    16  salt
//!     36    24  nonce
//!     60     …  ciphertext ‖ 16-byte tag
//! ```
//!
//! Both primitives come from RustCrypto (`argon2`, `chacha20poly1305`); keys and plaintext
//! copies are zeroised when dropped. SQLite's own page cache (the open database in memory)
//! is not: a process that can read this process's memory sees the wallet anyway.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use zeroize::Zeroizing;

/// First bytes of a sealed wallet: a name no SQLite file starts with, then the format version.
pub const MAGIC: [u8; 8] = *b"ZKCWLT\x00\x01";
/// Bytes of the argon2id salt.
pub const SALT_BYTES: usize = 16;
/// Bytes of the argon2id costs in the header (three little-endian u32s).
pub const KDF_COST_BYTES: usize = 3 * 4;
/// Bytes of the XChaCha20 nonce (random: 192 bits never collide in practice).
pub const NONCE_BYTES: usize = 24;
/// Bytes of the Poly1305 tag after the ciphertext.
pub const TAG_BYTES: usize = 16;
/// Bytes of the header before the ciphertext.
pub const HEADER_BYTES: usize = 8 + 3 * 4 + SALT_BYTES + NONCE_BYTES;
/// Fewest bytes a passphrase for a new wallet may have.
pub const MIN_PASSPHRASE_BYTES: usize = 8;
/// Most bytes a passphrase may have (a line, not a file).
pub const MAX_PASSPHRASE_BYTES: usize = 1024;

/// The argon2id costs a new wallet gets: 64 MiB, three passes, one lane (RFC 9106's second
/// recommended option, one lane: a second lane would not slow an attacker). 106 ms on a
/// 2-vCPU server, once per process that opens the wallet.
pub const DEFAULT_KDF: KdfCost = KdfCost {
    memory_kib: 64 * 1024,
    passes: 3,
    lanes: 1,
};
/// The most memory a wallet header may ask for (a hostile header cannot exhaust memory).
pub const MAX_KDF_MEMORY_KIB: u32 = 1024 * 1024;
/// The most passes a wallet header may ask for.
pub const MAX_KDF_PASSES: u32 = 16;
/// The most lanes a wallet header may ask for.
pub const MAX_KDF_LANES: u32 = 16;

/// Why a sealed wallet could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The file is shorter than a header and a tag.
    #[error("sealed wallet truncated ({0} bytes)")]
    Truncated(usize),
    /// The file does not start with [`MAGIC`] (another version, or not a sealed wallet).
    #[error("not a sealed zkconsent wallet of a format this build reads")]
    UnknownFormat,
    /// The header's argon2id costs are out of bounds.
    #[error("sealed wallet asks for argon2id costs out of bounds ({0})")]
    KdfCostOutOfBounds(String),
    /// Decryption failed: the passphrase is wrong, or the file was altered.
    #[error("wrong passphrase, or the wallet file is damaged")]
    WrongPassphraseOrDamaged,
    /// The passphrase is too short or too long for a new wallet.
    #[error(
        "a wallet passphrase must have {MIN_PASSPHRASE_BYTES} to {MAX_PASSPHRASE_BYTES} bytes"
    )]
    PassphraseLength,
    /// The operating system's randomness failed.
    #[error("no randomness for the wallet's salt or nonce: {0}")]
    Randomness(String),
    /// The file was re-sealed under another salt or cost (its passphrase was changed by
    /// another process) since this process opened it.
    #[error("the wallet was re-keyed by another process: open it again")]
    Rekeyed,
}

/// A wallet passphrase. Zeroised on drop; never printed.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// A passphrase to open an existing wallet (any length up to [`MAX_PASSPHRASE_BYTES`]).
    ///
    /// # Errors
    ///
    /// [`SealError::PassphraseLength`] if empty or longer than the bound.
    pub fn new(text: String) -> Result<Self, SealError> {
        let text = Zeroizing::new(text);
        if text.is_empty() || text.len() > MAX_PASSPHRASE_BYTES {
            return Err(SealError::PassphraseLength);
        }
        Ok(Self(text))
    }

    /// Checks the length a new wallet's passphrase needs.
    ///
    /// # Errors
    ///
    /// [`SealError::PassphraseLength`].
    pub fn check_for_new_wallet(&self) -> Result<(), SealError> {
        if self.0.len() < MIN_PASSPHRASE_BYTES {
            return Err(SealError::PassphraseLength);
        }
        Ok(())
    }

    /// Whether two passphrases are the same (a confirmation typed twice).
    pub fn same_as(&self, other: &Passphrase) -> bool {
        self.bytes() == other.bytes()
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// argon2id costs, as stored in a sealed wallet's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfCost {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub passes: u32,
    /// Parallel lanes.
    pub lanes: u32,
}

impl KdfCost {
    fn params(self) -> Result<Params, SealError> {
        let in_bounds = (1..=MAX_KDF_PASSES).contains(&self.passes)
            && (1..=MAX_KDF_LANES).contains(&self.lanes)
            && self.memory_kib <= MAX_KDF_MEMORY_KIB;
        let out_of_bounds = || {
            SealError::KdfCostOutOfBounds(format!(
                "{} KiB, {} passes, {} lanes",
                self.memory_kib, self.passes, self.lanes
            ))
        };
        if !in_bounds {
            return Err(out_of_bounds());
        }
        Params::new(self.memory_kib, self.passes, self.lanes, Some(32)).map_err(|_| out_of_bounds())
    }
}

/// The key a wallet is sealed under, with the salt and costs it was derived with.
pub struct SealKey {
    key: Zeroizing<[u8; 32]>,
    cost: KdfCost,
    salt: [u8; SALT_BYTES],
}

impl SealKey {
    /// A key for a new wallet: a fresh salt, `cost`.
    ///
    /// # Errors
    ///
    /// [`SealError::PassphraseLength`], bad costs, or no randomness.
    pub fn for_new_wallet(passphrase: &Passphrase, cost: KdfCost) -> Result<Self, SealError> {
        passphrase.check_for_new_wallet()?;
        let mut salt = [0u8; SALT_BYTES];
        random(&mut salt)?;
        Self::derive(passphrase, cost, salt)
    }

    fn derive(
        passphrase: &Passphrase,
        cost: KdfCost,
        salt: [u8; SALT_BYTES],
    ) -> Result<Self, SealError> {
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, cost.params()?);
        let mut key = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.bytes(), &salt, key.as_mut())
            .map_err(|e| SealError::KdfCostOutOfBounds(e.to_string()))?;
        Ok(Self { key, cost, salt })
    }

    /// Seals `plaintext` under a fresh nonce: header ‖ ciphertext ‖ tag.
    ///
    /// # Errors
    ///
    /// No randomness.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_BYTES];
        random(&mut nonce)?;
        let header = Header {
            cost: self.cost,
            salt: self.salt,
            nonce,
        }
        .encode();
        let cipher = XChaCha20Poly1305::new(self.key.as_ref().into());
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &header,
                },
            )
            .map_err(|_| SealError::WrongPassphraseOrDamaged)?;
        let mut out = Vec::with_capacity(HEADER_BYTES + sealed.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a sealed file with a passphrase: derives the key from the header's salt and
    /// costs, then decrypts.
    ///
    /// # Errors
    ///
    /// A malformed header, or [`SealError::WrongPassphraseOrDamaged`].
    pub fn open(
        passphrase: &Passphrase,
        file: &[u8],
    ) -> Result<(Self, Zeroizing<Vec<u8>>), SealError> {
        let header = Header::parse(file)?;
        let key = Self::derive(passphrase, header.cost, header.salt)?;
        let plaintext = key.decrypt(&header, file)?;
        Ok((key, plaintext))
    }

    /// Opens a file this key sealed (a later version written by another process).
    ///
    /// # Errors
    ///
    /// [`SealError::Rekeyed`] if the file has another salt or cost, a malformed header, or
    /// [`SealError::WrongPassphraseOrDamaged`].
    pub fn reopen(&self, file: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let header = Header::parse(file)?;
        if header.salt != self.salt || header.cost != self.cost {
            return Err(SealError::Rekeyed);
        }
        self.decrypt(&header, file)
    }

    /// A key held elsewhere (the key agent's answer), for the salt and costs it was derived
    /// with.
    pub(crate) fn from_parts(
        key: Zeroizing<[u8; 32]>,
        cost: KdfCost,
        salt: [u8; SALT_BYTES],
    ) -> Self {
        Self { key, cost, salt }
    }

    /// The derived key itself (the key agent hands it out).
    pub(crate) fn key_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// The argon2id costs this key was derived with.
    pub fn cost(&self) -> KdfCost {
        self.cost
    }

    /// The argon2id salt this key was derived with.
    pub fn salt(&self) -> [u8; SALT_BYTES] {
        self.salt
    }

    /// Whether this key was derived with the salt and costs of `header` (a file re-keyed
    /// since has others).
    pub fn matches(&self, header: &Header) -> bool {
        self.salt == header.salt && self.cost == header.cost
    }

    fn decrypt(&self, header: &Header, file: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let cipher = XChaCha20Poly1305::new(self.key.as_ref().into());
        let (aad, sealed) = file.split_at(HEADER_BYTES);
        cipher
            .decrypt(
                XNonce::from_slice(&header.nonce),
                Payload { msg: sealed, aad },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::WrongPassphraseOrDamaged)
    }
}

/// A sealed file's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// argon2id costs.
    pub cost: KdfCost,
    /// argon2id salt.
    pub salt: [u8; SALT_BYTES],
    /// This version's nonce (a new one at every write, so it also names the version).
    pub nonce: [u8; NONCE_BYTES],
}

impl Header {
    /// Parses the header of a sealed file (at least a header and a tag long).
    ///
    /// # Errors
    ///
    /// [`SealError::Truncated`] or [`SealError::UnknownFormat`].
    pub fn parse(file: &[u8]) -> Result<Self, SealError> {
        if file.len() < HEADER_BYTES + TAG_BYTES {
            return Err(SealError::Truncated(file.len()));
        }
        Self::parse_prefix(file)
    }

    /// Parses a header from the first [`HEADER_BYTES`] of a file (read alone, without the
    /// ciphertext after it).
    ///
    /// # Errors
    ///
    /// [`SealError::Truncated`] or [`SealError::UnknownFormat`].
    pub fn parse_prefix(file: &[u8]) -> Result<Self, SealError> {
        if file.len() < HEADER_BYTES {
            return Err(SealError::Truncated(file.len()));
        }
        if file[..MAGIC.len()] != MAGIC {
            return Err(SealError::UnknownFormat);
        }
        let word = |at: usize| {
            let mut le = [0u8; 4];
            le.copy_from_slice(&file[at..at + 4]);
            u32::from_le_bytes(le)
        };
        let mut salt = [0u8; SALT_BYTES];
        salt.copy_from_slice(&file[20..20 + SALT_BYTES]);
        let mut nonce = [0u8; NONCE_BYTES];
        nonce.copy_from_slice(&file[36..36 + NONCE_BYTES]);
        Ok(Self {
            cost: KdfCost {
                memory_kib: word(8),
                passes: word(12),
                lanes: word(16),
            },
            salt,
            nonce,
        })
    }

    /// The costs as the header stores them: memory, passes, lanes, each a little-endian u32.
    pub fn cost_bytes(cost: KdfCost) -> [u8; KDF_COST_BYTES] {
        let mut out = [0u8; KDF_COST_BYTES];
        out[..4].copy_from_slice(&cost.memory_kib.to_le_bytes());
        out[4..8].copy_from_slice(&cost.passes.to_le_bytes());
        out[8..].copy_from_slice(&cost.lanes.to_le_bytes());
        out
    }

    /// Costs from their header encoding ([`Header::cost_bytes`]).
    pub fn cost_from_bytes(bytes: &[u8; KDF_COST_BYTES]) -> KdfCost {
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        KdfCost {
            memory_kib: word(0),
            passes: word(4),
            lanes: word(8),
        }
    }

    fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut out = [0u8; HEADER_BYTES];
        out[..8].copy_from_slice(&MAGIC);
        out[8..20].copy_from_slice(&Self::cost_bytes(self.cost));
        out[20..36].copy_from_slice(&self.salt);
        out[36..].copy_from_slice(&self.nonce);
        out
    }
}

/// Whether these first bytes of a file are a sealed wallet's (any format version).
pub fn looks_sealed(prefix: &[u8]) -> bool {
    prefix.len() >= 6 && prefix[..6] == MAGIC[..6]
}

fn random(out: &mut [u8]) -> Result<(), SealError> {
    getrandom::getrandom(out).map_err(|e| SealError::Randomness(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap costs: the format is under test here, not argon2.
    const TEST_KDF: KdfCost = KdfCost {
        memory_kib: 64,
        passes: 1,
        lanes: 1,
    };

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned()).unwrap()
    }

    #[test]
    fn seals_and_opens_and_refuses_every_flipped_bit() {
        let key = SealKey::for_new_wallet(&pass("correct horse"), TEST_KDF).unwrap();
        let plaintext = b"SQLite format 3\0 secrets".to_vec();
        let file = key.seal(&plaintext).unwrap();
        assert_eq!(file.len(), HEADER_BYTES + plaintext.len() + TAG_BYTES);
        assert!(looks_sealed(&file));
        let (opened, text) = SealKey::open(&pass("correct horse"), &file).unwrap();
        assert_eq!(&text[..], &plaintext[..]);
        assert_eq!(&opened.reopen(&file).unwrap()[..], &plaintext[..]);
        // Fresh nonce every time: the same plaintext never seals to the same bytes.
        assert_ne!(key.seal(&plaintext).unwrap(), file);
        assert!(matches!(
            SealKey::open(&pass("correct horsf"), &file),
            Err(SealError::WrongPassphraseOrDamaged)
        ));
        for bit in 0..file.len() * 8 {
            let mut bad = file.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                SealKey::open(&pass("correct horse"), &bad).is_err(),
                "bit {bit} flipped was accepted"
            );
        }
        for len in 0..file.len() {
            assert!(SealKey::open(&pass("correct horse"), &file[..len]).is_err());
        }
    }

    #[test]
    fn hostile_headers_and_short_passphrases_are_refused() {
        let key = SealKey::for_new_wallet(&pass("correct horse"), TEST_KDF).unwrap();
        let mut file = key.seal(b"x").unwrap();
        file[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            SealKey::open(&pass("correct horse"), &file),
            Err(SealError::KdfCostOutOfBounds(_))
        ));
        assert!(matches!(
            SealKey::for_new_wallet(&pass("short"), TEST_KDF),
            Err(SealError::PassphraseLength)
        ));
        assert!(Passphrase::new(String::new()).is_err());
        assert!(Passphrase::new("x".repeat(MAX_PASSPHRASE_BYTES + 1)).is_err());
        let other = SealKey::for_new_wallet(&pass("correct horse"), TEST_KDF).unwrap();
        assert!(matches!(
            other.reopen(&key.seal(b"x").unwrap()),
            Err(SealError::Rekeyed)
        ));
    }
}
