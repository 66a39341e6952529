//! Sealed hand-offs between parties (to be written).
#![forbid(unsafe_code)]
