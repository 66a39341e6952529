//! Scope coverage, natively: the twin of [`constraints::enforce_covers`].
//!
//! The native rule lives on [`crate::types::Scope::covers`]: `requested & !granted == 0`.

pub mod constraints;

pub use crate::types::Scope;

/// Bits in a scope bitmask.
pub const SCOPE_BITS: usize = crate::range::U64_BITS;

/// Whether `granted` covers `requested` (every requested bit is granted).
pub fn covers(granted: Scope, requested: Scope) -> bool {
    granted.covers(requested)
}
