//! Identity cards and sealed grant credentials (to be written).

/// An identity card (to be written).
#[derive(Clone, Debug)]
pub struct Card {
    /// The identity's name.
    pub name: String,
}
