//! Statement 1, Access: "I hold a valid, unrevoked grant from this patient for this scope and
//! purpose at time `now`, and this proof answers this one request".
//!
//! [`AccessPublic`] lists the public inputs in circuit order; [`AccessPublic::to_field_elements`]
//! is the only encoder. [`check`] decides the relation natively and is the executable spec;
//! [`AccessCircuit`] must agree with it both ways (tests in `circuits/tests/access.rs`).

mod circuit;
pub(crate) mod kind;

pub use circuit::{AccessAssignment, AccessCircuit};

use crate::{
    grant::Grant,
    merkle::{MerklePath, EMPTY_LEAF},
    range,
    statement::{Decoder, InputError},
    types::{
        AccessTag, GrantsRoot, Nonce, PatientRef, Purpose, RequestHash, Scope, SecretKey,
        Timestamp, VerifierId,
    },
};
use ark_bn254::Fr;

/// Statement name in proof files and the params manifest.
pub const STATEMENT: &str = "access";
/// Bumped whenever the constraint system changes shape or meaning.
pub const CIRCUIT_VERSION: u32 = 2;

/// Public-input offsets (0-based, excluding the constant 1), shared by the encoder and the
/// circuit.
pub mod inputs {
    /// Grants tree root.
    pub const GRANTS_ROOT: usize = 0;
    /// Time of access, Unix seconds.
    pub const NOW: usize = 1;
    /// Requested scope bitmask.
    pub const SCOPE: usize = 2;
    /// Requested purpose.
    pub const PURPOSE: usize = 3;
    /// Patient reference for this verifier.
    pub const PATIENT_REF: usize = 4;
    /// Request hash (verifier id and nonce).
    pub const REQUEST_HASH: usize = 5;
    /// Access tag.
    pub const ACCESS_TAG: usize = 6;
    /// Number of public inputs.
    pub const COUNT: usize = 7;
    /// Names in order, as used in proof files.
    pub const NAMES: [&str; COUNT] = [
        "grants_root",
        "now",
        "scope",
        "purpose",
        "patient_ref",
        "request_hash",
        "access_tag",
    ];
}

/// The public inputs, in circuit order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessPublic {
    /// Root of the grants tree the proof is against.
    pub grants_root: GrantsRoot,
    /// Time of access.
    pub now: Timestamp,
    /// Requested scope; the grant's scope must cover it.
    pub scope: Scope,
    /// Requested purpose; must equal the grant's.
    pub purpose: Purpose,
    /// `H(patient_id, verifier_id)`.
    pub patient_ref: PatientRef,
    /// `H(verifier_id, nonce)`.
    pub request_hash: RequestHash,
    /// `H(grant_salt, request_hash)`.
    pub access_tag: AccessTag,
}

impl AccessPublic {
    /// Number of public inputs.
    pub const NUM_INPUTS: usize = inputs::COUNT;

    /// The public inputs as field elements, in circuit order: the only encoder.
    pub fn to_field_elements(&self) -> [Fr; inputs::COUNT] {
        let Self {
            grants_root,
            now,
            scope,
            purpose,
            patient_ref,
            request_hash,
            access_tag,
        } = self;
        let mut out = [Fr::from(0u64); inputs::COUNT];
        out[inputs::GRANTS_ROOT] = grants_root.0;
        out[inputs::NOW] = now.to_fr();
        out[inputs::SCOPE] = scope.to_fr();
        out[inputs::PURPOSE] = purpose.to_fr();
        out[inputs::PATIENT_REF] = patient_ref.0;
        out[inputs::REQUEST_HASH] = request_hash.0;
        out[inputs::ACCESS_TAG] = access_tag.0;
        out
    }

    /// The public inputs from field elements: the decoder twin of
    /// [`Self::to_field_elements`].
    ///
    /// # Errors
    ///
    /// [`InputError::WrongCount`], or [`InputError::OutOfRange`] for a time, scope or
    /// purpose past 64 bits.
    pub fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        let d = Decoder::new(elements, &inputs::NAMES)?;
        Ok(Self {
            grants_root: GrantsRoot(d.fr(inputs::GRANTS_ROOT)),
            now: Timestamp(d.u64(inputs::NOW)?),
            scope: Scope(d.u64(inputs::SCOPE)?),
            purpose: Purpose(d.u64(inputs::PURPOSE)?),
            patient_ref: PatientRef(d.fr(inputs::PATIENT_REF)),
            request_hash: RequestHash(d.fr(inputs::REQUEST_HASH)),
            access_tag: AccessTag(d.fr(inputs::ACCESS_TAG)),
        })
    }
}

/// The witness: the grant, the grantee's key, the path, and the request opening.
#[derive(Clone)]
pub struct AccessPrivate {
    /// The grant being used.
    pub grant: Grant,
    /// The grantee's secret key.
    pub grantee_secret: SecretKey,
    /// Inclusion path of the grant's leaf.
    pub path: MerklePath,
    /// The verifier this proof is for.
    pub verifier: VerifierId,
    /// The verifier's nonce for this request.
    pub nonce: Nonce,
}

impl core::fmt::Debug for AccessPrivate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccessPrivate")
            .field("leaf_index", &self.path.index)
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

impl AccessPrivate {
    /// The public inputs this witness proves, given the root and request terms.
    pub fn public_for(
        &self,
        grants_root: GrantsRoot,
        now: Timestamp,
        scope: Scope,
    ) -> AccessPublic {
        let request_hash = RequestHash::derive(self.verifier, self.nonce);
        AccessPublic {
            grants_root,
            now,
            scope,
            purpose: self.grant.purpose,
            patient_ref: PatientRef::derive(self.grant.patient, self.verifier),
            request_hash,
            access_tag: AccessTag::derive(&self.grant.salt, request_hash),
        }
    }
}

/// Why a statement is false: one variant per constraint group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessError {
    /// The grantee key does not match the grant's grantee id.
    GranteeKeyMismatch,
    /// The grant's purpose is not the requested purpose.
    PurposeMismatch,
    /// The grant leaf is not in the tree under this root (revoked, never issued, wrong path).
    NotInTree,
    /// `now` is outside `[not_before, not_after)`.
    OutsideWindow,
    /// The granted scope does not cover the requested scope.
    ScopeNotCovered,
    /// The request hash does not open to the verifier id and nonce.
    RequestHashMismatch,
    /// The patient reference is not `H(patient_id, verifier_id)`.
    PatientRefMismatch,
    /// The access tag is not `H(grant_salt, request_hash)`.
    AccessTagMismatch,
}

impl core::fmt::Display for AccessError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::GranteeKeyMismatch => "grantee key does not match the grant",
            Self::PurposeMismatch => "purpose differs from the grant's",
            Self::NotInTree => "grant is not in the grants tree (revoked or never issued)",
            Self::OutsideWindow => "time is outside the grant's validity window",
            Self::ScopeNotCovered => "requested scope is wider than the grant",
            Self::RequestHashMismatch => "request hash does not match verifier and nonce",
            Self::PatientRefMismatch => "patient reference does not match",
            Self::AccessTagMismatch => "access tag does not match",
        })
    }
}

impl std::error::Error for AccessError {}

/// The relation, natively: the executable specification of the Access statement.
///
/// # Errors
///
/// The first [`AccessError`] that makes the statement false.
pub fn check(public: &AccessPublic, private: &AccessPrivate) -> Result<(), AccessError> {
    let grant = &private.grant;
    // Grantee key knowledge.
    if private.grantee_secret.id() != grant.grantee {
        return Err(AccessError::GranteeKeyMismatch);
    }
    // Purpose.
    if grant.purpose != public.purpose {
        return Err(AccessError::PurposeMismatch);
    }
    // Membership (non-revocation: revoked leaves are zeroed).
    let leaf = grant.commit().0;
    if leaf == EMPTY_LEAF || !private.path.verify_membership(public.grants_root, leaf) {
        return Err(AccessError::NotInTree);
    }
    // Validity window.
    if !range::in_window(grant.not_before.0, public.now.0, grant.not_after.0) {
        return Err(AccessError::OutsideWindow);
    }
    // Scope.
    if !grant.scope.covers(public.scope) {
        return Err(AccessError::ScopeNotCovered);
    }
    // Request binding, patient reference, access tag.
    let request_hash = RequestHash::derive(private.verifier, private.nonce);
    if request_hash != public.request_hash {
        return Err(AccessError::RequestHashMismatch);
    }
    if PatientRef::derive(grant.patient, private.verifier) != public.patient_ref {
        return Err(AccessError::PatientRefMismatch);
    }
    if AccessTag::derive(&grant.salt, public.request_hash) != public.access_tag {
        return Err(AccessError::AccessTagMismatch);
    }
    Ok(())
}
