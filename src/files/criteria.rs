//! Study criteria files: what a researcher publishes for a Cohort proof (spec §10.10).
//!
//! ```json
//! {
//!   "reference_date": "2026-01-01",
//!   "age": { "min": 18, "max": 90 },
//!   "include": ["http://snomed.info/sct|44054006"],
//!   "exclude": ["http://snomed.info/sct|254637007"],
//!   "summary_not_before": "2025-12-01",
//!   "scope": "conditions"
//! }
//! ```
//!
//! `age` is in whole years on `reference_date`, from 0 to 130 ([`MAX_AGE`]); dates are
//! `YYYY-MM-DD` from 1800-01-01 to 2199-12-31; `include` lists codes of which the patient
//! must have at least one, `exclude` codes of which they must have none (both
//! `system|code`, as code-list files, §10.3); `summary_not_before` is the oldest condition
//! summary the study accepts; `scope` is what the patient's research grant must cover
//! (default `conditions`). The prover and the verifier read the same file, so both derive the
//! same public inputs.

use crate::{
    fhir::dates::parse_day,
    files::code_list::{parse_code, MAX_CODE_LIST_BYTES},
    vocab::{parse_scope, RESEARCH},
};
use serde::{Deserialize, Serialize};
use zkconsent_circuits::{
    cohort::{age::MAX_AGE, birth_window, ExclusionList, StudyCriteria, StudyId},
    record::CodeSet,
    types::{CodeId, EpochDay, Scope},
};

/// Scope a research grant must cover when the file names none.
pub const DEFAULT_STUDY_SCOPE: &str = "conditions";

/// The age range of a criteria file, whole years.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgeText {
    /// Youngest age admitted.
    pub min: u32,
    /// Oldest age admitted.
    pub max: u32,
}

/// A criteria file as written (also the `criteria` of a Cohort request).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CriteriaText {
    /// `YYYY-MM-DD`: the day ages are taken on.
    pub reference_date: String,
    /// Age range.
    pub age: AgeText,
    /// `system|code` entries: at least one is required.
    pub include: Vec<String>,
    /// `system|code` entries: none is allowed.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `YYYY-MM-DD`: the oldest condition summary accepted.
    pub summary_not_before: String,
    /// What the research grant must cover (default `conditions`).
    #[serde(default)]
    pub scope: Option<String>,
}

/// A study's eligibility criteria.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortCriteria {
    /// The day ages are taken on.
    pub reference_date: EpochDay,
    /// Youngest age admitted, whole years.
    pub min_age: u32,
    /// Oldest age admitted, whole years.
    pub max_age: u32,
    /// At least one of these conditions is required.
    pub include: Vec<CodeId>,
    /// None of these conditions is allowed.
    pub exclude: Vec<CodeId>,
    /// Oldest condition summary accepted.
    pub summary_not_before: EpochDay,
    /// What the patient's research grant must cover.
    pub scope: Scope,
}

/// Parses a criteria document.
///
/// # Errors
///
/// A one-line reason: bad JSON, an unknown key, a bad date, code or scope, an empty
/// inclusion list, `age.min > age.max`, or an age past [`MAX_AGE`].
pub fn parse_criteria(text: &str) -> Result<CohortCriteria, String> {
    let raw: CriteriaText =
        serde_json::from_str(text).map_err(|e| format!("study criteria: {e}"))?;
    raw.resolve()
}

impl CriteriaText {
    /// The criteria these texts describe.
    ///
    /// # Errors
    ///
    /// As [`parse_criteria`].
    pub fn resolve(&self) -> Result<CohortCriteria, String> {
        let raw = self;
        let day = |name: &str, s: &str| parse_day(s).map_err(|e| format!("{name}: {e}"));
        let codes = |name: &str, list: &[String]| -> Result<Vec<CodeId>, String> {
            list.iter()
                .map(|c| parse_code(c).map_err(|e| format!("{name}: {e}")))
                .collect()
        };
        if raw.age.min > raw.age.max {
            return Err(format!(
                "age: min {} is above max {}",
                raw.age.min, raw.age.max
            ));
        }
        if raw.age.max > MAX_AGE {
            return Err(format!(
                "age: max {} is past {MAX_AGE}, the oldest age a study can ask for",
                raw.age.max
            ));
        }
        if raw.include.is_empty() {
            return Err("include: at least one code is required".into());
        }
        Ok(CohortCriteria {
            reference_date: day("reference_date", &raw.reference_date)?,
            min_age: raw.age.min,
            max_age: raw.age.max,
            include: codes("include", &raw.include)?,
            exclude: codes("exclude", &raw.exclude)?,
            summary_not_before: day("summary_not_before", &raw.summary_not_before)?,
            scope: parse_scope(raw.scope.as_deref().unwrap_or(DEFAULT_STUDY_SCOPE))
                .map_err(|e| format!("scope: {e}"))?,
        })
    }
}

/// A study's terms as the Cohort statement takes them, with the inclusion set and the
/// exclusion list they commit to.
#[derive(Clone, Debug)]
pub struct StudyTerms {
    /// The public terms (the statement's inputs but roots, time and the two derived values).
    pub criteria: StudyCriteria,
    /// The inclusion codes, as a code set.
    pub inclusion: CodeSet,
    /// The exclusion codes.
    pub exclusion: ExclusionList,
}

impl CohortCriteria {
    /// The terms of study `study` under these criteria: the birth window for the age range
    /// on the reference date, the inclusion set's root, the exclusion list's hash, the scope,
    /// and the research purpose.
    ///
    /// # Errors
    ///
    /// An age window that ends before the calendar's first date (ages past [`MAX_AGE`] are
    /// refused there too), too many or invalid codes.
    pub fn terms(&self, study: StudyId) -> Result<StudyTerms, String> {
        let window =
            birth_window(self.reference_date, self.min_age, self.max_age).ok_or_else(|| {
                format!(
                    "age: nobody aged {} to {} on {} was born on or after {}, the first date",
                    self.min_age,
                    self.max_age,
                    self.reference_date,
                    EpochDay::FIRST
                )
            })?;
        let inclusion = CodeSet::new(&self.include).map_err(|e| format!("include: {e}"))?;
        let exclusion = ExclusionList::new(&self.exclude).map_err(|e| format!("exclude: {e}"))?;
        Ok(StudyTerms {
            criteria: StudyCriteria {
                study,
                birth_window: window,
                summary_not_before: self.summary_not_before,
                inclusion_root: inclusion.root(),
                exclusion_hash: exclusion.hash(),
                scope: self.scope,
                purpose: RESEARCH,
            },
            inclusion,
            exclusion,
        })
    }
}

/// Reads a criteria file as written (what a Cohort request embeds).
///
/// # Errors
///
/// Unreadable or oversized file, bad JSON or an unknown key, prefixed with the path; the
/// values are checked by [`CriteriaText::resolve`].
pub fn read_criteria_text(path: &std::path::Path) -> Result<CriteriaText, String> {
    let bytes = super::read_limited(path, MAX_CODE_LIST_BYTES).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: study criteria: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::codes::code_id;

    const EXAMPLE: &str = r#"{
        "reference_date": "2026-01-01",
        "age": { "min": 18, "max": 90 },
        "include": ["http://snomed.info/sct|44054006"],
        "exclude": ["http://snomed.info/sct|254637007"],
        "summary_not_before": "2025-12-01"
    }"#;

    #[test]
    fn the_documented_example_parses() {
        let c = parse_criteria(EXAMPLE).unwrap();
        assert_eq!(c.reference_date, parse_day("2026-01-01").unwrap());
        assert_eq!((c.min_age, c.max_age), (18, 90));
        assert_eq!(
            c.include,
            vec![code_id("http://snomed.info/sct", "44054006")]
        );
        assert_eq!(
            c.exclude,
            vec![code_id("http://snomed.info/sct", "254637007")]
        );
        assert_eq!(c.scope, parse_scope(DEFAULT_STUDY_SCOPE).unwrap());
    }

    #[test]
    fn ages_0_to_130_are_accepted_and_windows_start_in_1800_at_the_earliest() {
        let c = parse_criteria(
            &EXAMPLE
                .replace("\"min\": 18", "\"min\": 0")
                .replace("\"max\": 90", "\"max\": 130"),
        )
        .unwrap();
        assert_eq!((c.min_age, c.max_age), (0, MAX_AGE));
        let study = StudyId::from_name("S").unwrap();
        let w = c.terms(study).unwrap().criteria.birth_window;
        // Aged 130 on 2026-01-01: born on 1895-01-02 or later.
        assert_eq!(EpochDay(w.lo).to_string(), "1895-01-02");
        assert_eq!(EpochDay(w.hi), c.reference_date);
        // On 1900-01-01 nobody aged 101 or more was born in the calendar's range.
        let early = parse_criteria(
            &EXAMPLE
                .replace("2026-01-01", "1900-01-01")
                .replace("\"min\": 18", "\"min\": 101")
                .replace("\"max\": 90", "\"max\": 130"),
        )
        .unwrap();
        let err = early.terms(study).unwrap_err();
        assert!(err.contains("aged 101 to 130 on 1900-01-01"), "{err}");
        // Aged 100 to 130 then: born on the first day only.
        let first = parse_criteria(
            &EXAMPLE
                .replace("2026-01-01", "1900-01-01")
                .replace("\"min\": 18", "\"min\": 100")
                .replace("\"max\": 90", "\"max\": 130"),
        )
        .unwrap();
        let w = first.terms(study).unwrap().criteria.birth_window;
        assert_eq!((w.lo, w.hi), (EpochDay::FIRST.0, EpochDay::FIRST.0));
    }

    #[test]
    fn bad_documents_are_refused_with_a_reason() {
        for (edit, reason) in [
            (("\"min\": 18", "\"min\": 91"), "age"),
            (("\"max\": 90", "\"max\": 131"), "age: max 131 is past 130"),
            (("2026-01-01", "1799-12-31"), "outside the supported dates"),
            (("2025-12-01", "2200-01-01"), "summary_not_before"),
            (("2026-01-01", "2026-02-30"), "reference_date"),
            (
                (
                    "\"include\": [\"http://snomed.info/sct|44054006\"]",
                    "\"include\": []",
                ),
                "include",
            ),
            (("sct|254637007", "sct"), "exclude"),
            (("\"age\"", "\"ages\""), "unknown field"),
        ] {
            let text = EXAMPLE.replace(edit.0, edit.1);
            let err = parse_criteria(&text).unwrap_err();
            assert!(err.contains(reason), "{err}");
        }
    }
}
