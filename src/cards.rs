//! Identity cards and sealed grant credentials (to be written).

/// An identity card (to be written).
#[derive(Clone, Debug)]
pub struct Card {
    /// The identity's name.
    pub name: String,
}

/// Why a card or a credential was refused (to be written).
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// Placeholder.
    #[error("cards are not built yet")]
    NotBuilt,
}

impl CardError {
    /// Whether the input can never succeed (exit 2) rather than being refused (exit 1).
    pub fn is_malformed(&self) -> bool {
        true
    }
}
