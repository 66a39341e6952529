//! Why a card or a credential was refused, and which refusals are malformed input.

use crate::registry::Role;

/// Why a card or a credential was refused.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The file is unreadable, too large, or not a valid card, card store or credential.
    #[error("{0}")]
    Malformed(String),
    /// This home's wallet holds no secret for the identity.
    #[error("this home's wallet holds no secret for {name:?}")]
    NotInWallet {
        /// The name given.
        name: String,
    },
    /// The identity is not in this home's registry (a replica may need a sync).
    #[error("{name:?} is not registered in this home's registry")]
    NotRegistered {
        /// The name.
        name: String,
    },
    /// The wallet's secret does not derive the id the registry holds for the name: a damaged
    /// wallet or registry.
    #[error("the wallet's secret for {name:?} does not derive the registry's id for it")]
    SecretMismatch {
        /// The name.
        name: String,
    },
    /// The card names an identity this home's registry knows with another id or role.
    #[error(
        "the card for {name:?} does not match this home's registry: the card says {card_role} \
         with id {card_id}, the registry has {registry_role} with id {registry_id}"
    )]
    RegistryMismatch {
        /// The card's name.
        name: String,
        /// The card's role.
        card_role: Role,
        /// The card's id (decimal).
        card_id: String,
        /// The registry's role.
        registry_role: Role,
        /// The registry's id (decimal).
        registry_id: String,
    },
    /// The card's id is registered under another name.
    #[error("the card for {name:?} carries the id registered as {registered:?}")]
    IdOfAnother {
        /// The card's name.
        name: String,
        /// The name the registry has for the id.
        registered: String,
    },
    /// A card for one of this home's own identities with a seal key that is not its key.
    #[error(
        "the card for {name:?} carries a seal key that is not the key of this home's {name:?}"
    )]
    NotOurKey {
        /// The name.
        name: String,
    },
    /// Another card was already imported under this name.
    #[error(
        "a different card for {name:?} was imported before (fingerprint {imported}); this \
         one has fingerprint {offered}"
    )]
    ConflictingCard {
        /// The name.
        name: String,
        /// The imported card's fingerprint.
        imported: String,
        /// The offered card's fingerprint.
        offered: String,
    },
    /// No card was imported for this name.
    #[error("no card imported for {name:?} (run `zkconsent identity import CARD` first)")]
    NoImportedCard {
        /// The name.
        name: String,
    },
    /// The grant's grantee is not the card's identity.
    #[error(
        "grant {index} is not granted to {name:?}: its credential cannot be sealed to that card"
    )]
    NotTheGrantee {
        /// Leaf index.
        index: u64,
        /// The card's name.
        name: String,
    },
    /// No identity of this home holds the key the credential is sealed to.
    #[error("this credential is sealed to {recipient}; this home does not hold {recipient}'s key")]
    NotOurs {
        /// The recipient the credential names.
        recipient: String,
    },
    /// The credential does not open with the recipient's key: it was altered or damaged.
    #[error(
        "the credential does not open with {recipient}'s key: it was altered or damaged in \
         transit"
    )]
    Altered {
        /// The identity whose key was tried.
        recipient: String,
    },
    /// The opened grant is for another grantee than the identity it was sealed to.
    #[error("the credential was sealed to {recipient} but grants access to another identity")]
    WrongGrantee {
        /// The identity it was sealed to.
        recipient: String,
    },
    /// The opened grant is not the active grant at its leaf in this home's registry.
    #[error("grant {index}: {reason}")]
    NotInRegistry {
        /// Leaf index.
        index: u64,
        /// What differs.
        reason: String,
    },
    /// The wallet already holds another opening at this leaf.
    #[error("this home's wallet already holds a different grant at leaf {index}")]
    ConflictingGrant {
        /// Leaf index.
        index: u64,
    },
}

impl CardError {
    /// A malformed-input error with this reason.
    pub fn malformed(reason: impl std::fmt::Display) -> Self {
        Self::Malformed(reason.to_string())
    }

    /// Whether the input can never succeed (exit 2) rather than being refused (exit 1): a
    /// broken file, a name with no secret or no card here, a damaged home, a grant that is
    /// not the card's. A well-formed card or credential that this home's state refuses (a
    /// registry mismatch, another party's credential, a grant not active) is a refusal.
    pub fn is_malformed(&self) -> bool {
        match self {
            Self::Malformed(_)
            | Self::NotInWallet { .. }
            | Self::SecretMismatch { .. }
            | Self::NoImportedCard { .. }
            | Self::NotTheGrantee { .. }
            | Self::Altered { .. } => true,
            Self::NotRegistered { .. }
            | Self::RegistryMismatch { .. }
            | Self::IdOfAnother { .. }
            | Self::NotOurKey { .. }
            | Self::ConflictingCard { .. }
            | Self::NotOurs { .. }
            | Self::WrongGrantee { .. }
            | Self::NotInRegistry { .. }
            | Self::ConflictingGrant { .. } => false,
        }
    }
}
