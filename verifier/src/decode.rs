//! Strict decoding of arkworks canonical compressed bytes.
//!
//! Accepts exactly the bytes ark-serialize 0.6 `serialize_compressed` writes for valid
//! values, so every accepted input re-encodes to itself. Points are parsed here rather than
//! through ark-serialize so each failure gets its own [`DecodeError`] (ark folds "not on the
//! curve", "not in the subgroup" and "field element too large" into one `InvalidData`).
//!
//! Layout: a field element is 32 little-endian bytes. A compressed point is its `x`
//! (G2: `c0` then `c1`) with two flags in the top bits of the last byte: bit 7 "take the
//! larger `y`", bit 6 "identity" (then `x` must be zero); both set is invalid.

use alloc::vec::Vec;
use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField, Zero};
use ark_serialize::CanonicalSerialize;

use crate::error::DecodeError;
use crate::keys::{Proof, VerifyingKey};
use crate::subgroup::PrimeSubgroup;

/// Bytes of a canonical field element (`Fr` or `Fq`).
pub const FIELD_ELEMENT_BYTES: usize = 32;
/// Bytes of a compressed G1 point.
pub const G1_COMPRESSED_BYTES: usize = 32;
/// Bytes of a compressed G2 point.
pub const G2_COMPRESSED_BYTES: usize = 64;
/// Bytes of a compressed proof (`A`, `B`, `C`).
pub const PROOF_BYTES: usize = 2 * G1_COMPRESSED_BYTES + G2_COMPRESSED_BYTES;
/// The most public inputs a decoded verifying key may have. Bounds the allocation a
/// length prefix can cause; our circuits use far fewer.
pub const MAX_PUBLIC_INPUTS: usize = 1024;

/// Bytes before a verifying key's `gamma_abc_g1` points: alpha, beta, gamma, delta and the
/// `u64` length prefix.
const VK_FIXED_BYTES: usize = G1_COMPRESSED_BYTES + 3 * G2_COMPRESSED_BYTES + 8;

/// Whether to run the prime-order subgroup check (the one costly validation).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subgroup {
    Check,
    Trust,
}

/// The two flag bits of a compressed point.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flag {
    SmallerY,
    LargerY,
    Identity,
}

impl Proof {
    /// Decodes a proof from its [`PROOF_BYTES`]-byte canonical compressed encoding, as
    /// written by ark-groth16's `Proof::serialize_compressed`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::WrongLength`] if too short, [`DecodeError::TrailingBytes`] if too long,
    /// and otherwise the first failing point check: [`DecodeError::InvalidEncoding`],
    /// [`DecodeError::FieldElementTooLarge`], [`DecodeError::NotOnCurve`],
    /// [`DecodeError::NotInSubgroup`] or [`DecodeError::Identity`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        check_len(bytes, PROOF_BYTES)?;
        let mut cur = Cursor::new(bytes, PROOF_BYTES);
        Ok(Self {
            a: non_identity(g1_from_compressed(cur.take()?, Subgroup::Check)?)?,
            b: non_identity(g2_from_compressed(cur.take()?, Subgroup::Check)?)?,
            c: non_identity(g1_from_compressed(cur.take()?, Subgroup::Check)?)?,
        })
    }

    /// The canonical compressed encoding (what [`Proof::from_bytes`] reads).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; PROOF_BYTES] {
        let mut out = [0u8; PROOF_BYTES];
        self.serialize_compressed(&mut out[..])
            .expect("a proof is exactly PROOF_BYTES compressed");
        out
    }
}

impl VerifyingKey {
    /// Decodes a verifying key from its canonical compressed encoding, as written by
    /// ark-groth16's `VerifyingKey::serialize_compressed`, validating every point.
    ///
    /// `alpha`, `beta`, `gamma` and `delta` must not be the identity, `gamma` must differ from
    /// `delta` (else any public input can be forged); `gamma_abc_g1` must
    /// hold 1 to `MAX_PUBLIC_INPUTS + 1` points. Lengths are checked before any allocation
    /// or curve arithmetic.
    ///
    /// # Errors
    ///
    /// [`DecodeError::WrongLength`], [`DecodeError::TrailingBytes`],
    /// [`DecodeError::EmptyGammaAbc`], [`DecodeError::TooManyPublicInputs`], or the first
    /// failing point check (see [`Proof::from_bytes`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        vk_from_bytes(bytes, Subgroup::Check)
    }

    /// Like [`VerifyingKey::from_bytes`] but skips the prime-order subgroup checks (the
    /// costly part; encoding, curve and identity checks still run).
    ///
    /// Use this only for bytes whose SHA-256 already matched a trusted manifest: a point
    /// outside the subgroup can make forged proofs verify.
    ///
    /// # Errors
    ///
    /// As [`VerifyingKey::from_bytes`], except never [`DecodeError::NotInSubgroup`].
    pub fn from_bytes_unchecked(bytes: &[u8]) -> Result<Self, DecodeError> {
        vk_from_bytes(bytes, Subgroup::Trust)
    }

    /// The canonical compressed encoding (what [`VerifyingKey::from_bytes`] reads).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.compressed_size());
        self.serialize_compressed(&mut out)
            .expect("writing to a Vec cannot fail");
        out
    }
}

/// Decodes a scalar-field element (a public input) from 32 canonical little-endian bytes.
///
/// # Errors
///
/// [`DecodeError::WrongLength`] if shorter than 32 bytes, [`DecodeError::TrailingBytes`] if
/// longer, [`DecodeError::FieldElementTooLarge`] if the value is not below `r` (no reduction).
pub fn fr_from_canonical_bytes(bytes: &[u8]) -> Result<Fr, DecodeError> {
    check_len(bytes, FIELD_ELEMENT_BYTES)?;
    let mut cur = Cursor::new(bytes, FIELD_ELEMENT_BYTES);
    field_from_le(cur.take()?)
}

/// The 32-byte canonical little-endian encoding of a scalar-field element.
#[must_use]
pub fn fr_to_canonical_bytes(x: &Fr) -> [u8; FIELD_ELEMENT_BYTES] {
    let mut out = [0u8; FIELD_ELEMENT_BYTES];
    for (chunk, limb) in out.chunks_exact_mut(8).zip(x.into_bigint().0) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    out
}

fn vk_from_bytes(bytes: &[u8], subgroup: Subgroup) -> Result<VerifyingKey, DecodeError> {
    // Structure first: the length prefix is bounded and the total length checked before
    // any allocation or curve arithmetic.
    let too_short = DecodeError::WrongLength {
        expected: VK_FIXED_BYTES,
        got: bytes.len(),
    };
    let prefix = bytes
        .get(VK_FIXED_BYTES - 8..VK_FIXED_BYTES)
        .ok_or(too_short)?;
    let mut len_le = [0u8; 8];
    len_le.copy_from_slice(prefix);
    let len = u64::from_le_bytes(len_le);
    if len == 0 {
        return Err(DecodeError::EmptyGammaAbc);
    }
    let len = usize::try_from(len)
        .ok()
        .filter(|&n| n <= MAX_PUBLIC_INPUTS + 1)
        .ok_or(DecodeError::TooManyPublicInputs)?;
    let total = VK_FIXED_BYTES + len * G1_COMPRESSED_BYTES;
    check_len(bytes, total)?;

    let mut cur = Cursor::new(bytes, total);
    let alpha_g1 = non_identity(g1_from_compressed(cur.take()?, subgroup)?)?;
    let beta_g2 = non_identity(g2_from_compressed(cur.take()?, subgroup)?)?;
    let gamma_g2 = non_identity(g2_from_compressed(cur.take()?, subgroup)?)?;
    let delta_g2 = non_identity(g2_from_compressed(cur.take()?, subgroup)?)?;
    if gamma_g2 == delta_g2 || gamma_g2 == -delta_g2 {
        return Err(DecodeError::GammaIsDelta);
    }
    let _prefix: &[u8; 8] = cur.take()?;
    let mut gamma_abc_g1 = Vec::with_capacity(len);
    for _ in 0..len {
        // The identity is allowed here: it only means an input's polynomials vanish at tau.
        gamma_abc_g1.push(g1_from_compressed(cur.take()?, subgroup)?);
    }
    Ok(VerifyingKey {
        alpha_g1,
        beta_g2,
        gamma_g2,
        delta_g2,
        gamma_abc_g1,
    })
}

/// Shorter than `expected` is `WrongLength`; longer is `TrailingBytes`.
fn check_len(bytes: &[u8], expected: usize) -> Result<(), DecodeError> {
    match bytes.len() {
        got if got < expected => Err(DecodeError::WrongLength { expected, got }),
        got if got > expected => Err(DecodeError::TrailingBytes),
        _ => Ok(()),
    }
}

/// Reads fixed-size chunks off a slice whose length was already checked; running short
/// is still an error, never a panic.
struct Cursor<'a> {
    rest: &'a [u8],
    short: DecodeError,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], expected: usize) -> Self {
        Self {
            rest: bytes,
            short: DecodeError::WrongLength {
                expected,
                got: bytes.len(),
            },
        }
    }

    fn take<const N: usize>(&mut self) -> Result<&'a [u8; N], DecodeError> {
        let (head, rest) = self.rest.split_first_chunk::<N>().ok_or(self.short)?;
        self.rest = rest;
        Ok(head)
    }
}

fn non_identity<P: SWCurveConfig>(p: Affine<P>) -> Result<Affine<P>, DecodeError> {
    if p.is_zero() {
        Err(DecodeError::Identity)
    } else {
        Ok(p)
    }
}

/// A canonical little-endian prime-field element: the value must be below the modulus.
pub(crate) fn field_from_le<F: PrimeField<BigInt = BigInt<4>>>(
    bytes: &[u8; FIELD_ELEMENT_BYTES],
) -> Result<F, DecodeError> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(word);
    }
    F::from_bigint(BigInt(limbs)).ok_or(DecodeError::FieldElementTooLarge)
}

/// Strips the two flag bits from the last byte of a compressed point.
fn take_flag(last: &mut u8) -> Result<Flag, DecodeError> {
    let flag = match *last >> 6 {
        0b00 => Flag::SmallerY,
        0b10 => Flag::LargerY,
        0b01 => Flag::Identity,
        _ => return Err(DecodeError::InvalidEncoding),
    };
    *last &= 0x3f;
    Ok(flag)
}

fn g1_from_compressed(bytes: &[u8; 32], subgroup: Subgroup) -> Result<G1Affine, DecodeError> {
    let mut x = *bytes;
    let flag = take_flag(&mut x[31])?;
    point_from_x(field_from_le::<Fq>(&x)?, flag, subgroup)
}

fn g2_from_compressed(bytes: &[u8; 64], subgroup: Subgroup) -> Result<G2Affine, DecodeError> {
    let (c0, c1) = bytes.split_at(32);
    let mut c0_bytes = [0u8; 32];
    c0_bytes.copy_from_slice(c0);
    let mut c1_bytes = [0u8; 32];
    c1_bytes.copy_from_slice(c1);
    // The flags live in c1's top bits; c0 has none, so set bits there make it too large.
    let flag = take_flag(&mut c1_bytes[31])?;
    let x = Fq2::new(field_from_le(&c0_bytes)?, field_from_le(&c1_bytes)?);
    point_from_x(x, flag, subgroup)
}

/// Recovers `y` from `x` and the flag the way ark-serialize does (its ordering of the two
/// roots), rejecting non-canonical encodings ark would accept (identity with `x != 0`).
fn point_from_x<P: PrimeSubgroup>(
    x: P::BaseField,
    flag: Flag,
    subgroup: Subgroup,
) -> Result<Affine<P>, DecodeError> {
    let larger = match flag {
        Flag::Identity if x.is_zero() => return Ok(Affine::identity()),
        Flag::Identity => return Err(DecodeError::InvalidEncoding),
        Flag::SmallerY => false,
        Flag::LargerY => true,
    };
    let (small, large) = Affine::<P>::get_ys_from_x_unchecked(x).ok_or(DecodeError::NotOnCurve)?;
    // y = 0 has one root; ark writes it with the "smaller" flag only.
    if larger && small == large {
        return Err(DecodeError::InvalidEncoding);
    }
    let point = Affine::new_unchecked(x, if larger { large } else { small });
    if subgroup == Subgroup::Check && !P::in_prime_subgroup(&point) {
        return Err(DecodeError::NotInSubgroup);
    }
    Ok(point)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::test_util::{g2_outside_subgroup, simulated_key, simulated_proof};
    use alloc::vec;
    use ark_ff::{One, UniformRand};
    use ark_serialize::CanonicalDeserialize;
    use proptest::prelude::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn sample() -> (VerifyingKey, Proof) {
        let mut rng = StdRng::seed_from_u64(7);
        let (vk, t) = simulated_key(3, &mut rng);
        let proof = simulated_proof(&t, &[Fr::one(), Fr::from(2u64), Fr::from(3u64)], &mut rng);
        (vk, proof)
    }

    #[test]
    fn proof_size_matches_arkworks() {
        let (_, proof) = sample();
        assert_eq!(proof.compressed_size(), PROOF_BYTES);
        assert_eq!(PROOF_BYTES, 128);
    }

    #[test]
    fn round_trips_and_agrees_with_ark_serialize() {
        let (vk, proof) = sample();
        let bytes = proof.to_bytes();
        let mut ark = Vec::new();
        proof.serialize_compressed(&mut ark).unwrap();
        assert_eq!(&bytes[..], &ark[..]);
        assert_eq!(Proof::from_bytes(&bytes).unwrap(), proof);

        let bytes = vk.to_bytes();
        assert_eq!(VerifyingKey::from_bytes(&bytes).unwrap(), vk);
        assert_eq!(VerifyingKey::from_bytes_unchecked(&bytes).unwrap(), vk);
        assert_eq!(
            VerifyingKey::deserialize_compressed(&bytes[..]).unwrap(),
            vk
        );
    }

    #[test]
    fn lengths_are_exact() {
        let (vk, proof) = sample();
        let bytes = proof.to_bytes();
        assert_eq!(
            Proof::from_bytes(&bytes[..127]),
            Err(DecodeError::WrongLength {
                expected: 128,
                got: 127
            })
        );
        let mut long = bytes.to_vec();
        long.push(0);
        assert_eq!(Proof::from_bytes(&long), Err(DecodeError::TrailingBytes));
        assert_eq!(
            Proof::from_bytes(&[]),
            Err(DecodeError::WrongLength {
                expected: 128,
                got: 0
            })
        );

        let bytes = vk.to_bytes();
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            VerifyingKey::from_bytes(&long),
            Err(DecodeError::TrailingBytes)
        );
        assert_eq!(
            VerifyingKey::from_bytes(&bytes[..bytes.len() - 1]),
            Err(DecodeError::WrongLength {
                expected: bytes.len(),
                got: bytes.len() - 1
            })
        );
        assert_eq!(
            VerifyingKey::from_bytes(&bytes[..10]),
            Err(DecodeError::WrongLength {
                expected: VK_FIXED_BYTES,
                got: 10
            })
        );
    }

    #[test]
    fn length_prefix_is_bounded_before_allocating() {
        let (vk, _) = sample();
        let bytes = vk.to_bytes();
        let with_len = |len: u64| {
            let mut b = bytes.clone();
            b[VK_FIXED_BYTES - 8..VK_FIXED_BYTES].copy_from_slice(&len.to_le_bytes());
            b
        };
        for len in [u64::MAX, 1 << 40, (MAX_PUBLIC_INPUTS + 2) as u64] {
            assert_eq!(
                VerifyingKey::from_bytes(&with_len(len)),
                Err(DecodeError::TooManyPublicInputs)
            );
        }
        assert_eq!(
            VerifyingKey::from_bytes(&with_len(0)[..VK_FIXED_BYTES]),
            Err(DecodeError::EmptyGammaAbc)
        );
        // The largest allowed prefix is only a length error, not an allocation.
        assert_eq!(
            VerifyingKey::from_bytes(&with_len((MAX_PUBLIC_INPUTS + 1) as u64)),
            Err(DecodeError::WrongLength {
                expected: VK_FIXED_BYTES + (MAX_PUBLIC_INPUTS + 1) * 32,
                got: bytes.len()
            })
        );
    }

    #[test]
    fn gamma_equal_to_delta_is_refused_at_decode_and_prepare() {
        // With gamma == delta, e(vk_x, gamma) e(C, delta) = e(vk_x + C, gamma): anyone could
        // move a proof to other public inputs by shifting C.
        let (mut vk, _) = sample();
        vk.delta_g2 = vk.gamma_g2;
        let bytes = vk.to_bytes();
        assert_eq!(
            VerifyingKey::from_bytes(&bytes),
            Err(DecodeError::GammaIsDelta)
        );
        assert_eq!(
            VerifyingKey::from_bytes_unchecked(&bytes),
            Err(DecodeError::GammaIsDelta)
        );
        assert_eq!(
            crate::prepare_verifying_key(&vk).err(),
            Some(crate::VerifyError::MalformedVerifyingKey)
        );
        // gamma == -delta merges them too: e(vk_x, gamma) e(C, -gamma) = e(vk_x - C, gamma).
        vk.delta_g2 = -vk.gamma_g2;
        assert_eq!(
            VerifyingKey::from_bytes(&vk.to_bytes()),
            Err(DecodeError::GammaIsDelta)
        );
        assert_eq!(
            crate::prepare_verifying_key(&vk).err(),
            Some(crate::VerifyError::MalformedVerifyingKey)
        );
    }

    #[test]
    fn identity_is_rejected_where_it_must_be() {
        let (mut vk, proof) = sample();
        let mut bad = proof.clone();
        bad.a = G1Affine::zero();
        assert_eq!(
            Proof::from_bytes(&bad.to_bytes()),
            Err(DecodeError::Identity)
        );
        let mut bad = proof.clone();
        bad.b = G2Affine::zero();
        assert_eq!(
            Proof::from_bytes(&bad.to_bytes()),
            Err(DecodeError::Identity)
        );
        let mut bad = proof;
        bad.c = G1Affine::zero();
        assert_eq!(
            Proof::from_bytes(&bad.to_bytes()),
            Err(DecodeError::Identity)
        );

        // Allowed in gamma_abc_g1, rejected for gamma.
        vk.gamma_abc_g1[1] = G1Affine::zero();
        assert_eq!(VerifyingKey::from_bytes(&vk.to_bytes()).unwrap(), vk);
        vk.gamma_g2 = G2Affine::zero();
        assert_eq!(
            VerifyingKey::from_bytes(&vk.to_bytes()),
            Err(DecodeError::Identity)
        );
    }

    #[test]
    fn bad_flags_and_coordinates_are_named() {
        let (_, proof) = sample();
        let good = proof.to_bytes();

        let mut both_flags = good;
        both_flags[31] |= 0xc0;
        assert_eq!(
            Proof::from_bytes(&both_flags),
            Err(DecodeError::InvalidEncoding)
        );

        // Identity flag with a non-zero x: ark accepts it, we don't.
        let mut sloppy_identity = good;
        sloppy_identity[31] = (sloppy_identity[31] & 0x3f) | 0x40;
        assert_eq!(
            Proof::from_bytes(&sloppy_identity),
            Err(DecodeError::InvalidEncoding)
        );

        // x = p: not canonical.
        let mut too_large = good;
        too_large[..32].copy_from_slice(&modulus_le::<Fq>());
        assert_eq!(
            Proof::from_bytes(&too_large),
            Err(DecodeError::FieldElementTooLarge)
        );
        // In G2, c0 carries no flags: its top bits make it too large.
        let mut c0_flag = good;
        c0_flag[63] |= 0x80;
        assert_eq!(
            Proof::from_bytes(&c0_flag),
            Err(DecodeError::FieldElementTooLarge)
        );

        // Find an x with no point on G1: x^3 + 3 not a square.
        let mut x = 0u64;
        let off_curve = loop {
            x += 1;
            let fx = Fq::from(x);
            if G1Affine::get_ys_from_x_unchecked(fx).is_none() {
                break fx;
            }
        };
        let mut off = good;
        off[..32].copy_from_slice(&fq_le(&off_curve));
        assert_eq!(Proof::from_bytes(&off), Err(DecodeError::NotOnCurve));
    }

    #[test]
    fn g2_outside_subgroup_is_rejected_unless_trusted() {
        let (mut vk, proof) = sample();
        let outside = g2_outside_subgroup();
        let mut bad = proof;
        bad.b = outside;
        assert_eq!(
            Proof::from_bytes(&bad.to_bytes()),
            Err(DecodeError::NotInSubgroup)
        );
        vk.beta_g2 = outside;
        let bytes = vk.to_bytes();
        assert_eq!(
            VerifyingKey::from_bytes(&bytes),
            Err(DecodeError::NotInSubgroup)
        );
        assert_eq!(VerifyingKey::from_bytes_unchecked(&bytes).unwrap(), vk);
    }

    #[test]
    fn fr_bytes_are_canonical() {
        let mut rng = StdRng::seed_from_u64(9);
        for x in [Fr::zero(), Fr::one(), -Fr::one(), Fr::rand(&mut rng)] {
            assert_eq!(fr_from_canonical_bytes(&fr_to_canonical_bytes(&x)), Ok(x));
        }
        assert_eq!(
            fr_from_canonical_bytes(&modulus_le::<Fr>()),
            Err(DecodeError::FieldElementTooLarge)
        );
        assert_eq!(
            fr_from_canonical_bytes(&[0xff; 32]),
            Err(DecodeError::FieldElementTooLarge)
        );
        assert_eq!(
            fr_from_canonical_bytes(&[0; 31]),
            Err(DecodeError::WrongLength {
                expected: 32,
                got: 31
            })
        );
        assert_eq!(
            fr_from_canonical_bytes(&[0; 33]),
            Err(DecodeError::TrailingBytes)
        );
    }

    fn modulus_le<F: PrimeField<BigInt = BigInt<4>>>() -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, limb) in out.chunks_exact_mut(8).zip(F::MODULUS.0) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        out
    }

    fn fq_le(x: &Fq) -> [u8; 32] {
        let mut out = vec![];
        x.serialize_compressed(&mut out).unwrap();
        out.try_into().unwrap()
    }

    fn no_panic_and_canonical(bytes: &[u8]) {
        // Whatever strict decoding accepts must re-encode to the very same bytes.
        if let Ok(p) = Proof::from_bytes(bytes) {
            assert_eq!(&p.to_bytes()[..], bytes);
        }
        if let Ok(vk) = VerifyingKey::from_bytes(bytes) {
            assert_eq!(vk.to_bytes(), bytes);
        }
        if let Ok(vk) = VerifyingKey::from_bytes_unchecked(bytes) {
            assert_eq!(vk.to_bytes(), bytes);
        }
        if let Ok(x) = fr_from_canonical_bytes(bytes) {
            assert_eq!(&fr_to_canonical_bytes(&x)[..], bytes);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            no_panic_and_canonical(&bytes);
        }
    }

    #[test]
    fn mutated_encodings_never_panic() {
        // Valid encodings with one byte flipped and the tail cut reach the deep checks that
        // random bytes rarely get past.
        let (vk, proof) = sample();
        let encodings = [proof.to_bytes().to_vec(), vk.to_bytes()];
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2000));
        runner
            .run(&(0usize..400, 1u8..=255, 0usize..8), |(index, xor, cut)| {
                for bytes in &encodings {
                    let mut bytes = bytes.clone();
                    let i = index % bytes.len();
                    bytes[i] ^= xor;
                    no_panic_and_canonical(&bytes);
                    bytes.truncate(bytes.len() - cut);
                    no_panic_and_canonical(&bytes);
                }
                Ok(())
            })
            .unwrap();
    }
}
