//! Finishing anchorings a crash (or a lost answer) interrupted. The wallet writes every new
//! leaf's opening as a pending anchoring before the registry sees the leaves
//! (`zkconsent_wallet::records::pending`), so what can be left over is always completable:
//! an anchoring whose leaves the registry holds is settled at their indices; one whose
//! leaves it does not hold is submitted again (the same leaves and superseded indices: a
//! leaf is accepted once, and the service answers an identical retry with its first
//! answer), or forgotten if the registry refuses it for good (none of its leaves is in the
//! tree, so no salt is lost).

use crate::{
    home::{Home, HomeError},
    registry::RegistryError,
    remote::replica::ReplicaError,
    wallet::records::PendingAnchoring,
};
use zkconsent_circuits::types::{RecordCommitment, Timestamp};

impl Home {
    /// Settles, submits again or drops every pending anchoring (module docs). Returns the
    /// first leaf index and the leaf count of each anchoring settled.
    ///
    /// # Errors
    ///
    /// Database errors, a registry that holds part of an anchoring (or its leaves out of
    /// order), or the service unreachable or diverging (the anchoring stays pending).
    pub(crate) fn reconcile_anchorings(&mut self) -> Result<Vec<(u64, u64)>, HomeError> {
        let mut settled = Vec::new();
        for pending in self.wallet()?.pending_anchorings()? {
            let leaves = pending.commitments();
            let first = match self.anchored_at(&leaves)? {
                Some(first) => first,
                None => match self.resubmit_anchoring(&pending, &leaves)? {
                    Some(first) => first,
                    None => {
                        self.wallet_mut()?.drop_anchoring(pending.id)?;
                        continue;
                    }
                },
            };
            // `false`: another run settled it meanwhile.
            if self.wallet_mut()?.settle_anchoring(pending.id, first)? {
                settled.push((first, leaves.len() as u64));
            }
        }
        Ok(settled)
    }

    /// The index of the first of `leaves` if the registry (the replica, for a remote home)
    /// holds it, checked that every other one follows it: an anchoring lands whole.
    fn anchored_at(&self, leaves: &[RecordCommitment]) -> Result<Option<u64>, HomeError> {
        let Some(&head) = leaves.first() else {
            return Ok(None);
        };
        let Some(found) = self.registry.find_record(head)? else {
            return Ok(None);
        };
        for (&leaf, index) in leaves.iter().zip(found.index..) {
            if self.registry.find_record(leaf)?.map(|r| r.index) != Some(index) {
                return Err(HomeError::Inconsistent(
                    "the registry holds part of a pending anchoring, or its leaves out of order",
                ));
            }
        }
        Ok(Some(found.index))
    }

    /// Submits a pending anchoring again; returns its first leaf index, or `None` if the
    /// registry refused it for good.
    fn resubmit_anchoring(
        &mut self,
        pending: &PendingAnchoring,
        leaves: &[RecordCommitment],
    ) -> Result<Option<u64>, HomeError> {
        // The registry refuses time running backwards, and other writes may have come since.
        let now = Timestamp(pending.created_at.0.max(crate::unix_now().0));
        let (_, registry, remote) = self.parts_mut()?;
        let acked =
            match Home::submit_anchoring(registry, remote, leaves, &pending.superseded(), now) {
                Ok(first) => Some(first),
                // Another run submitted the same leaves meanwhile: the registry holds them.
                Err(HomeError::Registry(RegistryError::DuplicateRecordLeaf { .. })) => None,
                Err(e) if e.is_final_refusal() => return Ok(None),
                Err(e) => return Err(e),
            };
        // A replica learns of the leaves from the service's log.
        self.sync()?;
        match (self.anchored_at(leaves)?, acked) {
            (Some(first), None) => Ok(Some(first)),
            (Some(first), Some(acked)) if first == acked => Ok(Some(first)),
            _ => Err(ReplicaError::Diverged(
                "the registry acknowledged record leaves its log does not show there".into(),
            )
            .into()),
        }
    }
}

#[cfg(test)]
mod tests;
