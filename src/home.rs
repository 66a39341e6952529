//! A zkconsent home directory: params, the registry (ledger side) and the wallet (client
//! side), and the operations of the Access flow over them.
//!
//! Layout: `params/` (keys and manifest), `registry.db` (public state: tree, roots, events),
//! `wallet.db` (secrets and grant openings; in a real deployment each party keeps its own).

use crate::{
    files::proof::ProofFile,
    registry::{Registry, RegistryError, Role},
    vocab::RESEARCH,
    wallet::{Wallet, WalletError},
};
use rand::{CryptoRng, RngCore};
use std::{
    cell::OnceCell,
    path::{Path, PathBuf},
};
use zkconsent_circuits::{
    access::{AccessPrivate, AccessPublic},
    authority::{AuthorityPrivate, AuthorityPublic, GrantAction},
    grant::Grant,
    types::{GrantSalt, IdentityId, Nonce, Purpose, Scope, SecretKey, Timestamp, VerifierId},
};
use zkconsent_prover::{
    prove_access, prove_authority, LoadedKeys, ParamsDir, ProverError, Statement,
};
use zkconsent_verifier::{self as verifier, PreparedVerifyingKey};

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
    /// Anything else, described.
    #[error("{0}")]
    Other(String),
}

/// What to grant.
#[derive(Clone, Debug)]
pub struct GrantRequest {
    /// Patient's name in the wallet.
    pub patient: String,
    /// Grantee's name in the wallet (or a public id registered in the registry).
    pub grantee: String,
    /// Scope granted.
    pub scope: Scope,
    /// Purpose granted.
    pub purpose: Purpose,
    /// Start of validity.
    pub not_before: Timestamp,
    /// End of validity (exclusive).
    pub not_after: Timestamp,
}

/// What an access proof is for.
#[derive(Clone, Debug)]
pub struct AccessRequest {
    /// Leaf index of the grant (its opening must be in the wallet).
    pub grant_index: u64,
    /// The verifier's public id.
    pub verifier: VerifierId,
    /// The verifier's nonce for this request.
    pub nonce: Nonce,
    /// Scope requested.
    pub scope: Scope,
    /// Purpose requested (defaults to the grant's).
    pub purpose: Option<Purpose>,
    /// Time of access.
    pub now: Timestamp,
}

/// An open home directory.
pub struct Home {
    dir: PathBuf,
    /// Keys and manifest.
    pub params: ParamsDir,
    /// Public registry state.
    pub registry: Registry,
    /// Secrets and openings.
    pub wallet: Wallet,
    /// Prepared verifying keys, loaded once (hash and circuit checks run on first use).
    verifying_keys: [OnceCell<(PreparedVerifyingKey, String)>; Statement::ALL.len()],
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
            return Err(HomeError::Other(format!(
                "{} already holds a registry; use another directory",
                dir.display()
            )));
        }
        let params = ParamsDir::setup(&dir.join(PARAMS_DIR), depth, now.0, rng)?;
        let registry = Registry::create(dir.join(REGISTRY_FILE), depth)?;
        let wallet = Wallet::create(dir.join(WALLET_FILE))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            params,
            registry,
            wallet,
            verifying_keys: Default::default(),
        })
    }

    /// Opens an existing home.
    ///
    /// # Errors
    ///
    /// Missing or unreadable parts, or a registry whose depth differs from the params'.
    pub fn open(dir: &Path) -> Result<Self, HomeError> {
        let params = ParamsDir::open(&dir.join(PARAMS_DIR))?;
        let registry = Registry::open(dir.join(REGISTRY_FILE))?;
        let wallet = Wallet::open(dir.join(WALLET_FILE))?;
        if registry.depth() != params.manifest().tree_depth {
            return Err(HomeError::Other(format!(
                "registry depth {} differs from params depth {}",
                registry.depth(),
                params.manifest().tree_depth
            )));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            params,
            registry,
            wallet,
            verifying_keys: Default::default(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A statement's prepared verifying key, from hash-checked params.
    ///
    /// # Errors
    ///
    /// Params errors.
    pub fn verifying_key(
        &self,
        statement: Statement,
    ) -> Result<(PreparedVerifyingKey, String), HomeError> {
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
    ) -> Result<(PreparedVerifyingKey, String), HomeError> {
        let (bytes, sha) = self.params.verifying_key_bytes(statement)?;
        // Trusted: the bytes hash to the manifest's value, which our setup wrote.
        let vk = verifier::VerifyingKey::from_bytes_unchecked(&bytes)
            .map_err(|e| HomeError::Other(format!("verifying key: {e}")))?;
        let pvk = verifier::prepare_verifying_key(&vk)
            .map_err(|e| HomeError::Other(format!("verifying key: {e}")))?;
        Ok((pvk, sha))
    }

    /// Creates an identity: a fresh secret in the wallet, its public id in the registry.
    ///
    /// # Errors
    ///
    /// Duplicate or invalid names, database errors.
    pub fn create_identity<R: RngCore + CryptoRng>(
        &mut self,
        name: &str,
        role: Role,
        rng: &mut R,
    ) -> Result<IdentityId, HomeError> {
        let secret = SecretKey::random(rng);
        let id = secret.id();
        self.registry.register_identity(name, role, id)?;
        self.wallet.add_identity(name, role, &secret)?;
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

    fn role_of(&self, name: &str) -> Result<Role, HomeError> {
        self.registry
            .identity(name)?
            .map(|r| r.role)
            .ok_or_else(|| HomeError::UnknownIdentity { name: name.into() })
    }

    fn expect_role(&self, name: &str, role: Role) -> Result<(), HomeError> {
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

    /// The patient issues a grant: proves authority over the new leaf, the registry verifies
    /// and appends it, and the opening goes to the wallet. Returns the leaf index.
    ///
    /// # Errors
    ///
    /// Unknown parties, a false authority statement, registry refusal.
    pub fn issue_grant<R: RngCore + CryptoRng>(
        &mut self,
        request: &GrantRequest,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<(u64, Grant), HomeError> {
        if request.not_after <= request.not_before {
            return Err(HomeError::Invalid(format!(
                "empty validity window: not_after {} is not after not_before {}",
                request.not_after.0, request.not_before.0
            )));
        }
        self.expect_role(&request.patient, Role::Patient)?;
        // A verifier is granted only research: the researcher a Cohort proof is made for
        // (spec §10.10); any other purpose goes to a clinician.
        if self.role_of(&request.grantee)? == Role::Verifier && request.purpose != RESEARCH {
            return Err(HomeError::Invalid(format!(
                "{} is a verifier: it can be granted research only",
                request.grantee
            )));
        }
        let patient_secret = self.wallet.secret(&request.patient)?;
        let grant = Grant {
            patient: patient_secret.id(),
            grantee: self.identity_id(&request.grantee)?,
            scope: request.scope,
            purpose: request.purpose,
            not_before: request.not_before,
            not_after: request.not_after,
            salt: GrantSalt::random(rng),
        };
        let proof = self.authority_proof(GrantAction::Issue, &grant, patient_secret, rng)?;
        let (pvk, _) = self.verifying_key(Statement::Authority)?;
        let index = self
            .registry
            .issue_grant(&pvk, grant.commit(), &proof, now)?;
        self.wallet
            .add_grant(index, &grant, &request.patient, &request.grantee)?;
        Ok((index, grant))
    }

    /// The patient revokes a grant: proves authority, the registry zeroes the leaf.
    ///
    /// # Errors
    ///
    /// Unknown grant, a false authority statement, registry refusal.
    pub fn revoke_grant<R: RngCore + CryptoRng>(
        &mut self,
        index: u64,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<(), HomeError> {
        let opening = self.wallet.grant(index)?;
        let patient_secret = self.wallet.secret(&opening.patient_name)?;
        let proof =
            self.authority_proof(GrantAction::Revoke, &opening.grant, patient_secret, rng)?;
        let (pvk, _) = self.verifying_key(Statement::Authority)?;
        self.registry.revoke_grant(&pvk, index, &proof, now)?;
        Ok(())
    }

    fn authority_proof<R: RngCore + CryptoRng>(
        &self,
        action: GrantAction,
        grant: &Grant,
        patient_secret: SecretKey,
        rng: &mut R,
    ) -> Result<verifier::Proof, HomeError> {
        let keys = self.params.load(Statement::Authority)?;
        let public = AuthorityPublic {
            action,
            commitment: grant.commit(),
        };
        let private = AuthorityPrivate {
            patient_secret,
            grant: grant.clone(),
        };
        let proof = prove_authority(&keys, &public, &private, rng)?;
        to_verifier_proof(&proof)
    }

    /// Loads the Access proving key (hash-checked). Load once and reuse for many proofs.
    ///
    /// # Errors
    ///
    /// Params errors.
    pub fn access_keys(&self) -> Result<LoadedKeys, HomeError> {
        self.keys(Statement::Access)
    }

    /// Loads a statement's proving key (hash-checked). Load once and reuse for many proofs.
    ///
    /// # Errors
    ///
    /// Params errors.
    pub fn keys(&self, statement: Statement) -> Result<LoadedKeys, HomeError> {
        Ok(self.params.load(statement)?)
    }

    /// The grantee proves access under a grant in the wallet, against the current root.
    ///
    /// # Errors
    ///
    /// Unknown grant, a false statement (revoked, expired, wider scope…), proving errors.
    pub fn prove_access<R: RngCore + CryptoRng>(
        &self,
        keys: &LoadedKeys,
        request: &AccessRequest,
        rng: &mut R,
    ) -> Result<(ProofFile, AccessPublic), HomeError> {
        let (public, private) = self.access_statement(request)?;
        let proof = prove_access(keys, &public, &private, rng)?;
        Ok((access_proof_file(keys, &public, &proof)?, public))
    }

    /// The Access statement a request asks for: the grant's opening and secret from the
    /// wallet, its path under the registry's current root. Reads only, so a batch can gather
    /// its statements here and prove them in parallel away from the databases.
    ///
    /// # Errors
    ///
    /// Unknown grant or identity, registry errors.
    pub fn access_statement(
        &self,
        request: &AccessRequest,
    ) -> Result<(AccessPublic, AccessPrivate), HomeError> {
        let opening = self.wallet.grant(request.grant_index)?;
        let grantee_secret = self.wallet.secret(&opening.grantee_name)?;
        let (root, path) = self.registry.root_and_path(request.grant_index)?;
        let private = AccessPrivate {
            grant: opening.grant,
            grantee_secret,
            path,
            verifier: request.verifier,
            nonce: request.nonce,
        };
        let mut public = private.public_for(root, request.now, request.scope);
        if let Some(purpose) = request.purpose {
            public.purpose = purpose;
        }
        Ok((public, private))
    }
}

/// The proof file for an Access proof made with `keys`.
///
/// # Errors
///
/// Never for proofs our prover made; an error rather than a panic all the same.
pub fn access_proof_file(
    keys: &LoadedKeys,
    public: &AccessPublic,
    proof: &zkconsent_prover::Proof,
) -> Result<ProofFile, HomeError> {
    proof_file(keys, &public.to_field_elements(), proof)
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
    ark_serialize::CanonicalSerialize::serialize_compressed(proof, &mut bytes)
        .map_err(|e| HomeError::Other(e.to_string()))?;
    verifier::Proof::from_bytes(&bytes).map_err(|e| HomeError::Other(e.to_string()))
}
