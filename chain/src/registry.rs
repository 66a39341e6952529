//! The generated `ZkconsentRegistry` (`zkconsent export contracts`) through [`Chain`]:
//! deployment, grant issue and revoke with authority proofs, custodians and records
//! anchoring, requests, and `verify<Statement>`, each with its gas and, for a refusal, the
//! registry's error name.

use crate::{
    client::{Chain, ChainError, Deployed, TxOutcome},
    contracts::{proof_parts, verify_calldata, ZkconsentRegistry, PROOF_WORDS},
};
use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, U256},
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolValue},
};

/// The verifiers a registry is deployed with, in the statements' setup order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verifiers {
    /// Grant authority.
    pub authority: Address,
    /// Access.
    pub access: Address,
    /// Record.
    pub record: Address,
    /// Claim.
    pub claim: Address,
    /// Cohort.
    pub cohort: Address,
}

/// A proof's eight words: a, b (EIP-197 order), c.
pub type ProofWords = [U256; PROOF_WORDS];

/// Gas limit of a grant update: far above a depth-32 update (about 2.5M), below a block.
pub const GRANT_UPDATE_GAS: u64 = 5_000_000;

impl Chain {
    /// Deploys the registry from its creation bytecode; the sender becomes its admin (who
    /// registers custodians and nothing else).
    ///
    /// # Errors
    ///
    /// As [`Chain::deploy`].
    pub fn deploy_registry(
        &self,
        creation: &[u8],
        verifiers: Verifiers,
        max_root_age: u64,
        max_clock_skew: u64,
    ) -> Result<Deployed, ChainError> {
        let args = Self::registry_constructor_args(verifiers, max_root_age, max_clock_skew);
        self.deploy(creation, &args)
    }

    /// The registry's ABI-encoded constructor arguments.
    #[must_use]
    pub fn registry_constructor_args(
        verifiers: Verifiers,
        max_root_age: u64,
        max_clock_skew: u64,
    ) -> Vec<u8> {
        let Verifiers {
            authority,
            access,
            record,
            claim,
            cohort,
        } = verifiers;
        (
            authority,
            access,
            record,
            claim,
            cohort,
            max_root_age,
            max_clock_skew,
        )
            .abi_encode_params()
    }

    /// `issueGrant` calldata.
    #[must_use]
    pub fn issue_grant_call(proof: &ProofWords, commitment: U256) -> Vec<u8> {
        let (a, b, c) = proof_parts(proof);
        ZkconsentRegistry::issueGrantCall {
            a,
            b,
            c,
            commitment,
        }
        .abi_encode()
    }

    /// `revokeGrant` calldata.
    #[must_use]
    pub fn revoke_grant_call(proof: &ProofWords, index: u64) -> Vec<u8> {
        let (a, b, c) = proof_parts(proof);
        ZkconsentRegistry::revokeGrantCall {
            a,
            b,
            c,
            index: U256::from(index),
        }
        .abi_encode()
    }

    /// `issueGrant` as a transaction request with `gas_limit` (for [`Chain::send_together`]:
    /// a block takes a transaction only while its gas limit fits, so give what
    /// [`Chain::estimate_gas`] says plus a margin, not [`GRANT_UPDATE_GAS`]).
    #[must_use]
    pub fn issue_grant_tx(
        registry: Address,
        proof: &ProofWords,
        commitment: U256,
        gas_limit: u64,
    ) -> TransactionRequest {
        TransactionRequest::default()
            .with_to(registry)
            .with_input(Self::issue_grant_call(proof, commitment))
            .with_gas_limit(gas_limit)
    }

    /// Issues a grant: appends `commitment` with the patient's authority proof.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn issue_grant(
        &self,
        registry: Address,
        proof: &ProofWords,
        commitment: U256,
    ) -> Result<TxOutcome, ChainError> {
        self.transact(
            registry,
            Self::issue_grant_call(proof, commitment),
            GRANT_UPDATE_GAS,
        )
    }

    /// Revokes grant `index` with the patient's authority proof.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn revoke_grant(
        &self,
        registry: Address,
        proof: &ProofWords,
        index: u64,
    ) -> Result<TxOutcome, ChainError> {
        self.transact(
            registry,
            Self::revoke_grant_call(proof, index),
            GRANT_UPDATE_GAS,
        )
    }

    /// Registers (or removes) a custodian (admin only).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn set_custodian(
        &self,
        registry: Address,
        custodian: Address,
        allowed: bool,
    ) -> Result<TxOutcome, ChainError> {
        let data = ZkconsentRegistry::setCustodianCall { custodian, allowed }.abi_encode();
        self.transact(registry, data, SMALL_TX_GAS)
    }

    /// `anchorRecords(root_before, leaves, superseded, root_after)` calldata.
    #[must_use]
    pub fn anchor_records_call(
        root_before: U256,
        leaves: &[U256],
        superseded: &[u64],
        root_after: U256,
    ) -> Vec<u8> {
        ZkconsentRegistry::anchorRecordsCall {
            rootBefore: root_before,
            leaves: leaves.to_vec(),
            superseded: superseded.iter().map(|&i| U256::from(i)).collect(),
            rootAfter: root_after,
        }
        .abi_encode()
    }

    /// Gas limit of an anchoring of `leaves` leaves superseding `superseded` ones.
    #[must_use]
    pub fn anchor_records_gas(leaves: usize, superseded: usize) -> u64 {
        let removal = if superseded == 0 { 0 } else { SUPERSEDE_GAS };
        SMALL_TX_GAS
            + ANCHOR_GAS_PER_LEAF * leaves as u64
            + SUPERSEDE_GAS_PER_INDEX * superseded as u64
            + removal
    }

    /// Anchors `leaves` on top of `root_before`, emptying the `superseded` leaves, making
    /// `root_after` current (custodians only).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn anchor_records(
        &self,
        registry: Address,
        root_before: U256,
        leaves: &[U256],
        superseded: &[u64],
        root_after: U256,
    ) -> Result<TxOutcome, ChainError> {
        self.transact(
            registry,
            Self::anchor_records_call(root_before, leaves, superseded, root_after),
            Self::anchor_records_gas(leaves.len(), superseded.len()),
        )
    }

    /// Opens `request_hash` for proofs whose terms hash to one of `accepted`.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn open_request(
        &self,
        registry: Address,
        request_hash: U256,
        accepted: &[B256],
    ) -> Result<TxOutcome, ChainError> {
        let data = ZkconsentRegistry::openRequestCall {
            requestHash: request_hash,
            accepted: accepted.to_vec(),
        }
        .abi_encode();
        let gas = SMALL_TX_GAS + OPEN_GAS_PER_DIGEST * accepted.len() as u64;
        self.transact(registry, data, gas)
    }

    /// `verify<Statement>` (`function`, e.g. `"verifyAccess"`) with a proof's words and
    /// inputs, for `requester`'s open request, as a transaction with `gas_limit`.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn verify_statement(
        &self,
        registry: Address,
        function: &str,
        words: &[U256],
        requester: Address,
        gas_limit: u64,
    ) -> Result<TxOutcome, ChainError> {
        self.transact(
            registry,
            verify_calldata(function, words, requester),
            gas_limit,
        )
    }

    /// Why `verify<Statement>` would revert now, by error name, or `None`.
    ///
    /// # Errors
    ///
    /// As [`Chain::refusal`].
    pub fn verify_statement_refusal(
        &self,
        registry: Address,
        function: &str,
        words: &[U256],
        requester: Address,
    ) -> Result<Option<&'static str>, ChainError> {
        self.refusal(registry, verify_calldata(function, words, requester))
    }

    /// The registry's current grants root.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn grants_root(&self, registry: Address) -> Result<U256, ChainError> {
        Ok(self.roots_at(registry, None)?.0)
    }

    /// The registry's current records root.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn records_root(&self, registry: Address) -> Result<U256, ChainError> {
        Ok(self.roots_at(registry, None)?.1)
    }

    /// The verifiers the registry at `registry` calls (its immutables).
    ///
    /// # Errors
    ///
    /// Node errors, or a contract without those getters.
    pub fn verifiers_of(&self, registry: Address) -> Result<Verifiers, ChainError> {
        let field = |name: &str| -> Result<Address, ChainError> {
            let word = self.view_word(
                registry,
                crate::contracts::selector(&format!("{name}Verifier()")).to_vec(),
                None,
            )?;
            Ok(Address::from_word(B256::from(word)))
        };
        Ok(Verifiers {
            authority: field("authority")?,
            access: field("access")?,
            record: field("record")?,
            claim: field("claim")?,
            cohort: field("cohort")?,
        })
    }

    /// Grant leaves used so far.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn grant_count(&self, registry: Address) -> Result<U256, ChainError> {
        self.view_word(
            registry,
            ZkconsentRegistry::grantCountCall {}.abi_encode(),
            None,
        )
    }

    /// The registry's grants and records roots at `block` (the latest if `None`).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn roots_at(
        &self,
        registry: Address,
        block: Option<u64>,
    ) -> Result<(U256, U256), ChainError> {
        Ok((
            self.view_word(registry, ZkconsentRegistry::rootCall {}.abi_encode(), block)?,
            self.view_word(
                registry,
                ZkconsentRegistry::recordsRootCall {}.abi_encode(),
                block,
            )?,
        ))
    }

    fn view_word(
        &self,
        to: Address,
        data: Vec<u8>,
        block: Option<u64>,
    ) -> Result<U256, ChainError> {
        let out = self.view_at(to, data, block)?;
        let word: [u8; 32] = out
            .get(..32)
            .and_then(|w| w.try_into().ok())
            .ok_or_else(|| ChainError::Node("a view returned no word".into()))?;
        Ok(U256::from_be_bytes(word))
    }
}

/// Gas limit of a small registry transaction (a few storage writes and an event).
const SMALL_TX_GAS: u64 = 200_000;
/// Added per anchored record leaf (calldata, a range check, a logged word).
const ANCHOR_GAS_PER_LEAF: u64 = 5_000;
/// Added per superseded leaf (a storage slot set, a logged word).
const SUPERSEDE_GAS_PER_INDEX: u64 = 30_000;
/// Added once for a superseding anchoring (the removal's time, the counter).
const SUPERSEDE_GAS: u64 = 50_000;
/// Added per opened terms digest (a storage slot and an event).
const OPEN_GAS_PER_DIGEST: u64 = 50_000;
