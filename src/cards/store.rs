//! The cards a home imported, in `cards.json` beside its databases, keyed by name; and the
//! checks a card passes against the home before it is kept or used.

use super::{seal_keypair, Card, CardError, CardJson};
use crate::{
    files::{read_limited, write_private_atomic},
    home::{Home, HomeError},
    verifier::fr_to_decimal,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The file of imported cards, in the home directory.
pub const CARDS_FILE: &str = "cards.json";
/// Value of `cards.json`'s `format`.
pub const CARDS_FORMAT: &str = "zkconsent.cards";
/// `cards.json` version this build writes and reads.
pub const CARDS_VERSION: u32 = 1;
/// Largest `cards.json` read: thousands of cards.
pub const MAX_CARDS_FILE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CardsJson {
    format: String,
    version: u32,
    cards: BTreeMap<String, CardJson>,
}

/// What `identity import` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Kept; the registry has the name with the card's id and role.
    Imported,
    /// Kept; the registry does not have the name yet (checked again when the card is used).
    ImportedUnregistered,
    /// The same card was imported before: nothing changed.
    AlreadyImported,
}

/// Every card this home imported, by name (none if `cards.json` is absent).
///
/// # Errors
///
/// [`CardError::Malformed`] for an unreadable or invalid file.
pub fn imported_cards(home: &Home) -> Result<BTreeMap<String, Card>, CardError> {
    let path = home.dir().join(CARDS_FILE);
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let bytes = read_limited(&path, MAX_CARDS_FILE_BYTES)
        .map_err(|e| CardError::malformed(e.to_string()))?;
    let bad = |reason: String| CardError::malformed(format!("{}: {reason}", path.display()));
    let file: CardsJson = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if file.format != CARDS_FORMAT || file.version != CARDS_VERSION {
        return Err(bad(format!(
            "not a {CARDS_FORMAT:?} file of version {CARDS_VERSION}"
        )));
    }
    let mut cards = BTreeMap::new();
    for (name, wire) in file.cards {
        let card = Card::from_wire(wire).map_err(|e| bad(e.to_string()))?;
        if card.name != name {
            return Err(bad(format!("card {:?} is filed under {name:?}", card.name)));
        }
        cards.insert(name, card);
    }
    Ok(cards)
}

/// The card imported for `name`, checked again against the registry (which now must have
/// the name: a grant names a registered identity).
///
/// # Errors
///
/// [`CardError::NoImportedCard`], and [`check_card`]'s errors.
pub fn imported_card(home: &Home, name: &str) -> Result<Card, HomeError> {
    let card = imported_cards(home)?
        .remove(name)
        .ok_or_else(|| CardError::NoImportedCard { name: name.into() })?;
    check_card(home, &card, true)?;
    Ok(card)
}

/// Checks a card against this home: the registry's entry for its name (required if
/// `must_be_registered`) has its id and role, its id is no other name's, a card for one of
/// this home's own identities carries that identity's key, and it does not contradict a card
/// imported before. Returns whether the registry has the name.
///
/// # Errors
///
/// [`CardError::NotRegistered`], [`CardError::RegistryMismatch`],
/// [`CardError::IdOfAnother`], [`CardError::NotOurKey`], [`CardError::ConflictingCard`],
/// database errors.
pub fn check_card(home: &Home, card: &Card, must_be_registered: bool) -> Result<bool, HomeError> {
    let registered = match home.registry.identity(&card.name)? {
        Some(record) if record.id != card.id || record.role != card.role => {
            return Err(CardError::RegistryMismatch {
                name: card.name.clone(),
                card_role: card.role,
                card_id: fr_to_decimal(&card.id.0),
                registry_role: record.role,
                registry_id: fr_to_decimal(&record.id.0),
            }
            .into());
        }
        Some(_) => true,
        None if must_be_registered => {
            return Err(CardError::NotRegistered {
                name: card.name.clone(),
            }
            .into());
        }
        None => {
            let other = home
                .registry
                .identities()?
                .into_iter()
                .find(|r| r.id == card.id);
            if let Some(other) = other {
                return Err(CardError::IdOfAnother {
                    name: card.name.clone(),
                    registered: other.name,
                }
                .into());
            }
            false
        }
    };
    let ours = home
        .wallet()?
        .identities()?
        .into_iter()
        .any(|i| i.name == card.name);
    if ours && seal_keypair(&home.wallet()?.secret(&card.name)?).public_key() != card.seal_key {
        return Err(CardError::NotOurKey {
            name: card.name.clone(),
        }
        .into());
    }
    if let Some(imported) = imported_cards(home)?.get(&card.name) {
        if imported != card {
            return Err(conflict(imported, card).into());
        }
    }
    Ok(registered)
}

fn conflict(imported: &Card, offered: &Card) -> CardError {
    CardError::ConflictingCard {
        name: offered.name.clone(),
        imported: imported.fingerprint().to_hex(),
        offered: offered.fingerprint().to_hex(),
    }
}

/// Imports a card: checked ([`check_card`]), then added to `cards.json` (written whole to
/// a temporary file and renamed, so a crash leaves the old file or the new one).
///
/// # Errors
///
/// [`check_card`]'s errors, [`CardError::Malformed`] for a damaged `cards.json`, file errors.
pub fn import_card(home: &Home, card: &Card) -> Result<ImportOutcome, HomeError> {
    let registered = check_card(home, card, false)?;
    let mut cards = imported_cards(home)?;
    if let Some(imported) = cards.get(&card.name) {
        return if imported == card {
            Ok(ImportOutcome::AlreadyImported)
        } else {
            Err(conflict(imported, card).into())
        };
    }
    cards.insert(card.name.clone(), card.clone());
    write_cards(home, &cards)?;
    Ok(if registered {
        ImportOutcome::Imported
    } else {
        ImportOutcome::ImportedUnregistered
    })
}

/// [`import_card`], and for a home whose upstream keeps no identities (a chain registry),
/// the card's identity registered in the home's replica: there the card, its fingerprint
/// compared out of band, is how the identity is known.
///
/// # Errors
///
/// As [`import_card`], and the registry's.
pub fn import_card_into(home: &mut Home, card: &Card) -> Result<ImportOutcome, HomeError> {
    let outcome = import_card(home, card)?;
    let local_names = home.remote().is_some_and(|u| !u.keeps_identities());
    // Whenever the name is still unregistered (also on a re-import after a failed register).
    if local_names && home.registry.identity(&card.name)?.is_none() {
        home.register(&card.name, card.role, card.id)?;
        return Ok(match outcome {
            ImportOutcome::AlreadyImported => outcome,
            _ => ImportOutcome::Imported,
        });
    }
    Ok(outcome)
}

fn write_cards(home: &Home, cards: &BTreeMap<String, Card>) -> Result<(), CardError> {
    let file = CardsJson {
        format: CARDS_FORMAT.into(),
        version: CARDS_VERSION,
        cards: cards
            .iter()
            .map(|(name, card)| (name.clone(), card.to_wire()))
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&file).map_err(CardError::malformed)?;
    bytes.push(b'\n');
    let path = home.dir().join(CARDS_FILE);
    write_private_atomic(&path, &bytes)
        .map_err(|e| CardError::malformed(format!("{}: {e}", path.display())))
}
