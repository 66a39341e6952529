//! Where a proof's time goes: one [`ProofProfile`] per proof, filled by the profiled prover.

use std::{fmt, time::Duration};

/// Wall time of each phase of one Groth16 proof, run one phase after another so that each
/// figure is that phase alone (each phase still uses every core inside).
///
/// Constraint synthesis is not a per-proof phase here: the matrices are built once when the
/// key is loaded ([`crate::LoadedKeys::matrices`]); `synthesis` is zero unless a caller
/// records a load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProofProfile {
    /// The native relation check (the executable spec) before proving.
    pub check: Duration,
    /// Computing the full assignment (the witness) from the statement.
    pub witness: Duration,
    /// Building constraint matrices (zero per proof when the key's matrices are cached).
    pub synthesis: Duration,
    /// R1CS-to-QAP witness map: sparse matrix-vector products and the seven FFTs giving `h`.
    pub qap: Duration,
    /// MSM for A in G1 (`a_query`).
    pub msm_a: Duration,
    /// MSM for B in G1 (`b_g1_query`).
    pub msm_b_g1: Duration,
    /// MSM for B in G2 (`b_g2_query`).
    pub msm_b_g2: Duration,
    /// MSM for the quotient in G1 (`h_query`).
    pub msm_h: Duration,
    /// MSM for the witness part of C in G1 (`l_query`).
    pub msm_l: Duration,
    /// Everything, end to end.
    pub total: Duration,
}

impl ProofProfile {
    /// The five MSMs together: the arithmetic floor of a Groth16 prover.
    pub fn msm_total(&self) -> Duration {
        self.msm_a + self.msm_b_g1 + self.msm_b_g2 + self.msm_h + self.msm_l
    }

    /// Time not in any named phase (scalar conversion, the final group additions).
    pub fn other(&self) -> Duration {
        self.total.saturating_sub(
            self.check + self.witness + self.synthesis + self.qap + self.msm_total(),
        )
    }

    /// Prover time over MSM time: how close the prover runs to its floor (1.0 is the floor).
    pub fn floor_ratio(&self) -> f64 {
        let msm = self.msm_total().as_secs_f64();
        if msm == 0.0 {
            return f64::INFINITY;
        }
        self.total.as_secs_f64() / msm
    }

    /// Phase names and times, in proving order.
    pub fn phases(&self) -> [(&'static str, Duration); 10] {
        [
            ("check", self.check),
            ("witness", self.witness),
            ("synthesis", self.synthesis),
            ("qap (FFTs)", self.qap),
            ("msm A (G1)", self.msm_a),
            ("msm B (G1)", self.msm_b_g1),
            ("msm B (G2)", self.msm_b_g2),
            ("msm H (G1)", self.msm_h),
            ("msm L (G1)", self.msm_l),
            ("other", self.other()),
        ]
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl fmt::Display for ProofProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = ms(self.total);
        for (name, d) in self.phases() {
            let share = if total > 0.0 {
                100.0 * ms(d) / total
            } else {
                0.0
            };
            writeln!(f, "{name:<12} {:>9.2} ms {share:>5.1}%", ms(d))?;
        }
        writeln!(f, "{:<12} {:>9.2} ms", "total", total)?;
        write!(
            f,
            "{:<12} {:>9.2} ms  prover/MSM = {:.3}",
            "msm (all 5)",
            ms(self.msm_total()),
            self.floor_ratio()
        )
    }
}
