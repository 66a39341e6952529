//! Our side of `benches/compare/run.sh`: an Access statement at a given tree depth from a
//! fixed seed, the circom reference's input for it, timed zkconsent proofs and timed
//! verification of snarkjs's files.
//!
//! ```sh
//! cargo run --release --example compare_access -- --out target/compare/bench --depth 20 --runs 5
//! cargo run --release --example compare_access -- --out target/compare/bench --depth 20 \
//!     --runs 0 --snarkjs-dir target/compare/bench/d20 --verify-runs 200
//! ```
//!
//! Writes `OUT/input-DEPTH.json` (the input of the circom reference `Access(DEPTH)` for the
//! same statement; `--input-only` stops there) and `OUT/zkconsent-DEPTH.json` (constraints,
//! key-load time, each timed proof's wall time and their median in milliseconds, the public
//! inputs, and with `--snarkjs-dir` each timed verification of snarkjs's files). Keys come
//! from a seeded single-party setup in `OUT/params-DEPTH/`, reused when still valid for this
//! build.
//!
//! Each timed proof is `prove_statement::<Access>` from the typed statement, the key already
//! loaded: the native check, the witness (synthesis on the cached matrices) and the Groth16
//! prover; `witness_ms` is what one profiled proof spent on the first two, which a prover
//! reading a `.wtns` (snarkjs, rapidsnark) does not do. One warm-up proof precedes the timed
//! ones, and one proof is verified.
//!
//! With `--snarkjs-dir DIR`, `zkconsent::export::verify_snarkjs` is timed on
//! `DIR/verification_key.json`, `DIR/public.json` and `DIR/proof.json` (bytes read once;
//! each call parses the three JSON files, checks the points and runs the pairing check with
//! an unprepared key, as rapidsnark's `groth16_verify` does), after one warm-up call.

#[path = "circom_input.rs"]
mod circom_input;

use clap::Parser;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use std::{
    path::{Path, PathBuf},
    time::Instant,
};
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
#[command(about = "Time zkconsent Access proofs and verification for benches/compare/run.sh")]
struct Args {
    /// Output directory (input-DEPTH.json, zkconsent-DEPTH.json, params-DEPTH/).
    #[arg(long)]
    out: PathBuf,
    /// Grants-tree depth of the statement and of the keys.
    #[arg(long, default_value_t = DEFAULT_TREE_DEPTH)]
    depth: usize,
    /// Timed proofs (after one warm-up); 0 skips proving (and loading the key).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seed of the statement and of the setup.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Only write `OUT/input-DEPTH.json` (no setup, no proofs).
    #[arg(long)]
    input_only: bool,
    /// Also time `verify_snarkjs` on this directory's verification_key.json, public.json
    /// and proof.json.
    #[arg(long)]
    snarkjs_dir: Option<PathBuf>,
    /// Timed `verify_snarkjs` calls (after one warm-up).
    #[arg(long, default_value_t = 200)]
    verify_runs: usize,
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Opens the cached params if they load for this build and depth, else runs the seeded
/// setup.
fn keys(args: &Args) -> Result<(ParamsDir, LoadedKeys, f64), Box<dyn std::error::Error>> {
    let dir = args.out.join(format!("params-{}", args.depth));
    if let Ok(params) = ParamsDir::open(&dir) {
        if params.manifest().tree_depth == args.depth {
            let start = Instant::now();
            if let Ok(keys) = params.load(Statement::Access) {
                return Ok((params, keys, ms(start.elapsed())));
            }
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let start = Instant::now();
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed.wrapping_add(1));
    let params = ParamsDir::setup(&dir, args.depth, SETUP_TIME, &mut rng)?;
    eprintln!(
        "zkconsent setup (depth {}): {:.0} ms",
        args.depth,
        ms(start.elapsed())
    );
    let start = Instant::now();
    let keys = params.load(Statement::Access)?;
    Ok((params, keys, ms(start.elapsed())))
}

/// Times `verify_snarkjs` on a snarkjs directory's three files: one warm-up, then `runs`.
fn time_verify_snarkjs(dir: &Path, runs: usize) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let (vk, public, proof) = (
        read("verification_key.json")?,
        read("public.json")?,
        read("proof.json")?,
    );
    zkconsent::export::verify_snarkjs(&vk, &public, &proof)
        .map_err(|e| format!("snarkjs proof does not verify with zkconsent: {e}"))?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let result = zkconsent::export::verify_snarkjs(&vk, &public, &proof);
        times.push(ms(start.elapsed()));
        result.map_err(|e| format!("snarkjs proof does not verify with zkconsent: {e}"))?;
    }
    Ok(times)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.runs == 0 && args.snarkjs_dir.is_none() && !args.input_only {
        return Err("nothing to do: --runs 0 without --snarkjs-dir".into());
    }
    if !(1..=32).contains(&args.depth) {
        return Err("--depth must be in 1..=32".into());
    }
    std::fs::create_dir_all(&args.out)?;

    let fixture = access_fixture(&mut ChaCha20Rng::seed_from_u64(args.seed), args.depth);
    let (public, private) = (&fixture.public, &fixture.private);
    let input = circom_input::circom_input(public, private);
    std::fs::write(
        args.out.join(format!("input-{}.json", args.depth)),
        serde_json::to_vec_pretty(&input)?,
    )?;
    if args.input_only {
        return Ok(());
    }
    let public_inputs: Vec<String> = public
        .to_field_elements()
        .iter()
        .map(fr_to_decimal)
        .collect();

    let mut report = json!({
        "tool": "zkconsent",
        "tree_depth": args.depth,
        "threads": rayon_threads(),
        "public_inputs": public_inputs,
    });

    if args.runs > 0 {
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

        let median_ms = median(&times);
        eprintln!(
            "zkconsent depth {}: {} constraints, {} proofs, median {median_ms:.1} ms (witness {witness_ms:.1} ms, key load {load_ms:.0} ms), verified",
            args.depth, keys.matrices.num_constraints, args.runs
        );
        report["constraints"] = json!(keys.matrices.num_constraints);
        report["load_ms"] = json!(load_ms);
        report["witness_ms"] = json!(witness_ms);
        report["prove_ms"] = json!(times);
        report["median_prove_ms"] = json!(median_ms);
        report["verified"] = json!(true);
    }

    if let Some(dir) = &args.snarkjs_dir {
        let times = time_verify_snarkjs(dir, args.verify_runs)?;
        let median_ms = median(&times);
        eprintln!(
            "zkconsent verify_snarkjs depth {}: {} calls, median {median_ms:.3} ms",
            args.depth, args.verify_runs
        );
        report["verify_snarkjs_ms"] = json!(times);
        report["median_verify_snarkjs_ms"] = json!(median_ms);
    }

    std::fs::write(
        args.out.join(format!("zkconsent-{}.json", args.depth)),
        serde_json::to_vec_pretty(&report)?,
    )?;
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
