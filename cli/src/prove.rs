//! `zkconsent prove access`: one proof (optionally profiled), or a batch from JSON Lines
//! proved in parallel with one key load.

use super::{
    context::{open, read_request, refused},
    output::{say, Out},
    Cli, Failure, ProveAccessArgs,
};
use ark_bn254::Fr;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{rngs::StdRng, SeedableRng};
use serde::Deserialize;
use serde_json::json;
use std::{path::Path, time::Instant};
use zkconsent::{
    circuits::types::Timestamp,
    files::read_limited,
    home::{access_proof_file, proof_file, AccessRequest},
    prover::{
        prove_access, prove_access_profiled, prove_batch_access, LoadedKeys, Proof, ProverError,
        DEFAULT_BATCH_SPLIT,
    },
    statements::Terms,
    unix_now,
};

/// Largest `--batch` file read.
const MAX_BATCH_BYTES: usize = 16 << 20;

/// One line of a `--batch` file: the flags of a single `prove access`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine {
    grant: u64,
    request: String,
    now: Option<u64>,
}

/// What to prove for the Access request file at `path`, under grant `grant`, at `now`.
fn access_request(grant: u64, path: &Path, now: Option<u64>) -> Result<AccessRequest, Failure> {
    let asked = read_request(path)?;
    let Terms::Access(terms) = &asked.terms else {
        return Err(Failure::malformed(format!(
            "{}: a request for {}, not access",
            path.display(),
            asked.statement().name()
        )));
    };
    Ok(terms.prove_request(
        grant,
        asked.verifier,
        asked.nonce(),
        now.map(Timestamp).unwrap_or_else(unix_now),
    ))
}

pub fn access(cli: &Cli, args: &ProveAccessArgs, out: &mut Out) -> Result<(), Failure> {
    match &args.batch {
        Some(file) => batch(cli, file, args.out_dir.as_deref(), out),
        None => single(cli, args, out),
    }
}

fn single(cli: &Cli, args: &ProveAccessArgs, out: &mut Out) -> Result<(), Failure> {
    let missing = |flag: &str| Failure::malformed(format!("--{flag} is required"));
    let request = access_request(
        args.grant.ok_or_else(|| missing("grant"))?,
        args.request.as_deref().ok_or_else(|| missing("request"))?,
        args.now,
    )?;
    let home = open(cli)?;
    let load_start = Instant::now();
    let keys = home.access_keys().map_err(Failure::malformed)?;
    let load_ms = load_start.elapsed().as_secs_f64() * 1e3;
    let (public, private) = home.access_statement(&request).map_err(refused)?;
    let mut rng = StdRng::from_entropy();
    let start = Instant::now();
    let (proof, profile) = if args.profile {
        let (proof, profile) = prove_access_profiled(&keys, &public, &private, &mut rng)
            .map_err(|e| refused(e.into()))?;
        (proof, Some(profile))
    } else {
        let proof =
            prove_access(&keys, &public, &private, &mut rng).map_err(|e| refused(e.into()))?;
        (proof, None)
    };
    let millis = start.elapsed().as_secs_f64() * 1e3;
    let file = access_proof_file(&keys, &public, &proof).map_err(refused)?;
    let peak_mib = peak_memory_kib().map(|k| k as f64 / 1024.0);
    if let (Some(p), false) = (&profile, out.is_json()) {
        eprintln!("{p}");
        eprintln!(
            "{:<12} {load_ms:>9.2} ms (hash check, matrices, decode)",
            "key load"
        );
        if let Some(peak) = peak_mib {
            eprintln!("{:<12} {peak:>9.1} MiB (whole process)", "peak memory");
        }
    }
    let profile_json = profile.map(|p| {
        p.phases()
            .iter()
            .map(|(name, d)| (name.to_string(), json!(d.as_secs_f64() * 1e3)))
            .chain([
                ("total".to_string(), json!(p.total.as_secs_f64() * 1e3)),
                ("prover_over_msm".to_string(), json!(p.floor_ratio())),
                ("key_load".to_string(), json!(load_ms)),
                ("peak_memory_mib".to_string(), json!(peak_mib)),
            ])
            .collect::<serde_json::Map<_, _>>()
    });
    let json_text = file.to_json();
    match &args.out {
        Some(path) => {
            write_file(path, &json_text)?;
            out.result(
                &format!("proof written to {} ({millis:.0} ms)", path.display()),
                json!({ "ok": true, "out": path.display().to_string(), "ms": millis, "profile": profile_json }),
            );
        }
        None => say(&json_text),
    }
    Ok(())
}

/// Peak resident memory of this process (Linux `VmHWM`).
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| Failure::malformed(format!("{}: {e}", path.display())))
}

/// A JSON object from key-value pairs.
pub(crate) fn json_map<const N: usize>(
    pairs: [(&str, serde_json::Value); N],
) -> serde_json::Map<String, serde_json::Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Proves with `prove` (timed), then writes the proof file to `path` and reports `summary`
/// (and `result`, with `ok`, `out` and `ms` added, as JSON), or prints the proof JSON when no
/// path is given. The Record, Claim and Cohort commands end here.
pub(crate) fn prove_and_emit(
    out: &mut Out,
    keys: &LoadedKeys,
    inputs: &[Fr],
    path: Option<&Path>,
    summary: &str,
    mut result: serde_json::Map<String, serde_json::Value>,
    prove: impl FnOnce(&mut StdRng) -> Result<Proof, ProverError>,
) -> Result<(), Failure> {
    let start = Instant::now();
    let proof = prove(&mut StdRng::from_entropy()).map_err(|e| refused(e.into()))?;
    let millis = start.elapsed().as_secs_f64() * 1e3;
    let json_text = proof_file(keys, inputs, &proof).map_err(refused)?.to_json();
    let Some(path) = path else {
        say(json_text);
        return Ok(());
    };
    write_file(path, &json_text)?;
    result.insert("ok".into(), json!(true));
    result.insert("out".into(), json!(path.display().to_string()));
    result.insert("ms".into(), json!(millis));
    out.result(
        &format!("{summary} ({millis:.0} ms) written to {}", path.display()),
        serde_json::Value::Object(result),
    );
    Ok(())
}

/// Reads and checks every line before proving anything: a malformed file proves nothing.
fn read_batch(file: &Path) -> Result<Vec<(usize, AccessRequest)>, Failure> {
    let bytes = read_limited(file, MAX_BATCH_BYTES).map_err(Failure::malformed)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Failure::malformed(format!("{}: {e}", file.display())))?;
    let mut requests = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let at = |e: String| Failure::malformed(format!("{}:{number}: {e}", file.display()));
        let l: BatchLine = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
        let request =
            access_request(l.grant, Path::new(&l.request), l.now).map_err(|f| at(f.to_string()))?;
        requests.push((number, request));
    }
    if requests.is_empty() {
        return Err(Failure::malformed(format!(
            "{}: no requests",
            file.display()
        )));
    }
    Ok(requests)
}

fn progress_bar(len: usize, out: &Out) -> ProgressBar {
    if out.is_json() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} proofs  {per_sec}  eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn batch(cli: &Cli, file: &Path, out_dir: Option<&Path>, out: &mut Out) -> Result<(), Failure> {
    let out_dir = out_dir.ok_or_else(|| Failure::malformed("--batch needs --out-dir"))?;
    let requests = read_batch(file)?;
    let home = open(cli)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Failure::malformed(format!("{}: {e}", out_dir.display())))?;
    let keys = home.access_keys().map_err(Failure::malformed)?;

    // Gather statements from the databases first; prove away from them, in parallel.
    let mut failures = Vec::new();
    let mut lines = Vec::new();
    let mut statements = Vec::new();
    for (line, request) in &requests {
        match home.access_statement(request) {
            Ok(statement) => {
                lines.push(*line);
                statements.push(statement);
            }
            Err(e) => failures.push((*line, e.to_string())),
        }
    }
    let bar = progress_bar(statements.len(), out);
    let start = Instant::now();
    let proofs = prove_batch_access(&keys, &statements, DEFAULT_BATCH_SPLIT, &|_| bar.inc(1));
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let mut written = 0usize;
    for ((line, (public, _)), proof) in lines.iter().zip(&statements).zip(proofs) {
        let result = proof
            .map_err(|e| e.to_string())
            .and_then(|p| access_proof_file(&keys, public, &p).map_err(|e| e.to_string()));
        match result {
            Ok(file) => {
                write_file(&out_dir.join(format!("{line}.proof.json")), &file.to_json())?;
                written += 1;
            }
            Err(e) => failures.push((*line, e)),
        }
    }
    failures.sort();
    let rate = written as f64 / seconds.max(f64::MIN_POSITIVE);
    if !out.is_json() {
        for (line, e) in &failures {
            eprintln!("zkconsent: {}:{line}: {e}", file.display());
        }
    }
    out.result(
        &format!(
            "{written} of {} proofs in {seconds:.2} s ({rate:.1} proofs/s), written to {}",
            requests.len(),
            out_dir.display()
        ),
        json!({
            "ok": failures.is_empty(),
            "proofs": written,
            "requests": requests.len(),
            "seconds": seconds,
            "proofs_per_second": rate,
            "out_dir": out_dir.display().to_string(),
            "failed": failures.iter().map(|(line, e)| json!({"line": line, "error": e})).collect::<Vec<_>>(),
        }),
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "{} of {} requests gave no proof",
            failures.len(),
            requests.len()
        )))
    }
}
