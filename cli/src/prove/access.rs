//! `zkconsent prove access`: one proof (optionally profiled), or a batch from JSON Lines
//! proved in parallel with one key load.

use super::{json_map, prove_and_emit, write_file, Emit, LoadTimed};
use crate::{
    context::{open, read_request, refused},
    output::Out,
    Cli, Failure, ProveAccessArgs,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::json;
use std::{path::Path, time::Instant};
use zkconsent::{
    circuits::{statement::Access, types::Timestamp},
    files::read_limited,
    prover::{prove_batch_statement, Statement, DEFAULT_BATCH_SPLIT},
    statements::access::{access_proof_file, AccessRequest},
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

pub fn run(cli: &Cli, args: &ProveAccessArgs, out: &mut Out) -> Result<(), Failure> {
    match &args.batch {
        Some(file) => batch(cli, file, args.out_dir.as_deref(), out),
        None => single(cli, args, out),
    }
}

fn single(cli: &Cli, args: &ProveAccessArgs, out: &mut Out) -> Result<(), Failure> {
    let missing = |flag: &str| Failure::malformed(format!("--{flag} is required"));
    let grant = args.grant.ok_or_else(|| missing("grant"))?;
    let request = access_request(
        grant,
        args.request.as_deref().ok_or_else(|| missing("request"))?,
        args.now,
    )?;
    let home = open(cli)?;
    let keys = LoadTimed::load(&home, Statement::Access)?;
    let (public, private) = home.access_statement(&request).map_err(refused)?;
    prove_and_emit::<Access>(
        out,
        &keys,
        &public,
        &private,
        Emit {
            path: args.out.as_deref(),
            summary: &format!("access proof under grant {grant}"),
            result: json_map([("grant", json!(grant))]),
            profile: args.profile,
        },
    )
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
    let keys = home.keys(Statement::Access).map_err(Failure::malformed)?;

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
    let proofs =
        prove_batch_statement::<Access>(&keys, &statements, DEFAULT_BATCH_SPLIT, &|_| bar.inc(1));
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
