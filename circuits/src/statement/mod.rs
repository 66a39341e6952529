//! Statements as types.
//!
//! Each statement (Access, Authority, Record, Claim, Cohort) is a zero-sized marker type
//! implementing [`Statement`], defined in the statement's own folder next to its public
//! inputs, witness, native check and circuit. Code that works for any statement is generic
//! over `S: Statement`; code that starts from a name in a file holds a [`StatementKind`] and
//! reaches the type with [`StatementKind::visit`], the one `match` over the statements.

mod public;

pub use crate::{
    access::kind::Access, authority::kind::Authority, claim::kind::Claim, cohort::kind::Cohort,
    record::kind::Record,
};
pub(crate) use public::Decoder;
pub use public::{InputError, PublicInputs};

use crate::merkle::MerklePath;
use ark_bn254::Fr;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
};

/// A zkconsent statement: its identity, its public and private inputs, its native relation
/// and its circuit (one circuit, one key pair).
pub trait Statement {
    /// The statement's [`StatementKind`] (`Self::KIND.visit` reaches `Self` again).
    const KIND: StatementKind;
    /// Name in proof files and the params manifest.
    const NAME: &'static str;
    /// Bumped whenever the constraint system changes shape or meaning.
    const CIRCUIT_VERSION: u32;
    /// Public input names, in circuit order (as many as [`PublicInputs::COUNT`]).
    const INPUT_NAMES: &'static [&'static str];
    /// What a verifier checks of each public input, in circuit order (same length as
    /// [`Self::INPUT_NAMES`]).
    const INPUT_ROLES: &'static [InputRole];
    /// Whether the circuit's shape depends on the tree depth (grants and records trees
    /// share it).
    const HAS_TREE_DEPTH: bool;

    /// The public inputs, with their encoder and its decoder twin.
    type Public: PublicInputs + Clone + core::fmt::Debug + Eq + Send + Sync;
    /// The witness.
    type Private: Clone + core::fmt::Debug + Send + Sync;
    /// Why the statement is false.
    type Error: std::error::Error + Send + Sync + 'static;
    /// The constraint system.
    type Circuit: ConstraintSynthesizer<Fr> + Clone;

    /// The relation, natively: the executable specification.
    ///
    /// # Errors
    ///
    /// The first reason the statement is false.
    fn check(public: &Self::Public, private: &Self::Private) -> Result<(), Self::Error>;

    /// The circuit assigned from a statement.
    fn circuit(public: &Self::Public, private: &Self::Private) -> Self::Circuit;

    /// A circuit of the statement's shape with dummy values, for key generation and the
    /// constraint matrices (`depth` is ignored when [`Self::HAS_TREE_DEPTH`] is false).
    fn blank(depth: usize) -> Self::Circuit;

    /// The witness's tree paths whose depth is the circuit's tree depth (so must be the
    /// keys'); empty for a statement without a tree.
    fn paths(private: &Self::Private) -> Vec<&MerklePath>;
}

/// Code run for one statement type, chosen at run time by [`StatementKind::visit`].
pub trait StatementVisitor {
    /// What the visit returns.
    type Output;

    /// Runs for statement `S`.
    fn visit<S: Statement>(self) -> Self::Output;
}

/// Which statement: the run-time name of a [`Statement`] type, for manifests and files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatementKind {
    /// Statement 0: patient authority over a grant leaf ([`Authority`]).
    Authority,
    /// Statement 1: access under a valid, unrevoked grant ([`Access`]).
    Access,
    /// Statement 2: facts about an anchored FHIR record ([`Record`]).
    Record,
    /// Statement 3: an insurance claim against an anchored Claim or ExplanationOfBenefit
    /// ([`Claim`]).
    Claim,
    /// Statement 4: a patient's eligibility for a study, once per study ([`Cohort`]).
    Cohort,
}

impl StatementKind {
    /// Every statement, in setup order. New statements go at the end: setup draws each key
    /// from one RNG in this order, so earlier keys stay what they were for a given seed.
    pub const ALL: [Self; 5] = [
        Self::Authority,
        Self::Access,
        Self::Record,
        Self::Claim,
        Self::Cohort,
    ];

    /// Runs `visitor` for this kind's statement type: the one `match` over statements.
    pub fn visit<V: StatementVisitor>(self, visitor: V) -> V::Output {
        match self {
            Self::Authority => visitor.visit::<Authority>(),
            Self::Access => visitor.visit::<Access>(),
            Self::Record => visitor.visit::<Record>(),
            Self::Claim => visitor.visit::<Claim>(),
            Self::Cohort => visitor.visit::<Cohort>(),
        }
    }

    /// Name used in files and manifests.
    pub fn name(self) -> &'static str {
        self.visit(Identity).name
    }

    /// Looks a statement up by name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Circuit version compiled into this binary.
    pub fn circuit_version(self) -> u32 {
        self.visit(Identity).circuit_version
    }

    /// Public input names, in circuit order.
    pub fn input_names(self) -> &'static [&'static str] {
        self.visit(Identity).input_names
    }

    /// What a verifier checks of each public input, in circuit order.
    pub fn input_roles(self) -> &'static [InputRole] {
        self.visit(Identity).input_roles
    }

    /// Whether the circuit depends on the tree depth (grants and records trees share it).
    pub fn has_tree_depth(self) -> bool {
        self.visit(Identity).has_tree_depth
    }

    /// [`constraint_count`] of this kind's statement.
    ///
    /// # Errors
    ///
    /// Synthesis errors.
    pub fn constraint_count(self, depth: usize) -> Result<usize, SynthesisError> {
        self.visit(ConstraintCount { depth })
    }
}

impl core::fmt::Display for StatementKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Constraint count of `S`'s circuit (at `depth` where it has one), from a setup-mode
/// synthesis of [`Statement::blank`] without building the matrices: what a drift check
/// against pinned counts needs, at a fraction of the cost (finalising the Cohort circuit's
/// linear combinations takes seconds). With the constraint-count optimisation goal,
/// finalising never changes the count (the prover tests it against its matrices).
///
/// # Errors
///
/// Synthesis errors.
pub fn constraint_count<S: Statement>(depth: usize) -> Result<usize, SynthesisError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    S::blank(depth).generate_constraints(cs.clone())?;
    Ok(cs.num_constraints())
}

/// What a verifier checks about one public input of a statement. Every input of every
/// statement has exactly one role, so a verifier that walks the roles checks everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputRole {
    /// A term of the verifier's request: must equal the request's value.
    Term,
    /// A grants-tree root: one the registry had, recently enough.
    GrantsRoot,
    /// A records-tree root: one the registry had, recently enough.
    RecordsRoot,
    /// The time the proof speaks for: close to the verifier's clock.
    Time,
    /// The request hash: must be the request's.
    RequestHash,
    /// A nullifier: unspent; spent when the verifier consumes the request.
    Nullifier,
    /// An access tag: the patient's audit handle, recorded with the answered request.
    AccessTag,
    /// A value the proof discloses or the circuit derives from the witness; the circuit binds
    /// it to the other inputs, so the pairing check is what pins it.
    Disclosed,
}

/// A statement's identity constants, read through the visitor so that the kind's accessors
/// need no `match` of their own.
struct Identity;

/// What [`Identity`] reads.
struct IdentityOf {
    name: &'static str,
    circuit_version: u32,
    input_names: &'static [&'static str],
    input_roles: &'static [InputRole],
    has_tree_depth: bool,
}

impl StatementVisitor for Identity {
    type Output = IdentityOf;

    fn visit<S: Statement>(self) -> IdentityOf {
        IdentityOf {
            name: S::NAME,
            circuit_version: S::CIRCUIT_VERSION,
            input_names: S::INPUT_NAMES,
            input_roles: S::INPUT_ROLES,
            has_tree_depth: S::HAS_TREE_DEPTH,
        }
    }
}

/// [`constraint_count`] through the visitor.
struct ConstraintCount {
    depth: usize,
}

impl StatementVisitor for ConstraintCount {
    type Output = Result<usize, SynthesisError>;

    fn visit<S: Statement>(self) -> Self::Output {
        constraint_count::<S>(self.depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The kind a visit reaches.
    struct KindOf;

    impl StatementVisitor for KindOf {
        type Output = StatementKind;

        fn visit<S: Statement>(self) -> StatementKind {
            S::KIND
        }
    }

    /// What every statement type must agree on.
    struct Consistent;

    impl StatementVisitor for Consistent {
        type Output = Result<(), String>;

        fn visit<S: Statement>(self) -> Self::Output {
            if S::INPUT_NAMES.len() != <S::Public as PublicInputs>::COUNT {
                return Err(format!("{}: names and count differ", S::NAME));
            }
            let unique: HashSet<_> = S::INPUT_NAMES.iter().collect();
            if unique.len() != S::INPUT_NAMES.len() {
                return Err(format!("{}: repeated input name", S::NAME));
            }
            Ok(())
        }
    }

    #[test]
    fn all_lists_every_kind_once_in_setup_order() {
        assert_eq!(
            StatementKind::ALL,
            [
                StatementKind::Authority,
                StatementKind::Access,
                StatementKind::Record,
                StatementKind::Claim,
                StatementKind::Cohort,
            ]
        );
        let kinds: HashSet<_> = StatementKind::ALL.into_iter().collect();
        assert_eq!(kinds.len(), StatementKind::ALL.len());
        let names: HashSet<_> = StatementKind::ALL.map(StatementKind::name).into();
        assert_eq!(names.len(), StatementKind::ALL.len());
    }

    #[test]
    fn names_round_trip_and_visits_reach_their_kind() {
        for kind in StatementKind::ALL {
            assert_eq!(StatementKind::from_name(kind.name()), Some(kind));
            assert_eq!(kind.visit(KindOf), kind, "{kind}");
            assert_eq!(kind.visit(Consistent), Ok(()));
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(StatementKind::from_name("Access"), None);
        assert_eq!(StatementKind::from_name(""), None);
    }

    /// The names, versions and shapes files and manifests rely on.
    #[test]
    fn identities_are_the_statement_modules_constants() {
        use crate::{access, authority, claim, cohort, record};
        let expected: [(StatementKind, &str, u32, &[&str], bool); 5] = [
            (
                StatementKind::Authority,
                authority::STATEMENT,
                authority::CIRCUIT_VERSION,
                &authority::inputs::NAMES,
                false,
            ),
            (
                StatementKind::Access,
                access::STATEMENT,
                access::CIRCUIT_VERSION,
                &access::inputs::NAMES,
                true,
            ),
            (
                StatementKind::Record,
                record::STATEMENT,
                record::CIRCUIT_VERSION,
                &record::inputs::NAMES,
                true,
            ),
            (
                StatementKind::Claim,
                claim::STATEMENT,
                claim::CIRCUIT_VERSION,
                &claim::inputs::NAMES,
                true,
            ),
            (
                StatementKind::Cohort,
                cohort::STATEMENT,
                cohort::CIRCUIT_VERSION,
                &cohort::inputs::NAMES,
                true,
            ),
        ];
        for (kind, name, version, inputs, tree) in expected {
            assert_eq!(kind.name(), name);
            assert_eq!(kind.circuit_version(), version);
            assert_eq!(kind.input_names(), inputs);
            assert_eq!(kind.has_tree_depth(), tree);
        }
        assert_eq!(
            ["authority", "access", "record", "claim", "cohort"],
            StatementKind::ALL.map(StatementKind::name)
        );
    }

    /// Authority's circuit has no tree: its count does not move with the depth.
    #[test]
    fn only_tree_statements_depend_on_the_depth() {
        for kind in StatementKind::ALL {
            let (a, b) = (
                kind.constraint_count(2).unwrap(),
                kind.constraint_count(3).unwrap(),
            );
            assert_eq!(a != b, kind.has_tree_depth(), "{kind}");
        }
    }
}
