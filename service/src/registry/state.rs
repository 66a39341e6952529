//! What every request shares: the registry behind one mutex (rusqlite blocks, so it is only
//! touched inside `spawn_blocking`), the grant-authority key, the params files, the custodian
//! tokens and the counters; and the service's clock.

use super::{
    api::ApiFailure, metrics::Metrics, params::ParamsFiles, tokens::CustodianTokens, ServiceError,
};
use std::{
    path::Path,
    sync::{Arc, Mutex, PoisonError},
};
use zkconsent::{
    circuits::{
        authority::{AuthorityPublic, GrantAction},
        types::{GrantCommitment, Timestamp},
    },
    home::{PARAMS_DIR, REGISTRY_FILE},
    prover::{ParamsDir, Statement},
    registry::Registry,
    verifier::{self, PreparedVerifyingKey, Proof},
};

/// The service's shared state.
pub(crate) struct State {
    registry: Mutex<Registry>,
    /// The grant-authority statement's prepared key, loaded once.
    pub(crate) authority: PreparedVerifyingKey,
    /// Both trees' depth.
    pub(crate) depth: usize,
    pub(crate) params: ParamsFiles,
    pub(crate) tokens: Option<CustodianTokens>,
    pub(crate) metrics: Metrics,
}

/// The grant-authority key from hash-checked params (as `Home::verifying_key` loads it).
fn authority_key(params: &ParamsDir) -> Result<PreparedVerifyingKey, ServiceError> {
    let (bytes, _sha) = params.verifying_key_bytes(Statement::Authority)?;
    // Trusted: the bytes hash to the manifest's value.
    let vk = verifier::VerifyingKey::from_bytes_unchecked(&bytes)
        .map_err(|e| ServiceError::Key(e.to_string()))?;
    // Long-lived: tables of the input bases pay for themselves.
    verifier::prepare_verifying_key(&vk)
        .map(verifier::PreparedVerifyingKey::with_input_tables)
        .map_err(|e| ServiceError::Key(e.to_string()))
}

impl State {
    /// Opens the operator's home: params (every file hashed), the registry, the key.
    ///
    /// # Errors
    ///
    /// See [`ServiceError`].
    pub(crate) fn open(
        home_dir: &Path,
        tokens: Option<CustodianTokens>,
    ) -> Result<Self, ServiceError> {
        let params = ParamsDir::open(&home_dir.join(PARAMS_DIR))?;
        let mut registry = Registry::open(home_dir.join(REGISTRY_FILE))?;
        // Writes stamp the time read under the write lock (a CLI may write the same file).
        registry.use_clock(zkconsent::unix_now);
        let depth = registry.depth();
        if depth != params.manifest().tree_depth {
            return Err(ServiceError::DepthMismatch {
                registry: depth,
                params: params.manifest().tree_depth,
            });
        }
        let authority = authority_key(&params)?;
        let files = ParamsFiles::hash(&params)?;
        Ok(Self {
            registry: Mutex::new(registry),
            authority,
            depth,
            params: files,
            tokens,
            metrics: Metrics::default(),
        })
    }

    /// Runs `f` on the registry on the blocking pool, holding the lock (one writer, and
    /// reads that see one state).
    pub(crate) async fn with_registry<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Registry, &State) -> Result<T, ApiFailure> + Send + 'static,
    ) -> Result<T, ApiFailure> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            // Every mutation is one SQLite transaction, so a panic under the lock left the
            // file consistent: the guard is usable.
            let mut registry = state
                .registry
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            f(&mut registry, &state)
        })
        .await
        .map_err(ApiFailure::internal)?
    }

    /// Checks an authority proof for `(action, commitment)` on the blocking pool, without
    /// the registry's lock (a pairing check takes milliseconds).
    ///
    /// # Errors
    ///
    /// 403 if it does not verify.
    pub(crate) async fn check_authority(
        self: &Arc<Self>,
        action: GrantAction,
        commitment: GrantCommitment,
        proof: Proof,
    ) -> Result<(), ApiFailure> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let public = AuthorityPublic { action, commitment };
            verifier::verify(&state.authority, &public.to_field_elements(), &proof)
        })
        .await
        .map_err(ApiFailure::internal)?
        .map_err(|e| ApiFailure::forbidden(format!("authority proof rejected: {e}")))
    }
}

/// The time of a mutation: the wall clock, but never before the registry's latest root (the
/// registry refuses time going backwards, and another writer, or a clock stepped back, may
/// have gone ahead).
pub(crate) fn now(registry: &Registry) -> Result<Timestamp, ApiFailure> {
    let last = registry.heads()?.last_at;
    Ok(zkconsent::unix_now().max(last))
}
