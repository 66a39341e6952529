//! Where a home's registry writes go: its own registry, or the registry's upstream, a service or a chain (then the
//! replica is synced so the write is visible locally). Every statement and anchoring path
//! writes through these, so a home never writes its replica directly.

use super::{client::RemoteError, replica::ReplicaError, upstream::Upstream};
use crate::{
    home::{Home, HomeError},
    registry::{RegistryError, Role},
};
use zkconsent_circuits::types::{GrantCommitment, IdentityId, RecordCommitment, Timestamp};
use zkconsent_prover::Statement;
use zkconsent_verifier as verifier;

impl HomeError {
    /// Whether the registry refused the write for good (retrying the same can never
    /// succeed), as opposed to not having answered.
    pub fn is_final_refusal(&self) -> bool {
        match self {
            Self::Registry(_) => true,
            Self::Remote(ReplicaError::Remote(RemoteError::Api { status, .. })) => {
                matches!(status, 400..=499)
            }
            Self::Remote(ReplicaError::Upstream { refused, .. }) => *refused,
            _ => false,
        }
    }
}

impl Home {
    /// Registers a public identity.
    pub(crate) fn register(
        &mut self,
        name: &str,
        role: Role,
        id: IdentityId,
    ) -> Result<(), HomeError> {
        let (_, registry, remote) = self.parts_mut()?;
        match remote {
            None => Ok(registry.register_identity(name, role, id)?),
            Some(upstream) => {
                upstream.register_identity(registry, name, role, id)?;
                self.sync()?;
                Ok(())
            }
        }
    }

    /// Submits a grant issue; returns its leaf. A commitment the registry already holds is a
    /// submission that landed before (a retry after a crash or a lost answer): salts are
    /// random, so no one else's grant has the same commitment.
    pub(crate) fn submit_issue(
        &mut self,
        commitment: GrantCommitment,
        proof: &verifier::Proof,
        now: Timestamp,
    ) -> Result<u64, HomeError> {
        if self.remote().is_none() {
            let (pvk, _) = self.verifying_key(Statement::Authority)?;
            return match self.registry.issue_grant(&pvk, commitment, proof, now) {
                Err(RegistryError::DuplicateCommitment { index }) => Ok(index),
                other => Ok(other?),
            };
        }
        let acked = match self.remote() {
            Some(upstream) => upstream.issue_grant(commitment, proof)?,
            None => None,
        };
        self.sync()?;
        self.landed_at(commitment, acked)
    }

    /// The leaf the replica holds `commitment` at, checked against the service's answer.
    fn landed_at(&self, commitment: GrantCommitment, acked: Option<u64>) -> Result<u64, HomeError> {
        let record = self.registry.find_grant(commitment)?;
        match (record, acked) {
            (Some(r), Some(index)) if r.index == index => Ok(index),
            (Some(r), None) => Ok(r.index),
            _ => Err(ReplicaError::Diverged(
                "the service acknowledged a grant its log does not show at that leaf".into(),
            )
            .into()),
        }
    }

    /// Submits a grant revocation.
    pub(crate) fn submit_revoke(
        &mut self,
        index: u64,
        proof: &verifier::Proof,
        now: Timestamp,
    ) -> Result<(), HomeError> {
        match self.remote() {
            None => {
                let (pvk, _) = self.verifying_key(Statement::Authority)?;
                Ok(self.registry.revoke_grant(&pvk, index, proof, now)?)
            }
            Some(upstream) => {
                upstream.revoke_grant(index, proof)?;
                self.sync()?;
                Ok(())
            }
        }
    }

    /// Anchors record leaves; returns the first leaf's index. For a replica the replica is
    /// not synced here (the caller syncs once its wallet transaction is done).
    pub(crate) fn submit_anchoring(
        registry: &mut crate::registry::Registry,
        remote: Option<&dyn Upstream>,
        leaves: &[RecordCommitment],
        superseded: &[u64],
        now: Timestamp,
    ) -> Result<u64, HomeError> {
        match remote {
            None => Ok(registry
                .anchor_records(leaves, superseded, now)?
                .first_index),
            Some(upstream) => Ok(upstream.anchor_records(registry, leaves, superseded)?),
        }
    }
}
