//! zkconsent on an EVM node.
//!
//! - [`node`]: a local anvil node (the binary pinned in `interop/`'s lockfile), started on a
//!   free port and stopped on drop, for tests and demos;
//! - [`client`]: [`Chain`], a blocking client on alloy: deploys, transactions with gas
//!   receipts, calls with revert reasons by name, block time and mining control;
//! - [`registry`]: the generated `ZkconsentRegistry` (`zkconsent export contracts`): grants
//!   issued and revoked with authority proofs, custodians' records, requests and on-chain
//!   verification;
//! - [`replica`]: a registry replica rebuilt from the registry's events alone, following
//!   reorgs.
//!
//! Blocking like the rest of the library: a current-thread tokio runtime lives inside
//! [`Chain`]; callers need no runtime of their own.

pub mod client;
pub mod contracts;
pub mod node;
pub mod registry;
pub mod replica;

pub use alloy::primitives::{Address, B256, U256};
pub use alloy::signers::local::PrivateKeySigner;
pub use client::{key_hex, parse_key, random_key, Chain, ChainError, Deployed, TxOutcome};
pub use node::{anvil_path, AnvilNode, NodeError};
pub use registry::{ProofWords, Verifiers};
pub use replica::{sync_file, sync_registry, ChainReplica, ReplicaError, SyncReport};
