//! Statement 0, Grant authority: "I know the secret behind the patient id committed in this
//! grant leaf, and I authorise this action on it".
//!
//! The registry appends a grant leaf, or zeroes it, only with a verifying proof of this
//! statement for exactly that action and leaf. Whoever writes to the registry therefore cannot
//! mint (or revoke) a grant for someone else's patient id, and the proof does not reveal
//! which patient acted. The leaf's fields are range-checked here, so every authorised leaf
//! is well formed.

mod circuit;
pub(crate) mod kind;

pub use circuit::{AuthorityAssignment, AuthorityCircuit};

use crate::{
    grant::Grant,
    range::fits_in_bits,
    statement::{Decoder, InputError},
    types::{GrantCommitment, SecretKey},
};
use ark_bn254::Fr;

/// Statement name in proof files and the params manifest.
pub const STATEMENT: &str = "authority";
/// Bumped whenever the constraint system changes shape or meaning.
pub const CIRCUIT_VERSION: u32 = 2;

/// Public-input offsets.
pub mod inputs {
    /// The action code.
    pub const ACTION: usize = 0;
    /// The grant leaf acted on.
    pub const COMMITMENT: usize = 1;
    /// Number of public inputs.
    pub const COUNT: usize = 2;
    /// Names in order, as used in proof files.
    pub const NAMES: [&str; COUNT] = ["action", "commitment"];
}

/// What the patient authorises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantAction {
    /// Append the leaf to the grants tree.
    Issue,
    /// Zero the leaf in the grants tree.
    Revoke,
}

impl GrantAction {
    /// Code of [`GrantAction::Issue`] in the public input.
    pub const ISSUE_CODE: u64 = 1;
    /// Code of [`GrantAction::Revoke`] in the public input.
    pub const REVOKE_CODE: u64 = 2;

    /// The public-input code.
    pub fn code(self) -> u64 {
        match self {
            Self::Issue => Self::ISSUE_CODE,
            Self::Revoke => Self::REVOKE_CODE,
        }
    }

    /// The action with this public-input code.
    pub fn from_code(code: u64) -> Option<Self> {
        [Self::Issue, Self::Revoke]
            .into_iter()
            .find(|a| a.code() == code)
    }
}

/// The public inputs, in circuit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthorityPublic {
    /// The action authorised.
    pub action: GrantAction,
    /// The leaf it applies to.
    pub commitment: GrantCommitment,
}

impl AuthorityPublic {
    /// Number of public inputs.
    pub const NUM_INPUTS: usize = inputs::COUNT;

    /// The public inputs as field elements, in circuit order: the only encoder.
    pub fn to_field_elements(&self) -> [Fr; inputs::COUNT] {
        let Self { action, commitment } = self;
        let mut out = [Fr::from(0u64); inputs::COUNT];
        out[inputs::ACTION] = Fr::from(action.code());
        out[inputs::COMMITMENT] = commitment.0;
        out
    }

    /// The public inputs from field elements: the decoder twin of
    /// [`Self::to_field_elements`].
    ///
    /// # Errors
    ///
    /// [`InputError::WrongCount`], or [`InputError::OutOfRange`] for an action code that is
    /// neither issue (1) nor revoke (2).
    pub fn from_field_elements(elements: &[Fr]) -> Result<Self, InputError> {
        let d = Decoder::new(elements, &inputs::NAMES)?;
        let action = d
            .u64(inputs::ACTION)
            .ok()
            .and_then(GrantAction::from_code)
            .ok_or_else(|| d.out_of_range(inputs::ACTION))?;
        Ok(Self {
            action,
            commitment: GrantCommitment(d.fr(inputs::COMMITMENT)),
        })
    }
}

/// The witness: the patient's secret and the grant's opening.
#[derive(Clone)]
pub struct AuthorityPrivate {
    /// The patient's secret key.
    pub patient_secret: SecretKey,
    /// The grant whose leaf is acted on.
    pub grant: Grant,
}

impl core::fmt::Debug for AuthorityPrivate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthorityPrivate").finish_non_exhaustive()
    }
}

/// Why an authority statement is false.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthorityError {
    /// The secret is not the one behind the grant's patient id.
    NotThePatient,
    /// The grant does not open the public commitment.
    CommitmentMismatch,
    /// A grant field is out of range (window or scope past 64 bits).
    MalformedGrant,
}

impl core::fmt::Display for AuthorityError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::NotThePatient => "the secret is not the grant's patient's",
            Self::CommitmentMismatch => "the grant does not open the commitment",
            Self::MalformedGrant => "a grant field is out of range",
        })
    }
}

impl std::error::Error for AuthorityError {}

/// The relation, natively: the executable specification of the authority statement.
///
/// # Errors
///
/// The first [`AuthorityError`] that makes the statement false.
pub fn check(public: &AuthorityPublic, private: &AuthorityPrivate) -> Result<(), AuthorityError> {
    if private.patient_secret.id() != private.grant.patient {
        return Err(AuthorityError::NotThePatient);
    }
    if private.grant.commit() != public.commitment {
        return Err(AuthorityError::CommitmentMismatch);
    }
    // Typed grants hold u64 fields; the check matters for field-level assignments.
    let g = private.grant.to_field_elements();
    if ![2usize, 4, 5].iter().all(|&i| fits_in_bits(&g[i], 64)) {
        return Err(AuthorityError::MalformedGrant);
    }
    Ok(())
}
