//! One function per command.

use super::{
    Cli, Command, Failure, GrantCommand, IdentityCommand, ProveCommand, RegistryCommand,
    RequestCommand,
};
use crate::context::{open, refused};
use crate::output::{say, Out};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;
use std::str::FromStr;
use zkconsent::{
    circuits::{calendar::SECONDS_PER_DAY, domain::DomainTag, poseidon, types::Timestamp},
    demo,
    home::Home,
    prover::Statement,
    registry::Role,
    statements::authority::GrantRequest,
    unix_now,
    verifier::{fr_to_decimal, parse_fr_decimal},
    vocab::{describe_purpose, describe_scope, parse_purpose, parse_scope},
};

/// Default grant validity, in days.
const DEFAULT_GRANT_DAYS: u64 = 30;
/// Default grant purpose.
const DEFAULT_PURPOSE: &str = "treatment";

pub fn run(cli: &Cli, out: &mut Out) -> Result<(), Failure> {
    if matches!(cli.command, Command::Demo { .. }) {
        demo_passphrase(out);
    }
    match &cli.command {
        Command::Demo {
            dir,
            depth,
            parties: false,
            chain: false,
        } => run_demo(dir, *depth, out),
        Command::Demo {
            dir,
            depth,
            parties: true,
            ..
        } => super::remote::demo_parties(dir, *depth, out),
        Command::Demo {
            dir,
            depth,
            chain: true,
            ..
        } => super::chain::demo::run(dir, *depth, out),
        Command::Join {
            token_file,
            params,
            chain_key_file,
            solc,
        } => super::remote::join(
            cli,
            &super::remote::JoinArgs {
                token_file: token_file.as_deref(),
                params: params.as_deref(),
                chain_key_file: chain_key_file.as_deref(),
                solc,
            },
            out,
        ),
        Command::Chain(c) => super::chain::run(cli, c, out),
        Command::Sync => super::remote::sync(cli, out),
        Command::Serve(args) => super::serve::run(cli, args, out),
        Command::Setup { depth } => setup(cli, *depth, out),
        Command::Wallet(c) => super::wallet::run(cli, c, out),
        Command::Agent(args) => super::agent::run(cli, args, out),
        Command::Identity(c) => identity(cli, c, out),
        Command::Grant(c) => grant(cli, c, out),
        Command::Record(c) => super::record::run(cli, c, out),
        Command::Request(RequestCommand::New(args)) => super::request::new(cli, args, out),
        Command::Prove(ProveCommand::Access(args)) => super::prove::access::run(cli, args, out),
        Command::Prove(ProveCommand::Record(args)) => super::prove::record::run(cli, args, out),
        Command::Prove(ProveCommand::Claim(args)) => super::prove::claim::run(cli, args, out),
        Command::Prove(ProveCommand::Cohort(args)) => super::prove::cohort::run(cli, args, out),
        Command::Verify(args) => super::verify::run(cli, args, out),
        Command::Poseidon { domain, inputs } => poseidon_cmd(domain.as_deref(), inputs, out),
        Command::Registry(c) => registry(cli, c, out),
        Command::Export(c) => export(cli, c, out),
        Command::VerifySnarkjs(args) => verify_snarkjs(args, out),
    }
}

/// The passphrase demo wallets are sealed under when none is set.
const DEMO_PASSPHRASE: &str = "zkconsent demo passphrase";

/// Seals the demo's wallets under [`DEMO_PASSPHRASE`] unless the user set one; the variable
/// is set for this process (still single-threaded here) and the ones `demo --parties`
/// starts.
fn demo_passphrase(out: &mut Out) {
    use crate::passphrase::{PASSPHRASE_ENV, PASSPHRASE_FILE_ENV};
    if std::env::var_os(PASSPHRASE_ENV).is_none() && std::env::var_os(PASSPHRASE_FILE_ENV).is_none()
    {
        std::env::set_var(PASSPHRASE_ENV, DEMO_PASSPHRASE);
        out.progress(&format!(
            "demo wallets are sealed under the passphrase \"{DEMO_PASSPHRASE}\" (set {PASSPHRASE_ENV} to choose one)"
        ));
    }
}

/// A demo step as the human output shows it: number, outcome, time, title, then its detail.
pub(crate) fn say_demo_step(s: &demo::DemoStep) {
    say(format!(
        "[{:>2}] {:<9} {:>9.1} ms  {}",
        s.number,
        s.outcome.label(),
        s.millis,
        s.title
    ));
    if !s.detail.is_empty() {
        say(format!("               {}", s.detail));
    }
}

fn run_demo(dir: &std::path::Path, depth: usize, out: &mut Out) -> Result<(), Failure> {
    out.progress(&format!(
        "zkconsent demo in {} (tree depth {depth})",
        dir.display()
    ));
    let mut steps = Vec::new();
    let json = out.is_json();
    let result = demo::run(dir, depth, &mut |s| {
        if !json {
            say_demo_step(s);
        }
        steps.push(json!({
            "step": s.number, "title": s.title, "outcome": s.outcome.label(),
            "detail": s.detail, "ms": s.millis,
        }));
    });
    match result {
        Ok(()) => {
            out.result(
                &format!("demo complete: files left in {}", dir.display()),
                json!({ "ok": true, "dir": dir.display().to_string(), "steps": steps }),
            );
            Ok(())
        }
        Err(e) => Err(Failure::refused(format!("demo failed: {e}"))),
    }
}

fn setup(cli: &Cli, depth: usize, out: &mut Out) -> Result<(), Failure> {
    let home = Home::init(&cli.home, depth, unix_now(), &mut StdRng::from_entropy())
        .map_err(Failure::malformed)?;
    let m = home.params.manifest();
    let mut human = format!(
        "set up {} (depth {depth})\nWARNING: single-party setup, for development only: whoever ran it can forge proofs.",
        cli.home.display()
    );
    for k in &m.keys {
        human.push_str(&format!(
            "\n  {:<10} {:>6} constraints  vk sha256 {}",
            k.statement, k.constraints, k.verifying_key_sha256
        ));
    }
    out.result(
        &human,
        json!({ "ok": true, "manifest": serde_json::to_value(m).unwrap_or_default() }),
    );
    Ok(())
}

fn identity(cli: &Cli, command: &IdentityCommand, out: &mut Out) -> Result<(), Failure> {
    let mut home = open(cli)?;
    match command {
        IdentityCommand::New { name, role } => {
            let role = Role::from_str(role).map_err(|_| {
                Failure::malformed(format!(
                    "unknown role {role:?} (patient, clinician, verifier)"
                ))
            })?;
            let id = home
                .create_identity(name, role, &mut StdRng::from_entropy())
                .map_err(refused)?;
            out.result(
                &format!("{name} ({}) id {}", role.as_str(), fr_to_decimal(&id.0)),
                json!({ "ok": true, "name": name, "role": role.as_str(), "id": fr_to_decimal(&id.0) }),
            );
        }
        IdentityCommand::Export(args) => return super::parties::export_card(cli, args, out),
        IdentityCommand::Import(args) => return super::parties::import_card(cli, args, out),
        IdentityCommand::List => {
            let ids = home.registry.identities().map_err(Failure::malformed)?;
            // Which secrets this home holds: in a deployment, only its own party's.
            let mine: std::collections::BTreeSet<String> = home
                .wallet()?
                .identities()
                .map_err(Failure::malformed)?
                .into_iter()
                .map(|i| i.name)
                .collect();
            let human = ids
                .iter()
                .map(|i| {
                    format!(
                        "{:<16} {:<10} {}{}",
                        i.name,
                        i.role.as_str(),
                        fr_to_decimal(&i.id.0),
                        if mine.contains(&i.name) {
                            "  (secret in this wallet)"
                        } else {
                            ""
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let machine: Vec<_> = ids
                .iter()
                .map(|i| {
                    json!({ "name": i.name, "role": i.role.as_str(), "id": fr_to_decimal(&i.id.0),
                            "in_wallet": mine.contains(&i.name) })
                })
                .collect();
            out.result(&human, json!({ "ok": true, "identities": machine }));
        }
    }
    Ok(())
}

fn grant(cli: &Cli, command: &GrantCommand, out: &mut Out) -> Result<(), Failure> {
    let mut home = open(cli)?;
    let mut rng = StdRng::from_entropy();
    match command {
        GrantCommand::Issue {
            patient,
            grantee,
            grantee_card,
            consent,
            scope,
            purpose,
            not_before,
            not_after,
            days,
            out: credential_out,
        } => {
            let now = unix_now();
            let card = grantee_card
                .as_deref()
                .map(|p| super::parties::read_card(&home, p))
                .transpose()?;
            let request = match consent {
                Some(path) => {
                    let terms = super::consent::grant_terms(&home, path, patient)?;
                    GrantRequest {
                        patient: patient.clone(),
                        grantee: terms.grantee,
                        scope: terms.scope,
                        purpose: terms.purpose,
                        not_before: terms.not_before,
                        not_after: terms.not_after,
                    }
                }
                None => {
                    let not_before = Timestamp(not_before.unwrap_or(now.0));
                    let not_after = match (not_after, days) {
                        (Some(t), _) => Timestamp(*t),
                        (None, d) => Timestamp(
                            not_before.0.saturating_add(
                                d.unwrap_or(DEFAULT_GRANT_DAYS)
                                    .saturating_mul(SECONDS_PER_DAY),
                            ),
                        ),
                    };
                    let grantee = match (&card, grantee) {
                        (Some(card), _) => card.name.clone(),
                        (None, Some(name)) => name.clone(),
                        (None, None) => {
                            return Err(Failure::malformed(
                                "name the grantee (--grantee or --grantee-card)",
                            ))
                        }
                    };
                    GrantRequest {
                        patient: patient.clone(),
                        grantee,
                        scope: parse_scope(scope.as_deref().unwrap_or_default())
                            .map_err(Failure::malformed)?,
                        purpose: parse_purpose(purpose.as_deref().unwrap_or(DEFAULT_PURPOSE))
                            .map_err(Failure::malformed)?,
                        not_before,
                        not_after,
                    }
                }
            };
            // The credential's recipient: the card given, or the imported card the Consent names.
            let recipient = match (&card, credential_out) {
                (Some(card), _) => Some(card.clone()),
                (None, Some(_)) => Some(super::parties::imported_card(&home, &request.grantee)?),
                (None, None) => None,
            };
            let (index, g) = home.issue_grant(&request, now, &mut rng).map_err(refused)?;
            if let (Some(card), Some(path)) = (&recipient, credential_out) {
                super::parties::write_credential(&home, index, card, path)?;
            }
            let grantee = &request.grantee;
            out.result(
                &format!(
                    "grant {index}: {patient} -> {grantee}, scope {}, purpose {}, valid from {} to {} (exclusive)",
                    describe_scope(g.scope), describe_purpose(g.purpose), g.not_before, g.not_after
                ),
                json!({ "ok": true, "index": index, "commitment": fr_to_decimal(&g.commit().0),
                        "root": fr_to_decimal(&home.registry.current_root().map_err(Failure::malformed)?.0),
                        "not_before": g.not_before.0, "not_after": g.not_after.0,
                        "not_before_iso": g.not_before.to_string(), "not_after_iso": g.not_after.to_string(),
                        "credential": credential_out.as_ref().map(|p| p.display().to_string()) }),
            );
        }
        GrantCommand::Accept(args) => return super::parties::accept(cli, args, out),
        GrantCommand::Export(args) => return super::consent::export(cli, args, out),
        GrantCommand::Revoke { index } => {
            home.revoke_grant(*index, unix_now(), &mut rng)
                .map_err(refused)?;
            let root = home.registry.current_root().map_err(Failure::malformed)?;
            out.result(
                &format!("grant {index} revoked; new root {}", fr_to_decimal(&root.0)),
                json!({ "ok": true, "index": index, "root": fr_to_decimal(&root.0) }),
            );
        }
        GrantCommand::List => {
            let records = home.registry.grants().map_err(Failure::malformed)?;
            let mut lines = Vec::new();
            let mut machine = Vec::new();
            for r in records {
                let opening = home.wallet()?.grant(r.index).ok();
                let parties = opening
                    .as_ref()
                    .map(|o| {
                        format!(
                            "{} -> {}, {} / {}, valid from {} to {}",
                            o.patient_name,
                            o.grantee_name,
                            describe_scope(o.grant.scope),
                            describe_purpose(o.grant.purpose),
                            o.grant.not_before,
                            o.grant.not_after
                        )
                    })
                    .unwrap_or_else(|| "(opening not in wallet)".into());
                let revoked = r
                    .revoked_at
                    .map(|t| format!(", revoked {t}"))
                    .unwrap_or_default();
                lines.push(format!(
                    "{:>4}  {:<8} issued {}{revoked}  {}",
                    r.index,
                    r.status.as_str(),
                    r.issued_at,
                    parties
                ));
                let mut entry = json!({ "index": r.index, "status": r.status.as_str(), "commitment": fr_to_decimal(&r.commitment.0),
                    "issued_at": r.issued_at.0, "revoked_at": r.revoked_at.map(|t| t.0),
                    "issued_at_iso": r.issued_at.to_string(), "revoked_at_iso": r.revoked_at.map(|t| t.to_string()) });
                if let Some(o) = &opening {
                    entry["not_before"] = json!(o.grant.not_before.0);
                    entry["not_after"] = json!(o.grant.not_after.0);
                    entry["not_before_iso"] = json!(o.grant.not_before.to_string());
                    entry["not_after_iso"] = json!(o.grant.not_after.to_string());
                }
                machine.push(entry);
            }
            out.result(&lines.join("\n"), json!({ "ok": true, "grants": machine }));
        }
    }
    Ok(())
}

fn poseidon_cmd(domain: Option<&str>, inputs: &[String], out: &mut Out) -> Result<(), Failure> {
    let values = inputs
        .iter()
        .map(|s| parse_fr_decimal(s).map_err(|e| Failure::malformed(format!("input {s:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let hash = match domain {
        None => poseidon::hash(&values).map_err(Failure::malformed)?,
        Some(name) => {
            let tag = DomainTag::by_name(name).ok_or_else(|| {
                let known: Vec<_> = zkconsent::circuits::domain::ALL
                    .iter()
                    .map(|t| t.name())
                    .collect();
                Failure::malformed(format!(
                    "unknown domain {name:?} (known: {})",
                    known.join(", ")
                ))
            })?;
            poseidon::hash_with_domain(tag, &values)
        }
    };
    out.result(
        &fr_to_decimal(&hash),
        json!({ "ok": true, "hash": fr_to_decimal(&hash) }),
    );
    Ok(())
}

fn registry(cli: &Cli, command: &RegistryCommand, out: &mut Out) -> Result<(), Failure> {
    if let RegistryCommand::Serve(args) = command {
        return super::serve_registry::run(cli, args, out);
    }
    let home = open(cli)?;
    match command {
        RegistryCommand::Audit => {
            let (pvk, _) = home
                .verifying_key(zkconsent::prover::Statement::Authority)
                .map_err(Failure::malformed)?;
            let report = home.registry.audit(&pvk).map_err(Failure::malformed)?;
            let machine = json!({ "ok": report.is_consistent(), "events": report.events, "grants": report.grants,
                "active_grants": report.active_grants, "root": fr_to_decimal(&report.root.0),
                "record_events": report.record_events, "records": report.records,
                "records_root": fr_to_decimal(&report.records_root.0),
                "finding": report.finding.as_ref().map(|f| format!("{f:?}")) });
            if report.is_consistent() {
                out.result(
                    &format!(
                        "audit passed: {} events, {} grants ({} active), root {}\n\
                         records: {} anchorings, {} records, root {}",
                        report.events,
                        report.grants,
                        report.active_grants,
                        fr_to_decimal(&report.root.0),
                        report.record_events,
                        report.records,
                        fr_to_decimal(&report.records_root.0)
                    ),
                    machine,
                );
                Ok(())
            } else {
                if out.is_json() {
                    say(&machine);
                }
                Err(Failure::refused(format!(
                    "audit FAILED: {:?}",
                    report.finding
                )))
            }
        }
        RegistryCommand::Serve(args) => super::serve_registry::run(cli, args, out),
        RegistryCommand::Roots => {
            let history = home.registry.root_history().map_err(Failure::malformed)?;
            let lines: Vec<_> = history
                .iter()
                .map(|r| {
                    format!(
                        "{:>4}  created {:<20}  superseded {:<20}  {}",
                        r.seq,
                        created(r.created_at),
                        r.superseded_at
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| "current".into()),
                        fr_to_decimal(&r.root.0)
                    )
                })
                .collect();
            let machine: Vec<_> = history
                .iter()
                .map(|r| {
                    json!({ "seq": r.seq, "root": fr_to_decimal(&r.root.0),
                "created_at": r.created_at.0, "superseded_at": r.superseded_at.map(|t| t.0),
                "created_at_iso": r.created_at.to_string(),
                "superseded_at_iso": r.superseded_at.map(|t| t.to_string()) })
                })
                .collect();
            out.result(&lines.join("\n"), json!({ "ok": true, "roots": machine }));
            Ok(())
        }
    }
}

/// When a root became current, for people: the empty tree's first root carries time 0, which
/// is the registry's creation, not 1970.
fn created(at: Timestamp) -> String {
    if at == Timestamp(0) {
        "(empty tree)".into()
    } else {
        at.to_string()
    }
}

fn export(cli: &Cli, command: &super::ExportCommand, out: &mut Out) -> Result<(), Failure> {
    use zkconsent::export::{export_snarkjs, read_limited};
    let (proof, dir) = match command {
        super::ExportCommand::Snarkjs { proof, out: dir } => (proof, dir),
        super::ExportCommand::Solidity {
            statement,
            out: file,
        } => {
            return export_solidity(cli, statement, file.as_deref(), out);
        }
        super::ExportCommand::Calldata { proof } => return export_calldata(cli, proof, out),
        super::ExportCommand::Contracts { out: dir } => return export_contracts(cli, dir, out),
    };
    let bytes = read_limited(proof, zkconsent::files::proof::MAX_PROOF_FILE_BYTES)
        .map_err(Failure::malformed)?;
    let home = open(cli)?;
    let fail = |e: zkconsent::export::ExportError| match e.exit_code() {
        1 => Failure::refused(e),
        _ => Failure::malformed(e),
    };
    let paths = export_snarkjs(&home, &bytes)
        .and_then(|files| files.write_to(dir))
        .map_err(fail)?;
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    out.result(
        &format!("snarkjs files written: {}", paths.join(", ")),
        json!({ "ok": true, "out": dir.display().to_string(), "files": paths }),
    );
    Ok(())
}

fn export_solidity(
    cli: &Cli,
    statement: &str,
    file: Option<&std::path::Path>,
    out: &mut Out,
) -> Result<(), Failure> {
    let statement = Statement::from_name(statement)
        .ok_or_else(|| Failure::malformed(format!("unknown statement {statement:?}")))?;
    let home = open(cli)?;
    let source = zkconsent::export::solidity::export_solidity(&home, statement)
        .map_err(Failure::malformed)?;
    let contract = zkconsent::export::solidity::contract_name(statement.name());
    match file {
        Some(path) => {
            std::fs::write(path, &source)
                .map_err(|e| Failure::malformed(format!("{}: {e}", path.display())))?;
            out.result(
                &format!("Solidity verifier {contract} written: {}", path.display()),
                json!({ "ok": true, "contract": contract, "out": path.display().to_string() }),
            );
        }
        None if out.is_json() => out.result(
            "",
            json!({ "ok": true, "contract": contract, "source": source }),
        ),
        None => print!("{source}"),
    }
    Ok(())
}

fn export_contracts(cli: &Cli, dir: &std::path::Path, out: &mut Out) -> Result<(), Failure> {
    let home = open(cli)?;
    let paths =
        zkconsent::export::registry::write_contracts(&home, dir).map_err(Failure::malformed)?;
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    out.result(
        &format!("contracts written: {}", paths.join(", ")),
        json!({ "ok": true, "out": dir.display().to_string(), "files": paths }),
    );
    Ok(())
}

fn export_calldata(cli: &Cli, proof: &std::path::Path, out: &mut Out) -> Result<(), Failure> {
    use zkconsent::export::read_limited;
    let bytes = read_limited(proof, zkconsent::files::proof::MAX_PROOF_FILE_BYTES)
        .map_err(Failure::malformed)?;
    let home = open(cli)?;
    let calldata =
        zkconsent::export::solidity::export_calldata(&home, &bytes).map_err(|e| {
            match e.exit_code() {
                1 => Failure::refused(e),
                _ => Failure::malformed(e),
            }
        })?;
    out.result(&calldata, json!({ "ok": true, "calldata": calldata }));
    Ok(())
}

fn verify_snarkjs(args: &super::VerifySnarkjsArgs, out: &mut Out) -> Result<(), Failure> {
    use zkconsent::export::{read_limited, snarkjs::MAX_SNARKJS_JSON_BYTES};
    let read = |path| read_limited(path, MAX_SNARKJS_JSON_BYTES).map_err(Failure::malformed);
    let (vk, public, proof) = (read(&args.vk)?, read(&args.public)?, read(&args.proof)?);
    match zkconsent::export::verify_snarkjs(&vk, &public, &proof) {
        Ok(()) => {
            out.result(
                "valid: snarkjs proof accepted",
                json!({ "ok": true, "valid": true }),
            );
            Ok(())
        }
        Err(failure) => Err(failure.into()),
    }
}
