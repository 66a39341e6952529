//! Where a home's registry writes go: its own registry, or the registry service (then the
//! replica is synced so the write is visible locally). Every statement and anchoring path
//! writes through these, so a home never writes its replica directly.

use super::{
    client::RemoteError,
    replica::ReplicaError,
    wire::{AnchorRecords, IssueGrant, NewIdentity, RevokeGrant},
};
use crate::{
    home::{Home, HomeError},
    registry::{RegistryError, Role},
};
use zkconsent_circuits::types::{GrantCommitment, IdentityId, RecordCommitment, Timestamp};
use zkconsent_prover::Statement;
use zkconsent_verifier::{self as verifier, fr_to_decimal};

impl HomeError {
    /// Whether the registry refused the write for good (retrying the same can never
    /// succeed), as opposed to not having answered.
    pub fn is_final_refusal(&self) -> bool {
        match self {
            Self::Registry(_) => true,
            Self::Remote(ReplicaError::Remote(RemoteError::Api { status, .. })) => {
                matches!(status, 400..=499)
            }
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
        match &self.remote() {
            None => Ok(self.registry.register_identity(name, role, id)?),
            Some(client) => {
                client.register_identity(&NewIdentity {
                    name: name.to_owned(),
                    role: role.as_str().to_owned(),
                    id: fr_to_decimal(&id.0),
                })?;
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
        let ack = self.remote().map(|client| {
            client.issue_grant(&IssueGrant {
                commitment: fr_to_decimal(&commitment.0),
                proof: hex::encode(proof.to_bytes()),
            })
        });
        let ack = ack.transpose()?;
        self.sync()?;
        self.landed_at(commitment, ack.map(|a| a.index))
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
            Some(client) => {
                client.revoke_grant(
                    index,
                    &RevokeGrant {
                        proof: hex::encode(proof.to_bytes()),
                    },
                )?;
                self.sync()?;
                Ok(())
            }
        }
    }

    /// Anchors record leaves; returns the first leaf's index. For a replica the replica is
    /// not synced here (the caller syncs once its wallet transaction is done).
    pub(crate) fn submit_anchoring(
        registry: &mut crate::registry::Registry,
        remote: Option<&super::client::RegistryClient>,
        leaves: &[RecordCommitment],
        superseded: &[u64],
        now: Timestamp,
    ) -> Result<u64, HomeError> {
        match remote {
            None => Ok(registry
                .anchor_records(leaves, superseded, now)?
                .first_index),
            Some(client) => Ok(client
                .anchor_records(&AnchorRecords {
                    leaves: leaves.iter().map(|l| fr_to_decimal(&l.0)).collect(),
                    superseded: superseded.to_vec(),
                })?
                .first_index),
        }
    }
}
