//! `prove … --batch FILE --out-dir DIR` for every statement: JSON Lines, one proof per line,
//! every line read and checked before anything is proved (a malformed line is exit 2 and
//! proves nothing), statements gathered from the home one after another, then proved in
//! parallel with one key load; a false statement fails alone (exit 1, named by its line).

use super::{write_file, ProveCommand};
use crate::{context::open, output::Out, Cli, Failure};
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::{path::Path, time::Instant};
use zkconsent::{
    circuits::statement::{PublicInputs, Statement as StatementType},
    files::{
        batch::{parse_lines, BatchError, MAX_BATCH_BYTES},
        read_limited,
    },
    home::proof_file,
    prover::{prove_batch_statement, DEFAULT_BATCH_SPLIT},
};

/// Runs a batch of command `C` from `file` into `out_dir`.
pub(crate) fn run<C: ProveCommand>(
    cli: &Cli,
    file: &Path,
    out_dir: Option<&Path>,
    out: &mut Out,
) -> Result<(), Failure> {
    let out_dir = out_dir.ok_or_else(|| Failure::malformed("--batch needs --out-dir"))?;
    let lines = read_lines(file, &C::prepare)?;
    let home = open(cli)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Failure::malformed(format!("{}: {e}", out_dir.display())))?;
    let keys = home
        .keys(<C::S as StatementType>::KIND)
        .map_err(Failure::malformed)?;

    // Gather statements from the databases first; prove away from them, in parallel.
    let mut failures = Vec::new();
    let mut numbers = Vec::new();
    let mut statements = Vec::new();
    for (line, prepared) in &lines {
        match C::gather(&home, prepared) {
            Ok(statement) => {
                numbers.push(*line);
                statements.push(statement);
            }
            Err(e) => failures.push((*line, e.to_string())),
        }
    }
    let bar = progress_bar(statements.len(), out);
    let start = Instant::now();
    let proofs =
        prove_batch_statement::<C::S>(&keys, &statements, DEFAULT_BATCH_SPLIT, &|_| bar.inc(1));
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let mut written = 0usize;
    for ((line, (public, _)), proof) in numbers.iter().zip(&statements).zip(proofs) {
        let result = proof.map_err(|e| e.to_string()).and_then(|p| {
            proof_file(&keys, &public.to_field_elements(), &p).map_err(|e| e.to_string())
        });
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
            lines.len(),
            out_dir.display()
        ),
        json!({
            "ok": failures.is_empty(),
            "statement": <C::S as StatementType>::NAME,
            "proofs": written,
            "requests": lines.len(),
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
            lines.len()
        )))
    }
}

/// Reads and prepares every line before proving anything: a malformed file proves nothing.
fn read_lines<L: DeserializeOwned, P>(
    file: &Path,
    prepare: &dyn Fn(L) -> Result<P, Failure>,
) -> Result<Vec<(usize, P)>, Failure> {
    let bytes = read_limited(file, MAX_BATCH_BYTES).map_err(Failure::malformed)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Failure::malformed(format!("{}: {e}", file.display())))?;
    let lines = parse_lines::<L>(&text).map_err(|e| match e {
        BatchError::Line { line, reason } => {
            Failure::malformed(format!("{}:{line}: {reason}", file.display()))
        }
        BatchError::Empty => Failure::malformed(format!("{}: no requests", file.display())),
    })?;
    lines
        .into_iter()
        .map(|(number, line)| {
            prepare(line)
                .map(|prepared| (number, prepared))
                .map_err(|f| Failure::malformed(format!("{}:{number}: {f}", file.display())))
        })
        .collect()
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
