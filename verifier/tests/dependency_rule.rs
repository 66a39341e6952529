//! The dependency rule: the verifier's normal dependencies are ark-bn254, ark-ec, ark-ff and
//! ark-serialize (and what they pull in), never the prover side (ark-relations,
//! ark-r1cs-std, ark-groth16, ark-snark, ark-crypto-primitives, rayon).

use std::{collections::BTreeSet, process::Command};

/// Crates the verifier must never pull in, directly or transitively.
const FORBIDDEN: [&str; 7] = [
    "ark-relations",
    "ark-r1cs-std",
    "ark-groth16",
    "ark-snark",
    "ark-crypto-primitives",
    "rayon",
    "zkconsent-circuits",
];

/// The verifier's own direct dependencies.
const ALLOWED_DIRECT: [&str; 4] = ["ark-bn254", "ark-ec", "ark-ff", "ark-serialize"];

fn tree(args: &[&str]) -> BTreeSet<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "zkconsent-verifier",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn verifier_never_pulls_prover_side_crates() {
    for features in [
        &["--no-default-features"][..],
        &[][..],
        &["--all-features"][..],
    ] {
        let crates = tree(features);
        assert!(crates.contains("ark-bn254"), "{crates:?}");
        for bad in FORBIDDEN {
            assert!(
                !crates.contains(bad),
                "verifier depends on {bad} with {features:?}"
            );
        }
    }
}

#[test]
fn verifier_direct_dependencies_are_the_four_allowed() {
    let direct = tree(&["--depth", "1", "--no-default-features"]);
    let direct: BTreeSet<_> = direct
        .into_iter()
        .filter(|c| c != "zkconsent-verifier")
        .collect();
    let allowed: BTreeSet<_> = ALLOWED_DIRECT.iter().map(|s| s.to_string()).collect();
    assert_eq!(direct, allowed);
}
