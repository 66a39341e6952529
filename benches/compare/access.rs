//! Our side of `benches/compare/run.sh`: a depth-20 Access statement from a fixed seed, the
//! circom reference's input for it, and timed zkconsent proofs.
//!
//! ```sh
//! cargo run --release --example compare_access -- --out target/compare --runs 5
//! ```
//!
//! Writes `OUT/input.json` (the input of `benches/reference/access.circom` for the same
//! statement; `--input-only` stops there) and `OUT/zkconsent.json` (constraints, key-load
//! time, each proof's wall time and their median in milliseconds, the public inputs). Keys come from a seeded single-party setup in
//! `OUT/params/`, reused when still valid for this build. Each timed proof is
//! `prove_statement::<Access>` from the typed statement: the native check, the witness (synthesis on
//! the cached matrices) and the Groth16 prover; `witness_ms` is what one profiled proof
//! spent on the first two, which `snarkjs groth16 prove` does not do (it reads a `.wtns`).
//! One warm-up proof precedes the timed ones, and one proof is verified.

#[path = "circom_input.rs"]
mod circom_input;

use clap::Parser;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use std::{path::PathBuf, time::Instant};
use zkconsent::{
    circuits::{
        fr_to_decimal, merkle::DEFAULT_TREE_DEPTH, statement::Access, testing::access_fixture,
    },
    home::to_verifier_proof,
    prover::{prove_statement, prove_statement_profiled, LoadedKeys, ParamsDir, Statement},
    verifier::{prepare_verifying_key, verify, VerifyingKey},
};

/// A fixed manifest time, so the params directory is reproducible.
const SETUP_TIME: u64 = 1_750_000_000;

#[derive(Parser)]
#[command(about = "Time zkconsent Access proofs for the snarkjs comparison")]
struct Args {
    /// Output directory (input.json, zkconsent.json, params/).
    #[arg(long)]
    out: PathBuf,
    /// Timed proofs (after one warm-up).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seed of the statement and of the setup.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Only write `OUT/input.json` (no setup, no proofs).
    #[arg(long)]
    input_only: bool,
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Opens the cached params if they load for this build, else runs the seeded setup.
fn keys(args: &Args) -> Result<(ParamsDir, LoadedKeys, f64), Box<dyn std::error::Error>> {
    let dir = args.out.join("params");
    if let Ok(params) = ParamsDir::open(&dir) {
        if params.manifest().tree_depth == DEFAULT_TREE_DEPTH {
            let start = Instant::now();
            if let Ok(keys) = params.load(Statement::Access) {
                return Ok((params, keys, ms(start.elapsed())));
            }
        }
    }
    let start = Instant::now();
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed.wrapping_add(1));
    let params = ParamsDir::setup(&dir, DEFAULT_TREE_DEPTH, SETUP_TIME, &mut rng)?;
    eprintln!("setup: {:.0} ms", ms(start.elapsed()));
    let start = Instant::now();
    let keys = params.load(Statement::Access)?;
    Ok((params, keys, ms(start.elapsed())))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    std::fs::create_dir_all(&args.out)?;

    let fixture = access_fixture(
        &mut ChaCha20Rng::seed_from_u64(args.seed),
        DEFAULT_TREE_DEPTH,
    );
    let (public, private) = (&fixture.public, &fixture.private);
    let input = circom_input::circom_input(public, private);
    std::fs::write(
        args.out.join("input.json"),
        serde_json::to_vec_pretty(&input)?,
    )?;
    if args.input_only {
        return Ok(());
    }

    let (params, keys, load_ms) = keys(&args)?;
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed.wrapping_add(2));

    // Warm-up (page faults, rayon's pool), then the timed proofs.
    let warm = prove_statement::<Access>(&keys, public, private, &mut rng)?;
    let mut times = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let start = Instant::now();
        let _proof = prove_statement::<Access>(&keys, public, private, &mut rng)?;
        times.push(ms(start.elapsed()));
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = if sorted.len() % 2 == 1 {
        sorted[sorted.len() / 2]
    } else {
        (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
    };
    let (_, profile) = prove_statement_profiled::<Access>(&keys, public, private, &mut rng)?;
    let witness_ms = ms(profile.check + profile.witness);

    // The proof verifies under the params' verifying key, through the verifier crate.
    let (vk_bytes, _) = params.verifying_key_bytes(Statement::Access)?;
    let pvk = prepare_verifying_key(&VerifyingKey::from_bytes(&vk_bytes)?)?;
    verify(
        &pvk,
        &public.to_field_elements(),
        &to_verifier_proof(&warm)?,
    )
    .map_err(|e| format!("our proof does not verify: {e}"))?;

    let report = json!({
        "tool": "zkconsent",
        "tree_depth": DEFAULT_TREE_DEPTH,
        "constraints": keys.matrices.num_constraints,
        "threads": rayon_threads(),
        "load_ms": load_ms,
        "witness_ms": witness_ms,
        "prove_ms": times,
        "median_prove_ms": median,
        "verified": true,
        "public_inputs": public
            .to_field_elements()
            .iter()
            .map(fr_to_decimal)
            .collect::<Vec<_>>(),
    });
    std::fs::write(
        args.out.join("zkconsent.json"),
        serde_json::to_vec_pretty(&report)?,
    )?;
    println!(
        "zkconsent: {} constraints, {} proofs, median {median:.1} ms (witness {witness_ms:.1} ms, key load {load_ms:.0} ms), verified",
        keys.matrices.num_constraints, args.runs
    );
    Ok(())
}

/// Threads the prover may use (`RAYON_NUM_THREADS` or the CPU count).
fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
