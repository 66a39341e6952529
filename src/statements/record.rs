//! Record (statement 2): the terms a verifier asks of a record (disclosure, value and date
//! ranges, a code set) and the Record statement gathered from a custodian's home.

use super::TermValue;
use crate::{
    fhir::dates::parse_day,
    files::code_list::code_set_of,
    home::{Home, HomeError},
};
use ark_bn254::Fr;
use serde::{Deserialize, Serialize};
use zkconsent_circuits::{
    merkle::MerklePath,
    record::{
        fields, inputs, CodeSet, CodeSetPredicate, DiscloseMask, InclusiveRange, RecordPrivate,
        RecordPublic, SetField, CODE_SET_DEPTH, DISCLOSABLE_FIELDS,
    },
    types::{CodeId, EpochDay, Nonce, VerifierId},
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

/// `[lo, hi]` with open ends at 0 and 2^64 − 1. A reversed range is refused here, when the
/// request is made, rather than proved as a range nothing lies in; `show` writes an end as
/// the request states it (a date as a date).
fn range(
    name: &str,
    lo: Option<u64>,
    hi: Option<u64>,
    show: impl Fn(u64) -> String,
) -> Result<InclusiveRange, String> {
    let (lo, hi) = (lo.unwrap_or(0), hi.unwrap_or(u64::MAX));
    if lo > hi {
        return Err(format!(
            "{name} range is reversed: its start {} is after its end {} (lo > hi)",
            show(lo),
            show(hi)
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
                let set = code_set_of(&term.codes).map_err(|e| format!("code set: {e}"))?;
                Some((field, set))
            }
            None => None,
        };
        Ok(ResolvedRecordTerms {
            disclose: parse_disclose(&self.disclose)?,
            value_range: range("value", self.value_min, self.value_max, |v| v.to_string())?,
            date_range: range(
                "date",
                day("date_from", &self.date_from)?,
                day("date_to", &self.date_to)?,
                |d| EpochDay(d).to_string(),
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

/// What a Record proof discloses and proves, for one verifier's request.
#[derive(Clone, Debug)]
pub struct RecordRequest {
    /// Leaf index of the record (its opening must be in the wallet).
    pub leaf_index: u64,
    /// The verifier's public id.
    pub verifier: VerifierId,
    /// The verifier's nonce for this request.
    pub nonce: Nonce,
    /// Fields to disclose.
    pub disclose: DiscloseMask,
    /// Range the hidden value must lie in ([`InclusiveRange::ANY`]: none asked).
    pub value_range: InclusiveRange,
    /// Range the date must lie in (days; [`InclusiveRange::ANY`]: none asked).
    pub date_range: InclusiveRange,
    /// The code-set predicate: which code, and the verifier's set.
    pub code_set: Option<(SetField, CodeSet)>,
}

impl Home {
    /// The leaf index of the latest anchored version of resource `Type/id`.
    ///
    /// # Errors
    ///
    /// [`HomeError::Invalid`] if the wallet holds no opening for it.
    pub fn record_leaf_of(&self, resource: &str) -> Result<u64, HomeError> {
        self.wallet()?
            .record_openings()?
            .iter()
            .filter(|o| o.resource() == resource)
            .map(|o| o.index)
            .max()
            .ok_or_else(|| {
                HomeError::Invalid(format!("the wallet holds no anchored record {resource}"))
            })
    }

    /// The Record statement a request asks for. A record whose code is outside the set gets
    /// an empty slot's path, so the statement is false and proving refuses it.
    ///
    /// # Errors
    ///
    /// No opening for the leaf, registry errors.
    pub fn record_statement(
        &self,
        request: &RecordRequest,
    ) -> Result<(RecordPublic, RecordPrivate), HomeError> {
        let opening = self
            .wallet()?
            .record_opening(request.leaf_index)?
            .ok_or_else(|| {
                HomeError::Invalid(format!(
                    "the wallet holds no record opening for leaf {}",
                    request.leaf_index
                ))
            })?;
        let (root, path) = self.registry.records_root_and_path(request.leaf_index)?;
        let tuple = opening.record.to_field_elements();
        let (code_path, predicate) = match &request.code_set {
            Some((field, set)) => {
                let path = set.witness_path(CodeId(tuple[field.field_index()]));
                let predicate = CodeSetPredicate {
                    field: *field,
                    root: set.root(),
                };
                (path, Some(predicate))
            }
            None => (MerklePath::blank(CODE_SET_DEPTH), None),
        };
        let private = RecordPrivate {
            record: opening.record,
            path,
            code_path,
            verifier: request.verifier,
            nonce: request.nonce,
        };
        let public = private.public_for(
            root,
            request.disclose,
            request.value_range,
            request.date_range,
            predicate,
        );
        Ok((public, private))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reversed_ranges_are_refused_naming_their_ends() {
        let terms = RecordTerms {
            value_min: Some(5),
            value_max: Some(3),
            ..RecordTerms::default()
        };
        assert_eq!(
            terms.resolve().unwrap_err(),
            "value range is reversed: its start 5 is after its end 3 (lo > hi)"
        );
        let terms = RecordTerms {
            date_from: Some("2021-01-01".into()),
            date_to: Some("2020-01-01".into()),
            ..RecordTerms::default()
        };
        assert_eq!(
            terms.resolve().unwrap_err(),
            "date range is reversed: its start 2021-01-01 is after its end 2020-01-01 (lo > hi)"
        );
        // One day, open ends and dates back to 1800 are ranges.
        for (from, to) in [
            (Some("2020-01-01"), Some("2020-01-01")),
            (None, Some("1921-03-04")),
            (Some("1800-01-01"), None),
        ] {
            let terms = RecordTerms {
                date_from: from.map(str::to_owned),
                date_to: to.map(str::to_owned),
                ..RecordTerms::default()
            };
            assert!(terms.resolve().is_ok(), "{from:?}..{to:?}");
        }
    }
}
