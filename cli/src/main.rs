//! The `zkconsent` command line: argument parsing and dispatch. Exit codes: 0 success; 1 a refused operation or a proof
//! that is rejected; 2 unreadable or malformed input (and usage errors).

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

mod agent;
mod chain;
mod commands;
mod consent;
mod context;
mod demo_parties;
mod output;
mod parties;
mod passphrase;
mod prove;
mod record;
mod record_handoff;
mod remote;
mod request;
mod serve;
mod serve_registry;
mod verify;
mod wallet;

use clap::{Args, Parser, Subcommand};
use output::Out;
use std::{path::PathBuf, process::ExitCode};
use zkconsent::circuits::merkle::DEFAULT_TREE_DEPTH;

/// Zero-knowledge proofs of medical-record consent and access.
#[derive(Parser, Debug)]
#[command(name = "zkconsent", version, about, propagate_version = true)]
pub struct Cli {
    /// Home directory holding params/, registry.db and wallet.db.
    #[arg(
        long,
        global = true,
        env = "ZKCONSENT_HOME",
        default_value = "zkconsent-home"
    )]
    home: PathBuf,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    json: bool,
    /// The registry this home replicates: a registry service (http://HOST:PORT) or a
    /// ZkconsentRegistry on an EVM chain (evm+http://HOST:PORT#0xADDRESS). Its registry.db
    /// becomes a replica, synced before every command; writes go to the upstream. `join`
    /// records it.
    #[arg(long, global = true, env = "ZKCONSENT_REGISTRY")]
    registry: Option<String>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process; boxing the larger argument structs would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Full demo in a fresh directory: setup, grant, prove, verify, revoke, rejections.
    Demo {
        /// Directory to create (left with params, databases and proofs).
        #[arg(long, default_value = "zkconsent-demo")]
        dir: PathBuf,
        /// Grants-tree depth.
        #[arg(long, default_value_t = DEFAULT_TREE_DEPTH)]
        depth: usize,
        /// Every party in its own home under --dir, a registry service and a verifier
        /// service on free local ports, hand-offs as sealed files.
        #[arg(long, conflicts_with = "chain")]
        parties: bool,
        /// On a real node: starts anvil (interop/'s, or ZKCONSENT_ANVIL), deploys the
        /// verifiers and the registry after setup (compiled with ZKCONSENT_SOLC, or
        /// interop/'s solcjs) and prints every transaction's gas.
        #[arg(long)]
        chain: bool,
    },
    /// Join a registry service (--registry): fetch and hash-check its params, create an
    /// empty wallet and a replica of its registry.
    Join {
        /// A custodian's token for anchoring records (a file holding it).
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// A chain registry: the deployer's params directory (a chain holds no keys); each
        /// file is checked against the manifest, and the verifying keys against the
        /// verifiers the registry calls.
        #[arg(long)]
        params: Option<PathBuf>,
        /// A chain registry: a file holding this home's account key (hex), to send grant
        /// changes and anchorings from; without it the home reads the chain only.
        #[arg(long)]
        chain_key_file: Option<PathBuf>,
        /// A chain registry: the Solidity compiler the deployer used (solc or solcjs), to
        /// compile the params' verifiers and compare them with the chain's.
        #[arg(long, env = "ZKCONSENT_SOLC", default_value = "solc")]
        solc: PathBuf,
    },
    /// Bring the replica up to date with the registry service, checking every proof and
    /// root; finish operations an earlier run left pending.
    Sync,
    /// The verifier service: requests with terms, and verification that consumes them.
    Serve(serve::ServeArgs),
    /// Single-party Groth16 setup and empty registry and wallet in --home.
    Setup {
        /// Grants-tree depth (1..=32).
        #[arg(long, default_value_t = DEFAULT_TREE_DEPTH)]
        depth: usize,
    },
    /// The wallet's encryption at rest: seal a plain wallet, change the passphrase.
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// Key agent: unlock the sealed wallet once (passphrase as for every command) and hand
    /// its key to this user's later commands on the home until --ttl runs out or --stop.
    Agent(agent::AgentArgs),
    /// Identities (patients, clinicians, verifiers).
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Grants: issue, revoke, list.
    #[command(subcommand)]
    Grant(GrantCommand),
    /// FHIR records: anchor fingerprints in the records tree, list the openings.
    #[command(subcommand)]
    Record(RecordCommand),
    /// A verifier's fresh request: nonce and request hash.
    #[command(subcommand)]
    Request(RequestCommand),
    /// Make proofs.
    #[command(subcommand)]
    Prove(ProveCommand),
    /// Verify a proof file (exit 0 valid, 1 rejected, 2 malformed).
    Verify(VerifyArgs),
    /// circomlib Poseidon of decimal field elements (optionally domain-separated).
    Poseidon {
        /// Domain tag name (e.g. zkconsent.merkle.node); capacity 0 if absent.
        #[arg(long)]
        domain: Option<String>,
        /// 1 to 16 decimal inputs, each below the BN254 scalar field modulus.
        #[arg(required = true, num_args = 1..=16)]
        inputs: Vec<String>,
    },
    /// Registry inspection.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Export a proof to another toolchain's files.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Verify snarkjs Groth16 files (bn128) with zkconsent's verifier (exit 0/1/2).
    VerifySnarkjs(VerifySnarkjsArgs),
    /// The registry on an EVM chain: deploy it from this home's keys, answer requests on it.
    #[command(subcommand)]
    Chain(chain::ChainCommand),
}

#[derive(Subcommand, Debug)]
enum ExportCommand {
    /// snarkjs verification_key.json, proof.json and public.json (uses --home's params).
    Snarkjs {
        /// zkconsent proof file.
        proof: PathBuf,
        /// Directory to write the three files into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Solidity verifier contract for a statement's verifying key (uses --home's params).
    Solidity {
        /// Statement: access, authority, record, claim or cohort.
        #[arg(long, default_value = "access")]
        statement: String,
        /// File to write the contract to (stdout if omitted).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Every contract an on-chain deployment needs: the five verifiers, the grants tree and
    /// the registry (no trusted operator), for --home's keys and tree depth.
    Contracts {
        /// Directory to write the .sol files into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// A proof file's verifyProof arguments for the Solidity verifier (B in EIP-197 order).
    Calldata {
        /// zkconsent proof file.
        proof: PathBuf,
    },
}

#[derive(Args, Debug)]
struct VerifySnarkjsArgs {
    /// snarkjs verification_key.json.
    #[arg(long)]
    vk: PathBuf,
    /// snarkjs public.json.
    #[arg(long)]
    public: PathBuf,
    /// snarkjs proof.json.
    #[arg(long)]
    proof: PathBuf,
}

#[derive(Subcommand, Debug)]
enum WalletCommand {
    /// Encrypt a plain wallet (one made before wallets were sealed) under a new passphrase
    /// (ZKCONSENT_NEW_PASSPHRASE, or asked twice at the terminal). Run it while no other
    /// process uses the home.
    Seal,
    /// Change a sealed wallet's passphrase: the current one as for every command, the new
    /// one from ZKCONSENT_NEW_PASSPHRASE or asked twice at the terminal.
    Passphrase,
}

#[derive(Subcommand, Debug)]
enum IdentityCommand {
    /// Create an identity: a secret in the wallet, its public id in the registry.
    New {
        /// Unique name.
        name: String,
        /// patient, clinician or verifier.
        #[arg(long)]
        role: String,
    },
    /// List identities.
    List,
    /// Write an identity's card (name, role, public id, encryption key) for other parties.
    Export(parties::ExportCardArgs),
    /// Import another party's card, checked against the registry.
    Import(parties::ImportCardArgs),
}

#[derive(Subcommand, Debug)]
enum GrantCommand {
    /// The patient grants access (proves authority; the registry appends the leaf).
    Issue {
        /// Patient name.
        #[arg(long)]
        patient: String,
        /// Grantee (clinician) name.
        #[arg(long, required_unless_present_any = ["grantee_card", "consent"], conflicts_with = "grantee_card")]
        grantee: Option<String>,
        /// The grantee's card (`identity export`): the credential is sealed to it.
        #[arg(long)]
        grantee_card: Option<PathBuf>,
        /// A FHIR R4 Consent giving scope (provision.class), purpose (provision.purpose),
        /// window (provision.period) and grantee (provision.actor, an imported card's name).
        #[arg(long, conflicts_with_all = ["scope", "purpose", "not_before", "not_after", "days", "grantee"])]
        consent: Option<PathBuf>,
        /// Scope: names (conditions,observations,…), "all", or a mask.
        #[arg(long, required_unless_present = "consent")]
        scope: Option<String>,
        /// Purpose: treatment, payment, operations, research, emergency, or a code
        /// (default treatment).
        #[arg(long)]
        purpose: Option<String>,
        /// Start of validity, Unix seconds (default: now).
        #[arg(long, value_parser = time_arg())]
        not_before: Option<u64>,
        /// End of validity (exclusive), Unix seconds; at most ten years after the start.
        #[arg(long, conflicts_with = "days", value_parser = time_arg())]
        not_after: Option<u64>,
        /// Validity in days from not_before (default 30; 1 to 3653, ten years).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=zkconsent::limits::MAX_GRANT_DAYS))]
        days: Option<u64>,
        /// Write the grant credential here, sealed to the grantee's card (--grantee-card,
        /// or the imported card --consent names).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The grantee accepts a sealed grant credential: checked against the registry, the
    /// opening goes to its wallet.
    Accept(parties::AcceptArgs),
    /// A grant as another format: a FHIR R4 Consent (--fhir).
    Export(consent::ExportArgs),
    /// The patient revokes a grant (proves authority; the registry zeroes the leaf).
    Revoke {
        /// Leaf index.
        index: u64,
    },
    /// List grants (registry status, and parties where the wallet has the opening).
    List,
}

#[derive(Subcommand, Debug)]
enum RecordCommand {
    /// Anchor every supported resource of a FHIR R4 Bundle (or bare resource) for a
    /// patient; already-anchored resources are reported, not duplicated.
    Anchor {
        /// Bundle or resource JSON file.
        file: PathBuf,
        /// The patient (a registered identity with the patient role) the records belong to.
        #[arg(long)]
        patient: String,
    },
    /// List the record openings the custodian's wallet holds.
    List,
    /// Anchor a condition summary for a patient: the distinct codes of their anchored
    /// Conditions, their birth date and the day, in one record (what a Cohort proof uses).
    Summary {
        /// The patient (a registered identity whose bundle is anchored).
        #[arg(long)]
        patient: String,
        /// The day the summary describes, YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Seal to a patient's card the record openings a Cohort proof for them needs (the
    /// custodian hands them over).
    ExportOpenings(record_handoff::ExportOpeningsArgs),
    /// The patient accepts sealed record openings: checked against the registry, they go to
    /// the wallet.
    Accept(record_handoff::AcceptOpeningsArgs),
}

#[derive(Subcommand, Debug)]
enum RequestCommand {
    /// Write a request: the statement and every term the proof must meet, under a fresh
    /// salt; the verifier's home keeps it, and `verify --request` checks a proof against it.
    New(RequestNewArgs),
}

#[derive(Args, Debug)]
struct RequestNewArgs {
    /// The verifier asking (a registered verifier whose secret this home holds).
    #[arg(long)]
    verifier: String,
    /// access, record, claim or cohort.
    #[arg(long)]
    statement: String,
    /// File to write the request to (default: print it).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Access: the patient whose records are asked for.
    #[arg(long, help_heading = "Access terms")]
    patient: Option<String>,
    /// Access: the records asked for (names, "all", or a mask).
    #[arg(long, help_heading = "Access terms")]
    scope: Option<String>,
    /// Access: the purpose served.
    #[arg(long, default_value = "treatment", help_heading = "Access terms")]
    purpose: String,
    /// Record: fields to disclose, comma-separated: kind, code, date, end_date, value,
    /// related_code, patient, coverage, digest.
    #[arg(long, help_heading = "Record terms")]
    disclose: Option<String>,
    /// Record: the hidden value lies in LO..HI (scaled integers: milli-units, cents; either
    /// end may be left open).
    #[arg(long, help_heading = "Record terms")]
    value_range: Option<String>,
    /// Record: the date lies in FROM..TO (YYYY-MM-DD, inclusive; either end may be open).
    #[arg(long, help_heading = "Record terms")]
    date_range: Option<String>,
    /// Record: the code (see --set-field) is in this set: a JSON array of "system|code".
    #[arg(long, help_heading = "Record terms")]
    code_set: Option<PathBuf>,
    /// Record: which code --code-set tests: code or related_code.
    #[arg(long, default_value = "code", help_heading = "Record terms")]
    set_field: String,
    /// Claim: the diagnoses the insurer covers: a JSON array of "system|code".
    #[arg(long, help_heading = "Claim terms")]
    covered: Option<PathBuf>,
    /// Claim: the insurer's member (a registered patient)…
    #[arg(long, help_heading = "Claim terms")]
    member: Option<String>,
    /// Claim: …and the member's coverage, as the claims name it (e.g. "Humana").
    #[arg(long, help_heading = "Claim terms")]
    coverage: Option<String>,
    /// Claim: accepted resource types (default both): Claim, ExplanationOfBenefit.
    #[arg(long, help_heading = "Claim terms")]
    kinds: Option<String>,
    /// Cohort: the study's criteria file.
    #[arg(long, help_heading = "Cohort terms")]
    criteria: Option<PathBuf>,
    /// Cohort: the study's name (e.g. its registry id): the nullifier is per study.
    #[arg(long, help_heading = "Cohort terms")]
    study: Option<String>,
}

#[derive(Subcommand, Debug)]
enum ProveCommand {
    /// Prove access under a grant held in the wallet.
    Access(ProveAccessArgs),
    /// Prove facts about an anchored FHIR record (the custodian, from its wallet).
    Record(ProveRecordArgs),
    /// Prove an insurance claim against its anchored record: service, date and amount
    /// disclosed, diagnosis covered, policy and claim nullifier.
    Claim(ProveClaimArgs),
    /// Prove that the patient of a bundle meets a study's criteria (age, an included
    /// condition, no excluded one, research consent), once per study.
    Cohort(ProveCohortArgs),
}

#[derive(Args, Debug)]
struct ProveCohortArgs {
    /// The patient's FHIR bundle (anchored, with a condition summary).
    #[arg(long, required_unless_present = "batch")]
    bundle: Option<PathBuf>,
    /// The researcher's request file (`zkconsent request new --statement cohort`).
    #[arg(long, required_unless_present = "batch")]
    request: Option<PathBuf>,
    /// The time the proof speaks for, Unix seconds (default: now).
    #[arg(long, value_parser = time_arg())]
    now: Option<u64>,
    /// Print where the proof's time went (witness, FFTs, each of the five MSMs, key load,
    /// peak memory), running the phases one after another.
    #[arg(long, conflicts_with = "batch")]
    profile: bool,
    /// Output file (default: print the proof JSON).
    #[arg(long, conflicts_with = "batch")]
    out: Option<PathBuf>,
    /// Prove many at once with one key load, in parallel: a JSON Lines file, one proof per
    /// line ({"bundle":"b.json","request":"r.json"}, optional "now"); proofs go to --out-dir as <line>.proof.json.
    #[arg(long, requires = "out_dir", conflicts_with_all = ["bundle", "request", "now"])]
    batch: Option<PathBuf>,
    /// Directory for --batch proofs (created if missing).
    #[arg(long, requires = "batch")]
    out_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ProveClaimArgs {
    /// The FHIR bundle holding the claim (as anchored).
    #[arg(long, required_unless_present = "batch")]
    bundle: Option<PathBuf>,
    /// The Claim or ExplanationOfBenefit resource id.
    #[arg(long, required_unless_present = "batch")]
    claim: Option<String>,
    /// The insurer's request file (`zkconsent request new --statement claim`).
    #[arg(long, required_unless_present = "batch")]
    request: Option<PathBuf>,
    /// Print where the proof's time went (witness, FFTs, each of the five MSMs, key load,
    /// peak memory), running the phases one after another.
    #[arg(long, conflicts_with = "batch")]
    profile: bool,
    /// Output file (default: print the proof JSON).
    #[arg(long, conflicts_with = "batch")]
    out: Option<PathBuf>,
    /// Prove many at once with one key load, in parallel: a JSON Lines file, one proof per
    /// line ({"bundle":"b.json","claim":"ID","request":"r.json"}); proofs go to --out-dir as <line>.proof.json.
    #[arg(long, requires = "out_dir", conflicts_with_all = ["bundle", "claim", "request"])]
    batch: Option<PathBuf>,
    /// Directory for --batch proofs (created if missing).
    #[arg(long, requires = "batch")]
    out_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ProveRecordArgs {
    /// The resource, as Type/id (its latest anchored version).
    #[arg(long, conflicts_with = "leaf")]
    resource: Option<String>,
    /// Or the record's leaf index.
    #[arg(long)]
    leaf: Option<u64>,
    /// The verifier's request file (`zkconsent request new --statement record`).
    #[arg(long, required_unless_present = "batch")]
    request: Option<PathBuf>,
    /// Print where the proof's time went (witness, FFTs, each of the five MSMs, key load,
    /// peak memory), running the phases one after another.
    #[arg(long, conflicts_with = "batch")]
    profile: bool,
    /// Output file (default: print the proof JSON).
    #[arg(long, conflicts_with = "batch")]
    out: Option<PathBuf>,
    /// Prove many at once with one key load, in parallel: a JSON Lines file, one proof per
    /// line ({"resource":"Type/id","request":"r.json"} or "leaf" for "resource"); proofs go to --out-dir as <line>.proof.json.
    #[arg(long, requires = "out_dir", conflicts_with_all = ["resource", "leaf", "request"])]
    batch: Option<PathBuf>,
    /// Directory for --batch proofs (created if missing).
    #[arg(long, requires = "batch")]
    out_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ProveAccessArgs {
    /// Grant leaf index.
    #[arg(long, required_unless_present = "batch")]
    grant: Option<u64>,
    /// The custodian's request file (`zkconsent request new --statement access`).
    #[arg(long, required_unless_present = "batch")]
    request: Option<PathBuf>,
    /// Time of access, Unix seconds (default: now).
    #[arg(long, value_parser = time_arg())]
    now: Option<u64>,
    /// Output file (default: print the proof JSON).
    #[arg(long, conflicts_with = "batch")]
    out: Option<PathBuf>,
    /// Print where the proof's time went (witness, FFTs, each of the five MSMs), running
    /// the phases one after another.
    #[arg(long, conflicts_with = "batch")]
    profile: bool,
    /// Prove many requests with one key load, in parallel: a JSON Lines file, one request
    /// per line: {"grant":0,"request":"request.json"} with an optional "now". Proofs go to
    /// --out-dir as <line>.proof.json.
    #[arg(long, requires = "out_dir", conflicts_with_all = ["grant", "request", "now"])]
    batch: Option<PathBuf>,
    /// Directory for --batch proofs (created if missing).
    #[arg(long, requires = "batch")]
    out_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// Proof file (several with --batch).
    #[arg(required = true)]
    proofs: Vec<PathBuf>,
    /// The request the proof answers (a request file this home issued): every public input
    /// is checked against its terms. Without it, verify names what it could not check.
    #[arg(long)]
    request: Option<PathBuf>,
    /// Verify several proofs in one multi-pairing (random linear combination); each file
    /// still gets its own verdict. Not with --request (a request is answered by one proof).
    #[arg(long, conflicts_with_all = ["request", "consume"])]
    batch: bool,
    /// Accept roots superseded less than this many seconds ago.
    #[arg(long, default_value_t = zkconsent::registry::DEFAULT_MAX_ROOT_AGE_SECS, value_parser = policy_arg())]
    max_root_age: u64,
    /// Accept a proof time this many seconds from the verifier's clock.
    #[arg(long, default_value_t = zkconsent::registry::DEFAULT_MAX_CLOCK_SKEW_SECS, value_parser = policy_arg())]
    clock_skew: u64,
    /// The verifier's clock, Unix seconds (default: now).
    #[arg(long, value_parser = time_arg())]
    now: Option<u64>,
    /// The statement asked for when there is no request: access, authority, record, claim
    /// or cohort (with --request, the request's).
    #[arg(long, conflicts_with = "request")]
    statement: Option<String>,
    /// Record the request as answered (and spend a Claim's or Cohort's nullifier); a second
    /// proof for it is rejected as a replay, a second use of the nullifier as a reuse.
    #[arg(long, requires = "request")]
    consume: bool,
}

#[derive(Subcommand, Debug)]
enum RegistryCommand {
    /// Serve this home's registry: the versioned /v1 JSON API, /healthz and /metrics.
    Serve(serve_registry::RegistryServeArgs),
    /// Replay the event log: re-verify every authority proof and recompute every root.
    Audit,
    /// Root history.
    Roots,
}

/// A Unix time argument: at most 9999-12-31T23:59:59Z.
fn time_arg() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(0..=zkconsent::limits::MAX_TIMESTAMP)
}

/// A verifier's root age or clock skew: at most ten years.
fn policy_arg() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(0..=zkconsent::limits::MAX_POLICY_SECONDS)
}

/// Parses arguments, runs the command, maps the result to an exit code.
pub fn main() -> ExitCode {
    if let Err(advice) = zkconsent::cpu::check_build_features() {
        eprintln!("zkconsent: {advice}");
        return ExitCode::from(2);
    }
    chain::install();
    passphrase::install();
    let cli = Cli::parse();
    let mut out = Out::new(cli.json);
    let result = commands::run(&cli, &mut out);
    // A chain home's transactions, with their gas, on stderr (stdout stays one result).
    for line in chain::upstream::take_activity() {
        eprintln!("chain: {line}");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            out.error(&failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// A command's failure: exit code and one-line reason.
#[derive(Debug)]
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Exit 1: refused or rejected.
    pub fn refused(message: impl std::fmt::Display) -> Self {
        Self {
            code: 1,
            message: message.to_string(),
        }
    }
    /// Exit 2: malformed input or unusable environment.
    pub fn malformed(message: impl std::fmt::Display) -> Self {
        Self {
            code: 2,
            message: message.to_string(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
