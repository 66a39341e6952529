//! The body of `POST /v1/requests`: the terms a verifier sets, as `zkconsent request new`
//! takes them (the same names, JSON-native lists and ranges), resolved against the home.
//!
//! ```json
//! { "verifier": "st-mary", "statement": "access",
//!   "patient": "alice", "scope": "observations", "purpose": "treatment" }
//! { "verifier": "lab", "statement": "record", "disclose": ["code"],
//!   "value_min": 0, "value_max": 7000, "date_from": "2026-01-01", "date_to": null,
//!   "code_set": ["http://loinc.org|4548-4"], "set_field": "code" }
//! { "verifier": "humana", "statement": "claim", "member": "alice",
//!   "covered": ["http://snomed.info/sct|44054006"], "coverage": "Humana",
//!   "kinds": ["Claim"] }
//! { "verifier": "uni", "statement": "cohort", "study": "NCT-1", "criteria": { … } }
//! ```
//!
//! `purpose` defaults to `treatment`, `set_field` to `code`, `kinds` to both claim kinds, as
//! on the command line. A field that belongs to another statement is refused, so a typo or a
//! misplaced term never silently widens a request.

use serde::Deserialize;
use zkconsent::{
    circuits::fr_to_decimal,
    files::{code_list::parse_code, criteria::CriteriaText},
    home::{Home, HomeError},
    prover::Statement,
    statements::{
        access::AccessTerms,
        claim::ClaimTerms,
        cohort::CohortTerms,
        record::{CodeSetTerm, RecordTerms},
        Terms,
    },
    vocab::{parse_purpose, parse_scope},
};

/// `purpose` when the body names none (the CLI's default).
const DEFAULT_PURPOSE: &str = "treatment";
/// `set_field` when the body names none (the CLI's default).
const DEFAULT_SET_FIELD: &str = "code";

/// A request as the service is asked for it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// The verifier identity (its secret is in this home) the request is from.
    pub verifier: String,
    /// `access`, `record`, `claim` or `cohort`.
    pub statement: String,
    /// Access: the patient's identity name.
    pub patient: Option<String>,
    /// Access: scope names (comma-separated) or a `0x` mask.
    pub scope: Option<String>,
    /// Access: purpose name or number.
    pub purpose: Option<String>,
    /// Record: fields to disclose.
    pub disclose: Option<Vec<String>>,
    /// Record: smallest accepted value.
    pub value_min: Option<u64>,
    /// Record: largest accepted value.
    pub value_max: Option<u64>,
    /// Record: earliest accepted date, `YYYY-MM-DD`.
    pub date_from: Option<String>,
    /// Record: latest accepted date, `YYYY-MM-DD`.
    pub date_to: Option<String>,
    /// Record: the code set, `system|code` entries.
    pub code_set: Option<Vec<String>>,
    /// Record: which code the set tests (`code` or `related_code`).
    pub set_field: Option<String>,
    /// Claim: the member's identity name.
    pub member: Option<String>,
    /// Claim: covered diagnoses, `system|code` entries.
    pub covered: Option<Vec<String>>,
    /// Claim: the member's coverage as claims name it.
    pub coverage: Option<String>,
    /// Claim: accepted resource types.
    pub kinds: Option<Vec<String>>,
    /// Cohort: the study's name.
    pub study: Option<String>,
    /// Cohort: the study's criteria, as in a criteria file.
    pub criteria: Option<CriteriaText>,
}

/// Why a request could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// Terms that can never make a request (a missing term, an unknown name): 400.
    #[error("{0}")]
    Malformed(String),
    /// A well-formed request this home refuses (it lacks the verifier's secret): 422.
    #[error("{0}")]
    Refused(String),
    /// The home's databases failed: 500.
    #[error("{0}")]
    Internal(String),
}

impl From<HomeError> for IssueError {
    fn from(e: HomeError) -> Self {
        match e {
            HomeError::Invalid(_)
            | HomeError::UnknownIdentity { .. }
            | HomeError::WrongRole { .. } => Self::Malformed(e.to_string()),
            // The CLI's rule: a registry or wallet refusal of well-formed input.
            HomeError::Registry(_) | HomeError::Wallet(_) => Self::Refused(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl RequestSpec {
    /// The statement asked for, before anything needs the home.
    ///
    /// # Errors
    ///
    /// An unknown statement or one that is not requested (Authority).
    pub fn statement(&self) -> Result<Statement, IssueError> {
        match Statement::from_name(&self.statement) {
            Some(Statement::Authority) => Err(IssueError::Malformed(
                "authority proofs are not requested: the registry checks them".into(),
            )),
            Some(s) => Ok(s),
            None => Err(IssueError::Malformed(format!(
                "unknown statement {:?}",
                self.statement
            ))),
        }
    }

    /// The names of the fields set that belong to other statements than `statement`.
    fn foreign_fields(&self, statement: Statement) -> Vec<&'static str> {
        let set: [(&'static str, bool, Statement); 16] = [
            ("patient", self.patient.is_some(), Statement::Access),
            ("scope", self.scope.is_some(), Statement::Access),
            ("purpose", self.purpose.is_some(), Statement::Access),
            ("disclose", self.disclose.is_some(), Statement::Record),
            ("value_min", self.value_min.is_some(), Statement::Record),
            ("value_max", self.value_max.is_some(), Statement::Record),
            ("date_from", self.date_from.is_some(), Statement::Record),
            ("date_to", self.date_to.is_some(), Statement::Record),
            ("code_set", self.code_set.is_some(), Statement::Record),
            ("set_field", self.set_field.is_some(), Statement::Record),
            ("member", self.member.is_some(), Statement::Claim),
            ("covered", self.covered.is_some(), Statement::Claim),
            ("coverage", self.coverage.is_some(), Statement::Claim),
            ("kinds", self.kinds.is_some(), Statement::Claim),
            ("study", self.study.is_some(), Statement::Cohort),
            ("criteria", self.criteria.is_some(), Statement::Cohort),
        ];
        set.into_iter()
            .filter(|(_, present, owner)| *present && *owner != statement)
            .map(|(name, _, _)| name)
            .collect()
    }

    /// The typed terms, names resolved against `home`.
    ///
    /// # Errors
    ///
    /// [`IssueError::Malformed`] for a missing, foreign or unusable term.
    pub fn terms(self, home: &Home) -> Result<Terms, IssueError> {
        let statement = self.statement()?;
        let foreign = self.foreign_fields(statement);
        if !foreign.is_empty() {
            return Err(IssueError::Malformed(format!(
                "not terms of a {} request: {}",
                statement.name(),
                foreign.join(", ")
            )));
        }
        let required = |name: &str, value: Option<String>| {
            value.ok_or_else(|| {
                IssueError::Malformed(format!("a {} request needs {name}", statement.name()))
            })
        };
        let bad = IssueError::Malformed;
        match statement {
            Statement::Access => {
                let patient = home.patient_id(&required("patient", self.patient)?)?;
                let scope = parse_scope(&required("scope", self.scope)?).map_err(bad)?;
                let purpose = self.purpose.as_deref().unwrap_or(DEFAULT_PURPOSE);
                Ok(Terms::Access(AccessTerms::new(
                    patient,
                    scope,
                    parse_purpose(purpose).map_err(bad)?,
                )))
            }
            Statement::Record => {
                let code_set = match self.code_set {
                    Some(codes) => Some(CodeSetTerm {
                        field: self
                            .set_field
                            .unwrap_or_else(|| DEFAULT_SET_FIELD.to_owned()),
                        codes: checked_codes("code_set", codes)?,
                    }),
                    None => None,
                };
                Ok(Terms::Record(RecordTerms {
                    disclose: self.disclose.unwrap_or_default(),
                    value_min: self.value_min,
                    value_max: self.value_max,
                    date_from: self.date_from,
                    date_to: self.date_to,
                    code_set,
                }))
            }
            Statement::Claim => {
                let member = home.patient_id(&required("member", self.member)?)?;
                let covered = self
                    .covered
                    .ok_or_else(|| IssueError::Malformed("a claim request needs covered".into()))?;
                Ok(Terms::Claim(ClaimTerms {
                    covered: checked_codes("covered", covered)?,
                    member: fr_to_decimal(&member.0),
                    coverage: required("coverage", self.coverage)?,
                    kinds: self.kinds.unwrap_or_else(ClaimTerms::all_kinds),
                }))
            }
            Statement::Cohort => Ok(Terms::Cohort(CohortTerms {
                study: required("study", self.study)?,
                criteria: self.criteria.ok_or_else(|| {
                    IssueError::Malformed("a cohort request needs criteria".into())
                })?,
            })),
            Statement::Authority => Err(IssueError::Malformed(
                "authority proofs are not requested".into(),
            )),
        }
    }
}

/// Code-list entries, each checked as a code-list file's would be.
fn checked_codes(field: &str, codes: Vec<String>) -> Result<Vec<String>, IssueError> {
    for entry in &codes {
        parse_code(entry).map_err(|e| IssueError::Malformed(format!("{field}: {e}")))?;
    }
    Ok(codes)
}
