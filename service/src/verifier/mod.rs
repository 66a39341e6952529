//! The verifier service (to be written).
