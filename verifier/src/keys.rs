//! Groth16 data: the verifying key, its prepared form, and the proof.
//!
//! Field order matches ark-groth16 0.6 exactly, so canonical bytes from either crate decode
//! with the other.

use alloc::vec::Vec;
use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::fixed_base::FixedBaseTable;

/// A Groth16 verifying key over BN254.
///
/// The fields are public and unchecked: build it from untrusted data only through
/// [`VerifyingKey::from_bytes`], which validates every point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct VerifyingKey {
    /// `alpha * G1`.
    pub alpha_g1: G1Affine,
    /// `beta * G2`.
    pub beta_g2: G2Affine,
    /// `gamma * G2`.
    pub gamma_g2: G2Affine,
    /// `delta * G2`.
    pub delta_g2: G2Affine,
    /// `gamma^{-1} * (beta * a_i + alpha * b_i + c_i) * G1`; entry 0 is the constant term,
    /// entry `i + 1` belongs to public input `i`.
    pub gamma_abc_g1: Vec<G1Affine>,
}

impl VerifyingKey {
    /// The number of public inputs a proof for this key takes (`gamma_abc_g1.len() - 1`;
    /// 0 for a malformed key with no points).
    #[must_use]
    pub fn num_public_inputs(&self) -> usize {
        self.gamma_abc_g1.len().saturating_sub(1)
    }
}

/// A Groth16 proof over BN254: `A` and `C` in G1, `B` in G2.
///
/// The fields are public and unchecked: build it from untrusted data only through
/// [`Proof::from_bytes`] or [`Proof::from_decimal`], which validate every point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof {
    /// The `A` element in G1.
    pub a: G1Affine,
    /// The `B` element in G2.
    pub b: G2Affine,
    /// The `C` element in G1.
    pub c: G1Affine,
}

/// A verifying key with the pairing-side work done once: `e(alpha, beta)` and the prepared
/// (line-coefficient) forms of `-gamma` and `-delta`, and fixed-base tables of the
/// public-input bases.
///
/// Made by [`crate::prepare_verifying_key`], which rejects keys that cannot verify anything.
#[derive(Clone, Debug)]
pub struct PreparedVerifyingKey {
    pub(crate) vk: VerifyingKey,
    pub(crate) alpha_g1_beta_g2: PairingOutput<Bn254>,
    /// `-beta`, prepared: a batch pairs it with `(Σ r_i)·alpha` instead of raising
    /// `e(alpha, beta)` to `Σ r_i` in the target group (one Miller-loop pair is cheaper).
    pub(crate) beta_g2_neg_pc: <Bn254 as Pairing>::G2Prepared,
    pub(crate) gamma_g2_neg_pc: <Bn254 as Pairing>::G2Prepared,
    pub(crate) delta_g2_neg_pc: <Bn254 as Pairing>::G2Prepared,
    /// Multiples of `gamma_abc_g1[1..]`, one table per public input, for a verifier that
    /// checks many proofs ([`PreparedVerifyingKey::with_input_tables`]); `None`: one
    /// multi-scalar multiplication per verification.
    pub(crate) input_tables: Option<Vec<FixedBaseTable>>,
}

impl PreparedVerifyingKey {
    /// The verifying key this was prepared from.
    #[must_use]
    pub fn vk(&self) -> &VerifyingKey {
        &self.vk
    }

    /// Adds fixed-base tables of the public-input bases (60 KiB and about 0.6 ms each, built
    /// once): each later verification computes its input term with table lookups instead of
    /// a multi-scalar multiplication. Worth it for a long-lived verifier (a service, a
    /// batch of single verifications); a one-shot verification is faster without.
    #[must_use]
    pub fn with_input_tables(mut self) -> Self {
        if self.input_tables.is_none() {
            self.input_tables = Some(crate::fixed_base::input_tables(&self.vk.gamma_abc_g1));
        }
        self
    }

    /// Whether [`PreparedVerifyingKey::with_input_tables`] built the tables.
    #[must_use]
    pub fn has_input_tables(&self) -> bool {
        self.input_tables.is_some()
    }

    /// The number of public inputs a proof for this key takes.
    #[must_use]
    pub fn num_public_inputs(&self) -> usize {
        self.vk.num_public_inputs()
    }
}
