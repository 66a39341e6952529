//! Claim fixtures: being written.
