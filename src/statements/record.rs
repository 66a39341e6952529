//! Record (statement 2): the terms a verifier asks of a record (disclosure, value and date
//! ranges, a code set) and the Record statement gathered from a custodian's home.

use super::{InputRole, TermValue};
use crate::{code_list::parse_code, fhir::dates::parse_day, record_proof::RecordRequest};
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};
use zkconsent_circuits::{
    record::{fields, inputs, CodeSet, DiscloseMask, InclusiveRange, SetField, DISCLOSABLE_FIELDS},
    types::{CodeId, Nonce, VerifierId},
};

/// The role of each Record public input, in circuit order.
pub const ROLES: [InputRole; inputs::COUNT] = {
    let mut r = [InputRole::Term; inputs::COUNT];
    r[inputs::RECORDS_ROOT] = InputRole::RecordsRoot;
    let mut i = 0;
    while i < DISCLOSABLE_FIELDS {
        r[inputs::DISCLOSED + i] = InputRole::Disclosed;
        i += 1;
    }
    r[inputs::REQUEST_HASH] = InputRole::RequestHash;
    r
};

/// A code-set predicate as a request states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeSetTerm {
    /// Which code is tested: `code` or `related_code`.
    pub field: String,
    /// The set: `system|code` entries.
    pub codes: Vec<String>,
}

/// What a verifier asks of one record: which fields to disclose, and predicates on hidden
/// ones. Absent bounds are open (0 and 2^64 − 1, what the circuit takes as "any").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RecordTerms {
    /// Tuple fields to disclose (spec §10.2 names; any but the salt).
    pub disclose: Vec<String>,
    /// Smallest accepted value (scaled integer: milli-units, cents).
    pub value_min: Option<u64>,
    /// Largest accepted value.
    pub value_max: Option<u64>,
    /// Earliest accepted date, `YYYY-MM-DD`.
    pub date_from: Option<String>,
    /// Latest accepted date, `YYYY-MM-DD`.
    pub date_to: Option<String>,
    /// The code-set predicate, if any.
    pub code_set: Option<CodeSetTerm>,
}

/// The terms resolved into the statement's types.
#[derive(Clone, Debug)]
pub struct ResolvedRecordTerms {
    /// Fields disclosed.
    pub disclose: DiscloseMask,
    /// Value range.
    pub value_range: InclusiveRange,
    /// Date range, in days.
    pub date_range: InclusiveRange,
    /// The code-set predicate.
    pub code_set: Option<(SetField, CodeSet)>,
}

/// `code` or `related_code`.
///
/// # Errors
///
/// Any other name.
pub fn parse_set_field(name: &str) -> Result<SetField, String> {
    match name {
        "code" => Ok(SetField::Code),
        "related_code" => Ok(SetField::RelatedCode),
        other => Err(format!(
            "set field {other:?}: expected code or related_code"
        )),
    }
}

/// A disclosure list's mask.
///
/// # Errors
///
/// A name that is not a disclosable tuple field.
pub fn parse_disclose(names: &[String]) -> Result<DiscloseMask, String> {
    let mut offsets = Vec::new();
    for name in names {
        let offset = fields::NAMES[..DISCLOSABLE_FIELDS]
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| {
                format!(
                    "disclose: {name:?} is not one of {}",
                    fields::NAMES[..DISCLOSABLE_FIELDS].join(", ")
                )
            })?;
        offsets.push(offset);
    }
    DiscloseMask::of(&offsets).ok_or_else(|| "disclose: bad field".to_string())
}

/// `[lo, hi]` with open ends at 0 and 2^64 − 1.
fn range(name: &str, lo: Option<u64>, hi: Option<u64>) -> Result<InclusiveRange, String> {
    let (lo, hi) = (lo.unwrap_or(0), hi.unwrap_or(u64::MAX));
    if lo > hi {
        return Err(format!(
            "{name} range is reversed: its start {lo} is after its end {hi}"
        ));
    }
    Ok(InclusiveRange::new(lo, hi))
}

impl RecordTerms {
    /// The terms in the statement's types.
    ///
    /// # Errors
    ///
    /// A bad field name, date or code, a reversed range, or too many codes.
    pub fn resolve(&self) -> Result<ResolvedRecordTerms, String> {
        let day = |name: &str, d: &Option<String>| -> Result<Option<u64>, String> {
            d.as_deref()
                .map(|s| {
                    parse_day(s)
                        .map(|d| d.0)
                        .map_err(|e| format!("{name}: {e}"))
                })
                .transpose()
        };
        let code_set = match &self.code_set {
            Some(term) => {
                let field = parse_set_field(&term.field)?;
                let codes = term
                    .codes
                    .iter()
                    .map(|c| parse_code(c))
                    .collect::<Result<Vec<CodeId>, String>>()
                    .map_err(|e| format!("code set: {e}"))?;
                let set = CodeSet::new(&codes).map_err(|e| format!("code set: {e}"))?;
                Some((field, set))
            }
            None => None,
        };
        Ok(ResolvedRecordTerms {
            disclose: parse_disclose(&self.disclose)?,
            value_range: range("value", self.value_min, self.value_max)?,
            date_range: range(
                "date",
                day("date_from", &self.date_from)?,
                day("date_to", &self.date_to)?,
            )?,
            code_set,
        })
    }

    pub(super) fn term_values(&self) -> Result<Vec<(usize, TermValue)>, String> {
        let t = self.resolve()?;
        let (set_field, set_root) = match &t.code_set {
            Some((field, set)) => (Fr::from(field.code()), set.root().0),
            None => (Fr::from(SetField::NONE_CODE), Fr::from(0u64)),
        };
        let eq = TermValue::Equal;
        Ok(vec![
            (inputs::DISCLOSE_MASK, eq(Fr::from(t.disclose.bits()))),
            (inputs::VALUE_LO, eq(Fr::from(t.value_range.lo))),
            (inputs::VALUE_HI, eq(Fr::from(t.value_range.hi))),
            (inputs::DATE_LO, eq(Fr::from(t.date_range.lo))),
            (inputs::DATE_HI, eq(Fr::from(t.date_range.hi))),
            (inputs::SET_FIELD, eq(set_field)),
            (inputs::CODE_SET_ROOT, eq(set_root)),
        ])
    }

    pub(super) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.disclose.is_empty() {
            parts.push(format!("disclose {}", self.disclose.join(",")));
        }
        if self.value_min.is_some() || self.value_max.is_some() {
            let end = |b: Option<u64>| b.map(|v| v.to_string()).unwrap_or_default();
            parts.push(format!(
                "value in {}..{}",
                end(self.value_min),
                end(self.value_max)
            ));
        }
        if self.date_from.is_some() || self.date_to.is_some() {
            parts.push(format!(
                "date in {}..{}",
                self.date_from.as_deref().unwrap_or(""),
                self.date_to.as_deref().unwrap_or("")
            ));
        }
        if let Some(set) = &self.code_set {
            parts.push(format!(
                "{} in a set of {} codes",
                set.field,
                set.codes.len()
            ));
        }
        if parts.is_empty() {
            "a record's existence".into()
        } else {
            parts.join("; ")
        }
    }

    /// What the custodian proves for this request about the record at `leaf_index`.
    ///
    /// # Errors
    ///
    /// As [`Self::resolve`].
    pub fn prove_request(
        &self,
        leaf_index: u64,
        verifier: VerifierId,
        nonce: Nonce,
    ) -> Result<RecordRequest, String> {
        let t = self.resolve()?;
        Ok(RecordRequest {
            leaf_index,
            verifier,
            nonce,
            disclose: t.disclose,
            value_range: t.value_range,
            date_range: t.date_range,
            code_set: t.code_set,
        })
    }
}
