//! Finishing what a crash (or a lost answer) interrupted, on the next start. Each write that
//! spans the wallet and the registry writes the wallet side first (an identity's secret, a
//! grant's opening as pending), so what can be left over is always completable here:
//!
//! - an identity in the wallet the registry does not know is registered (its name is never
//!   left taken without a secret);
//! - a pending grant the registry holds is settled at its leaf; one it does not hold is
//!   submitted again (the same proof; a commitment is accepted once), or forgotten if the
//!   registry refuses it for good;
//! - a pending records anchoring likewise (`crate::records`): settled at the leaves the
//!   registry holds, submitted again, or dropped.

use crate::home::{Home, HomeError};
use zkconsent_prover::Statement;

/// What [`Home::reconcile`] finished.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Identities registered now.
    pub identities_registered: Vec<String>,
    /// Pending grants found in the registry and settled, by leaf.
    pub grants_settled: Vec<u64>,
    /// Pending grants submitted again and settled, by leaf.
    pub grants_resubmitted: Vec<u64>,
    /// Pending grants the registry refused for good, with why.
    pub grants_dropped: Vec<String>,
    /// Pending record anchorings settled: (first leaf, leaf count).
    pub anchorings_settled: Vec<(u64, u64)>,
}

impl ReconcileReport {
    /// Whether anything was left to finish.
    pub fn is_empty(&self) -> bool {
        self.identities_registered.is_empty()
            && self.grants_settled.is_empty()
            && self.grants_resubmitted.is_empty()
            && self.grants_dropped.is_empty()
            && self.anchorings_settled.is_empty()
    }
}

impl Home {
    /// Finishes interrupted writes (see the module documentation). Cheap when there is
    /// nothing to do: one scan of the wallet's identities and pending grants.
    ///
    /// # Errors
    ///
    /// Database errors, or the service unreachable (everything stays pending).
    pub fn reconcile(&mut self) -> Result<ReconcileReport, HomeError> {
        let mut report = ReconcileReport::default();
        for identity in self.wallet()?.identities()? {
            if self.registry.identity(&identity.name)?.is_none() {
                self.register(&identity.name, identity.role, identity.id)?;
                report.identities_registered.push(identity.name);
            }
        }
        for pending in self.wallet()?.pending_grants()? {
            let commitment = pending.grant.commit();
            if let Some(record) = self.registry.find_grant(commitment)? {
                self.wallet_mut()?
                    .settle_pending_grant(commitment, record.index)?;
                report.grants_settled.push(record.index);
                continue;
            }
            let proof = zkconsent_verifier::Proof::from_bytes(&pending.proof).map_err(|e| {
                HomeError::Encoding {
                    what: "pending grant proof",
                    reason: e.to_string(),
                }
            })?;
            // The authority key is loaded once per run, not per grant.
            let _ = self.verifying_key(Statement::Authority)?;
            match self.submit_issue(commitment, &proof, crate::unix_now()) {
                Ok(index) => {
                    self.wallet_mut()?.settle_pending_grant(commitment, index)?;
                    report.grants_resubmitted.push(index);
                }
                Err(e) if e.is_final_refusal() => {
                    self.wallet_mut()?.drop_pending_grant(commitment)?;
                    report.grants_dropped.push(e.to_string());
                }
                Err(e) => return Err(e),
            }
        }
        report.anchorings_settled = self.reconcile_anchorings()?;
        Ok(report)
    }
}
