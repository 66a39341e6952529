//! GLV scalar decomposition: `k = k1 + lambda * k2 (mod r)` with `|k1|, |k2| < 2^127`, so that
//! `k * P = k1 * P + k2 * phi(P)` where `phi(x, y) = (beta * x, y)` costs one multiplication.
//!
//! ark-ec's own `GLVConfig::scalar_decomposition` goes through heap-allocated big integers (a
//! few microseconds a scalar, as much as the MSM's work on it); this one uses fixed-width
//! arithmetic: the two rounded quotients `round(k * n / r)` come from one multiplication by a
//! precomputed `floor(|n| * 2^SHIFT / r)` each, and the rest is exact modulo 2^128, which is
//! enough because the results are known to lie in `(-2^127, 2^127)`.

use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ff::PrimeField;

/// Limbs of the scalar field's modulus handled here (254-bit BN254 `r` needs 4).
const LIMBS: usize = 4;

/// Fixed-point precision of the precomputed quotients, in bits: their rounding error is then
/// below `2^-60`, so `round(k * g / 2^SHIFT)` is `round(k * n / r)` or one off, which keeps
/// `|k1|, |k2|` within `|n11| + |n21|`, below 2^127.
const SHIFT: usize = 5 * 64;

/// Bits of a decomposed half-scalar's magnitude.
pub(crate) const HALF_SCALAR_BITS: usize = 127;

/// `k -> (k1, k2)` for one curve's lattice basis `[[n11, n12], [n21, n22]]`.
pub(crate) struct Decomposer {
    /// `floor(|n22| * 2^SHIFT / r)` and `floor(|n12| * 2^SHIFT / r)`.
    g22: [u64; LIMBS],
    g12: [u64; LIMBS],
    /// The signed basis, `[n11, n12, n21, n22]`.
    n: [i128; 4],
}

/// A decomposed half-scalar: magnitude and whether it is negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Half {
    pub(crate) magnitude: u128,
    pub(crate) negative: bool,
}

impl Half {
    fn from_signed(v: i128) -> Self {
        Self {
            magnitude: v.unsigned_abs(),
            negative: v < 0,
        }
    }

    /// The magnitude as little-endian limbs.
    pub(crate) fn limbs(&self) -> [u64; 2] {
        // Truncations: the low and high 64 bits.
        [self.magnitude as u64, (self.magnitude >> 64) as u64]
    }
}

impl Decomposer {
    /// The decomposer for `P`'s basis, or `None` when the basis or modulus is not of the sizes
    /// assumed here (entries below 2^127, a modulus of [`LIMBS`] limbs).
    pub(crate) fn new<P: GLVConfig>() -> Option<Self> {
        let modulus = P::ScalarField::MODULUS;
        let r = modulus.as_ref();
        if r.len() != LIMBS {
            return None;
        }
        let mut n = [0i128; 4];
        let mut magnitudes = [0u128; 4];
        for (k, (positive, value)) in P::SCALAR_DECOMP_COEFFS.iter().enumerate() {
            let limbs = value.as_ref();
            if limbs.iter().skip(2).any(|&l| l != 0) {
                return None;
            }
            let magnitude = u128::from(limbs[0]) | (u128::from(limbs.get(1).copied()?) << 64);
            let signed = i128::try_from(magnitude).ok()?;
            if magnitude >= 1 << HALF_SCALAR_BITS {
                return None;
            }
            magnitudes[k] = magnitude;
            n[k] = if *positive { signed } else { -signed };
        }
        Some(Self {
            g22: scaled_quotient(magnitudes[3], r)?,
            g12: scaled_quotient(magnitudes[1], r)?,
            n,
        })
    }

    /// `(k1, k2)` with `k = k1 + lambda * k2 (mod r)`, for a canonical `k < r`.
    pub(crate) fn decompose(&self, k: &[u64]) -> (Half, Half) {
        let [n11, n12, n21, n22] = self.n;
        // beta = round((k * n22 / r, -k * n12 / r)), from the magnitudes and the signs.
        let q22 = rounded_product(k, &self.g22) as i128;
        let q12 = rounded_product(k, &self.g12) as i128;
        let beta1 = if n22 < 0 { -q22 } else { q22 };
        let beta2 = if n12 < 0 { q12 } else { -q12 };
        // (k1, k2) = (k, 0) - beta * N, exact modulo 2^128.
        let k_low = u128::from(k.first().copied().unwrap_or(0))
            | (u128::from(k.get(1).copied().unwrap_or(0)) << 64);
        let k1 = (k_low as i128)
            .wrapping_sub(beta1.wrapping_mul(n11))
            .wrapping_sub(beta2.wrapping_mul(n21));
        let k2 = beta1
            .wrapping_mul(n12)
            .wrapping_add(beta2.wrapping_mul(n22))
            .wrapping_neg();
        (Half::from_signed(k1), Half::from_signed(k2))
    }
}

/// `floor(n * 2^SHIFT / r)`, by binary long division; `None` unless it fits [`LIMBS`] limbs.
fn scaled_quotient(n: u128, r: &[u64]) -> Option<[u64; LIMBS]> {
    // The dividend n * 2^SHIFT has its 128 significant bits at SHIFT..SHIFT + 128.
    let dividend_bits = SHIFT + 128;
    let mut remainder = [0u64; LIMBS + 1];
    let mut quotient = [0u64; (SHIFT + 128) / 64];
    for bit in (0..dividend_bits).rev() {
        // remainder = 2 * remainder + bit; it stays below 2r < 2^(64 * (LIMBS + 1)).
        let mut carry = 0;
        for limb in remainder.iter_mut() {
            let next = *limb >> 63;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if bit >= SHIFT && (n >> (bit - SHIFT)) & 1 == 1 {
            remainder[0] |= 1;
        }
        if !less_than(&remainder, r) {
            subtract(&mut remainder, r);
            quotient[bit / 64] |= 1 << (bit % 64);
        }
    }
    if quotient[LIMBS..].iter().any(|&l| l != 0) {
        return None;
    }
    let mut out = [0u64; LIMBS];
    out.copy_from_slice(&quotient[..LIMBS]);
    Some(out)
}

/// `a < b` for little-endian limbs (`b` zero-extended).
fn less_than(a: &[u64], b: &[u64]) -> bool {
    for i in (0..a.len()).rev() {
        let bi = b.get(i).copied().unwrap_or(0);
        if a[i] != bi {
            return a[i] < bi;
        }
    }
    false
}

/// `a -= b` for little-endian limbs, `a >= b`.
fn subtract(a: &mut [u64], b: &[u64]) {
    let mut borrow = false;
    for (i, limb) in a.iter_mut().enumerate() {
        let (d, b1) = limb.overflowing_sub(b.get(i).copied().unwrap_or(0));
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        *limb = d;
        borrow = b1 || b2;
    }
}

/// `round(k * g / 2^SHIFT)`, which is below 2^127 for the quotients used here.
fn rounded_product(k: &[u64], g: &[u64; LIMBS]) -> u128 {
    const PRODUCT_LIMBS: usize = 2 * LIMBS;
    let mut product = [0u64; PRODUCT_LIMBS + 1];
    for (i, &ki) in k.iter().take(LIMBS).enumerate() {
        let mut carry = 0u128;
        for (j, &gj) in g.iter().enumerate() {
            let t = u128::from(ki) * u128::from(gj) + u128::from(product[i + j]) + carry;
            // Truncation: the low 64 bits; the high ones carry.
            product[i + j] = t as u64;
            carry = t >> 64;
        }
        // The top limb of row i has not been written yet: carry < 2^64.
        product[i + LIMBS] = carry as u64;
    }
    // + 2^(SHIFT - 1), to round to nearest.
    let half_limb = (SHIFT - 1) / 64;
    let mut add = 1u64 << ((SHIFT - 1) % 64);
    for limb in product.iter_mut().skip(half_limb) {
        let (s, c) = limb.overflowing_add(add);
        *limb = s;
        if !c {
            break;
        }
        add = 1;
    }
    let low = SHIFT / 64;
    u128::from(product[low]) | (u128::from(product[low + 1]) << 64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ff::{BigInt, UniformRand};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn check<P: GLVConfig<ScalarField = Fr>>() {
        let d = Decomposer::new::<P>().expect("BN254 fits");
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let mut scalars: Vec<Fr> = (0..2000).map(|_| Fr::rand(&mut rng)).collect();
        scalars.extend([0u64, 1, 2, u64::MAX].map(Fr::from));
        scalars.push(-Fr::from(1u64));
        scalars.push(Fr::from(Fr::MODULUS_MINUS_ONE_DIV_TWO));
        scalars.push(P::LAMBDA);
        scalars.push(-P::LAMBDA);
        scalars.push(Fr::from(BigInt::<4>([
            u64::MAX,
            u64::MAX,
            u64::MAX,
            (1 << 61) - 1,
        ])));
        let to_fr = |h: Half| {
            let v = Fr::from(BigInt::<4>([h.limbs()[0], h.limbs()[1], 0, 0]));
            if h.negative {
                -v
            } else {
                v
            }
        };
        for k in scalars {
            let (k1, k2) = d.decompose(k.into_bigint().as_ref());
            assert!(k1.magnitude < 1 << HALF_SCALAR_BITS && k2.magnitude < 1 << HALF_SCALAR_BITS);
            assert_eq!(to_fr(k1) + P::LAMBDA * to_fr(k2), k);
        }
    }

    #[test]
    fn decomposes_g1_and_g2_scalars() {
        check::<ark_bn254::g1::Config>();
        check::<ark_bn254::g2::Config>();
    }
}
