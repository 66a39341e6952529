//! Proof files: versioned JSON with the statement, circuit version, verifying-key hash, named
//! public inputs (decimal strings, circuit order) and the proof's points (decimal affine
//! coordinates; G2 coordinates as `[c0, c1]`, as in snarkjs JSON).
//!
//! Decoding is strict: unknown fields, a wrong format or version, missing, extra or
//! misordered input names, non-canonical decimals, values `>= r`, points off the curve or
//! outside the subgroup, and the identity are all rejected with a one-line reason.

use serde::{Deserialize, Serialize};
use zkconsent_prover::Statement;
use zkconsent_verifier::{self as verifier, Fr, Proof};

/// `format` field of every proof file.
pub const PROOF_FORMAT: &str = "zkconsent-proof";
/// Current proof file version.
pub const PROOF_FILE_VERSION: u32 = 1;
/// Largest proof file accepted (a real one is about 1.5 KiB).
pub const MAX_PROOF_FILE_BYTES: usize = 64 * 1024;

/// The JSON shape of a proof file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    /// Always [`PROOF_FORMAT`].
    pub format: String,
    /// [`PROOF_FILE_VERSION`].
    pub version: u32,
    /// Statement name (`access`, `authority`).
    pub statement: String,
    /// Circuit version the proof was made with.
    pub circuit_version: u32,
    /// Grants-tree depth (Access only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_depth: Option<usize>,
    /// SHA-256 of the verifying key's file (compressed canonical bytes).
    pub vk_sha256: String,
    /// Public inputs by name, in circuit order, as decimal strings.
    pub public_inputs: PublicInputs,
    /// The proof.
    pub proof: ProofPoints,
}

/// Named public inputs in file order. Deserialization rejects a repeated name (a JSON
/// map would keep one of the values silently) and any value that is not a string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicInputs(pub Vec<(String, String)>);

impl PublicInputs {
    /// Sets an input's value, appending it if absent.
    pub fn set(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.into(), value)),
        }
    }
}

impl Serialize for PublicInputs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for PublicInputs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PublicInputs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of public input names to decimal strings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<PublicInputs, A::Error> {
                let mut out: Vec<(String, String)> = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, String>()? {
                    if out.iter().any(|(n, _)| *n == name) {
                        return Err(serde::de::Error::custom(format!(
                            "duplicate public input {name:?}"
                        )));
                    }
                    out.push((name, value));
                }
                Ok(PublicInputs(out))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// A Groth16 proof's points as decimal strings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProofPoints {
    /// A in G1: `[x, y]`.
    pub a: [String; 2],
    /// B in G2: `[[x.c0, x.c1], [y.c0, y.c1]]`.
    pub b: [[String; 2]; 2],
    /// C in G1: `[x, y]`.
    pub c: [String; 2],
}

/// A proof file after strict decoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedProof {
    /// The statement.
    pub statement: Statement,
    /// Circuit version.
    pub circuit_version: u32,
    /// Tree depth (Access).
    pub tree_depth: Option<usize>,
    /// Verifying-key hash.
    pub vk_sha256: String,
    /// Public inputs in circuit order.
    pub inputs: Vec<Fr>,
    /// The proof.
    pub proof: Proof,
}

/// Why a proof file could not be decoded (the CLI's exit code 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedProof(pub String);

fn malformed(msg: impl Into<String>) -> MalformedProof {
    MalformedProof(msg.into())
}

impl ProofFile {
    /// Builds a proof file.
    pub fn new(
        statement: Statement,
        tree_depth: Option<usize>,
        vk_sha256: &str,
        inputs: &[Fr],
        proof: &Proof,
    ) -> Self {
        let public_inputs = statement
            .input_names()
            .iter()
            .zip(inputs)
            .map(|(name, x)| (name.to_string(), verifier::fr_to_decimal(x)))
            .collect();
        let d = proof.to_decimal();
        Self {
            format: PROOF_FORMAT.into(),
            version: PROOF_FILE_VERSION,
            statement: statement.name().into(),
            circuit_version: statement.circuit_version(),
            tree_depth,
            vk_sha256: vk_sha256.into(),
            public_inputs: PublicInputs(public_inputs),
            proof: ProofPoints {
                a: d.a,
                b: d.b,
                c: d.c,
            },
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain strings and numbers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses and strictly decodes a proof file's bytes.
    ///
    /// # Errors
    ///
    /// [`MalformedProof`] naming the first problem.
    pub fn decode(bytes: &[u8]) -> Result<DecodedProof, MalformedProof> {
        if bytes.len() > MAX_PROOF_FILE_BYTES {
            return Err(malformed(format!(
                "proof file larger than {MAX_PROOF_FILE_BYTES} bytes"
            )));
        }
        let file: ProofFile = serde_json::from_slice(bytes)
            .map_err(|e| malformed(format!("not a proof file: {e}")))?;
        file.validate()
    }

    /// Strictly decodes a parsed proof file.
    ///
    /// # Errors
    ///
    /// [`MalformedProof`] naming the first problem.
    pub fn validate(&self) -> Result<DecodedProof, MalformedProof> {
        if self.format != PROOF_FORMAT {
            return Err(malformed(format!(
                "format {:?} is not {PROOF_FORMAT:?}",
                self.format
            )));
        }
        if self.version != PROOF_FILE_VERSION {
            return Err(malformed(format!(
                "unsupported proof file version {}",
                self.version
            )));
        }
        let statement = Statement::from_name(&self.statement)
            .ok_or_else(|| malformed(format!("unknown statement {:?}", self.statement)))?;
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if self.vk_sha256.len() != 64 || !self.vk_sha256.bytes().all(lower_hex) {
            return Err(malformed("vk_sha256 is not 64 lower-case hex digits"));
        }
        if statement.has_tree_depth() != self.tree_depth.is_some() {
            return Err(malformed(if statement.has_tree_depth() {
                "tree_depth is missing"
            } else {
                "tree_depth does not apply to this statement"
            }));
        }
        let names = statement.input_names();
        let entries = &self.public_inputs.0;
        if entries.len() != names.len() {
            return Err(malformed(format!(
                "{} public inputs, {} expects {}",
                entries.len(),
                statement.name(),
                names.len()
            )));
        }
        let mut inputs = Vec::with_capacity(names.len());
        for ((name, text), expected) in entries.iter().zip(names) {
            if name != expected {
                return Err(malformed(format!(
                    "public input {name:?} where {expected:?} belongs"
                )));
            }
            inputs.push(
                verifier::parse_fr_decimal(text)
                    .map_err(|e| malformed(format!("public input {name}: {e}")))?,
            );
        }
        let p = &self.proof;
        let proof = Proof::from_decimal(
            [&p.a[0], &p.a[1]],
            [[&p.b[0][0], &p.b[0][1]], [&p.b[1][0], &p.b[1][1]]],
            [&p.c[0], &p.c[1]],
        )
        .map_err(|e| malformed(format!("proof: {e}")))?;
        Ok(DecodedProof {
            statement,
            circuit_version: self.circuit_version,
            tree_depth: self.tree_depth,
            vk_sha256: self.vk_sha256.clone(),
            inputs,
            proof,
        })
    }
}
