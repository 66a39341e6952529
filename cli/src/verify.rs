//! `zkconsent verify`: a proof against the request it answers (every public input checked),
//! or without one (the command names what it could not check, and never consumes).

use crate::{
    context::{open_public, read_request},
    output::Out,
    Cli, Failure, VerifyArgs,
};
use serde_json::json;
use zkconsent::{
    circuits::{statement::InputRole, types::Timestamp},
    files::proof::MAX_PROOF_FILE_BYTES,
    files::read_limited,
    home::Home,
    prover::Statement,
    registry::RootPolicy,
    unix_now,
    verifier::fr_to_decimal,
    verify::{answer_request, verify_batch_bytes, verify_proof_bytes, VerifyOptions},
};

pub fn run(cli: &Cli, args: &VerifyArgs, out: &mut Out) -> Result<(), Failure> {
    if args.proofs.len() > 1 && !args.batch {
        return Err(Failure::malformed("several proof files: pass --batch"));
    }
    let mut files = Vec::with_capacity(args.proofs.len());
    for path in &args.proofs {
        files.push(read_limited(path, MAX_PROOF_FILE_BYTES).map_err(Failure::malformed)?);
    }
    let request = args.request.as_deref().map(read_request).transpose()?;
    let statement = match (&request, &args.statement) {
        (Some(r), _) => r.statement(),
        (None, Some(name)) => Statement::from_name(name)
            .ok_or_else(|| Failure::malformed(format!("unknown statement {name:?}")))?,
        (None, None) => Statement::Access,
    };
    let mut home = open_public(cli)?;
    let verifier_now = args.now.map(Timestamp).unwrap_or_else(unix_now);
    let options = VerifyOptions {
        statement,
        policy: RootPolicy {
            max_root_age_secs: args.max_root_age,
            max_clock_skew_secs: args.clock_skew,
        },
        verifier_now,
    };
    let start = std::time::Instant::now();
    if args.batch {
        return verify_batch(&home, &args.proofs, &files, &options, start, out);
    }
    let accepted =
        verify_proof_bytes(&home, &files[0], request.as_ref(), &options).map_err(Failure::from)?;
    if args.consume {
        answer_request(&mut home, &accepted, verifier_now).map_err(Failure::from)?;
    }
    let millis = start.elapsed().as_secs_f64() * 1e3;
    let names = accepted.proof.statement.input_names();
    let inputs: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .zip(&accepted.proof.inputs)
        .map(|(n, x)| (n.to_string(), json!(fr_to_decimal(x))))
        .collect();
    let unchecked = accepted.not_checked();
    let note = if unchecked.is_empty() {
        String::new()
    } else {
        format!(
            "; no request given, so not checked: {} (pass --request)",
            unchecked.join(", ")
        )
    };
    let time = proof_time(accepted.proof.statement, &accepted.proof.inputs);
    let made_for = time.map(|t| format!(", made for {t}")).unwrap_or_default();
    out.result(
        &format!(
            "valid: {} proof accepted{made_for}{note}",
            accepted.proof.statement.name()
        ),
        json!({ "ok": true, "valid": true, "statement": accepted.proof.statement.name(),
                "request_checked": accepted.request_checked(), "consumed": args.consume,
                "not_checked": unchecked, "public_inputs": inputs,
                "time_iso": time.map(|t| t.to_string()), "ms": millis }),
    );
    Ok(())
}

/// The time a proof speaks for (its input of role [`InputRole::Time`]), for people to read;
/// `None` for statements without one (Record, Claim).
fn proof_time(statement: Statement, inputs: &[ark_bn254::Fr]) -> Option<Timestamp> {
    let at = statement
        .input_roles()
        .iter()
        .position(|role| *role == InputRole::Time)?;
    // A verified time is a 64-bit integer (the circuits range-check it).
    fr_to_decimal(inputs.get(at)?).parse().ok().map(Timestamp)
}

fn verify_batch(
    home: &Home,
    paths: &[std::path::PathBuf],
    files: &[Vec<u8>],
    options: &VerifyOptions,
    start: std::time::Instant,
    out: &mut Out,
) -> Result<(), Failure> {
    let results = verify_batch_bytes(home, files, options);
    let millis = start.elapsed().as_secs_f64() * 1e3;
    let mut worst = 0u8;
    let mut lines = Vec::new();
    let mut machine = Vec::new();
    for (path, result) in paths.iter().zip(&results) {
        let (code, verdict) = match result {
            Ok(_) => (0, "valid".to_string()),
            Err(e) => (e.exit_code(), e.to_string()),
        };
        worst = worst.max(code);
        lines.push(format!("{}: {verdict}", path.display()));
        machine.push(json!({ "file": path.display().to_string(), "valid": code == 0, "exit": code, "verdict": verdict }));
    }
    let valid = results.iter().filter(|r| r.is_ok()).count();
    lines.push(format!(
        "{valid} of {} proofs valid ({millis:.1} ms, one multi-pairing)",
        results.len()
    ));
    out.result(
        &lines.join("\n"),
        json!({ "ok": worst == 0, "results": machine, "ms": millis }),
    );
    match worst {
        0 => Ok(()),
        1 => Err(Failure::refused(format!(
            "{} of {} proofs rejected",
            results.len() - valid,
            results.len()
        ))),
        _ => Err(Failure::malformed(format!(
            "{} of {} proofs not accepted (some malformed)",
            results.len() - valid,
            results.len()
        ))),
    }
}
