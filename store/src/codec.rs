//! Column encodings shared by the registry and the wallet, with strict decoding.
//!
//! - Field elements are 32-byte canonical little-endian BLOBs (the verifier crate's
//!   encoding); decoding rejects any other length and values not below the modulus, since
//!   a database file is outside data.
//! - `u64` values (indices, times, scopes) are stored as the `INTEGER` with the same 64 bits
//!   (two's complement), so every `u64` round-trips and none needs a range error.

use ark_bn254::Fr;
use rusqlite::{types::ValueRef, Row};
use zkconsent_verifier::{fr_from_canonical_bytes, fr_to_canonical_bytes, FIELD_ELEMENT_BYTES};

/// A stored value that does not decode: which column, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {reason}")]
pub struct CorruptValue {
    /// The table column (or meta key) holding the value.
    pub column: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl CorruptValue {
    /// A corrupt value in `column`, and why.
    pub fn new(column: &'static str, reason: &'static str) -> Self {
        Self { column, reason }
    }
}

/// The BLOB encoding of a field element.
pub fn fr_to_blob(x: &Fr) -> [u8; FIELD_ELEMENT_BYTES] {
    fr_to_canonical_bytes(x)
}

/// Strictly decodes a field-element BLOB.
pub fn fr_from_blob(bytes: &[u8], column: &'static str) -> Result<Fr, CorruptValue> {
    if bytes.len() != FIELD_ELEMENT_BYTES {
        return Err(CorruptValue::new(column, "field element is not 32 bytes"));
    }
    fr_from_canonical_bytes(bytes)
        .map_err(|_| CorruptValue::new(column, "field element is not canonical"))
}

/// The `INTEGER` holding a `u64`'s bits.
pub fn u64_to_sql(x: u64) -> i64 {
    i64::from_ne_bytes(x.to_ne_bytes())
}

/// The `u64` whose bits an `INTEGER` holds.
pub fn u64_from_sql(x: i64) -> u64 {
    u64::from_ne_bytes(x.to_ne_bytes())
}

/// Column `idx` of `row` as a field element (must be a canonical 32-byte BLOB).
pub fn fr_col(row: &Row<'_>, idx: usize, column: &'static str) -> Result<Fr, ColError> {
    match row.get_ref(idx)? {
        ValueRef::Blob(b) => Ok(fr_from_blob(b, column)?),
        _ => Err(CorruptValue::new(column, "field element is not a BLOB").into()),
    }
}

/// Column `idx` of `row` as a `u64` (must be an `INTEGER`).
pub fn u64_col(row: &Row<'_>, idx: usize, column: &'static str) -> Result<u64, ColError> {
    match row.get_ref(idx)? {
        ValueRef::Integer(i) => Ok(u64_from_sql(i)),
        _ => Err(CorruptValue::new(column, "not an INTEGER").into()),
    }
}

/// Column `idx` of `row` as an optional `u64` (`NULL` or an `INTEGER`).
pub fn opt_u64_col(
    row: &Row<'_>,
    idx: usize,
    column: &'static str,
) -> Result<Option<u64>, ColError> {
    match row.get_ref(idx)? {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(i) => Ok(Some(u64_from_sql(i))),
        _ => Err(CorruptValue::new(column, "not an INTEGER or NULL").into()),
    }
}

/// Column `idx` of `row` as UTF-8 text.
pub fn text_col(row: &Row<'_>, idx: usize, column: &'static str) -> Result<String, ColError> {
    match row.get_ref(idx)? {
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map(str::to_owned)
            .map_err(|_| CorruptValue::new(column, "text is not UTF-8").into()),
        _ => Err(CorruptValue::new(column, "not TEXT").into()),
    }
}

/// Column `idx` of `row` as raw BLOB bytes.
pub fn blob_col(row: &Row<'_>, idx: usize, column: &'static str) -> Result<Vec<u8>, ColError> {
    match row.get_ref(idx)? {
        ValueRef::Blob(b) => Ok(b.to_vec()),
        _ => Err(CorruptValue::new(column, "not a BLOB").into()),
    }
}

/// A column read failure: the engine's error or a corrupt value. Converted into the
/// registry's or the wallet's error type by the caller.
#[derive(Debug)]
pub enum ColError {
    /// The database engine's error.
    Sqlite(rusqlite::Error),
    /// A stored value that does not decode.
    Corrupt(CorruptValue),
}

impl From<rusqlite::Error> for ColError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

impl From<CorruptValue> for ColError {
    fn from(e: CorruptValue) -> Self {
        Self::Corrupt(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn fr_blobs_round_trip_and_reject_bad_bytes() {
        let mut rng = StdRng::seed_from_u64(7);
        let x = Fr::rand(&mut rng);
        assert_eq!(fr_from_blob(&fr_to_blob(&x), "c"), Ok(x));
        assert!(fr_from_blob(&[0u8; 31], "c").is_err());
        assert!(fr_from_blob(&[0u8; 33], "c").is_err());
        // 2^256 - 1 is far above the modulus.
        assert!(fr_from_blob(&[0xff; 32], "c").is_err());
    }

    #[test]
    fn u64_bits_round_trip() {
        for x in [0, 1, u64::MAX, 1 << 63, i64::MAX as u64] {
            assert_eq!(u64_from_sql(u64_to_sql(x)), x);
        }
    }
}
