//! The statements this application serves, one module each: a statement's request terms,
//! how its witness is gathered from a home, and what a verifier expects of its public inputs.
//!
//! Every public input of every statement has an [`InputRole`]: a term of the request (checked
//! equal to what the request asks), a root (checked against the registry's history), the
//! proof's time (checked against the verifier's clock), the request hash, a nullifier
//! (checked unspent, spent on `--consume`) or a value the proof discloses (bound in-circuit to
//! the others, so the pairing check is what pins it). `verify` walks these roles; it never
//! matches on a statement: the roles are declared by each statement in `circuits`. This
//! file is the one list of the statements a verifier can request, and their terms.

pub mod access;
pub mod authority;
pub mod claim;
pub mod cohort;
pub mod record;

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zkconsent_circuits::types::VerifierId;
use zkconsent_prover::Statement;

pub use zkconsent_circuits::statement::InputRole;

/// The roles of a statement's public inputs, in circuit order (declared by the statement).
pub fn roles(statement: Statement) -> &'static [InputRole] {
    statement.input_roles()
}

/// What a request's terms require of a term input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TermValue {
    /// Exactly this value.
    Equal(Fr),
    /// One of these values (a Claim's accepted record kinds).
    OneOf(Vec<Fr>),
}

impl TermValue {
    /// Whether `x` satisfies the term.
    pub fn admits(&self, x: &Fr) -> bool {
        match self {
            Self::Equal(v) => v == x,
            Self::OneOf(vs) => vs.contains(x),
        }
    }
}

/// A statement and its terms: what a request asks for. Serialised as a request file holds
/// them (`"statement"` names the variant, `"terms"` its fields), so reading a request picks
/// the statement's terms by name without a hand-written dispatch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "statement", content = "terms", rename_all = "lowercase")]
pub enum Terms {
    /// Access: patient, scope, purpose.
    Access(access::AccessTerms),
    /// Record: disclosure, value and date ranges, code set.
    Record(record::RecordTerms),
    /// Claim: covered set, member policy, accepted kinds.
    Claim(claim::ClaimTerms),
    /// Cohort: study and criteria.
    Cohort(cohort::CohortTerms),
}

impl Terms {
    /// The statement the terms are for.
    pub fn statement(&self) -> Statement {
        match self {
            Self::Access(_) => Statement::Access,
            Self::Record(_) => Statement::Record,
            Self::Claim(_) => Statement::Claim,
            Self::Cohort(_) => Statement::Cohort,
        }
    }

    /// The terms as they appear in a request file.
    pub fn to_json(&self) -> Value {
        // Plain structs of strings and integers always serialise.
        let mut tagged = serde_json::to_value(self).unwrap_or(Value::Null);
        tagged
            .get_mut("terms")
            .map(Value::take)
            .unwrap_or(Value::Null)
    }

    /// Parses and validates a request file's terms for `statement` (a statement that takes no
    /// request, such as authority, is an unknown variant).
    ///
    /// # Errors
    ///
    /// A one-line reason: an unknown or missing field, or a bad value.
    pub fn from_json(statement: Statement, value: &Value) -> Result<Self, String> {
        let tagged = serde_json::json!({ "statement": statement.name(), "terms": value });
        let terms: Self = serde_json::from_value(tagged).map_err(|e| format!("terms: {e}"))?;
        // Everything the terms say must resolve now, so a bad request fails when read.
        terms.term_values(VerifierId(Fr::from(0u64)))?;
        Ok(terms)
    }

    /// The value every [`InputRole::Term`] input must have, by input offset, for a request
    /// from `verifier`.
    ///
    /// # Errors
    ///
    /// A one-line reason when a term does not resolve (a bad code, date or criteria).
    pub fn term_values(&self, verifier: VerifierId) -> Result<Vec<(usize, TermValue)>, String> {
        match self {
            Self::Access(t) => t.term_values(verifier),
            Self::Record(t) => t.term_values(),
            Self::Claim(t) => t.term_values(),
            Self::Cohort(t) => t.term_values(),
        }
    }

    /// A short human description of what is asked.
    pub fn describe(&self) -> String {
        match self {
            Self::Access(t) => t.describe(),
            Self::Record(t) => t.describe(),
            Self::Claim(t) => t.describe(),
            Self::Cohort(t) => t.describe(),
        }
    }
}

/// The offsets of a statement's inputs with `role`.
pub fn inputs_with(statement: Statement, role: InputRole) -> impl Iterator<Item = usize> {
    roles(statement)
        .iter()
        .enumerate()
        .filter(move |(_, r)| **r == role)
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every input of every statement has exactly one role, and every statement that takes a
    /// request binds one request hash.
    #[test]
    fn every_input_has_a_role() {
        for statement in Statement::ALL {
            assert_eq!(
                roles(statement).len(),
                statement.input_names().len(),
                "{}",
                statement.name()
            );
            if statement != Statement::Authority {
                assert_eq!(inputs_with(statement, InputRole::RequestHash).count(), 1);
            }
        }
    }
}
