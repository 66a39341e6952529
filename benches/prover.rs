//! Criterion benchmarks of the prover: one Access proof at depth 20 (stock ark-groth16,
//! ark-groth16 on cached matrices, zkconsent's prover), where its time goes (printed split
//! and the prover/MSM ratio), batch throughput at 1, 2, 8, 32 proofs under both core
//! splits, the authority proof, the Record, Claim and Cohort proofs (`prove_statement`) and
//! their batch throughput (`batch_statement`), and every proving key's load time and memory.
//!
//! Run: `cargo bench --bench prover`.

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::{
    r1cs_to_qap::{LibsnarkReduction, R1CSToQAP},
    Groth16,
};
use ark_poly::GeneralEvaluationDomain;
use ark_snark::SNARK;
use criterion::{
    criterion_group, criterion_main, measurement::WallTime, BenchmarkGroup, BenchmarkId, Criterion,
    Throughput,
};
use rand::{rngs::StdRng, SeedableRng};
use std::time::Duration;
use zkconsent::{
    circuits::{
        access::{AccessCircuit, AccessPrivate, AccessPublic},
        authority::GrantAction,
        merkle,
        statement::{Access, Authority, Claim, Cohort, Record},
        testing::{
            access_fixture, authority_for, claim::claim_fixture, cohort::cohort_fixture,
            record_fixture,
        },
    },
    prover::{
        prove_batch, prove_batch_statement, prove_statement, prove_statement_profiled, BatchSplit,
        LoadedKeys, ParamsDir, Proof, ProofProfile, ProverError, Statement, DEFAULT_BATCH_SPLIT,
    },
};

/// Production grants-tree depth.
const DEPTH: usize = merkle::DEFAULT_TREE_DEPTH;
/// Batch sizes for the throughput benchmark.
const BATCH_SIZES: [usize; 4] = [1, 2, 8, 32];
/// Proofs per batch in the Record, Claim and Cohort throughput benchmark.
const RECORDS_BATCH: usize = 8;
/// Profiled proofs whose per-phase medians are printed.
const PROFILE_RUNS: usize = 15;
/// A fixed setup time for the manifest.
const SETUP_TIME: u64 = 1_750_000_000;

struct Setup {
    _dir: tempfile::TempDir,
    params: ParamsDir,
    access: LoadedKeys,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let params = ParamsDir::setup(dir.path(), DEPTH, SETUP_TIME, &mut StdRng::seed_from_u64(0))
        .expect("setup");
    let access = params.load(Statement::Access).expect("load");
    Setup {
        _dir: dir,
        params,
        access,
    }
}

fn statements(n: usize, seed: u64) -> Vec<(AccessPublic, AccessPrivate)> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let f = access_fixture(&mut rng, DEPTH);
            (f.public, f.private)
        })
        .collect()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// Prints the per-phase medians of [`PROFILE_RUNS`] profiled proofs.
fn print_profile(keys: &LoadedKeys) {
    let (public, private) = statements(1, 9).remove(0);
    let mut rng = StdRng::seed_from_u64(10);
    let runs: Vec<ProofProfile> = (0..PROFILE_RUNS)
        .map(|_| {
            prove_statement_profiled::<Access>(keys, &public, &private, &mut rng)
                .expect("prove")
                .1
        })
        .collect();
    let pick = |f: fn(&ProofProfile) -> Duration| median(runs.iter().map(f).collect());
    let split = ProofProfile {
        check: pick(|p| p.check),
        witness: pick(|p| p.witness),
        synthesis: pick(|p| p.synthesis),
        qap: pick(|p| p.qap),
        msm_a: pick(|p| p.msm_a),
        msm_b_g1: pick(|p| p.msm_b_g1),
        msm_b_g2: pick(|p| p.msm_b_g2),
        msm_h: pick(|p| p.msm_h),
        msm_l: pick(|p| p.msm_l),
        total: pick(|p| p.total),
    };
    println!(
        "Access prove at depth {DEPTH}, {} constraints: per-phase medians of {PROFILE_RUNS} \
         profiled proofs (phases run one after another)\n{split}",
        keys.matrices.num_constraints
    );
}

fn bench_single(c: &mut Criterion, s: &Setup) {
    print_profile(&s.access);
    let (public, private) = statements(1, 3).remove(0);
    let mut rng = StdRng::seed_from_u64(4);
    let keys = &s.access;
    let m = &keys.matrices;
    let mut group = c.benchmark_group("prove_access");
    group.sample_size(20);
    group.bench_function(BenchmarkId::new("ark_groth16_prove", DEPTH), |b| {
        b.iter(|| {
            Groth16::<Bn254>::prove(&keys.pk, AccessCircuit::new(&public, &private), &mut rng)
                .expect("prove")
        })
    });
    group.bench_function(
        BenchmarkId::new("ark_groth16_cached_matrices", DEPTH),
        |b| {
            b.iter(|| {
                let full = m
                    .assignment(AccessCircuit::new(&public, &private))
                    .expect("assignment");
                let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
                Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
                    &keys.pk,
                    r,
                    s,
                    &m.matrices,
                    m.num_inputs,
                    m.num_constraints,
                    &full,
                )
                .expect("prove")
            })
        },
    );
    group.bench_function(BenchmarkId::new("zkconsent", DEPTH), |b| {
        b.iter(|| prove_statement::<Access>(keys, &public, &private, &mut rng).expect("prove"))
    });
    group.finish();

    let full = m
        .assignment(AccessCircuit::new(&public, &private))
        .expect("assignment");
    let mut group = c.benchmark_group("qap");
    group.bench_function(BenchmarkId::new("ark_groth16_libsnark", DEPTH), |b| {
        b.iter(|| {
            LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
                &m.matrices,
                m.num_inputs,
                m.num_constraints,
                &full,
            )
            .expect("qap")
        })
    });
    group.bench_function(BenchmarkId::new("zkconsent", DEPTH), |b| {
        b.iter(|| zkconsent::prover::qap::quotient(m, &full).expect("qap"))
    });
    group.finish();

    let authority = s.params.load(Statement::Authority).expect("load");
    let f = access_fixture(&mut rng, DEPTH);
    let (auth_public, auth_private) = authority_for(&f, GrantAction::Issue);
    let mut group = c.benchmark_group("prove_authority");
    group.sample_size(20);
    group.bench_function("zkconsent", |b| {
        b.iter(|| {
            prove_statement::<Authority>(&authority, &auth_public, &auth_private, &mut rng)
                .expect("ok")
        })
    });
    group.finish();
}

/// One proof of each records statement at the production depth.
fn bench_statements(c: &mut Criterion, s: &Setup) {
    let mut rng = StdRng::seed_from_u64(6);
    let mut group = c.benchmark_group("prove_statement");
    group.sample_size(20);
    let keys = s.params.load(Statement::Record).expect("load");
    let f = record_fixture(&mut rng, DEPTH);
    group.bench_function(BenchmarkId::new("record", DEPTH), |b| {
        b.iter(|| prove_statement::<Record>(&keys, &f.public, &f.private, &mut rng).expect("prove"))
    });
    let keys = s.params.load(Statement::Claim).expect("load");
    let f = claim_fixture(&mut rng, DEPTH);
    group.bench_function(BenchmarkId::new("claim", DEPTH), |b| {
        b.iter(|| prove_statement::<Claim>(&keys, &f.public, &f.private, &mut rng).expect("prove"))
    });
    let keys = s.params.load(Statement::Cohort).expect("load");
    let f = cohort_fixture(&mut rng, DEPTH);
    group.bench_function(BenchmarkId::new("cohort", DEPTH), |b| {
        b.iter(|| prove_statement::<Cohort>(&keys, &f.public, &f.private, &mut rng).expect("prove"))
    });
    group.finish();
}

fn bench_batch(c: &mut Criterion, s: &Setup) {
    let all = statements(*BATCH_SIZES.iter().max().unwrap_or(&1), 5);
    let mut group = c.benchmark_group("batch_access");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    for n in BATCH_SIZES {
        group.throughput(Throughput::Elements(n as u64));
        for (name, split) in [
            ("within_proofs", BatchSplit::WithinProofs),
            ("across_proofs", BatchSplit::AcrossProofs),
        ] {
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
                b.iter(|| {
                    let proofs =
                        prove_batch_statement::<Access>(&s.access, &all[..n], split, &|_| {});
                    assert!(proofs.iter().all(Result::is_ok));
                })
            });
        }
    }
    group.finish();
}

/// Resident memory of this process, from /proc (Linux); 0 elsewhere.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Proving-key load (SHA-256 against the manifest, constraint matrices, unchecked decode) of
/// every statement, with the resident memory each loaded key adds.
fn bench_key_load(c: &mut Criterion, s: &Setup) {
    let mut group = c.benchmark_group("key_load");
    group.sample_size(10);
    for statement in Statement::ALL {
        let before = rss_kib();
        let keys = s.params.load(statement).expect("load");
        let after = rss_kib();
        let file = s.params.dir().join(format!("{}.pk", statement.name()));
        let pk_bytes = std::fs::metadata(file).map_or(0, |m| m.len());
        println!(
            "{} proving key at depth {DEPTH}: {:.1} MiB on disk; loading it grew resident \
             memory by {:.1} MiB",
            statement.name(),
            pk_bytes as f64 / (1 << 20) as f64,
            after.saturating_sub(before) as f64 / 1024.0
        );
        drop(keys);
        group.bench_function(BenchmarkId::new(statement.name(), DEPTH), |b| {
            b.iter(|| s.params.load(statement).expect("load"))
        });
    }
    group.finish();
}

/// Throughput of the records statements: a batch of [`RECORDS_BATCH`] proofs with the
/// default split (Access has the full sweep in `batch_access`).
fn bench_batch_statements(c: &mut Criterion, s: &Setup) {
    let mut rng = StdRng::seed_from_u64(8);
    let mut group = c.benchmark_group("batch_statement");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(RECORDS_BATCH as u64));

    let batch: Vec<_> = std::iter::repeat_with(|| record_fixture(&mut rng, DEPTH))
        .take(RECORDS_BATCH)
        .map(|f| (f.public, f.private))
        .collect();
    bench_one_batch(&mut group, s, Statement::Record, &batch, |k, (p, w), r| {
        prove_statement::<Record>(k, p, w, r)
    });
    let batch: Vec<_> = std::iter::repeat_with(|| claim_fixture(&mut rng, DEPTH))
        .take(RECORDS_BATCH)
        .map(|f| (f.public, f.private))
        .collect();
    bench_one_batch(&mut group, s, Statement::Claim, &batch, |k, (p, w), r| {
        prove_statement::<Claim>(k, p, w, r)
    });
    let batch: Vec<_> = std::iter::repeat_with(|| cohort_fixture(&mut rng, DEPTH))
        .take(RECORDS_BATCH)
        .map(|f| (f.public, f.private))
        .collect();
    bench_one_batch(&mut group, s, Statement::Cohort, &batch, |k, (p, w), r| {
        prove_statement::<Cohort>(k, p, w, r)
    });
    group.finish();
}

/// One `batch_statement` case: `batch` proved with `statement`'s keys by `prove_one`.
fn bench_one_batch<S: Sync>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    s: &Setup,
    statement: Statement,
    batch: &[S],
    prove_one: impl Fn(&LoadedKeys, &S, &mut StdRng) -> Result<Proof, ProverError> + Sync,
) {
    let keys = s.params.load(statement).expect("load");
    group.bench_function(BenchmarkId::new(statement.name(), batch.len()), |b| {
        b.iter(|| {
            let proofs = prove_batch(&keys, batch, DEFAULT_BATCH_SPLIT, &|_| {}, &prove_one);
            assert!(proofs.iter().all(Result::is_ok));
        })
    });
}

fn benches(c: &mut Criterion) {
    let s = setup();
    bench_key_load(c, &s);
    bench_single(c, &s);
    bench_statements(c, &s);
    bench_batch(c, &s);
    bench_batch_statements(c, &s);
}

criterion_group!(prover, benches);
criterion_main!(prover);
