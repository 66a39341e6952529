//! The registry service (to be written).
