//! The crate graph is the architecture: FHIR ingestion depends on the circuits alone, the
//! ledger side (registry) and the client side (wallet) share only `zkconsent-store` and never
//! reach the prover, and only the CLI parses arguments or prints (`clap` and `indicatif` are
//! its dependencies, no one else's); alloy (the EVM client) lives in `zkconsent-chain` alone,
//! which only the CLI (a home on a chain registry) uses, and tokio never reaches the circuits,
//! the prover or the verifier.

use std::{collections::BTreeSet, process::Command};

/// The workspace crates a package reaches through normal dependencies (itself excluded).
fn reaches(package: &str) -> BTreeSet<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}",
        ])
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
        .filter(|c| c != package)
        .collect()
}

fn workspace_crates(all: &BTreeSet<String>) -> BTreeSet<&str> {
    all.iter()
        .map(String::as_str)
        .filter(|c| c.starts_with("zkconsent"))
        .collect()
}

#[test]
fn fhir_depends_on_the_circuits_alone() {
    let all = reaches("zkconsent-fhir");
    assert_eq!(
        workspace_crates(&all),
        BTreeSet::from(["zkconsent-circuits"])
    );
}

#[test]
fn registry_and_wallet_never_reach_the_prover_or_each_other() {
    for (package, other) in [
        ("zkconsent-registry", "zkconsent-wallet"),
        ("zkconsent-wallet", "zkconsent-registry"),
        ("zkconsent-store", "zkconsent-registry"),
    ] {
        let all = reaches(package);
        for bad in ["zkconsent-prover", "ark-groth16", other, "zkconsent"] {
            assert!(!all.contains(bad), "{package} depends on {bad}");
        }
    }
}

#[test]
fn only_the_cli_parses_arguments_or_draws_progress() {
    for package in [
        "zkconsent",
        "zkconsent-circuits",
        "zkconsent-prover",
        "zkconsent-fhir",
        "zkconsent-store",
        "zkconsent-registry",
        "zkconsent-wallet",
    ] {
        let all = reaches(package);
        for cli_only in ["clap", "indicatif"] {
            assert!(!all.contains(cli_only), "{package} depends on {cli_only}");
        }
    }
    let cli = reaches("zkconsent-cli");
    assert!(cli.contains("clap") && cli.contains("zkconsent"));
}

#[test]
fn only_the_services_and_the_chain_client_bring_async_runtimes_or_alloy() {
    for package in [
        "zkconsent",
        "zkconsent-circuits",
        "zkconsent-prover",
        "zkconsent-verifier",
        "zkconsent-fhir",
        "zkconsent-store",
        "zkconsent-registry",
        "zkconsent-wallet",
    ] {
        let all = reaches(package);
        for heavy in ["alloy", "alloy-provider", "reqwest", "zkconsent-chain"] {
            assert!(!all.contains(heavy), "{package} depends on {heavy}");
        }
    }
    for package in [
        "zkconsent-circuits",
        "zkconsent-prover",
        "zkconsent-verifier",
    ] {
        assert!(
            !reaches(package).contains("tokio"),
            "{package} depends on tokio"
        );
    }
    let chain = reaches("zkconsent-chain");
    assert!(chain.contains("alloy") && !chain.contains("zkconsent"));
    // The library defines the upstream a home replicates; the CLI plugs the chain in.
    assert!(reaches("zkconsent-cli").contains("zkconsent-chain"));
}
