//! [`Chain`]: a blocking alloy client for the exported verifier and the consent registry.

use crate::contracts::{
    proof_args, ConsentRegistry, ConsentRegistry::ConsentRegistryErrors, IAccessVerifier,
    ACCESS_WORDS,
};
use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    sol_types::SolValue,
};
use std::future::Future;

/// Why a chain operation failed (a reverted transaction is not an error: see
/// [`TxOutcome`]).
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The client's runtime could not start.
    #[error("runtime: {0}")]
    Runtime(#[from] std::io::Error),
    /// The endpoint is not a URL.
    #[error("endpoint {0:?} is not a URL")]
    Endpoint(String),
    /// The node failed or answered something unexpected.
    #[error("node: {0}")]
    Node(String),
    /// A contract creation left no contract.
    #[error("contract creation failed (gas used {gas})")]
    Creation {
        /// Gas used by the failed creation.
        gas: u64,
    },
}

fn node_error(e: impl std::fmt::Display) -> ChainError {
    ChainError::Node(e.to_string())
}

/// A deployed contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// Its address.
    pub address: Address,
    /// Gas used by the creation transaction.
    pub gas: u64,
}

/// A mined transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// Gas used (21,000 base and calldata included).
    pub gas: u64,
    /// False if it reverted.
    pub success: bool,
    /// Events it emitted.
    pub logs: usize,
}

impl From<&TransactionReceipt> for TxOutcome {
    fn from(r: &TransactionReceipt) -> Self {
        Self {
            gas: r.gas_used,
            success: r.status(),
            logs: r.inner.logs().len(),
        }
    }
}

/// A blocking client on one node, sending from one key.
pub struct Chain {
    runtime: tokio::runtime::Runtime,
    provider: DynProvider,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain").finish_non_exhaustive()
    }
}

impl Chain {
    /// Connects to `endpoint` (HTTP JSON-RPC), signing with `key`.
    ///
    /// # Errors
    ///
    /// [`ChainError::Endpoint`] for a bad URL, [`ChainError::Runtime`].
    pub fn connect(endpoint: &str, key: PrivateKeySigner) -> Result<Self, ChainError> {
        let url = endpoint
            .parse()
            .map_err(|_| ChainError::Endpoint(endpoint.to_string()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(key))
            .connect_http(url)
            .erased();
        Ok(Self { runtime, provider })
    }

    fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        self.runtime.block_on(f)
    }

    /// Sends `tx` and waits for its receipt.
    fn send(&self, tx: TransactionRequest) -> Result<TransactionReceipt, ChainError> {
        self.block_on(async {
            self.provider
                .send_transaction(tx)
                .await
                .map_err(node_error)?
                .get_receipt()
                .await
                .map_err(node_error)
        })
    }

    /// Deploys `creation` bytecode with ABI-encoded constructor arguments `args`.
    ///
    /// # Errors
    ///
    /// [`ChainError::Creation`] if it reverted, node errors.
    pub fn deploy(&self, creation: &[u8], args: &[u8]) -> Result<Deployed, ChainError> {
        let mut code = creation.to_vec();
        code.extend_from_slice(args);
        let receipt = self.send(TransactionRequest::default().with_deploy_code(code))?;
        match (receipt.status(), receipt.contract_address) {
            (true, Some(address)) => Ok(Deployed {
                address,
                gas: receipt.gas_used,
            }),
            _ => Err(ChainError::Creation {
                gas: receipt.gas_used,
            }),
        }
    }

    /// Deploys `ConsentRegistry(verifier, max_root_age, max_clock_skew)` from its creation
    /// bytecode; the sender becomes its operator.
    ///
    /// # Errors
    ///
    /// As [`Chain::deploy`].
    pub fn deploy_registry(
        &self,
        creation: &[u8],
        verifier: Address,
        max_root_age: u64,
        max_clock_skew: u64,
    ) -> Result<Deployed, ChainError> {
        let args = (verifier, max_root_age, max_clock_skew).abi_encode_params();
        self.deploy(creation, &args)
    }

    /// `verifyProof` as a call (no transaction).
    ///
    /// # Errors
    ///
    /// Node errors (a verifier never reverts).
    pub fn verify_proof(
        &self,
        verifier: Address,
        words: &[U256; ACCESS_WORDS],
    ) -> Result<bool, ChainError> {
        let (a, b, c, input) = proof_args(words);
        let contract = IAccessVerifier::new(verifier, &self.provider);
        self.block_on(async { contract.verifyProof(a, b, c, input).call().await })
            .map_err(node_error)
    }

    /// `verifyProof` as a transaction with `gas_limit`, to measure what it costs (a
    /// malformed proof must cost no more than a valid one).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn verify_proof_tx(
        &self,
        verifier: Address,
        words: &[U256; ACCESS_WORDS],
        gas_limit: u64,
    ) -> Result<TxOutcome, ChainError> {
        let (a, b, c, input) = proof_args(words);
        let contract = IAccessVerifier::new(verifier, &self.provider);
        let tx = contract
            .verifyProof(a, b, c, input)
            .gas(gas_limit)
            .into_transaction_request();
        Ok((&self.send(tx)?).into())
    }

    /// `postRoot(root)` on `registry`.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn post_root(&self, registry: Address, root: U256) -> Result<TxOutcome, ChainError> {
        let contract = ConsentRegistry::new(registry, &self.provider);
        let tx = contract
            .postRoot(root)
            .gas(POST_ROOT_GAS_LIMIT)
            .into_transaction_request();
        Ok((&self.send(tx)?).into())
    }

    /// The registry's current root.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn current_root(&self, registry: Address) -> Result<U256, ChainError> {
        let contract = ConsentRegistry::new(registry, &self.provider);
        self.block_on(async { contract.currentRoot().call().await })
            .map_err(node_error)
    }

    /// `verifyAccess` as a transaction with `gas_limit` (given, not estimated: an estimate
    /// of a reverting call fails).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn verify_access(
        &self,
        registry: Address,
        words: &[U256; ACCESS_WORDS],
        gas_limit: u64,
    ) -> Result<TxOutcome, ChainError> {
        let (a, b, c, input) = proof_args(words);
        let contract = ConsentRegistry::new(registry, &self.provider);
        let tx = contract
            .verifyAccess(a, b, c, input)
            .gas(gas_limit)
            .into_transaction_request();
        Ok((&self.send(tx)?).into())
    }

    /// Why `verifyAccess` would revert now, by the registry's error name (`"Replay"`,
    /// `"InvalidProof"`, …), or `None` if it would succeed. A call against the latest
    /// block: nothing is written.
    ///
    /// # Errors
    ///
    /// Node errors, and reverts that are not the registry's errors.
    pub fn verify_access_refusal(
        &self,
        registry: Address,
        words: &[U256; ACCESS_WORDS],
    ) -> Result<Option<&'static str>, ChainError> {
        let (a, b, c, input) = proof_args(words);
        let contract = ConsentRegistry::new(registry, &self.provider);
        match self.block_on(async { contract.verifyAccess(a, b, c, input).call().await }) {
            Ok(_) => Ok(None),
            Err(e) => match e.as_decoded_interface_error::<ConsentRegistryErrors>() {
                Some(error) => Ok(Some(error_name(&error))),
                None => Err(node_error(e)),
            },
        }
    }

    /// Sets the next block's timestamp (anvil's `evm_setNextBlockTimestamp`; it must not
    /// go back).
    ///
    /// # Errors
    ///
    /// Node errors (a node without the method, a time in the past).
    pub fn set_next_block_timestamp(&self, timestamp: u64) -> Result<(), ChainError> {
        self.block_on(async {
            self.provider
                .raw_request::<_, serde_json::Value>(
                    "evm_setNextBlockTimestamp".into(),
                    (timestamp,),
                )
                .await
        })
        .map(|_| ())
        .map_err(node_error)
    }

    /// Mines one block (anvil's `evm_mine`), e.g. after [`Chain::set_next_block_timestamp`]
    /// so that calls see that time.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn mine(&self) -> Result<(), ChainError> {
        self.block_on(async {
            self.provider
                .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
                .await
        })
        .map(|_| ())
        .map_err(node_error)
    }
}

/// Gas limit of a `postRoot` (two storage slots and an event; about 70k on first use).
const POST_ROOT_GAS_LIMIT: u64 = 200_000;

fn error_name(error: &ConsentRegistryErrors) -> &'static str {
    match error {
        ConsentRegistryErrors::NotOperator(_) => "NotOperator",
        ConsentRegistryErrors::UnknownRoot(_) => "UnknownRoot",
        ConsentRegistryErrors::StaleRoot(_) => "StaleRoot",
        ConsentRegistryErrors::ClockSkew(_) => "ClockSkew",
        ConsentRegistryErrors::Replay(_) => "Replay",
        ConsentRegistryErrors::InvalidProof(_) => "InvalidProof",
    }
}
