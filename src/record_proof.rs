//! The Record statement over a home: the custodian's opening from the wallet, its path under
//! the registry's current records root, and the verifier's predicates.

use crate::home::{Home, HomeError};
use zkconsent_circuits::{
    merkle::MerklePath,
    record::{
        CodeSet, CodeSetPredicate, DiscloseMask, InclusiveRange, RecordPrivate, RecordPublic,
        SetField, CODE_SET_DEPTH,
    },
    types::{CodeId, Nonce, VerifierId},
};

/// What a Record proof discloses and proves, for one verifier's request.
#[derive(Clone, Debug)]
pub struct RecordRequest {
    /// Leaf index of the record (its opening must be in the wallet).
    pub leaf_index: u64,
    /// The verifier's public id.
    pub verifier: VerifierId,
    /// The verifier's nonce for this request.
    pub nonce: Nonce,
    /// Fields to disclose.
    pub disclose: DiscloseMask,
    /// Range the hidden value must lie in ([`InclusiveRange::ANY`]: none asked).
    pub value_range: InclusiveRange,
    /// Range the date must lie in (days; [`InclusiveRange::ANY`]: none asked).
    pub date_range: InclusiveRange,
    /// The code-set predicate: which code, and the verifier's set.
    pub code_set: Option<(SetField, CodeSet)>,
}

impl Home {
    /// The leaf index of the latest anchored version of resource `Type/id`.
    ///
    /// # Errors
    ///
    /// [`HomeError::Invalid`] if the wallet holds no opening for it.
    pub fn record_leaf_of(&self, resource: &str) -> Result<u64, HomeError> {
        self.wallet
            .record_openings()?
            .iter()
            .filter(|o| o.resource() == resource)
            .map(|o| o.index)
            .max()
            .ok_or_else(|| {
                HomeError::Invalid(format!("the wallet holds no anchored record {resource}"))
            })
    }

    /// The Record statement a request asks for. A record whose code is outside the set gets
    /// an empty slot's path, so the statement is false and proving refuses it.
    ///
    /// # Errors
    ///
    /// No opening for the leaf, registry errors.
    pub fn record_statement(
        &self,
        request: &RecordRequest,
    ) -> Result<(RecordPublic, RecordPrivate), HomeError> {
        let opening = self
            .wallet
            .record_opening(request.leaf_index)?
            .ok_or_else(|| {
                HomeError::Invalid(format!(
                    "the wallet holds no record opening for leaf {}",
                    request.leaf_index
                ))
            })?;
        let (root, path) = self.registry.records_root_and_path(request.leaf_index)?;
        let tuple = opening.record.to_field_elements();
        let (code_path, predicate) = match &request.code_set {
            Some((field, set)) => {
                let path = set.witness_path(CodeId(tuple[field.field_index()]));
                let predicate = CodeSetPredicate {
                    field: *field,
                    root: set.root(),
                };
                (path, Some(predicate))
            }
            None => (MerklePath::blank(CODE_SET_DEPTH), None),
        };
        let private = RecordPrivate {
            record: opening.record,
            path,
            code_path,
            verifier: request.verifier,
            nonce: request.nonce,
        };
        let public = private.public_for(
            root,
            request.disclose,
            request.value_range,
            request.date_range,
            predicate,
        );
        Ok((public, private))
    }
}
