//! The R1CS-to-QAP witness map: the quotient `h = (A·z ∘ B·z − C·z) / Z` as coefficients.
//!
//! Equal, value for value, to ark-groth16's `LibsnarkReduction::witness_map_from_matrices`
//! for satisfying assignments (tested), with two changes:
//! - `C·z` is taken as `A·z ∘ B·z` on the domain, which a satisfying assignment makes exact
//!   (input rows have `B = 0` and `C = 0`), saving the third sparse product. An unsatisfying
//!   assignment still cannot give a verifying proof: the key's L query carries the real C,
//!   and the prover checks the statement natively first anyway.
//! - The three interpolate-then-coset-evaluate chains (2 FFTs each) are independent and run
//!   side by side on rayon; the last inverse FFT runs alone.
//!
//! Cost: two sparse matrix-vector products and seven FFTs over the next power of two above
//! `constraints + inputs` (8192 for Access at depth 20).

use crate::matrices::ProverMatrices;
use ark_bn254::Fr;
use ark_ff::{FftField, Field, PrimeField, Zero};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use rayon::prelude::*;

type Domain = GeneralEvaluationDomain<Fr>;

/// One matrix row applied to the assignment.
fn row_dot(row: &[(Fr, usize)], z: &[Fr]) -> Fr {
    row.iter().map(|(coeff, i)| z[*i] * coeff).sum()
}

fn evaluate(matrix: &[Vec<(Fr, usize)>], z: &[Fr], out: &mut [Fr]) {
    out.par_iter_mut()
        .zip(matrix.par_iter())
        .for_each(|(o, row)| *o = row_dot(row, z));
}

/// `h`'s coefficients (domain-size many; the key's `h_query` uses all but the last).
///
/// # Errors
///
/// A message if the circuit does not fit an FFT domain of the field, or the matrices or the
/// assignment do not have the circuit's shape.
pub fn quotient(m: &ProverMatrices, z: &[Fr]) -> Result<Vec<Fr>, String> {
    let [a_matrix, b_matrix, _c] = m.matrices.as_slice() else {
        return Err(format!(
            "expected 3 R1CS matrices, got {}",
            m.matrices.len()
        ));
    };
    let domain = Domain::new(m.num_constraints + m.num_inputs)
        .ok_or_else(|| "circuit too large for the FFT domain".to_string())?;
    let coset = domain
        .get_coset(Fr::GENERATOR)
        .ok_or_else(|| "no coset domain".to_string())?;
    let n = domain.size();
    let rows = m.num_constraints;
    // Matrix indices are below the variable count by construction (setup synthesis).
    if a_matrix.len() < rows || b_matrix.len() < rows || z.len() != m.num_inputs + m.num_witnesses {
        return Err("matrices or assignment do not fit the circuit".into());
    }

    let mut a = vec![Fr::zero(); n];
    let mut b = vec![Fr::zero(); n];
    rayon::join(
        || evaluate(&a_matrix[..rows], z, &mut a[..rows]),
        || evaluate(&b_matrix[..rows], z, &mut b[..rows]),
    );
    // libsnark's input-consistency rows: A = the input, B = C = 0.
    a[rows..rows + m.num_inputs].copy_from_slice(&z[..m.num_inputs]);
    let mut c: Vec<Fr> = a.par_iter().zip(&b).map(|(x, y)| *x * y).collect();

    let to_coset = |v: &mut Vec<Fr>| {
        domain.ifft_in_place(v);
        coset.fft_in_place(v);
    };
    rayon::join(
        || rayon::join(|| to_coset(&mut a), || to_coset(&mut b)),
        || to_coset(&mut c),
    );

    // Z(x) = x^n − 1 is the constant g^n − 1 on the coset gH.
    let z_inv = domain
        .evaluate_vanishing_polynomial(Fr::GENERATOR)
        .inverse()
        .ok_or_else(|| "vanishing polynomial is zero on the coset".to_string())?;
    a.par_iter_mut()
        .zip(&b)
        .zip(&c)
        .for_each(|((h, b), c)| *h = (*h * b - c) * z_inv);
    coset.ifft_in_place(&mut a);
    Ok(a)
}

/// Field elements to their canonical integers (MSM scalars), in parallel.
pub fn to_bigints(values: &[Fr]) -> Vec<<Fr as PrimeField>::BigInt> {
    values.par_iter().map(|v| v.into_bigint()).collect()
}
