//! Poseidon as an R1CS gadget: the twin of [`super::hash`] / [`super::hash_with_domain`].
//!
//! Cost: 3 constraints per S-box on a non-constant lane (x², x⁴, x⁵); additions of round
//! constants and MDS mixing are linear and free. For `n` inputs with `R_P` partial rounds:
//! `3 * (8 * (n + 1) + R_P) - 3` constraints, because the capacity lane is a constant in the
//! first round and its S-box is computed natively. Two inputs: 240 (circom `--O2` also 240).
//! Constant inputs cost nothing until they mix with a variable.

use super::params::{params_for, PoseidonParams, MAX_INPUTS};
use crate::{
    domain::DomainTag,
    range::constraints::{enforce_lc_equal, lc},
};
use ark_bn254::Fr;
use ark_ff::{Field, One, Zero};
use ark_r1cs_std::{
    fields::{
        fp::{AllocatedFp, FpVar},
        FieldVar,
    },
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

/// circomlib `Poseidon(n)` in-circuit (capacity 0).
///
/// # Errors
///
/// [`SynthesisError::Unsatisfiable`] if the arity is outside `1..=16`; otherwise only errors
/// from the constraint system.
pub fn hash(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    hash_with_capacity(FpVar::zero(), inputs)
}

/// Domain-separated Poseidon in-circuit (`PoseidonEx` with `initialState = tag`).
///
/// # Errors
///
/// As [`hash`].
#[tracing::instrument(target = "r1cs", skip(inputs))]
pub fn hash_with_domain(tag: DomainTag, inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    hash_with_capacity(FpVar::constant(tag.value()), inputs)
}

/// Enforces `H_tag(inputs) = expected`: one constraint fewer than
/// `hash_with_domain(tag, inputs)?.enforce_equal(expected)`.
///
/// The output is `sum_j M[0][j] * y_j` over the last round's S-box outputs `y_j`, and
/// circomlib's MDS entries are all non-zero, so instead of allocating `y_0 = x_0^5` and then
/// checking the sum, the last S-box's product constraint takes the value `y_0` must have,
/// `(expected - sum_{j>0} M[0][j] * y_j) / M[0][0]`, as its output: `x_0^4 * x_0 = that`.
/// It holds exactly when the hash equals `expected`.
///
/// # Errors
///
/// As [`hash`]; [`SynthesisError::Unsatisfiable`] when everything is constant and unequal.
pub fn hash_with_domain_equals(
    tag: DomainTag,
    inputs: &[FpVar<Fr>],
    expected: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    let state = initial_state(FpVar::constant(tag.value()), inputs)?;
    let params = params_for(inputs.len());
    let mut lanes = Lanes::new(&state)?;
    let last = params.rounds() - 1;
    for r in 0..last {
        lanes.round(params, r)?;
    }
    lanes.add_constants(&params.round_constants[last]);
    lanes.sbox_all_then_equal(&params.mds[0], expected)
}

fn hash_with_capacity(
    capacity: FpVar<Fr>,
    inputs: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    let mut state = initial_state(capacity, inputs)?;
    permute(params_for(inputs.len()), &mut state)?;
    Ok(state.swap_remove(0))
}

/// `[capacity, inputs...]`, for an arity in `1..=16`.
fn initial_state(
    capacity: FpVar<Fr>,
    inputs: &[FpVar<Fr>],
) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
    if inputs.is_empty() || inputs.len() > MAX_INPUTS {
        return Err(SynthesisError::Unsatisfiable);
    }
    let mut state = Vec::with_capacity(inputs.len() + 1);
    state.push(capacity);
    state.extend_from_slice(inputs);
    Ok(state)
}

/// The permutation, round for round as the native [`super::permute`].
///
/// The round constants and MDS mixing are applied to explicit affine forms over the
/// variables the permutation has seen (its inputs and S-box outputs), and a lane becomes a
/// constraint-system linear combination only where an S-box reads it and at the end. The
/// constraints are the same as applying `FpVar` arithmetic lane by lane, but that registers
/// every intermediate sum as a symbolic combination, and the constraint system's
/// finalisation then expands each one in full: in the partial rounds those expansions grow
/// round by round, which made finalising a 16-input hash take about 300 ms.
///
/// # Errors
///
/// Only errors from the constraint system.
pub fn permute(params: &PoseidonParams, state: &mut [FpVar<Fr>]) -> Result<(), SynthesisError> {
    let mut lanes = Lanes::new(state)?;
    for r in 0..params.rounds() {
        lanes.round(params, r)?;
    }
    for (out, lane) in state.iter_mut().zip(0..) {
        *out = lanes.to_var(lane)?;
    }
    Ok(())
}

/// One lane of the state: `constant + sum coeffs[k] * vars[k]` with its value.
#[derive(Clone)]
struct Lane {
    constant: Fr,
    /// Coefficients over [`Lanes::vars`], implicitly zero past the end; empty when forms are
    /// not tracked.
    coeffs: Vec<Fr>,
    /// `None` when some variable has no value (setup mode).
    value: Option<Fr>,
    /// Whether the lane depends on a variable (otherwise it is the constant).
    variable: bool,
}

/// The permutation's state as affine forms (see [`permute`]).
struct Lanes {
    cs: ConstraintSystemRef<Fr>,
    /// Whether forms are tracked: only when the constraint system records linear
    /// combinations (matrices or their assignments); when it only collects the witness,
    /// values suffice.
    forms: bool,
    /// The variables the lanes are forms over. A full round's S-boxes replace every lane,
    /// so the list restarts there.
    vars: Vec<Variable>,
    lanes: Vec<Lane>,
}

impl Lanes {
    fn new(state: &[FpVar<Fr>]) -> Result<Self, SynthesisError> {
        let cs = state.cs();
        let forms = cs.should_construct_matrices()
            || cs
                .borrow()
                .is_some_and(|inner| inner.should_generate_lc_assignments());
        let mut lanes = Self {
            cs,
            forms,
            vars: Vec::with_capacity(state.len()),
            lanes: Vec::with_capacity(state.len()),
        };
        for lane in state {
            let lane = match lane {
                FpVar::Constant(c) => Lane::constant(*c),
                FpVar::Var(v) => lanes.fresh(v.variable, v.value().ok()),
            };
            lanes.lanes.push(lane);
        }
        Ok(lanes)
    }

    /// A lane equal to a new variable.
    fn fresh(&mut self, variable: Variable, value: Option<Fr>) -> Lane {
        let mut coeffs = Vec::new();
        if self.forms {
            coeffs.resize(self.vars.len(), Fr::zero());
            coeffs.push(Fr::one());
        }
        self.vars.push(variable);
        Lane {
            constant: Fr::zero(),
            coeffs,
            value,
            variable: true,
        }
    }

    /// Round `r`: constants, S-boxes, mixing.
    fn round(&mut self, params: &PoseidonParams, r: usize) -> Result<(), SynthesisError> {
        self.add_constants(&params.round_constants[r]);
        if params.is_full_round(r) {
            self.sbox_all()?;
        } else {
            self.sbox_first()?;
        }
        self.mix(&params.mds);
        Ok(())
    }

    /// The last (full) round's S-boxes, then `sum_j row[j] * y_j = expected` with the first
    /// S-box's output folded into that equation (see [`hash_with_domain_equals`]).
    fn sbox_all_then_equal(
        mut self,
        row: &[Fr],
        expected: &FpVar<Fr>,
    ) -> Result<(), SynthesisError> {
        let first = match self.input_var(0)? {
            Some(x) if !row[0].is_zero() => x,
            // A constant first lane (every input constant): nothing to fold.
            _ => {
                self.sbox_all()?;
                self.mix(core::slice::from_ref(&row.to_vec()));
                // Not `enforce_equal`, which accepts any two constants as equal.
                return enforce_lc_equal(&self.to_var(0)?, expected);
            }
        };
        let x4 = first.square()?.square()?;
        self.sbox_from(1)?;
        // y_0 = (expected - sum_{j>0} row[j] * y_j) / row[0], as a linear form.
        let scale = row[0].inverse().ok_or(SynthesisError::Unsatisfiable)?;
        let mut y0 = Lane::constant(Fr::zero());
        y0.coeffs.resize(self.vars.len(), Fr::zero());
        for (m, lane) in row.iter().zip(&self.lanes).skip(1) {
            let k = -*m * scale;
            y0.constant += k * lane.constant;
            for (acc, c) in y0.coeffs.iter_mut().zip(&lane.coeffs) {
                *acc += k * c;
            }
        }
        let (FpVar::Var(x), FpVar::Var(x4)) = (&first, &x4) else {
            return Err(SynthesisError::Unsatisfiable);
        };
        let vars = &self.vars;
        self.cs.enforce_r1cs_constraint(
            || x4.variable.into(),
            || x.variable.into(),
            || {
                let mut lc = lc(expected) * scale;
                if !y0.constant.is_zero() {
                    lc.0.push((y0.constant, Variable::One));
                }
                for (c, v) in y0.coeffs.iter().zip(vars) {
                    if !c.is_zero() {
                        lc.0.push((*c, *v));
                    }
                }
                lc
            },
        )
    }

    fn add_constants(&mut self, constants: &[Fr]) {
        for (lane, c) in self.lanes.iter_mut().zip(constants) {
            lane.constant += c;
            lane.value = lane.value.map(|v| v + c);
        }
    }

    /// Full round: every lane through the S-box, in lane order.
    fn sbox_all(&mut self) -> Result<(), SynthesisError> {
        self.sbox_from(0)
    }

    /// Lanes `first..` through the S-box, in lane order, at the end of a full round.
    fn sbox_from(&mut self, first: usize) -> Result<(), SynthesisError> {
        // Every lane's input is read before any output exists, so the forms can then restart
        // from the S-box outputs alone (lanes before `first` are not read again).
        let inputs: Vec<Option<FpVar<Fr>>> = (first..self.lanes.len())
            .map(|i| self.input_var(i))
            .collect::<Result<_, _>>()?;
        self.vars.clear();
        for (i, input) in (first..).zip(inputs) {
            self.lanes[i] = match input {
                Some(x) => self.sbox_var(&x)?,
                None => Lane::constant(pow5(self.lanes[i].constant)),
            };
        }
        Ok(())
    }

    /// Partial round: the first lane through the S-box.
    fn sbox_first(&mut self) -> Result<(), SynthesisError> {
        self.lanes[0] = match self.input_var(0)? {
            Some(x) => self.sbox_var(&x)?,
            None => Lane::constant(pow5(self.lanes[0].constant)),
        };
        Ok(())
    }

    /// The S-box of a variable lane, as a lane over its output.
    fn sbox_var(&mut self, x: &FpVar<Fr>) -> Result<Lane, SynthesisError> {
        match sbox(x)? {
            FpVar::Var(y) => Ok(self.fresh(y.variable, y.value().ok())),
            FpVar::Constant(c) => Ok(Lane::constant(c)),
        }
    }

    /// `state = mds * state`.
    fn mix(&mut self, mds: &[Vec<Fr>]) {
        let width = self.vars.len();
        let mixed = mds
            .iter()
            .map(|row| {
                let mut out = Lane::constant(Fr::zero());
                out.value = Some(Fr::zero());
                if self.forms {
                    out.coeffs.resize(width, Fr::zero());
                }
                for (m, lane) in row.iter().zip(&self.lanes) {
                    out.constant += *m * lane.constant;
                    out.value = out.value.zip(lane.value).map(|(acc, v)| acc + *m * v);
                    out.variable |= lane.variable;
                    for (acc, c) in out.coeffs.iter_mut().zip(&lane.coeffs) {
                        *acc += *m * c;
                    }
                }
                out
            })
            .collect();
        self.lanes = mixed;
    }

    /// Lane `i` as a variable, or `None` when it is a constant.
    fn input_var(&self, i: usize) -> Result<Option<FpVar<Fr>>, SynthesisError> {
        let lane = &self.lanes[i];
        if !lane.variable {
            return Ok(None);
        }
        let variable = self.cs.new_lc(|| {
            let mut lc = LinearCombination::zero();
            if !lane.constant.is_zero() {
                lc.0.push((lane.constant, Variable::One));
            }
            for (c, v) in lane.coeffs.iter().zip(&self.vars) {
                if !c.is_zero() {
                    lc.0.push((*c, *v));
                }
            }
            lc
        })?;
        Ok(Some(FpVar::Var(AllocatedFp::new(
            lane.value,
            variable,
            self.cs.clone(),
        ))))
    }

    /// Lane `i` as an `FpVar`.
    fn to_var(&self, i: usize) -> Result<FpVar<Fr>, SynthesisError> {
        Ok(self
            .input_var(i)?
            .unwrap_or(FpVar::Constant(self.lanes[i].constant)))
    }
}

impl Lane {
    fn constant(c: Fr) -> Self {
        Self {
            constant: c,
            coeffs: Vec::new(),
            value: Some(c),
            variable: false,
        }
    }
}

/// x⁵ natively (a constant lane's S-box).
fn pow5(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// x⁵: three constraints for a variable, none for a constant.
fn sbox(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}
