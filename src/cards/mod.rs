//! Identity cards and sealed grant credentials: what parties on separate machines hand each
//! other as files.
//!
//! - A **card** ([`Card`]) is an identity's public part: name, role, public id and the
//!   HPKE key ([`crate::seal`]) derived from its secret. `identity export` writes one;
//!   `identity import` checks it against this home's registry and keeps it in `cards.json`
//!   ([`store`]). Nothing binds the seal key to the id: people compare its fingerprint out
//!   of band.
//! - A **grant credential** ([`credential`]) is a grant's opening sealed to the grantee's
//!   card: useless without the grantee's secret, and any alteration is detected.

pub mod credential;
mod error;
pub mod records;
pub mod store;
#[cfg(test)]
mod tests;

pub use error::CardError;

use crate::{
    files::read_limited,
    home::{Home, HomeError},
    registry::Role,
    seal::{Fingerprint, SealKeyPair, SealPublicKey},
    verifier::{fr_to_decimal, parse_fr_decimal},
};
use serde::{Deserialize, Serialize};
use std::path::Path;
use zkconsent_circuits::types::{IdentityId, SecretKey};
use zkconsent_store::identity::is_valid_name;

/// Value of a card's `format`.
pub const CARD_FORMAT: &str = "zkconsent.card";
/// Card version this build writes and reads.
pub const CARD_VERSION: u32 = 1;
/// Largest card file read: a card is a few hundred bytes.
pub const MAX_CARD_BYTES: usize = 4 * 1024;

/// An identity's card: everything another party needs to name it in a grant and to seal a
/// credential to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    /// The identity's name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its public id, `H_identity(secret)`.
    pub id: IdentityId,
    /// Its HPKE public key.
    pub seal_key: SealPublicKey,
}

/// The file form, field for field.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CardJson {
    format: String,
    version: u32,
    name: String,
    role: String,
    id: String,
    seal_key: String,
}

/// The seal key pair of an identity, derived from its secret (the wallet's 32-byte form).
pub fn seal_keypair(secret: &SecretKey) -> SealKeyPair {
    SealKeyPair::from_identity_secret(&zkconsent_store::codec::fr_to_blob(&secret.0))
}

impl Card {
    /// The card of `name`, an identity whose secret this home's wallet holds: role and id
    /// from the registry, which must agree with the secret.
    ///
    /// # Errors
    ///
    /// [`CardError::NotInWallet`], [`CardError::NotRegistered`],
    /// [`CardError::SecretMismatch`], database errors.
    pub fn for_identity(home: &Home, name: &str) -> Result<Self, HomeError> {
        let in_wallet = home
            .wallet()?
            .identities()?
            .into_iter()
            .any(|i| i.name == name);
        if !in_wallet {
            return Err(CardError::NotInWallet { name: name.into() }.into());
        }
        let secret = home.wallet()?.secret(name)?;
        let record = home
            .registry
            .identity(name)?
            .ok_or_else(|| CardError::NotRegistered { name: name.into() })?;
        if record.id != secret.id() {
            return Err(CardError::SecretMismatch { name: name.into() }.into());
        }
        Ok(Self {
            name: record.name,
            role: record.role,
            id: record.id,
            seal_key: seal_keypair(&secret).public_key(),
        })
    }

    /// The seal key's fingerprint, for people to compare.
    pub fn fingerprint(&self) -> Fingerprint {
        self.seal_key.fingerprint()
    }

    /// The file form as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.to_wire()).unwrap_or_default()
    }

    /// The file's bytes (pretty JSON and a newline).
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(&self.to_wire()).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    pub(crate) fn to_wire(&self) -> CardJson {
        CardJson {
            format: CARD_FORMAT.into(),
            version: CARD_VERSION,
            name: self.name.clone(),
            role: self.role.as_str().into(),
            id: fr_to_decimal(&self.id.0),
            seal_key: self.seal_key.to_hex(),
        }
    }

    /// Parses a card file strictly: no unknown field, this format and version, a valid
    /// name and role, an id below r in canonical decimal, a 32-byte hex key.
    ///
    /// # Errors
    ///
    /// [`CardError::Malformed`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, CardError> {
        if bytes.len() > MAX_CARD_BYTES {
            return Err(CardError::malformed(format!(
                "card larger than {MAX_CARD_BYTES} bytes"
            )));
        }
        let wire: CardJson = serde_json::from_slice(bytes)
            .map_err(|e| CardError::malformed(format!("not a card: {e}")))?;
        Self::from_wire(wire)
    }

    pub(crate) fn from_wire(wire: CardJson) -> Result<Self, CardError> {
        if wire.format != CARD_FORMAT {
            return Err(CardError::malformed(format!(
                "format {:?} is not {CARD_FORMAT:?}",
                wire.format
            )));
        }
        if wire.version != CARD_VERSION {
            return Err(CardError::malformed(format!(
                "card version {} is not supported (expected {CARD_VERSION})",
                wire.version
            )));
        }
        if !is_valid_name(&wire.name) {
            return Err(CardError::malformed(
                "invalid name (1..=128 bytes, no control characters or edge spaces)",
            ));
        }
        let role = wire
            .role
            .parse::<Role>()
            .map_err(|e| CardError::malformed(format!("role {:?}: {e}", wire.role)))?;
        let id = parse_fr_decimal(&wire.id)
            .map_err(|e| CardError::malformed(format!("id {:?}: {e}", wire.id)))?;
        let seal_key = SealPublicKey::from_hex(&wire.seal_key)
            .map_err(|e| CardError::malformed(format!("seal_key: {e}")))?;
        Ok(Self {
            name: wire.name,
            role,
            id: IdentityId(id),
            seal_key,
        })
    }

    /// Reads and parses a card file.
    ///
    /// # Errors
    ///
    /// [`CardError::Malformed`] (an unreadable file included).
    pub fn read(path: &Path) -> Result<Self, CardError> {
        let bytes =
            read_limited(path, MAX_CARD_BYTES).map_err(|e| CardError::malformed(e.to_string()))?;
        Self::from_json(&bytes).map_err(|e| match e {
            CardError::Malformed(reason) => {
                CardError::Malformed(format!("{}: {reason}", path.display()))
            }
            other => other,
        })
    }
}
