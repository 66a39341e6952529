//! Shared test helpers: one authority key pair per test binary, grants and real proofs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::Registry;
use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey};
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use rand::{rngs::StdRng, SeedableRng};
use std::{path::PathBuf, sync::OnceLock};
use tempfile::TempDir;
use zkconsent_circuits::{
    authority::{AuthorityCircuit, AuthorityPrivate, AuthorityPublic, GrantAction},
    grant::Grant,
    types::{GrantSalt, Purpose, Scope, SecretKey, Timestamp},
};
use zkconsent_verifier::{prepare_verifying_key, PreparedVerifyingKey, Proof, VerifyingKey};

/// The authority statement's keys, set up once.
pub(crate) struct Keys {
    pub pk: ProvingKey<Bn254>,
    pub pvk: PreparedVerifyingKey,
}

pub(crate) fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(0x5eed);
        let (pk, vk) =
            Groth16::<Bn254>::circuit_specific_setup(AuthorityCircuit::blank(), &mut rng).unwrap();
        let mut bytes = Vec::new();
        vk.serialize_compressed(&mut bytes).unwrap();
        let vk = VerifyingKey::from_bytes(&bytes).unwrap();
        let pvk = prepare_verifying_key(&vk).unwrap();
        Keys { pk, pvk }
    })
}

/// A Groth16 proof of the authority circuit for this (possibly false) statement, or `None`
/// if the prover refuses.
pub(crate) fn try_prove(
    public: &AuthorityPublic,
    private: &AuthorityPrivate,
    seed: u64,
) -> Option<Proof> {
    let mut rng = StdRng::seed_from_u64(seed);
    let proof =
        Groth16::<Bn254>::prove(&keys().pk, AuthorityCircuit::new(public, private), &mut rng)
            .ok()?;
    let mut bytes = Vec::new();
    proof.serialize_compressed(&mut bytes).unwrap();
    Some(Proof::from_bytes(&bytes).unwrap())
}

/// A patient, a grantee and a grant between them.
pub(crate) struct Party {
    pub patient: SecretKey,
    pub grantee: SecretKey,
    pub grant: Grant,
}

pub(crate) fn party(seed: u64) -> Party {
    let mut rng = StdRng::seed_from_u64(seed);
    let patient = SecretKey::random(&mut rng);
    let grantee = SecretKey::random(&mut rng);
    let grant = Grant {
        patient: patient.id(),
        grantee: grantee.id(),
        scope: Scope(0b1011),
        purpose: Purpose(1),
        not_before: Timestamp(1_000),
        not_after: Timestamp(1_000_000),
        salt: GrantSalt::random(&mut rng),
    };
    Party {
        patient,
        grantee,
        grant,
    }
}

impl Party {
    /// An honest authority proof for `action` on this grant.
    pub fn proof(&self, action: GrantAction, seed: u64) -> Proof {
        let public = AuthorityPublic {
            action,
            commitment: self.grant.commit(),
        };
        let private = AuthorityPrivate {
            patient_secret: self.patient.clone(),
            grant: self.grant.clone(),
        };
        try_prove(&public, &private, seed).unwrap()
    }

    /// Issues this grant honestly.
    pub fn issue(&self, reg: &mut Registry, now: u64) -> u64 {
        let proof = self.proof(GrantAction::Issue, now);
        reg.issue_grant(&keys().pvk, self.grant.commit(), &proof, Timestamp(now))
            .unwrap()
    }

    /// Revokes this grant (at `index`) honestly.
    pub fn revoke(&self, reg: &mut Registry, index: u64, now: u64) {
        let proof = self.proof(GrantAction::Revoke, now);
        reg.revoke_grant(&keys().pvk, index, &proof, Timestamp(now))
            .unwrap();
    }
}

/// A fresh registry of `depth` in a temporary directory (kept alive by the returned guard).
pub(crate) fn temp_registry(depth: usize) -> (TempDir, PathBuf, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.db");
    let reg = Registry::create(&path, depth).unwrap();
    (dir, path, reg)
}
