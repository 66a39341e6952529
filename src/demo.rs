//! `zkconsent demo`: the whole Access flow in a fresh directory, each step timed, with the
//! expected rejections checked (the demo fails if anything is accepted that must not be).

use crate::{
    files::proof::ProofFile,
    home::{Home, HomeError},
    registry::{Role, RootPolicy},
    statements::{
        access::{AccessRequest, AccessTerms},
        authority::GrantRequest,
        Terms,
    },
    unix_now,
    verify::{answer_request, verify_proof_bytes, VerifyFailure, VerifyOptions},
    vocab::{describe_purpose, describe_scope, parse_scope},
};
use rand::{rngs::StdRng, SeedableRng};
use std::{path::Path, time::Instant};
use zkconsent_circuits::{
    authority::{AuthorityPrivate, AuthorityPublic, GrantAction},
    calendar::SECONDS_PER_DAY,
    grant::Grant,
    statement::Authority,
    types::{GrantSalt, Purpose, Timestamp, VerifierId},
};
use zkconsent_prover::{prove_statement, Statement};

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A step the demo expects to succeed failed.
    #[error(transparent)]
    Home(#[from] HomeError),
    /// A registry, wallet or prover step the demo calls directly failed.
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    /// The wallet failed.
    #[error(transparent)]
    Wallet(#[from] crate::wallet::WalletError),
    /// The prover failed.
    #[error(transparent)]
    Prover(#[from] zkconsent_prover::ProverError),
    /// Something was accepted that must not be, or the reverse (the demo checks itself).
    #[error("{0}")]
    Unexpected(String),
}

/// How a demo step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A step that does something (setup, issue…) and succeeded.
    Done,
    /// A proof or action that was accepted.
    Accepted,
    /// A proof or action that was rejected, as expected.
    Rejected,
}

impl Outcome {
    /// Lower-case label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }
}

/// One printed step.
#[derive(Clone, Debug)]
pub struct DemoStep {
    /// Step number from 1.
    pub number: usize,
    /// What was done.
    pub title: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Details (reason for a rejection, sizes, ids).
    pub detail: String,
    /// Wall-clock milliseconds.
    pub millis: f64,
}

struct Steps<'a> {
    count: usize,
    sink: &'a mut dyn FnMut(&DemoStep),
}

impl Steps<'_> {
    /// Runs one step, timing it; `f` returns the outcome and detail.
    fn run<T>(
        &mut self,
        title: &str,
        f: impl FnOnce() -> Result<(Outcome, String, T), DemoError>,
    ) -> Result<T, DemoError> {
        self.count += 1;
        let start = Instant::now();
        let (outcome, detail, value) = f()?;
        (self.sink)(&DemoStep {
            number: self.count,
            title: title.into(),
            outcome,
            detail,
            millis: start.elapsed().as_secs_f64() * 1e3,
        });
        Ok(value)
    }
}

/// Seconds in a day: the demo's grants last whole days.
const DAY: u64 = SECONDS_PER_DAY;

/// Runs the demo in `dir` (created; must not already hold a registry).
///
/// # Errors
///
/// Any failure, including an expected rejection that did not happen.
pub fn run(dir: &Path, depth: usize, sink: &mut dyn FnMut(&DemoStep)) -> Result<(), DemoError> {
    run_with(dir, depth, None, sink)
}

/// Makes a fresh home's registry a replica of an upstream (a chain registry deployed for
/// it); returns the step's detail.
pub type AttachUpstream<'a> = &'a mut dyn FnMut(&mut Home) -> Result<String, DemoError>;

/// [`run`], with `attach` run as a step right after setup: the rest of the story then goes
/// through the home's upstream (`demo --chain`).
///
/// # Errors
///
/// As [`run`], and `attach`'s.
pub fn run_with(
    dir: &Path,
    depth: usize,
    attach: Option<AttachUpstream<'_>>,
    sink: &mut dyn FnMut(&DemoStep),
) -> Result<(), DemoError> {
    let mut rng = StdRng::from_entropy();
    let mut steps = Steps { count: 0, sink };
    let start = unix_now();
    let proofs_dir = dir.join("proofs");
    std::fs::create_dir_all(&proofs_dir)
        .map_err(|e| DemoError::Unexpected(format!("{}: {e}", proofs_dir.display())))?;

    let mut home = steps.run(
        "setup: single-party Groth16 keys, empty registry and wallet",
        || {
            let home = Home::init(dir, depth, start, &mut rng)?;
            let m = home.params.manifest();
            let detail = m
                .keys
                .iter()
                .map(|k| {
                    format!(
                        "{} {} constraints, vk {}",
                        k.statement,
                        k.constraints,
                        &k.verifying_key_sha256[..12]
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            Ok((
                Outcome::Done,
                format!("depth {depth}; {detail} (development setup only)"),
                home,
            ))
        },
    )?;

    if let Some(attach) = attach {
        steps.run(
            "deploy the verifiers and the registry; the home replicates the chain",
            || Ok((Outcome::Done, attach(&mut home)?, ())),
        )?;
    }

    steps.run(
        "identities: patient alice, clinician dr-bob, verifier st-mary",
        || {
            home.create_identity("alice", Role::Patient, &mut rng)?;
            home.create_identity("dr-bob", Role::Clinician, &mut rng)?;
            home.create_identity("dr-eve", Role::Clinician, &mut rng)?;
            let hospital = home.create_identity("st-mary", Role::Verifier, &mut rng)?;
            Ok((
                Outcome::Done,
                format!("st-mary id {}", short_fr(&hospital.0)),
                (),
            ))
        },
    )?;
    let verifier = VerifierId(home.identity_id("st-mary")?.0);

    let scope = parse_scope("conditions,observations").map_err(DemoError::Unexpected)?;
    let grant_request = GrantRequest {
        patient: "alice".into(),
        grantee: "dr-bob".into(),
        scope,
        purpose: Purpose(1),
        not_before: Timestamp(start.0 - 60),
        not_after: Timestamp(start.0 + 30 * DAY),
    };
    let index = steps.run(
        "alice grants dr-bob conditions+observations for treatment, 30 days",
        || {
            let (index, grant) = home.issue_grant(&grant_request, unix_now(), &mut rng)?;
            Ok((
                Outcome::Accepted,
                format!(
                    "authority proof verified by the registry; leaf {index}, scope {}, purpose {}, \
                     valid from {} to {}",
                    describe_scope(grant.scope),
                    describe_purpose(grant.purpose),
                    grant.not_before,
                    grant.not_after
                ),
                index,
            ))
        },
    )?;

    let keys = steps.run(
        "load the Access proving key (SHA-256 checked against the manifest)",
        || {
            let keys = home.keys(Statement::Access)?;
            Ok((Outcome::Done, format!("vk {}", &keys.vk_sha256[..12]), keys))
        },
    )?;

    let terms = AccessTerms::new(
        home.identity_id("alice")?,
        parse_scope("observations").map_err(DemoError::Unexpected)?,
        Purpose(1),
    );
    let st_mary_request = steps.run(
        "st-mary writes a request: alice's observations, for treatment",
        || {
            let r = home.issue_request(
                "st-mary",
                Terms::Access(terms.clone()),
                unix_now(),
                &mut rng,
            )?;
            let path = proofs_dir.join("request.json");
            std::fs::write(&path, r.to_file_bytes())
                .map_err(|e| DemoError::Unexpected(e.to_string()))?;
            Ok((Outcome::Done, format!("{}", path.display()), r))
        },
    )?;
    let request = terms.prove_request(index, verifier, st_mary_request.nonce(), unix_now());
    let proof_path = proofs_dir.join("access.json");
    let proof_json = steps.run(
        "dr-bob proves access to observations for st-mary's request",
        || {
            let (file, _) = home.prove_access(&keys, &request, &mut rng)?;
            let json = file.to_json();
            std::fs::write(&proof_path, &json).map_err(|e| DemoError::Unexpected(e.to_string()))?;
            Ok((
                Outcome::Done,
                format!("{} ({} bytes)", proof_path.display(), json.len()),
                json,
            ))
        },
    )?;

    let options = VerifyOptions::access(unix_now());
    let accepted = steps.run(
        "st-mary verifies it: alice's observations, for treatment, for this request",
        || {
            let accepted = verify_proof_bytes(&home, proof_json.as_bytes(), Some(&st_mary_request), &options)
                .map_err(|e| DemoError::Unexpected(format!("expected acceptance, got {e}")))?;
            Ok((
                Outcome::Accepted,
                "valid proof; current root; clock within skew; request, patient, scope and purpose match".into(),
                accepted,
            ))
        },
    )?;
    steps.run("st-mary records the request as answered", || {
        answer_request(&mut home, &accepted, unix_now())
            .map_err(|e| DemoError::Unexpected(e.to_string()))?;
        Ok((Outcome::Done, String::new(), ()))
    })?;
    steps.run(
        "the same proof is presented to st-mary again (replay)",
        || {
            expect_rejected(verify_proof_bytes(
                &home,
                proof_json.as_bytes(),
                Some(&st_mary_request),
                &options,
            ))
        },
    )?;

    steps.run(
        "alice revokes the grant (authority proof, leaf zeroed)",
        || {
            home.revoke_grant(index, unix_now(), &mut rng)?;
            Ok((
                Outcome::Accepted,
                format!("new root {}", short_fr(&home.registry.current_root()?.0)),
                (),
            ))
        },
    )?;

    steps.run("dr-bob tries to prove access again", || {
        let request = AccessRequest {
            now: unix_now(),
            ..request.clone()
        };
        expect_refused(home.prove_access(&keys, &request, &mut rng))
    })?;

    let strict = VerifyOptions {
        policy: RootPolicy {
            max_root_age_secs: 0,
            ..RootPolicy::default()
        },
        verifier_now: unix_now(),
        ..options
    };
    steps.run(
        "st-mary re-verifies the old proof (max root age 0 s: revocation is immediate)",
        || {
            expect_rejected(verify_proof_bytes(
                &home,
                proof_json.as_bytes(),
                Some(&st_mary_request),
                &strict,
            ))
        },
    )?;

    // A fresh grant, to show the other rejections on a live grant.
    let live = steps.run(
        "alice grants dr-bob again (observations, treatment, 1 day)",
        || {
            let request = GrantRequest {
                scope: parse_scope("observations").map_err(DemoError::Unexpected)?,
                not_after: Timestamp(start.0 + DAY),
                ..grant_request.clone()
            };
            let (index, _) = home.issue_grant(&request, unix_now(), &mut rng)?;
            Ok((Outcome::Accepted, format!("leaf {index}"), index))
        },
    )?;
    let live_asked = home.issue_request(
        "st-mary",
        Terms::Access(terms.clone()),
        unix_now(),
        &mut rng,
    )?;
    let live_request = terms.prove_request(live, verifier, live_asked.nonce(), unix_now());

    steps.run(
        "dr-bob proves access two days later (expired window)",
        || {
            let request = AccessRequest {
                now: Timestamp(start.0 + 2 * DAY),
                ..live_request.clone()
            };
            expect_refused(home.prove_access(&keys, &request, &mut rng))
        },
    )?;

    steps.run(
        "dr-bob asks for a wider scope (observations + medications)",
        || {
            let request = AccessRequest {
                scope: parse_scope("observations,medications").map_err(DemoError::Unexpected)?,
                ..live_request.clone()
            };
            expect_refused(home.prove_access(&keys, &request, &mut rng))
        },
    )?;

    let live_json = steps.run("dr-bob proves access under the new grant", || {
        let (file, _) = home.prove_access(&keys, &live_request, &mut rng)?;
        Ok((Outcome::Done, String::new(), file.to_json()))
    })?;
    let options = VerifyOptions {
        verifier_now: unix_now(),
        ..options
    };
    steps.run("st-mary verifies it", || {
        expect_accepted(verify_proof_bytes(
            &home,
            live_json.as_bytes(),
            Some(&live_asked),
            &options,
        ))
    })?;

    steps.run(
        "a forged proof file claims a wider scope (public input edited)",
        || {
            let edited = edit_input(&live_json, "scope", &u64::MAX.to_string())?;
            expect_rejected(verify_proof_bytes(
                &home,
                edited.as_bytes(),
                Some(&live_asked),
                &options,
            ))
        },
    )?;

    steps.run(
        "a forged proof file claims a time past the grant (public input edited)",
        || {
            let edited = edit_input(&live_json, "now", &(start.0 + 2 * DAY).to_string())?;
            let later = VerifyOptions {
                verifier_now: Timestamp(start.0 + 2 * DAY),
                ..options
            };
            expect_rejected(verify_proof_bytes(
                &home,
                edited.as_bytes(),
                Some(&live_asked),
                &later,
            ))
        },
    )?;

    steps.run(
        "the proof is presented for a request st-mary did not make",
        || {
            let other = home.issue_request(
                "st-mary",
                Terms::Access(terms.clone()),
                unix_now(),
                &mut rng,
            )?;
            expect_rejected(verify_proof_bytes(
                &home,
                live_json.as_bytes(),
                Some(&other),
                &options,
            ))
        },
    )?;

    steps.run(
        "dr-eve proves access under a grant from her own sock-puppet patient, as alice's",
        || {
            home.create_identity("sock", Role::Patient, &mut rng)?;
            let request = GrantRequest {
                patient: "sock".into(),
                grantee: "dr-eve".into(),
                scope: parse_scope("all").map_err(DemoError::Unexpected)?,
                ..grant_request.clone()
            };
            let (index, _) = home.issue_grant(&request, unix_now(), &mut rng)?;
            let (file, _) = home.prove_access(
                &keys,
                &AccessRequest {
                    grant_index: index,
                    now: unix_now(),
                    ..live_request.clone()
                },
                &mut rng,
            )?;
            expect_rejected(verify_proof_bytes(
                &home,
                file.to_json().as_bytes(),
                Some(&live_asked),
                &options,
            ))
        },
    )?;

    steps.run(
        "dr-eve (a clinician) mints a grant for alice's patient id",
        || {
            // She knows alice's public id but not her secret: she proves with her own secret,
            // which the authority circuit rejects, so she submits a proof for a leaf of her own.
            let eve_secret = home.wallet()?.secret("dr-eve")?;
            let forged = Grant {
                patient: home.identity_id("alice")?,
                grantee: home.identity_id("dr-eve")?,
                scope: parse_scope("all").map_err(DemoError::Unexpected)?,
                purpose: Purpose(1),
                not_before: start,
                not_after: Timestamp(start.0 + DAY),
                salt: GrantSalt::random(&mut rng),
            };
            let public = AuthorityPublic {
                action: GrantAction::Issue,
                commitment: forged.commit(),
            };
            let cannot = prove_statement::<Authority>(
                &home.params.load(Statement::Authority)?,
                &public,
                &AuthorityPrivate {
                    patient_secret: eve_secret.clone(),
                    grant: forged.clone(),
                },
                &mut rng,
            );
            if cannot.is_ok() {
                return Err(DemoError::Unexpected(
                    "authority proof for someone else's patient id was made".into(),
                ));
            }
            let own = Grant {
                patient: eve_secret.id(),
                ..forged.clone()
            };
            let proof = prove_statement::<Authority>(
                &home.params.load(Statement::Authority)?,
                &AuthorityPublic {
                    action: GrantAction::Issue,
                    commitment: own.commit(),
                },
                &AuthorityPrivate {
                    patient_secret: eve_secret,
                    grant: own,
                },
                &mut rng,
            )?;
            let proof = crate::home::to_verifier_proof(&proof)?;
            // Through the home's upstream: the registry contract itself refuses it on chain.
            match home.submit_issue(forged.commit(), &proof, unix_now()) {
                Ok(_) => Err(DemoError::Unexpected(
                    "registry accepted a forged grant".into(),
                )),
                Err(e) => Ok((Outcome::Rejected, e.to_string(), ())),
            }
        },
    )?;

    steps.run(
        "audit: replay the registry's event log, re-verify every authority proof",
        || {
            let (pvk, _) = home.verifying_key(Statement::Authority)?;
            let report = home.registry.audit(&pvk)?;
            if report.is_consistent() {
                Ok((
                    Outcome::Accepted,
                    format!(
                        "{} events, {} grants ({} active), every proof and root consistent",
                        report.events, report.grants, report.active_grants
                    ),
                    (),
                ))
            } else {
                Err(DemoError::Unexpected(format!(
                    "audit failed: {:?}",
                    report.finding
                )))
            }
        },
    )?;
    Ok(())
}

fn expect_accepted<T>(
    result: Result<T, VerifyFailure>,
) -> Result<(Outcome, String, ()), DemoError> {
    match result {
        Ok(_) => Ok((
            Outcome::Accepted,
            "valid proof; current root; clock within skew; request, patient, scope and purpose match".into(),
            (),
        )),
        Err(e) => Err(DemoError::Unexpected(format!("expected acceptance, got {e}"))),
    }
}

fn expect_rejected<T>(
    result: Result<T, VerifyFailure>,
) -> Result<(Outcome, String, ()), DemoError> {
    match result {
        Ok(_) => Err(DemoError::Unexpected(
            "expected rejection, proof was accepted".into(),
        )),
        Err(e @ VerifyFailure::Rejected(_)) => Ok((Outcome::Rejected, e.to_string(), ())),
        Err(e) => Err(DemoError::Unexpected(format!(
            "expected a rejection, got {e}"
        ))),
    }
}

fn expect_refused<T>(result: Result<T, HomeError>) -> Result<(Outcome, String, ()), DemoError> {
    match result {
        Ok(_) => Err(DemoError::Unexpected(
            "expected the prover to refuse, a proof was made".into(),
        )),
        Err(HomeError::Prover(e)) => Ok((Outcome::Rejected, format!("no proof: {e}"), ())),
        Err(e) => Err(e.into()),
    }
}

/// Returns the proof JSON with one public input replaced.
fn edit_input(json: &str, name: &str, value: &str) -> Result<String, DemoError> {
    let mut file: ProofFile =
        serde_json::from_str(json).map_err(|e| DemoError::Unexpected(e.to_string()))?;
    file.public_inputs.set(name, value.into());
    Ok(file.to_json())
}

fn short_fr(x: &ark_bn254::Fr) -> String {
    let hex = zkconsent_circuits::fr_to_hex(x);
    format!("0x{}…", &hex[..12])
}
