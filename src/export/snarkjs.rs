//! snarkjs's Groth16 JSON for curve `bn128` (BN254): `verification_key.json`, `proof.json`
//! and `public.json`, in both directions.
//!
//! Points are projective triples with `z = 1`: G1 as `[x, y, "1"]`, G2 as
//! `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]` (the same `[c0, c1]` order as arkworks and our
//! proof files). snarkjs writes the G1 identity as `["0", "1", "0"]`; only `IC` entries may
//! be the identity (an input whose polynomials vanish at tau), every other point must not.
//!
//! Import is strict and goes through the verifier crate's decoders: every number is a JSON
//! string in canonical decimal below its modulus (no numbers, hex, signs or leading zeros),
//! every point is on the curve and in the prime-order subgroup, `z` is exactly `"1"` /
//! `["1", "0"]`, `protocol` is `"groth16"`, `curve` is `"bn128"`, and `nPublic` equals
//! `IC.len() - 1`. Unknown fields are rejected, with two tolerated exceptions that snarkjs
//! tools write: `vk_alphabeta_12` in a verifying key (ignored: verification recomputes
//! `e(alpha, beta)`), and a missing `curve` in a proof (rapidsnark omits it; if present it
//! must be `"bn128"`). Export never writes `vk_alphabeta_12`: `snarkjs groth16 verify` does
//! not read it.

use ark_ec::AffineRepr;
use serde::{Deserialize, Serialize};
use zkconsent_verifier::{
    self as verifier, DecodeError, Fr, G1Affine, G2Affine, Proof, VerifyingKey, MAX_PUBLIC_INPUTS,
};

/// `protocol` of every file.
pub const PROTOCOL: &str = "groth16";
/// `curve`: snarkjs's name for BN254.
pub const CURVE: &str = "bn128";
/// Largest snarkjs JSON file accepted (a verifying key with [`MAX_PUBLIC_INPUTS`] inputs
/// is well under this).
pub const MAX_SNARKJS_JSON_BYTES: usize = 1024 * 1024;
/// Conventional file names, as `snarkjs groth16 verify` defaults them.
pub const VERIFICATION_KEY_FILE: &str = "verification_key.json";
/// See [`VERIFICATION_KEY_FILE`].
pub const PROOF_FILE: &str = "proof.json";
/// See [`VERIFICATION_KEY_FILE`].
pub const PUBLIC_FILE: &str = "public.json";

/// A G1 point as snarkjs writes it: `[x, y, z]`.
pub type G1Json = [String; 3];
/// A G2 point as snarkjs writes it: `[[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]`.
pub type G2Json = [[String; 2]; 3];

/// Why snarkjs JSON could not be imported. Messages are one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SnarkjsError {
    /// The file is larger than [`MAX_SNARKJS_JSON_BYTES`].
    #[error("{what} is larger than {MAX_SNARKJS_JSON_BYTES} bytes")]
    TooLarge {
        /// Which file.
        what: &'static str,
    },
    /// Not JSON of the expected shape (including unknown or duplicate fields).
    #[error("not a snarkjs {what}: {reason}")]
    Json {
        /// Which file.
        what: &'static str,
        /// serde_json's reason (one line).
        reason: String,
    },
    /// `protocol` is not `"groth16"`.
    #[error("protocol {0:?} is not \"groth16\"")]
    Protocol(String),
    /// `curve` is not `"bn128"`.
    #[error("curve {0:?} is not \"bn128\"")]
    Curve(String),
    /// A point's `z` is not exactly `"1"` (G1) or `["1", "0"]` (G2).
    #[error("{field}: not an affine point (z must be \"1\" or [\"1\", \"0\"])")]
    NotAffine {
        /// The JSON field, e.g. `pi_a` or `IC[2]`.
        field: String,
    },
    /// A coordinate or point failed strict decoding.
    #[error("{field}: {source}")]
    Point {
        /// The JSON field.
        field: String,
        /// The decoder's reason.
        #[source]
        source: DecodeError,
    },
    /// A public input is not a canonical decimal below r.
    #[error("public input {index}: {source}")]
    PublicInput {
        /// Position in `public.json`.
        index: usize,
        /// The decoder's reason.
        #[source]
        source: DecodeError,
    },
    /// `nPublic` disagrees with the number of `IC` points.
    #[error("nPublic is {n_public} but IC has {ic} points (nPublic + 1 expected)")]
    PublicCount {
        /// `nPublic`.
        n_public: usize,
        /// `IC.len()`.
        ic: usize,
    },
    /// `IC` is empty or longer than [`MAX_PUBLIC_INPUTS`] + 1, or `public.json` longer
    /// than [`MAX_PUBLIC_INPUTS`].
    #[error("{what} has {got} entries, outside 1..={max}")]
    Count {
        /// `IC` or `public.json`.
        what: &'static str,
        /// Entries found.
        got: usize,
        /// Most allowed.
        max: usize,
    },
}

/// snarkjs `verification_key.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnarkjsVerifyingKey {
    /// `"groth16"`.
    pub protocol: String,
    /// `"bn128"`.
    pub curve: String,
    /// Number of public inputs (`IC.len() - 1`).
    #[serde(rename = "nPublic")]
    pub n_public: usize,
    /// `alpha` in G1.
    pub vk_alpha_1: G1Json,
    /// `beta` in G2.
    pub vk_beta_2: G2Json,
    /// `gamma` in G2.
    pub vk_gamma_2: G2Json,
    /// `delta` in G2.
    pub vk_delta_2: G2Json,
    /// `e(alpha, beta)` as snarkjs writes it: accepted on import and ignored; never exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vk_alphabeta_12: Option<serde_json::Value>,
    /// `gamma_abc_g1`: the constant term, then one point per public input.
    #[serde(rename = "IC")]
    pub ic: Vec<G1Json>,
}

/// snarkjs `proof.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnarkjsProof {
    /// `A` in G1.
    pub pi_a: G1Json,
    /// `B` in G2.
    pub pi_b: G2Json,
    /// `C` in G1.
    pub pi_c: G1Json,
    /// `"groth16"`.
    pub protocol: String,
    /// `"bn128"`; optional on import (rapidsnark omits it), always exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

/// snarkjs `public.json`: the public signals as decimal strings, in circuit order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SnarkjsPublic(pub Vec<String>);

impl SnarkjsVerifyingKey {
    /// The snarkjs form of a verifying key.
    #[must_use]
    pub fn from_vk(vk: &VerifyingKey) -> Self {
        Self {
            protocol: PROTOCOL.into(),
            curve: CURVE.into(),
            n_public: vk.num_public_inputs(),
            vk_alpha_1: g1_to_json(&vk.alpha_g1),
            vk_beta_2: g2_to_json(&vk.beta_g2),
            vk_gamma_2: g2_to_json(&vk.gamma_g2),
            vk_delta_2: g2_to_json(&vk.delta_g2),
            vk_alphabeta_12: None,
            ic: vk.gamma_abc_g1.iter().map(g1_to_json).collect(),
        }
    }

    /// Strictly decodes the key (see the module docs).
    ///
    /// # Errors
    ///
    /// [`SnarkjsError`] naming the first problem.
    pub fn to_vk(&self) -> Result<VerifyingKey, SnarkjsError> {
        check_protocol(&self.protocol)?;
        check_curve(&self.curve)?;
        let ic_len = self.ic.len();
        if ic_len == 0 || ic_len > MAX_PUBLIC_INPUTS + 1 {
            return Err(SnarkjsError::Count {
                what: "IC",
                got: ic_len,
                max: MAX_PUBLIC_INPUTS + 1,
            });
        }
        if self.n_public != ic_len - 1 {
            return Err(SnarkjsError::PublicCount {
                n_public: self.n_public,
                ic: ic_len,
            });
        }
        let gamma_abc_g1 = self
            .ic
            .iter()
            .enumerate()
            .map(|(i, p)| g1_from_json(&format!("IC[{i}]"), p, Identity::Allowed))
            .collect::<Result<Vec<_>, _>>()?;
        let gamma_g2 = g2_from_json("vk_gamma_2", &self.vk_gamma_2)?;
        let delta_g2 = g2_from_json("vk_delta_2", &self.vk_delta_2)?;
        if gamma_g2 == delta_g2 || gamma_g2 == -delta_g2 {
            return Err(SnarkjsError::Point {
                field: "vk_delta_2".into(),
                source: DecodeError::GammaIsDelta,
            });
        }
        Ok(VerifyingKey {
            alpha_g1: g1_from_json("vk_alpha_1", &self.vk_alpha_1, Identity::Rejected)?,
            beta_g2: g2_from_json("vk_beta_2", &self.vk_beta_2)?,
            gamma_g2,
            delta_g2,
            gamma_abc_g1,
        })
    }

    /// Parses and strictly decodes `verification_key.json` bytes.
    ///
    /// # Errors
    ///
    /// [`SnarkjsError`] naming the first problem.
    pub fn decode(bytes: &[u8]) -> Result<VerifyingKey, SnarkjsError> {
        parse_json::<Self>("verification key", bytes)?.to_vk()
    }

    /// Pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

impl SnarkjsProof {
    /// The snarkjs form of a proof.
    #[must_use]
    pub fn from_proof(proof: &Proof) -> Self {
        Self {
            pi_a: g1_to_json(&proof.a),
            pi_b: g2_to_json(&proof.b),
            pi_c: g1_to_json(&proof.c),
            protocol: PROTOCOL.into(),
            curve: Some(CURVE.into()),
        }
    }

    /// Strictly decodes the proof (see the module docs).
    ///
    /// # Errors
    ///
    /// [`SnarkjsError`] naming the first problem.
    pub fn to_proof(&self) -> Result<Proof, SnarkjsError> {
        check_protocol(&self.protocol)?;
        if let Some(curve) = &self.curve {
            check_curve(curve)?;
        }
        Ok(Proof {
            a: g1_from_json("pi_a", &self.pi_a, Identity::Rejected)?,
            b: g2_from_json("pi_b", &self.pi_b)?,
            c: g1_from_json("pi_c", &self.pi_c, Identity::Rejected)?,
        })
    }

    /// Parses and strictly decodes `proof.json` bytes.
    ///
    /// # Errors
    ///
    /// [`SnarkjsError`] naming the first problem.
    pub fn decode(bytes: &[u8]) -> Result<Proof, SnarkjsError> {
        parse_json::<Self>("proof", bytes)?.to_proof()
    }

    /// Pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

impl SnarkjsPublic {
    /// The snarkjs form of public inputs.
    #[must_use]
    pub fn from_inputs(inputs: &[Fr]) -> Self {
        Self(inputs.iter().map(verifier::fr_to_decimal).collect())
    }

    /// Strictly decodes the inputs: canonical decimals below r, at most
    /// [`MAX_PUBLIC_INPUTS`] of them. (Whether the count matches a key is checked by
    /// [`verifier::verify()`].)
    ///
    /// # Errors
    ///
    /// [`SnarkjsError`] naming the first problem.
    pub fn to_inputs(&self) -> Result<Vec<Fr>, SnarkjsError> {
        if self.0.len() > MAX_PUBLIC_INPUTS {
            return Err(SnarkjsError::Count {
                what: "public.json",
                got: self.0.len(),
                max: MAX_PUBLIC_INPUTS,
            });
        }
        self.0
            .iter()
            .enumerate()
            .map(|(index, s)| {
                verifier::parse_fr_decimal(s)
                    .map_err(|source| SnarkjsError::PublicInput { index, source })
            })
            .collect()
    }

    /// Parses and strictly decodes `public.json` bytes.
    ///
    /// # Errors
    ///
    /// [`SnarkjsError`] naming the first problem.
    pub fn decode(bytes: &[u8]) -> Result<Vec<Fr>, SnarkjsError> {
        parse_json::<Self>("public input list", bytes)?.to_inputs()
    }

    /// Pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

/// Whether a G1 point may be the identity (`["0", "1", "0"]`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Identity {
    Allowed,
    Rejected,
}

/// snarkjs's affine G1: `[x, y, "1"]`; the identity as `["0", "1", "0"]`.
fn g1_to_json(p: &G1Affine) -> G1Json {
    if p.is_zero() {
        return ["0".into(), "1".into(), "0".into()];
    }
    let [x, y] = verifier::g1_to_decimal(p);
    [x, y, "1".into()]
}

/// snarkjs's affine G2: `[x, y, ["1", "0"]]`; the identity as `[0, 1, 0]` in Fq2.
fn g2_to_json(p: &G2Affine) -> G2Json {
    let pair = |a: &str, b: &str| [a.to_string(), b.to_string()];
    if p.is_zero() {
        return [pair("0", "0"), pair("1", "0"), pair("0", "0")];
    }
    let [x, y] = verifier::g2_to_decimal(p);
    [x, y, pair("1", "0")]
}

fn g1_from_json(field: &str, p: &G1Json, identity: Identity) -> Result<G1Affine, SnarkjsError> {
    if identity == Identity::Allowed && p[0] == "0" && p[1] == "1" && p[2] == "0" {
        return Ok(G1Affine::zero());
    }
    if p[2] != "1" {
        return Err(SnarkjsError::NotAffine {
            field: field.into(),
        });
    }
    verifier::g1_from_decimal(&p[0], &p[1]).map_err(|source| SnarkjsError::Point {
        field: field.into(),
        source,
    })
}

fn g2_from_json(field: &str, p: &G2Json) -> Result<G2Affine, SnarkjsError> {
    if p[2][0] != "1" || p[2][1] != "0" {
        return Err(SnarkjsError::NotAffine {
            field: field.into(),
        });
    }
    verifier::g2_from_decimal([&p[0][0], &p[0][1]], [&p[1][0], &p[1][1]]).map_err(|source| {
        SnarkjsError::Point {
            field: field.into(),
            source,
        }
    })
}

fn check_protocol(protocol: &str) -> Result<(), SnarkjsError> {
    if protocol == PROTOCOL {
        Ok(())
    } else {
        Err(SnarkjsError::Protocol(protocol.into()))
    }
}

fn check_curve(curve: &str) -> Result<(), SnarkjsError> {
    if curve == CURVE {
        Ok(())
    } else {
        Err(SnarkjsError::Curve(curve.into()))
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, SnarkjsError> {
    if bytes.len() > MAX_SNARKJS_JSON_BYTES {
        return Err(SnarkjsError::TooLarge { what });
    }
    serde_json::from_slice(bytes).map_err(|e| SnarkjsError::Json {
        what,
        reason: e.to_string().replace('\n', " "),
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Serialising strings, numbers and arrays cannot fail.
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;

    fn key() -> VerifyingKey {
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        let two = (g1 + g1).into_affine();
        VerifyingKey {
            alpha_g1: g1,
            beta_g2: g2,
            gamma_g2: (g2 + g2).into_affine(),
            delta_g2: (g2 + g2 + g2).into_affine(),
            gamma_abc_g1: vec![g1, two, G1Affine::zero()],
        }
    }

    #[test]
    fn key_round_trips_with_identity_ic() {
        let vk = key();
        let json = SnarkjsVerifyingKey::from_vk(&vk);
        assert_eq!(json.n_public, 2);
        assert_eq!(json.ic[2], ["0", "1", "0"]);
        assert_eq!(json.vk_beta_2[2], ["1", "0"]);
        assert_eq!(
            SnarkjsVerifyingKey::decode(json.to_json().as_bytes()),
            Ok(vk)
        );
    }

    #[test]
    fn identity_only_in_ic() {
        let mut json = SnarkjsVerifyingKey::from_vk(&key());
        json.vk_alpha_1 = ["0".into(), "1".into(), "0".into()];
        assert!(matches!(
            json.to_vk(),
            Err(SnarkjsError::NotAffine { field }) if field == "vk_alpha_1"
        ));
    }

    #[test]
    fn messages_are_one_line() {
        let e = SnarkjsVerifyingKey::decode(b"{\n\"protocol\": 1\n}").unwrap_err();
        assert!(!e.to_string().contains('\n'), "{e}");
        assert!(e.to_string().starts_with("not a snarkjs verification key"));
    }
}
