//! Groth16 proof assembly over cached constraint matrices, with zkconsent's MSMs and QAP.
//!
//! The same algebra as ark-groth16's `create_proof_with_assignment` (so keys and proofs keep
//! its formats, and its verifier accepts our proofs), with two changes:
//! - the MSMs are [`crate::msm`]'s, not ark-ec's;
//! - unprofiled, the quotient (FFTs, then the H and L MSMs) runs beside the A and B MSMs
//!   under `rayon::join`, so the FFTs fill the gaps the MSMs leave on the cores.
//!
//! Profiled, every phase runs alone and is timed into a [`ProofProfile`].

use crate::{
    matrices::ProverMatrices,
    msm::{msm_g1, msm_g2, ScalarBigInt},
    profile::ProofProfile,
    qap::{self, to_bigints},
    Proof, ProverError, ProvingKey,
};
use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Zero;
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use std::time::{Duration, Instant};

type Domain = GeneralEvaluationDomain<Fr>;

/// Checks that a proving key's queries have the lengths the matrices imply. A mismatch would
/// not fail loudly later: MSMs zip over the shorter slice and give a proof that never verifies.
///
/// # Errors
///
/// What differs, as text.
pub fn check_key_shape(pk: &ProvingKey, m: &ProverMatrices) -> Result<(), String> {
    let variables = m.num_inputs + m.num_witnesses;
    let domain = Domain::new(m.num_constraints + m.num_inputs)
        .ok_or_else(|| "circuit too large for the FFT domain".to_string())?;
    let expected = [
        ("a_query", pk.a_query.len(), variables),
        ("b_g1_query", pk.b_g1_query.len(), variables),
        ("b_g2_query", pk.b_g2_query.len(), variables),
        ("h_query", pk.h_query.len(), domain.size() - 1),
        ("l_query", pk.l_query.len(), m.num_witnesses),
        ("gamma_abc_g1", pk.vk.gamma_abc_g1.len(), m.num_inputs),
    ];
    for (name, got, want) in expected {
        if got != want {
            return Err(format!(
                "proving key's {name} has {got} points, the circuit needs {want}"
            ));
        }
    }
    Ok(())
}

/// The five MSM results of one proof.
struct Msms {
    a: G1Projective,
    b_g1: G1Projective,
    b_g2: G2Projective,
    h: G1Projective,
    l: G1Projective,
}

/// `h`: the quotient polynomial's coefficients, as MSM scalars.
fn quotient(m: &ProverMatrices, full: &[Fr]) -> Result<Vec<ScalarBigInt>, ProverError> {
    let h = qap::quotient(m, full).map_err(ProverError::Synthesis)?;
    Ok(to_bigints(&h))
}

fn timed<T>(slot: &mut Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    *slot = start.elapsed();
    out
}

/// Creates a proof from a full assignment `[1, inputs…, witnesses…]` with randomness `r, s`.
/// With `profile`, phases run one after another and their times are recorded (`qap` and the
/// MSMs; the caller records `check`, `witness` and `total`).
///
/// # Errors
///
/// [`ProverError::Synthesis`] if the key or the assignment does not fit the matrices.
pub fn create_proof(
    pk: &ProvingKey,
    m: &ProverMatrices,
    full: &[Fr],
    r: Fr,
    s: Fr,
    profile: Option<&mut ProofProfile>,
) -> Result<Proof, ProverError> {
    check_key_shape(pk, m).map_err(ProverError::Synthesis)?;
    if full.len() != m.num_inputs + m.num_witnesses {
        return Err(ProverError::Synthesis(format!(
            "assignment has {} values, the circuit {}",
            full.len(),
            m.num_inputs + m.num_witnesses
        )));
    }
    // Every variable but the constant 1, whose query points are added separately below.
    let scalars = to_bigints(&full[1..]);
    let witness = &scalars[m.num_inputs - 1..];
    // The five MSMs, named once; the two paths differ only in how they schedule them.
    let msm_h = |h: &[ScalarBigInt]| msm_g1(&pk.h_query, h);
    let msm_l = || msm_g1(&pk.l_query, witness);
    let msm_a = || msm_g1(&pk.a_query[1..], &scalars);
    let msm_b_g1 = || msm_g1(&pk.b_g1_query[1..], &scalars);
    let msm_b_g2 = || msm_g2(&pk.b_g2_query[1..], &scalars);
    let msms = match profile {
        Some(p) => {
            let h = timed(&mut p.qap, || quotient(m, full))?;
            Msms {
                h: timed(&mut p.msm_h, || msm_h(&h)),
                l: timed(&mut p.msm_l, msm_l),
                a: timed(&mut p.msm_a, msm_a),
                b_g1: timed(&mut p.msm_b_g1, msm_b_g1),
                b_g2: timed(&mut p.msm_b_g2, msm_b_g2),
            }
        }
        None => {
            let (hl, (a, (b_g1, b_g2))) = rayon::join(
                || -> Result<_, ProverError> {
                    let h = quotient(m, full)?;
                    Ok(rayon::join(|| msm_h(&h), msm_l))
                },
                || rayon::join(msm_a, || rayon::join(msm_b_g1, msm_b_g2)),
            );
            let (h, l) = hl?;
            Msms {
                a,
                b_g1,
                b_g2,
                h,
                l,
            }
        }
    };
    Ok(assemble(pk, r, s, msms))
}

/// A = α + A₀ + Σ aᵢAᵢ + rδ;  B = β + B₀ + Σ aᵢBᵢ + sδ;  C = sA + rB₁ − rsδ + L + H.
fn assemble(pk: &ProvingKey, r: Fr, s: Fr, msms: Msms) -> Proof {
    let delta_g1 = pk.delta_g1.into_group();
    let a = msms.a + pk.a_query[0] + pk.vk.alpha_g1 + delta_g1 * r;
    let b_g2 = msms.b_g2 + pk.b_g2_query[0] + pk.vk.beta_g2 + pk.vk.delta_g2.into_group() * s;
    // B in G1 only enters C multiplied by r; skip it when r = 0 (non-zero-knowledge proofs).
    let r_b_g1 = if r.is_zero() {
        G1Projective::zero()
    } else {
        (msms.b_g1 + pk.b_g1_query[0] + pk.beta_g1 + delta_g1 * s) * r
    };
    let c = a * s + r_b_g1 - delta_g1 * (r * s) + msms.l + msms.h;
    Proof {
        a: a.into_affine(),
        b: b_g2.into_affine(),
        c: c.into_affine(),
    }
}
