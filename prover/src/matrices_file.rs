//! The constraint matrices as a file in the params directory (`<statement>.r1cs.bin`), so a
//! key load reads them instead of synthesising the circuit (about 30 ms for Access at depth
//! 20, most of a proving key's load).
//!
//! The file is hash-checked against the manifest like the keys, and decoded strictly anyway
//! (every count bounded by the bytes left, every column inside the assignment, every
//! coefficient canonical): no input can make the decoder panic or allocate without bound.
//!
//! Layout, all integers little-endian:
//! - [`MAGIC`] (8 bytes);
//! - `u64` instance variables (the constant 1 included), `u64` witness variables,
//!   `u64` constraints;
//! - `u32` matrix count ([`MATRICES`]: A, B, C);
//! - `u32` count of distinct coefficients, then each as [`COEFF_BYTES`] canonical
//!   little-endian bytes (a circuit reuses few values: Access at depth 20 has about 175,000
//!   entries and a few thousand distinct coefficients, so entries point into this table);
//! - per matrix, per constraint: `u32` entry count, then per entry `u32` column and `u32`
//!   index into the coefficient table.

use crate::matrices::ProverMatrices;
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::Matrix;

/// File tag and format version.
pub const MAGIC: [u8; 8] = *b"ZKCR1CS\x01";
/// A, B, C.
pub const MATRICES: usize = 3;
/// Bytes of one coefficient.
pub const COEFF_BYTES: usize = 32;
/// Bytes of one entry: column and coefficient index.
const ENTRY_BYTES: usize = 4 + 4;
/// Bytes of the header: magic, three counts, the matrix count.
const HEADER_BYTES: usize = 8 + 3 * 8 + 4;

/// Why a matrices file does not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MatricesFileError {
    /// Not a matrices file of this version.
    #[error("not a zkconsent constraint-matrices file (version 1)")]
    Magic,
    /// The bytes end before the structure does.
    #[error("cut short")]
    Truncated,
    /// Bytes after the last matrix.
    #[error("{0} bytes after the last matrix")]
    Trailing(usize),
    /// A count that does not fit this machine or the file.
    #[error("{0} out of range")]
    Count(&'static str),
    /// A column outside the assignment.
    #[error("column {column} outside the {variables} variables")]
    Column {
        /// The column read.
        column: usize,
        /// Instance plus witness variables.
        variables: usize,
    },
    /// A coefficient not below the field's modulus.
    #[error("non-canonical coefficient")]
    Coefficient,
    /// An index past the coefficient table.
    #[error("coefficient index {index} outside the table of {table}")]
    CoefficientIndex {
        /// The index read.
        index: usize,
        /// The table's length.
        table: usize,
    },
}

/// The file's bytes for `m`.
pub fn encode(m: &ProverMatrices) -> Vec<u8> {
    let mut table: Vec<Fr> = Vec::new();
    let mut index_of: std::collections::HashMap<Fr, u32> = std::collections::HashMap::new();
    let mut body = Vec::new();
    for matrix in &m.matrices {
        for row in matrix {
            body.extend_from_slice(&(row.len() as u32).to_le_bytes());
            for (coeff, column) in row {
                let index = *index_of.entry(*coeff).or_insert_with(|| {
                    table.push(*coeff);
                    (table.len() - 1) as u32
                });
                body.extend_from_slice(&(*column as u32).to_le_bytes());
                body.extend_from_slice(&index.to_le_bytes());
            }
        }
    }
    let mut out = Vec::with_capacity(HEADER_BYTES + 4 + table.len() * COEFF_BYTES + body.len());
    out.extend_from_slice(&MAGIC);
    for count in [m.num_inputs, m.num_witnesses, m.num_constraints] {
        out.extend_from_slice(&(count as u64).to_le_bytes());
    }
    out.extend_from_slice(&(m.matrices.len() as u32).to_le_bytes());
    out.extend_from_slice(&(table.len() as u32).to_le_bytes());
    for coeff in &table {
        out.extend_from_slice(&coeff.into_bigint().to_bytes_le());
    }
    out.extend_from_slice(&body);
    out
}

/// Decodes a matrices file (see the module docs for what is checked).
///
/// # Errors
///
/// [`MatricesFileError`] naming what is wrong.
pub fn decode(bytes: &[u8]) -> Result<ProverMatrices, MatricesFileError> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(MAGIC.len())? != MAGIC {
        return Err(MatricesFileError::Magic);
    }
    let num_inputs = r.count_u64("instance variables")?;
    let num_witnesses = r.count_u64("witness variables")?;
    let num_constraints = r.count_u64("constraints")?;
    let variables = num_inputs
        .checked_add(num_witnesses)
        .ok_or(MatricesFileError::Count("variables"))?;
    if r.u32()? as usize != MATRICES {
        return Err(MatricesFileError::Count("matrices"));
    }
    let table_len = r.u32()? as usize;
    if table_len.saturating_mul(COEFF_BYTES) > r.left() {
        return Err(MatricesFileError::Count("coefficients"));
    }
    let table = r
        .take(table_len * COEFF_BYTES)?
        .chunks_exact(COEFF_BYTES)
        .map(coefficient)
        .collect::<Result<Vec<Fr>, _>>()?;
    // Each row takes at least its 4-byte entry count: a count past that is a lie.
    if num_constraints.saturating_mul(MATRICES * 4) > r.left() {
        return Err(MatricesFileError::Count("constraints"));
    }
    let mut matrices: Vec<Matrix<Fr>> = Vec::with_capacity(MATRICES);
    for _ in 0..MATRICES {
        let mut matrix = Vec::with_capacity(num_constraints);
        for _ in 0..num_constraints {
            let len = r.u32()? as usize;
            if len.saturating_mul(ENTRY_BYTES) > r.left() {
                return Err(MatricesFileError::Truncated);
            }
            let mut row = Vec::with_capacity(len);
            for _ in 0..len {
                let column = r.u32()? as usize;
                if column >= variables {
                    return Err(MatricesFileError::Column { column, variables });
                }
                let index = r.u32()? as usize;
                let coeff = *table
                    .get(index)
                    .ok_or(MatricesFileError::CoefficientIndex {
                        index,
                        table: table.len(),
                    })?;
                row.push((coeff, column));
            }
            matrix.push(row);
        }
        matrices.push(matrix);
    }
    if r.left() > 0 {
        return Err(MatricesFileError::Trailing(r.left()));
    }
    Ok(ProverMatrices {
        matrices,
        num_inputs,
        num_witnesses,
        num_constraints,
    })
}

/// A canonical little-endian coefficient.
fn coefficient(bytes: &[u8]) -> Result<Fr, MatricesFileError> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(word);
    }
    Fr::from_bigint(ark_ff::BigInt(limbs)).ok_or(MatricesFileError::Coefficient)
}

/// A cursor over the file's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MatricesFileError> {
        let end = self.at.checked_add(n).ok_or(MatricesFileError::Truncated)?;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or(MatricesFileError::Truncated)?;
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, MatricesFileError> {
        let mut word = [0u8; 4];
        word.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(word))
    }

    fn count_u64(&mut self, what: &'static str) -> Result<usize, MatricesFileError> {
        let mut word = [0u8; 8];
        word.copy_from_slice(self.take(8)?);
        // Column indices are u32 in this format, so no count can be larger.
        let count = u64::from_le_bytes(word);
        if count > u64::from(u32::MAX) {
            return Err(MatricesFileError::Count(what));
        }
        usize::try_from(count).map_err(|_| MatricesFileError::Count(what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkconsent_circuits::statement::StatementKind;

    fn sample() -> ProverMatrices {
        crate::statement::matrices_of(StatementKind::Authority, 4).expect("matrices")
    }

    #[test]
    fn round_trips_a_statements_matrices() {
        let m = sample();
        let decoded = decode(&encode(&m)).expect("decodes");
        assert_eq!(decoded.matrices, m.matrices);
        assert_eq!(
            (
                decoded.num_inputs,
                decoded.num_witnesses,
                decoded.num_constraints
            ),
            (m.num_inputs, m.num_witnesses, m.num_constraints)
        );
    }

    #[test]
    fn every_truncation_and_trailing_bytes_are_refused() {
        let bytes = encode(&sample());
        // Every cut inside the header and the first rows, and a sample of the rest.
        let cuts = (0..200).chain((200..bytes.len()).step_by(997));
        for cut in cuts {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer).err(), Some(MatricesFileError::Trailing(1)));
    }

    #[test]
    fn bad_magic_columns_coefficients_and_counts_are_refused() {
        let m = sample();
        let bytes = encode(&m);
        let mut bad = bytes.clone();
        bad[7] = 2;
        assert_eq!(decode(&bad).err(), Some(MatricesFileError::Magic));
        // The table, then the first entry of A's first row: its column, then its index.
        let word = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        let table_len = word(&bytes, HEADER_BYTES) as usize;
        let table_at = HEADER_BYTES + 4;
        let rows_at = table_at + table_len * COEFF_BYTES;
        assert!(word(&bytes, rows_at) > 0, "sample's first row has entries");
        let column_at = rows_at + 4;
        let mut bad = bytes.clone();
        bad[column_at..column_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode(&bad),
            Err(MatricesFileError::Column { .. })
        ));
        let mut bad = bytes.clone();
        bad[column_at + 4..column_at + 8].copy_from_slice(&(table_len as u32).to_le_bytes());
        assert!(matches!(
            decode(&bad),
            Err(MatricesFileError::CoefficientIndex { .. })
        ));
        let mut bad = bytes.clone();
        bad[table_at..table_at + COEFF_BYTES].fill(0xff);
        assert_eq!(decode(&bad).err(), Some(MatricesFileError::Coefficient));
        let mut bad = bytes.clone();
        bad[HEADER_BYTES..HEADER_BYTES + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decode(&bad).err(),
            Some(MatricesFileError::Count("coefficients"))
        );
        // A constraint count the bytes cannot hold is refused before any allocation.
        let mut bad = bytes.clone();
        bad[24..32].copy_from_slice(&u64::from(u32::MAX).to_le_bytes());
        assert!(decode(&bad).is_err());
        let mut bad = bytes;
        bad[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            decode(&bad).err(),
            Some(MatricesFileError::Count("instance variables"))
        );
    }
}
