//! [`Chain`]: a blocking alloy client for the exported verifier and the consent registry.

use crate::contracts::{
    proof_args, IAccessVerifier, ZkconsentRegistry::ZkconsentRegistryErrors, ACCESS_WORDS,
};
use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
};
use std::future::{Future, IntoFuture};

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
    /// A signing key that is not 32 bytes of hex.
    #[error("a chain key is 32 bytes in hex")]
    Key,
    /// A contract creation left no contract.
    #[error("contract creation failed (gas used {gas})")]
    Creation {
        /// Gas used by the failed creation.
        gas: u64,
    },
}

pub(crate) fn node_error(e: impl std::fmt::Display) -> ChainError {
    ChainError::Node(e.to_string())
}

/// A deployed contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// Its address.
    pub address: Address,
    /// Gas used by the creation transaction.
    pub gas: u64,
    /// The block it was created in (a replica reads events from there).
    pub block: u64,
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

/// A signing key from hex (32 bytes, with or without `0x`).
///
/// # Errors
///
/// [`ChainError::Key`] for anything else (the text is not repeated: it may be a key).
pub fn parse_key(hex: &str) -> Result<PrivateKeySigner, ChainError> {
    hex.trim()
        .parse::<PrivateKeySigner>()
        .map_err(|_| ChainError::Key)
}

/// A fresh random key: for a home that only reads the chain (it never holds ether).
#[must_use]
pub fn random_key() -> PrivateKeySigner {
    PrivateKeySigner::random()
}

/// A key as 0x-prefixed hex, to be kept in a private file.
#[must_use]
pub fn key_hex(key: &PrivateKeySigner) -> String {
    format!("0x{}", alloy::hex::encode(key.to_bytes()))
}

/// A blocking client on one node, sending from one key.
pub struct Chain {
    runtime: tokio::runtime::Runtime,
    provider: DynProvider,
    sender: Address,
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
        let sender = key.address();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // Nonces are asked of the node each time, not cached: after a reorg (or anvil's
        // evm_revert) a cached nonce would be ahead of the chain and never mine.
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(key))
            .connect_http(url)
            .erased();
        Ok(Self {
            runtime,
            provider,
            sender,
        })
    }

    pub(crate) fn provider(&self) -> &DynProvider {
        &self.provider
    }

    pub(crate) fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        self.runtime.block_on(f)
    }

    /// Sends `tx` and waits for its receipt.
    pub(crate) fn send(&self, tx: TransactionRequest) -> Result<TransactionReceipt, ChainError> {
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
                block: receipt.block_number.unwrap_or_default(),
            }),
            _ => Err(ChainError::Creation {
                gas: receipt.gas_used,
            }),
        }
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

    /// Sends `data` to `to` with `gas_limit` and waits for the receipt (a revert is an
    /// outcome, not an error).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn transact(
        &self,
        to: Address,
        data: Vec<u8>,
        gas_limit: u64,
    ) -> Result<TxOutcome, ChainError> {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(data)
            .with_gas_limit(gas_limit);
        Ok((&self.send(tx)?).into())
    }

    /// Calls `to` with `data` against the latest block: `Ok(None)` if it would succeed,
    /// `Ok(Some(name))` with the registry's error name if it would revert with one of them.
    ///
    /// # Errors
    ///
    /// Node errors, and reverts that are not the registry's errors.
    pub fn refusal(&self, to: Address, data: Vec<u8>) -> Result<Option<&'static str>, ChainError> {
        let tx = TransactionRequest::default()
            .with_from(self.address())
            .with_to(to)
            .with_input(data);
        match self.block_on(self.provider.call(tx).into_future()) {
            Ok(_) => Ok(None),
            Err(e) => {
                let name = e
                    .as_error_resp()
                    .and_then(|payload| payload.as_revert_data())
                    .and_then(|data| <[u8; 4]>::try_from(data.get(..4)?).ok())
                    .and_then(ZkconsentRegistryErrors::name_by_selector);
                name.map(Some).ok_or_else(|| node_error(e))
            }
        }
    }

    /// The sending address.
    #[must_use]
    pub fn address(&self) -> Address {
        self.sender
    }

    /// The runtime code at `address` (empty for an account without code).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn code_at(&self, address: Address) -> Result<Vec<u8>, ChainError> {
        self.block_on(self.provider.get_code_at(address).into_future())
            .map(|code| code.to_vec())
            .map_err(node_error)
    }

    /// The runtime code at `address` in the state after `block`.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn code_at_block(&self, address: Address, block: u64) -> Result<Vec<u8>, ChainError> {
        self.block_on(
            self.provider
                .get_code_at(address)
                .block_id(block.into())
                .into_future(),
        )
        .map(|code| code.to_vec())
        .map_err(node_error)
    }

    /// The latest block's timestamp (unix seconds).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn latest_block_time(&self) -> Result<u64, ChainError> {
        let block = self
            .block_on(
                self.provider
                    .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
                    .into_future(),
            )
            .map_err(node_error)?
            .ok_or_else(|| ChainError::Node("no latest block".into()))?;
        Ok(block.header.timestamp)
    }

    /// The latest block's number.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn block_number(&self) -> Result<u64, ChainError> {
        self.block_on(self.provider.get_block_number().into_future())
            .map_err(node_error)
    }

    /// The chain's id (`eth_chainId`).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn chain_id(&self) -> Result<u64, ChainError> {
        self.block_on(self.provider.get_chain_id().into_future())
            .map_err(node_error)
    }

    /// A view call's return data.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn view(&self, to: Address, data: Vec<u8>) -> Result<Vec<u8>, ChainError> {
        self.view_at(to, data, None)
    }

    /// A view call's return data at `block` (the latest if `None`).
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn view_at(
        &self,
        to: Address,
        data: Vec<u8>,
        block: Option<u64>,
    ) -> Result<Vec<u8>, ChainError> {
        let tx = TransactionRequest::default().with_to(to).with_input(data);
        let call = self.provider.call(tx);
        let call = match block {
            Some(b) => call.block(b.into()),
            None => call,
        };
        self.block_on(call.into_future())
            .map(|b| b.to_vec())
            .map_err(node_error)
    }

    /// Sends every transaction without waiting, mines blocks until all are mined (anvil with
    /// automine off: `evm_setAutomine`), and returns each receipt's outcome and block number,
    /// in sending order. Automine is back on afterwards.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn send_together(
        &self,
        txs: Vec<TransactionRequest>,
    ) -> Result<Vec<(TxOutcome, u64)>, ChainError> {
        self.set_automine(false)?;
        let result = self.block_on(async {
            let mut hashes = Vec::with_capacity(txs.len());
            for tx in txs {
                let pending = self
                    .provider
                    .send_transaction(tx)
                    .await
                    .map_err(node_error)?;
                hashes.push(*pending.tx_hash());
            }
            let mut receipts = vec![None; hashes.len()];
            // Each block takes what fits under its gas limit; one more block per round.
            for _ in 0..=hashes.len() {
                if receipts.iter().all(Option::is_some) {
                    break;
                }
                self.provider
                    .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
                    .await
                    .map_err(node_error)?;
                for (slot, hash) in receipts.iter_mut().zip(&hashes) {
                    if slot.is_none() {
                        *slot = self
                            .provider
                            .get_transaction_receipt(*hash)
                            .await
                            .map_err(node_error)?
                            .map(|r| (TxOutcome::from(&r), r.block_number.unwrap_or_default()));
                    }
                }
            }
            receipts
                .into_iter()
                .map(|r| r.ok_or_else(|| ChainError::Node("a transaction was never mined".into())))
                .collect()
        });
        self.set_automine(true)?;
        result
    }

    /// The gas `tx` would use against the latest block.
    ///
    /// # Errors
    ///
    /// Node errors (a transaction that would revert cannot be estimated).
    pub fn estimate_gas(&self, tx: TransactionRequest) -> Result<u64, ChainError> {
        let tx = tx.with_from(self.address());
        self.block_on(self.provider.estimate_gas(tx).into_future())
            .map_err(node_error)
    }

    /// The node's gas estimate for sending `data` to `to` (at least what it would use; the
    /// 63/64 rule can make it a little more).
    ///
    /// # Errors
    ///
    /// Node errors, or a call that reverts.
    pub fn estimate_call(&self, to: Address, data: Vec<u8>) -> Result<u64, ChainError> {
        self.estimate_gas(TransactionRequest::default().with_to(to).with_input(data))
    }

    /// Snapshots the chain (anvil's `evm_snapshot`); [`Chain::revert`] returns to it.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn snapshot(&self) -> Result<U256, ChainError> {
        self.block_on(async {
            self.provider
                .raw_request::<_, U256>("evm_snapshot".into(), ())
                .await
        })
        .map_err(node_error)
    }

    /// Reverts to snapshot `id`, dropping every later block: a reorg, as a replica sees it.
    ///
    /// # Errors
    ///
    /// Node errors, or a snapshot the node no longer has.
    pub fn revert(&self, id: U256) -> Result<(), ChainError> {
        let reverted = self
            .block_on(async {
                self.provider
                    .raw_request::<_, bool>("evm_revert".into(), (id,))
                    .await
            })
            .map_err(node_error)?;
        if reverted {
            Ok(())
        } else {
            Err(ChainError::Node(format!("no snapshot {id}")))
        }
    }

    /// Turns anvil's automine on or off.
    ///
    /// # Errors
    ///
    /// Node errors.
    pub fn set_automine(&self, on: bool) -> Result<(), ChainError> {
        self.block_on(async {
            self.provider
                .raw_request::<_, serde_json::Value>("evm_setAutomine".into(), (on,))
                .await
        })
        .map(|_| ())
        .map_err(node_error)
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
