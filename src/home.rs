//! A zkconsent home directory: params, the registry (ledger side) and the wallet (client
//! side), with keys, identities and proof files. What each statement does over a home lives
//! with the statement ([`crate::statements`]); anchoring in [`crate::records`].
//!
//! Layout: `params/` (keys and manifest), `registry.db` (public state: tree, roots, events),
//! `wallet.db` (secrets and grant openings; in a real deployment each party keeps its own).

use crate::passphrase::PassphraseFor;
use crate::{
    files::proof::ProofFile,
    registry::{Registry, RegistryError, Role},
    remote::{
        client::{RegistryClient, RemoteError},
        replica::{self, ReplicaError},
        upstream::{self, ChainConfig, Upstream},
        RemoteConfig,
    },
    wallet::{IssuedRequests, Wallet, WalletError, ISSUED_FILE},
};
use rand::{CryptoRng, RngCore};
use std::{
    cell::OnceCell,
    path::{Path, PathBuf},
    sync::Arc,
};
use zkconsent_circuits::types::{IdentityId, SecretKey, Timestamp, VerifierId};
use zkconsent_prover::{LoadedKeys, ParamsDir, ProverError, Statement};
use zkconsent_verifier::{self as verifier, PreparedVerifyingKey};
use zkconsent_wallet::Passphrase;

/// Params subdirectory.
pub const PARAMS_DIR: &str = "params";
/// Registry database file.
pub const REGISTRY_FILE: &str = "registry.db";
/// Wallet database file.
pub const WALLET_FILE: &str = "wallet.db";

/// Errors of home operations.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// Registry failure (including an unauthorised write).
    #[error("registry: {0}")]
    Registry(#[from] RegistryError),
    /// Wallet failure.
    #[error("wallet: {0}")]
    Wallet(#[from] WalletError),
    /// Params, proving or a false statement.
    #[error("{0}")]
    Prover(#[from] ProverError),
    /// A request that can never succeed (empty window, a missing opening): malformed input.
    #[error("{0}")]
    Invalid(String),
    /// No identity of this name is registered.
    #[error("no identity named {name:?}")]
    UnknownIdentity {
        /// The name given.
        name: String,
    },
    /// The identity has another role than the operation needs.
    #[error("{name} is a {actual}, not a {expected}")]
    WrongRole {
        /// The name given.
        name: String,
        /// Its role.
        actual: Role,
        /// The role needed.
        expected: Role,
    },
    /// `init` was pointed at a directory that already holds a registry.
    #[error("{} already holds a registry; use another directory", .0.display())]
    HomeExists(PathBuf),
    /// The registry's tree depth is not the params'.
    #[error("registry depth {registry} differs from params depth {params}")]
    DepthMismatch {
        /// The registry's depth.
        registry: usize,
        /// The params' depth.
        params: usize,
    },
    /// A hash-checked key or a proof our prover made does not decode: a bug or a damaged
    /// file that still hashes right (never outside input).
    #[error("{what}: {reason}")]
    Encoding {
        /// What failed to decode.
        what: &'static str,
        /// The decoder's reason.
        reason: String,
    },
    /// The stored state contradicts itself.
    #[error("inconsistent home: {0}")]
    Inconsistent(&'static str),
    /// The wallet's secret for this identity does not give the id the registry holds for its
    /// name: a damaged wallet or registry (or a name another party registered); nothing is
    /// made from it.
    #[error(
        "the wallet's secret for {name:?} does not give the id the registry holds for that \
         name: the wallet or the registry is damaged (restore it from a backup), or the name \
         is another party's"
    )]
    SecretMismatch {
        /// The identity.
        name: String,
    },
    /// An identity card or a sealed credential was refused.
    #[error("{0}")]
    Card(#[from] crate::cards::CardError),
    /// The registry service: unreachable, refusing, or diverging from the replica.
    #[error("{0}")]
    Remote(#[from] ReplicaError),
    /// `remote.json` is unreadable.
    #[error("{0}")]
    RemoteConfig(String),
}

impl From<RemoteError> for HomeError {
    fn from(e: RemoteError) -> Self {
        Self::Remote(ReplicaError::Remote(e))
    }
}

/// An open home directory.
pub struct Home {
    dir: PathBuf,
    /// Keys and manifest.
    pub params: ParamsDir,
    /// Public registry state.
    pub registry: Registry,
    /// Secrets and openings: opened on first use ([`Home::wallet`]), so a command that needs
    /// none (verifying a proof) never asks for the passphrase or pays for its key derivation.
    wallet: OnceCell<Wallet>,
    /// The issued-request index, read-only, once it exists ([`Home::issued_index`]).
    issued: OnceCell<IssuedRequests>,
    /// Prepared verifying keys, loaded once (hash and circuit checks run on first use).
    verifying_keys: [OnceCell<(Arc<PreparedVerifyingKey>, String)>; Statement::ALL.len()],
    /// Verifying keys as read, for one-shot checks ([`Home::unprepared_verifying_key`]).
    unprepared_keys: [OnceCell<(Arc<verifier::VerifyingKey>, String)>; Statement::ALL.len()],
    /// The registry service or chain, for a home whose `registry` is its replica.
    remote: Option<Box<dyn Upstream>>,
    /// Whether verifying keys keep fixed-base tables ([`Home::use_input_tables`]).
    input_tables: bool,
}

impl std::fmt::Debug for Home {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Home")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Home {
    /// Creates a home: single-party setup, an empty registry of `depth`, an empty wallet.
    ///
    /// # Errors
    ///
    /// If the directory already holds a registry, and setup or database errors.
    pub fn init<R: RngCore + CryptoRng>(
        dir: &Path,
        depth: usize,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<Self, HomeError> {
        if dir.join(REGISTRY_FILE).exists() {
            return Err(HomeError::HomeExists(dir.to_path_buf()));
        }
        // Asked first: a person answers before the setup's minutes, not after.
        let wallet_path = dir.join(WALLET_FILE);
        let passphrase = crate::passphrase::passphrase(PassphraseFor::NewWallet(&wallet_path))?;
        let params = ParamsDir::setup(&dir.join(PARAMS_DIR), depth, now.0, rng)?;
        let mut registry = Registry::create(dir.join(REGISTRY_FILE), depth)?;
        registry.use_clock(crate::unix_now);
        let wallet = Wallet::create(&wallet_path, passphrase.as_ref())?;
        IssuedRequests::open_or_create(dir.join(ISSUED_FILE))?.mark_complete()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            params,
            registry,
            wallet: OnceCell::from(wallet),
            issued: OnceCell::new(),
            verifying_keys: Default::default(),
            unprepared_keys: Default::default(),
            remote: None,
            input_tables: false,
        })
    }

    /// Opens an existing home. The wallet opens on first use ([`Home::wallet`]), asking the
    /// installed [`crate::passphrase`] source if it is sealed.
    ///
    /// # Errors
    ///
    /// Missing or unreadable parts, or a registry whose depth differs from the params'.
    pub fn open(dir: &Path) -> Result<Self, HomeError> {
        Self::open_parts(dir, Registry::open)
    }

    /// As [`Home::open`], for a command that mostly reads (verifying a proof): the registry's
    /// open-time integrity checks wait for its first write ([`Registry::open_for_reading`]).
    ///
    /// # Errors
    ///
    /// As [`Home::open`].
    pub fn open_for_reading(dir: &Path) -> Result<Self, HomeError> {
        Self::open_parts(dir, Registry::open_for_reading)
    }

    /// As [`Home::open`], with the wallet opened now, under `passphrase` if given (`None`: the
    /// installed [`crate::passphrase`] source is asked, if the wallet is sealed).
    ///
    /// # Errors
    ///
    /// As [`Home::open`], and the wallet's errors (a wrong passphrase, a damaged file).
    pub fn open_with(dir: &Path, passphrase: Option<&Passphrase>) -> Result<Self, HomeError> {
        let home = Self::open_parts(dir, Registry::open)?;
        let wallet = match passphrase {
            Some(given) => Wallet::open(home.wallet_path(), Some(given))?,
            None => open_wallet(&home.wallet_path())?,
        };
        let _ = home.wallet.set(wallet);
        Ok(home)
    }

    fn open_parts(
        dir: &Path,
        open_registry: fn(PathBuf) -> Result<Registry, RegistryError>,
    ) -> Result<Self, HomeError> {
        let params = ParamsDir::open(&dir.join(PARAMS_DIR))?;
        let mut registry = open_registry(dir.join(REGISTRY_FILE))?;
        if registry.depth() != params.manifest().tree_depth {
            return Err(HomeError::DepthMismatch {
                registry: registry.depth(),
                params: params.manifest().tree_depth,
            });
        }
        let service = RemoteConfig::read(dir).map_err(HomeError::RemoteConfig)?;
        let chain = ChainConfig::read(dir).map_err(HomeError::RemoteConfig)?;
        let remote: Option<Box<dyn Upstream>> = match (service, chain) {
            (Some(_), Some(_)) => {
                return Err(HomeError::RemoteConfig(format!(
                    "{} names both a registry service and a chain",
                    dir.display()
                )))
            }
            (Some(config), None) => Some(Box::new(RegistryClient::new(
                &config.registry,
                config.token,
            )?)),
            (None, Some(config)) => {
                Some(upstream::connect_chain(dir, &config).map_err(HomeError::RemoteConfig)?)
            }
            (None, None) => None,
        };
        // A home's own registry stamps the time read under the write lock; a replica stamps
        // its upstream's.
        if remote.is_none() {
            registry.use_clock(crate::unix_now);
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            params,
            registry,
            wallet: OnceCell::new(),
            issued: OnceCell::new(),
            verifying_keys: Default::default(),
            unprepared_keys: Default::default(),
            remote,
            input_tables: false,
        })
    }

    /// The wallet, opened on first use (the passphrase source is asked then, if it is sealed).
    ///
    /// # Errors
    ///
    /// The wallet's errors: no passphrase, a wrong one, a damaged file.
    pub fn wallet(&self) -> Result<&Wallet, HomeError> {
        if let Some(wallet) = self.wallet.get() {
            return Ok(wallet);
        }
        let wallet = open_wallet(&self.wallet_path())?;
        Ok(self.wallet.get_or_init(|| wallet))
    }

    /// [`Home::wallet`], for writing.
    ///
    /// # Errors
    ///
    /// As [`Home::wallet`].
    pub fn wallet_mut(&mut self) -> Result<&mut Wallet, HomeError> {
        self.wallet()?;
        self.wallet
            .get_mut()
            .ok_or(HomeError::Inconsistent("wallet not open"))
    }

    /// Whether the wallet was opened (by [`Home::wallet`] or at [`Home::open_with`]).
    pub fn wallet_is_open(&self) -> bool {
        self.wallet.get().is_some()
    }

    /// The issued-request index's path ([`crate::wallet::ISSUED_FILE`]).
    pub fn issued_path(&self) -> PathBuf {
        self.dir.join(ISSUED_FILE)
    }

    /// The issued-request index for reading, `None` until a request was issued through it.
    ///
    /// # Errors
    ///
    /// A file that is not an index.
    pub(crate) fn issued_index(&self) -> Result<Option<&IssuedRequests>, HomeError> {
        if let Some(index) = self.issued.get() {
            return Ok(Some(index));
        }
        Ok(match IssuedRequests::open(self.issued_path())? {
            Some(index) => Some(self.issued.get_or_init(|| index)),
            None => None,
        })
    }

    /// The wallet file's path.
    pub fn wallet_path(&self) -> PathBuf {
        self.dir.join(WALLET_FILE)
    }

    /// The wallet's secret for `name`, checked against the registry's id for that name (an
    /// identity not registered yet, its registration interrupted, is not checked).
    ///
    /// # Errors
    ///
    /// [`HomeError::SecretMismatch`], or the wallet's or registry's error.
    pub fn secret(&self, name: &str) -> Result<SecretKey, HomeError> {
        let secret = self.wallet()?.secret(name)?;
        if let Some(registered) = self.registry.identity(name)? {
            if registered.id != secret.id() {
                return Err(HomeError::SecretMismatch {
                    name: name.to_owned(),
                });
            }
        }
        Ok(secret)
    }

    /// Makes the verifying keys loaded from now on keep fixed-base tables of their public
    /// inputs: for a long-lived verifier (a service); a one-shot command is faster without.
    pub fn use_input_tables(&mut self) {
        self.input_tables = true;
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Brings the registry replica up to date with its upstream, a registry service or a
    /// chain (nothing to do for a home whose registry is local).
    ///
    /// # Errors
    ///
    /// The service unreachable, or a replica that diverges from what the service serves.
    pub fn sync(&mut self) -> Result<replica::SyncReport, HomeError> {
        if self.remote.is_none() {
            return Ok(replica::SyncReport::default());
        }
        let (authority, _) = self.verifying_key(Statement::Authority)?;
        let Some(upstream) = &self.remote else {
            return Ok(replica::SyncReport::default());
        };
        Ok(upstream.sync(&mut self.registry, &authority)?)
    }

    /// The registry service or chain, if this home's registry is a replica of one.
    pub fn remote(&self) -> Option<&dyn Upstream> {
        self.remote.as_deref()
    }

    /// Makes this home's registry a replica of `upstream` (a chain registry just deployed
    /// for it; its trees must be empty).
    ///
    /// # Errors
    ///
    /// A home that already has an upstream, or grants or records of its own.
    pub fn attach(&mut self, upstream: Box<dyn Upstream>) -> Result<(), HomeError> {
        if self.remote.is_some() {
            return Err(HomeError::Invalid(format!(
                "{} already replicates {}",
                self.dir.display(),
                self.remote
                    .as_ref()
                    .map(|u| u.location())
                    .unwrap_or_default()
            )));
        }
        let heads = self.registry.heads()?;
        if heads.grant_events > 0 || heads.record_events > 0 {
            return Err(HomeError::Invalid(format!(
                "{} has grants or records of its own: a chain registry starts from an empty \
                 home",
                self.dir.display()
            )));
        }
        self.remote = Some(upstream);
        Ok(())
    }

    /// The wallet, the registry and the upstream at once (for a wallet transaction that
    /// writes to the registry inside it).
    ///
    /// # Errors
    ///
    /// As [`Home::wallet`].
    #[allow(clippy::type_complexity)]
    pub(crate) fn parts_mut(
        &mut self,
    ) -> Result<(&mut Wallet, &mut Registry, Option<&dyn Upstream>), HomeError> {
        self.wallet()?;
        let wallet = self
            .wallet
            .get_mut()
            .ok_or(HomeError::Inconsistent("wallet not open"))?;
        Ok((wallet, &mut self.registry, self.remote.as_deref()))
    }

    /// A statement's prepared verifying key, from hash-checked params, and its hash. Shared,
    /// not copied: its fixed-base tables are about 60 KiB per public input.
    ///
    /// # Errors
    ///
    /// Params errors.
    pub fn verifying_key(
        &self,
        statement: Statement,
    ) -> Result<(Arc<PreparedVerifyingKey>, String), HomeError> {
        let slot = &self.verifying_keys[statement_slot(statement)];
        if let Some(cached) = slot.get() {
            return Ok(cached.clone());
        }
        let loaded = self.load_verifying_key(statement)?;
        Ok(slot.get_or_init(|| loaded).clone())
    }

    fn load_verifying_key(
        &self,
        statement: Statement,
    ) -> Result<(Arc<PreparedVerifyingKey>, String), HomeError> {
        let (vk, sha) = self.unprepared_verifying_key(statement)?;
        let pvk = verifier::prepare_verifying_key(&vk).map_err(|e| HomeError::Encoding {
            what: "verifying key",
            reason: e.to_string(),
        })?;
        let pvk = if self.input_tables {
            pvk.with_input_tables()
        } else {
            pvk
        };
        Ok((Arc::new(pvk), sha))
    }

    /// A statement's verifying key as the params hold it, not prepared, and its hash: for
    /// checking one proof ([`verifier::verify_once`]), which costs less than preparing.
    ///
    /// # Errors
    ///
    /// Params errors.
    pub fn unprepared_verifying_key(
        &self,
        statement: Statement,
    ) -> Result<(Arc<verifier::VerifyingKey>, String), HomeError> {
        let slot = &self.unprepared_keys[statement_slot(statement)];
        if let Some(cached) = slot.get() {
            return Ok(cached.clone());
        }
        let (bytes, sha) = self.params.verifying_key_bytes(statement)?;
        // Trusted: the bytes hash to the manifest's value, which our setup wrote.
        let vk = verifier::VerifyingKey::from_bytes_unchecked(&bytes).map_err(|e| {
            HomeError::Encoding {
                what: "verifying key",
                reason: e.to_string(),
            }
        })?;
        Ok(slot.get_or_init(|| (Arc::new(vk), sha)).clone())
    }

    /// Whether this home checks many proofs (a service: [`Home::use_input_tables`]), so its
    /// keys are prepared once; otherwise each proof is checked with the unprepared key.
    pub fn is_long_lived_verifier(&self) -> bool {
        self.input_tables
    }

    /// Creates an identity: a fresh secret in the wallet first, then its public id in the
    /// registry (the service's, for a replica). A crash in between leaves an identity the
    /// next start registers ([`Home::reconcile`]), never a registered name without a secret.
    ///
    /// # Errors
    ///
    /// Duplicate or invalid names, database errors, the service's refusal.
    pub fn create_identity<R: RngCore + CryptoRng>(
        &mut self,
        name: &str,
        role: Role,
        rng: &mut R,
    ) -> Result<IdentityId, HomeError> {
        if self.registry.identity(name)?.is_some() {
            return Err(RegistryError::DuplicateIdentity(name.to_owned()).into());
        }
        let secret = SecretKey::random(rng);
        let id = secret.id();
        self.wallet_mut()?.add_identity(name, role, &secret)?;
        crate::crashpoint::hit(crate::crashpoint::IDENTITY_STORED);
        if let Err(e) = self.register(name, role, id) {
            if e.is_final_refusal() {
                self.wallet_mut()?.remove_unregistered_identity(name)?;
            }
            return Err(e);
        }
        Ok(id)
    }

    /// A public id by name: from the registry.
    ///
    /// # Errors
    ///
    /// Unknown name.
    pub fn identity_id(&self, name: &str) -> Result<IdentityId, HomeError> {
        self.registry
            .identity(name)?
            .map(|r| r.id)
            .ok_or_else(|| HomeError::UnknownIdentity { name: name.into() })
    }

    /// A patient's public id by name (the identity must have the patient role).
    ///
    /// # Errors
    ///
    /// Unknown name or another role.
    pub fn patient_id(&self, name: &str) -> Result<IdentityId, HomeError> {
        self.expect_role(name, Role::Patient)?;
        self.identity_id(name)
    }

    pub(crate) fn role_of(&self, name: &str) -> Result<Role, HomeError> {
        self.registry
            .identity(name)?
            .map(|r| r.role)
            .ok_or_else(|| HomeError::UnknownIdentity { name: name.into() })
    }

    pub(crate) fn expect_role(&self, name: &str, role: Role) -> Result<(), HomeError> {
        let actual = self.role_of(name)?;
        if actual == role {
            Ok(())
        } else {
            Err(HomeError::WrongRole {
                name: name.into(),
                actual,
                expected: role,
            })
        }
    }

    /// A verifier's id by name (the identity must have the verifier role).
    ///
    /// # Errors
    ///
    /// Unknown name or another role.
    pub fn verifier_id(&self, name: &str) -> Result<VerifierId, HomeError> {
        self.expect_role(name, Role::Verifier)?;
        Ok(VerifierId(self.identity_id(name)?.0))
    }

    /// Loads a statement's proving key (hash-checked). Load once and reuse for many proofs.
    ///
    /// # Errors
    ///
    /// Params errors.
    pub fn keys(&self, statement: Statement) -> Result<LoadedKeys, HomeError> {
        Ok(self.params.load(statement)?)
    }
}

/// The proof file for a proof made with `keys`, with its public inputs in circuit order.
///
/// # Errors
///
/// Never for proofs our prover made; an error rather than a panic all the same.
pub fn proof_file(
    keys: &LoadedKeys,
    inputs: &[ark_bn254::Fr],
    proof: &zkconsent_prover::Proof,
) -> Result<ProofFile, HomeError> {
    let statement = keys.statement;
    Ok(ProofFile::new(
        statement,
        statement.has_tree_depth().then_some(keys.tree_depth),
        &keys.vk_sha256,
        inputs,
        &to_verifier_proof(proof)?,
    ))
}

/// Opens the wallet at `path`: with the key the home's key agent holds if one runs
/// ([`zkconsent_wallet::agent`]), else asking the installed [`crate::passphrase`] source if
/// sealed.
fn open_wallet(path: &Path) -> Result<Wallet, HomeError> {
    #[cfg(unix)]
    if let Some(wallet) = open_with_agent(path) {
        return Ok(wallet);
    }
    let passphrase = crate::passphrase::for_opening(path)?;
    Ok(Wallet::open(path, passphrase.as_ref())?)
}

/// The wallet at `path` opened with its home's agent's key; `None` (the passphrase is asked
/// then) without an agent socket, or on any failure: no agent listening, another wallet's
/// key, a wallet re-keyed since, a plain wallet.
#[cfg(unix)]
fn open_with_agent(path: &Path) -> Option<Wallet> {
    use zkconsent_wallet::{agent, SealKey};
    let socket = agent::socket_path(path.parent()?);
    std::fs::symlink_metadata(&socket).ok()?;
    let key = SealKey::from_agent(&socket, path).ok()?;
    Wallet::open_with_key(path, key).ok()
}

/// Position of a statement in [`Statement::ALL`] (the cache slot).
fn statement_slot(statement: Statement) -> usize {
    Statement::ALL
        .iter()
        .position(|s| *s == statement)
        .unwrap_or_default()
}

/// Converts an arkworks proof to the verifier crate's type (via canonical bytes).
///
/// # Errors
///
/// Never for proofs our prover made; an error rather than a panic all the same.
pub fn to_verifier_proof(proof: &zkconsent_prover::Proof) -> Result<verifier::Proof, HomeError> {
    let mut bytes = Vec::new();
    ark_serialize::CanonicalSerialize::serialize_compressed(proof, &mut bytes).map_err(|e| {
        HomeError::Encoding {
            what: "proof",
            reason: e.to_string(),
        }
    })?;
    verifier::Proof::from_bytes(&bytes).map_err(|e| HomeError::Encoding {
        what: "proof",
        reason: e.to_string(),
    })
}
