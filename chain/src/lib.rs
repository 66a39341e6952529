//! zkconsent on an EVM node.
//!
//! - [`node`]: a local anvil node (the binary pinned in `interop/`'s lockfile), started on a
//!   free port and stopped on drop, for tests and demos;
//! - [`client`]: [`Chain`], a blocking client on alloy that deploys the exported verifier and
//!   `contracts/ConsentRegistry.sol`, posts roots, and verifies access proofs with gas
//!   receipts and revert reasons by name.
//!
//! Blocking like the rest of the library: a current-thread tokio runtime lives inside
//! [`Chain`]; callers need no runtime of their own.

pub mod client;
pub mod contracts;
pub mod node;

pub use alloy::primitives::{Address, U256};
pub use client::{Chain, ChainError, Deployed, TxOutcome};
pub use node::{anvil_path, AnvilNode, NodeError};
