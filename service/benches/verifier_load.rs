//! Load test of the verifier service: `cargo bench -p zkconsent-service --bench
//! verifier_load`.
//!
//! Builds a temporary home (grants tree of [`DEPTH`]), issues N distinct Access requests and
//! proves each (in parallel), starts the service in-process on a free port, then K client
//! threads (ureq, keep-alive) post every (request, proof) pair once. Reports throughput,
//! p50/p95/p99 latency as the clients saw it, and the batch sizes the service formed (read
//! from its `/metrics`). Clients and service share this machine's cores.
//!
//! Environment: `ZKCONSENT_LOAD_QUICK=1` (or `--quick`) for a CI smoke run with a few
//! proofs; `ZKCONSENT_LOAD_N` (proofs, default [`DEFAULT_N`]), `ZKCONSENT_LOAD_CLIENTS`
//! (default [`DEFAULT_CLIENTS`]), `ZKCONSENT_LOAD_BATCH` (the service's batch limit),
//! `ZKCONSENT_LOAD_CACHE=DIR` (keep the proved home and its proofs in `DIR` and reuse them on
//! the next run with the same N: proving is most of a run's time).

use std::{
    fs,
    net::SocketAddr,
    path::Path,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};
use zkconsent::registry::RootPolicy;
use zkconsent_service::verifier::{fixture, spawn, VerifierConfig};

/// Grants tree depth of the bench home (small: proving time is not what is measured).
const DEPTH: usize = 8;
/// Proofs in a full run.
const DEFAULT_N: usize = 3000;
/// Concurrent clients in a full run.
const DEFAULT_CLIENTS: usize = 48;
/// Proofs and clients in a quick run.
const QUICK_N: usize = 48;
const QUICK_CLIENTS: usize = 4;
/// Proofs are made minutes before they are verified: allow that much clock skew.
const BENCH_CLOCK_SKEW_SECS: u64 = 6 * 3600;
/// Targets of issue 14 (2-core machine).
const TARGET_RATE: f64 = 2000.0;
const TARGET_P99_MS: f64 = 50.0;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var("ZKCONSENT_LOAD_QUICK").is_ok_and(|v| v == "1");
    let n = env_usize("ZKCONSENT_LOAD_N", if quick { QUICK_N } else { DEFAULT_N });
    let clients = env_usize(
        "ZKCONSENT_LOAD_CLIENTS",
        if quick {
            QUICK_CLIENTS
        } else {
            DEFAULT_CLIENTS
        },
    )
    .max(1);
    let batch_max = env_usize("ZKCONSENT_LOAD_BATCH", VerifierConfig::default().batch_max);
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");

    let cache = std::env::var_os("ZKCONSENT_LOAD_CACHE").map(std::path::PathBuf::from);
    let cached_bodies = cache.as_ref().map(|c| c.join(format!("bodies-{n}.json")));
    let bodies: Vec<String> = match (&cache, &cached_bodies) {
        (Some(c), Some(b)) if b.exists() => {
            eprintln!("verifier_load: {n} proofs from the cache {}", c.display());
            copy_dir(&c.join(format!("home-{n}")), &home)?;
            serde_json::from_slice(&fs::read(b)?)?
        }
        _ => {
            let bodies = prove(&home, n)?;
            if let (Some(c), Some(b)) = (&cache, &cached_bodies) {
                copy_dir(&home, &c.join(format!("home-{n}")))?;
                fs::write(b, serde_json::to_vec(&bodies)?)?;
            }
            bodies
        }
    };

    let config = VerifierConfig {
        batch_max,
        policy: RootPolicy {
            max_clock_skew_secs: BENCH_CLOCK_SKEW_SECS,
            ..RootPolicy::default()
        },
        ..VerifierConfig::default()
    };
    let service = spawn(&home, SocketAddr::from(([127, 0, 0, 1], 0)), config)?;
    let url = format!("{}/v1/verify", service.url());

    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(n));
    let failures = AtomicUsize::new(0);
    let first_failure = Mutex::new(None::<String>);
    let cpu_start = process_cpu_secs();
    let run_start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let t = Instant::now();
                    let outcome = agent
                        .post(&url)
                        .header("content-type", "application/json")
                        .send(body.as_bytes())
                        .map_err(|e| e.to_string())
                        .and_then(|mut r| {
                            let status = r.status().as_u16();
                            let text = r.body_mut().read_to_string().map_err(|e| e.to_string())?;
                            if status == 200 {
                                Ok(())
                            } else {
                                Err(format!("{status}: {text}"))
                            }
                        });
                    mine.push(t.elapsed());
                    if let Err(e) = outcome {
                        failures.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut first) = first_failure.lock() {
                            first.get_or_insert(e);
                        }
                    }
                }
                if let Ok(mut all) = latencies.lock() {
                    all.extend(mine);
                }
            });
        }
    });
    let wall = run_start.elapsed().as_secs_f64();
    let cpu = process_cpu_secs()
        .zip(cpu_start)
        .map(|(end, start)| end - start);

    let metrics = ureq::get(&format!("{}/metrics", service.url()))
        .call()?
        .body_mut()
        .read_to_string()?;
    service.stop()?;

    let mut latencies = latencies.into_inner().unwrap_or_default();
    latencies.sort_unstable();
    let rate = n as f64 / wall;
    let (p50, p95, p99) = (
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0),
    );
    let failed = failures.load(Ordering::Relaxed);
    println!(
        "verifier_load: {n} Access verifications, {clients} clients, batch limit {batch_max}, {} cores",
        std::thread::available_parallelism().map_or(0, |p| p.get())
    );
    println!("  throughput  {rate:.0} verifications/s ({wall:.2} s)");
    println!("  latency     p50 {p50:.1} ms, p95 {p95:.1} ms, p99 {p99:.1} ms");
    if let Some(cpu) = cpu {
        let cores = std::thread::available_parallelism().map_or(1, |p| p.get()) as f64;
        println!(
            "  cpu         {:.2} core-s of {:.2} available ({:.0}% busy), {:.2} ms per verification, clients included",
            cpu,
            wall * cores,
            100.0 * cpu / (wall * cores),
            1e3 * cpu / n as f64
        );
    }
    println!("  failures    {failed}");
    if let Some(first) = first_failure.into_inner().ok().flatten() {
        println!("  first failure: {first}");
    }
    print_batches(&metrics);
    let phases: Vec<&str> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix("zkconsent_verifier_worker_seconds_total"))
        .collect();
    println!("  worker time {}", phases.join(", "));
    if !quick {
        let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
        println!(
            "  targets     >= {TARGET_RATE:.0}/s {}; p99 < {TARGET_P99_MS:.0} ms {}",
            verdict(rate >= TARGET_RATE),
            verdict(p99 < TARGET_P99_MS)
        );
    }
    if failed > 0 {
        return Err(format!("{failed} of {n} verifications were not accepted").into());
    }
    Ok(())
}

/// Makes the fixture home at `home` with `n` Access proofs; returns the bodies to post.
fn prove(home: &Path, n: usize) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    eprintln!("verifier_load: setup (depth {DEPTH}) and {n} Access proofs …");
    let start = Instant::now();
    let done = AtomicUsize::new(0);
    let step = (n / 10).max(1);
    let pairs = fixture::access_home(home, DEPTH, n, &|_| {
        let k = done.fetch_add(1, Ordering::Relaxed) + 1;
        if k.is_multiple_of(step) {
            eprintln!("  proved {k}/{n} ({:.0} s)", start.elapsed().as_secs_f64());
        }
    })?;
    eprintln!(
        "  {n} proofs ready in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(pairs
        .iter()
        .map(|p| {
            format!(
                "{{\"request\":{},\"proof\":{}}}",
                String::from_utf8_lossy(&p.request),
                String::from_utf8_lossy(&p.proof)
            )
        })
        .collect())
}

/// CPU time (user + system) this process has used, from `/proc/self/stat` (Linux; `None`
/// elsewhere).
fn process_cpu_secs() -> Option<f64> {
    /// Clock ticks per second of `/proc` times on Linux (`sysconf(_SC_CLK_TCK)`).
    const TICKS_PER_SEC: f64 = 100.0;
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / TICKS_PER_SEC)
}

/// Copies a directory tree (a closed home: no open database).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The batch-size histogram from the service's metrics: count per bucket and the mean.
fn print_batches(metrics: &str) {
    let name = "zkconsent_verifier_batch_size";
    let mut previous = 0u64;
    let mut buckets = Vec::new();
    let (mut sum, mut count) = (0.0f64, 0.0f64);
    for line in metrics.lines() {
        if let Some(rest) = line.strip_prefix(&format!("{name}_bucket{{le=\"")) {
            let Some((le, value)) = rest.split_once("\"} ") else {
                continue;
            };
            let cumulative: u64 = value.trim().parse().unwrap_or(previous);
            if cumulative > previous {
                buckets.push(format!("<={le}: {}", cumulative - previous));
            }
            previous = cumulative;
        } else if let Some(v) = line.strip_prefix(&format!("{name}_sum ")) {
            sum = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = line.strip_prefix(&format!("{name}_count ")) {
            count = v.trim().parse().unwrap_or(0.0);
        }
    }
    println!(
        "  batches     {count:.0} formed, mean size {:.1}; sizes {}",
        sum / count.max(1.0),
        buckets.join(", ")
    );
}
