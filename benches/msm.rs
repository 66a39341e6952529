//! Criterion benchmarks of zkconsent's MSM against ark-ec's `msm_bigint` (both on rayon), for
//! BN254 G1 at 2^13..2^16 points and G2 at 2^13 and 2^14, with uniform scalars and with
//! witness-like ones (half 0 or 1, a quarter u64-sized, a quarter uniform), the mix a Groth16
//! witness gives its A/B/L MSMs.
//!
//! Besides criterion's report, each case prints the median of a few interleaved runs of both
//! implementations and their ratio: interleaving keeps the ratio fair when other processes
//! share the cores.
//!
//! Each size also runs zkconsent's [`FixedBaseTable`] (precomputed window multiples of the
//! bases, for a prover that keeps its key in memory): its build time and memory are printed,
//! and its MSM is timed against the plain one.
//!
//! Run: `cargo bench -p zkconsent --bench msm`.

use ark_bn254::Fr;
use ark_ec::{
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    VariableBaseMSM,
};
use ark_ff::{PrimeField, UniformRand};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::time::{Duration, Instant};
use zkconsent::prover::{
    msm::{self, FixedBaseTable, ScalarBigInt},
    testing::distinct_points,
};

/// G1 sizes, as powers of two.
const G1_LOG_SIZES: [u32; 4] = [13, 14, 15, 16];
/// G2 sizes, as powers of two.
const G2_LOG_SIZES: [u32; 2] = [13, 14];
/// Interleaved runs of each implementation for the printed ratio.
const RATIO_RUNS: usize = 9;
/// Criterion's per-benchmark measuring time.
const MEASUREMENT: Duration = Duration::from_secs(3);
/// Seed of the bases and scalars, fixed so runs compare.
const SEED: u64 = 0x6d73_6d00;
/// Criterion's per-benchmark warm-up.
const WARM_UP: Duration = Duration::from_millis(500);

#[derive(Clone, Copy)]
enum Distribution {
    Uniform,
    WitnessLike,
}

impl Distribution {
    fn name(self) -> &'static str {
        match self {
            Distribution::Uniform => "uniform",
            Distribution::WitnessLike => "witness",
        }
    }

    fn scalars(self, n: usize, rng: &mut ChaCha20Rng) -> Vec<ScalarBigInt> {
        (0..n)
            .map(|_| match self {
                Distribution::Uniform => Fr::rand(rng),
                Distribution::WitnessLike => match rng.gen_range(0..4) {
                    0 => Fr::from(rng.gen::<bool>()),
                    1 => Fr::from(rng.gen::<bool>()),
                    2 => Fr::from(rng.gen::<u64>()),
                    _ => Fr::rand(rng),
                },
            })
            .map(|s| s.into_bigint())
            .collect()
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Prints the interleaved medians of `ours` and `theirs` (named `names`) and the speed-up.
fn print_ratio<T: PartialEq + std::fmt::Debug>(
    label: &str,
    names: (&str, &str),
    ours: impl Fn() -> T,
    theirs: impl Fn() -> T,
) {
    assert_eq!(ours(), theirs(), "{label}: results differ");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..RATIO_RUNS {
        let t = Instant::now();
        std::hint::black_box(theirs());
        a.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(ours());
        b.push(t.elapsed());
    }
    let (a, b) = (median(a), median(b));
    println!(
        "{label}: {} {:.2} ms, {} {:.2} ms, speed-up {:.2}x",
        names.1,
        a.as_secs_f64() * 1e3,
        names.0,
        b.as_secs_f64() * 1e3,
        a.as_secs_f64() / b.as_secs_f64()
    );
}

fn bench_curve<P: SWCurveConfig<ScalarField = Fr>>(
    c: &mut Criterion,
    group_name: &str,
    log_sizes: &[u32],
    ours: fn(&[Affine<P>], &[ScalarBigInt]) -> Projective<P>,
) where
    Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
{
    let mut rng = ChaCha20Rng::seed_from_u64(SEED);
    let max = 1usize << log_sizes.iter().copied().max().unwrap_or(0);
    let bases = distinct_points::<P>(max, &mut rng);
    let mut group = c.benchmark_group(group_name);
    group
        .sample_size(10)
        .measurement_time(MEASUREMENT)
        .warm_up_time(WARM_UP);
    for &log in log_sizes {
        let n = 1usize << log;
        let start = Instant::now();
        let table = FixedBaseTable::new(&bases[..n]);
        println!(
            "{group_name} 2^{log}: window table ({} bits) built in {:.0} ms, {:.1} MiB",
            table.window_bits(),
            start.elapsed().as_secs_f64() * 1e3,
            table.memory_bytes() as f64 / (1u64 << 20) as f64
        );
        for dist in [Distribution::Uniform, Distribution::WitnessLike] {
            let scalars = dist.scalars(n, &mut rng);
            let bases = &bases[..n];
            let param = format!("2^{log}/{}", dist.name());
            print_ratio(
                &format!("{group_name} {param}"),
                ("zkconsent", "ark-ec"),
                || ours(bases, &scalars),
                || Projective::<P>::msm_bigint(bases, &scalars),
            );
            print_ratio(
                &format!("{group_name} {param}"),
                ("zkconsent window table", "zkconsent"),
                || table.msm(&scalars),
                || ours(bases, &scalars),
            );
            group.bench_with_input(BenchmarkId::new("ark_ec", &param), &(), |b, _| {
                b.iter(|| Projective::<P>::msm_bigint(bases, &scalars))
            });
            group.bench_with_input(BenchmarkId::new("zkconsent", &param), &(), |b, _| {
                b.iter(|| ours(bases, &scalars))
            });
            group.bench_with_input(BenchmarkId::new("zkconsent_table", &param), &(), |b, _| {
                b.iter(|| table.msm(&scalars))
            });
        }
    }
    group.finish();
}

fn msm_g1(c: &mut Criterion) {
    bench_curve::<ark_bn254::g1::Config>(c, "msm_g1", &G1_LOG_SIZES, msm::msm_g1);
}

fn msm_g2(c: &mut Criterion) {
    bench_curve::<ark_bn254::g2::Config>(c, "msm_g2", &G2_LOG_SIZES, msm::msm_g2);
}

criterion_group!(benches, msm_g1, msm_g2);
criterion_main!(benches);
