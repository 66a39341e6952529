//! `chain verify`: a proof answered on chain. The home's account opens its request on the
//! registry (once: the accepted terms' digests, keyed on the opener) and submits the proof to
//! `verify<Statement>`, which checks every public input by its role (roots, time against the
//! block's, terms, request unanswered, nullifier unspent) and the pairing, then records the
//! answer. Also measures the statement's bare `verifyProof` against the EIP-1108 floor.

use super::group;
use crate::{
    context::{self, read_request},
    output::Out,
    Cli, Failure,
};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use zkconsent::{
    circuits::statement::InputRole,
    export::{registry::request_digests, registry::verify_function, solidity::EvmArgs},
    files::{proof::ProofFile, read_limited},
    prover::Statement,
    remote::upstream::{ChainConfig, CHAIN_KEY_FILE},
};
use zkconsent_chain::{
    contracts::{calldata_gas, groth16_floor_gas, verify_proof_calldata, TX_BASE_GAS},
    parse_key, Address, Chain, Verifiers, B256, U256,
};

/// Gas limit of a `verify<Statement>` transaction: the pairing, a few storage writes.
const VERIFY_GAS: u64 = 1_000_000;
/// Largest proof file read.
const MAX_PROOF_FILE: usize = 64 << 10;
/// Largest `chain.key` read.
const MAX_KEY_FILE: usize = 256;

#[derive(Args, Debug)]
pub(crate) struct ChainVerifyArgs {
    /// Proof file.
    proof: PathBuf,
    /// The request it answers (a request file this home issued).
    #[arg(long)]
    request: PathBuf,
    /// Also send the proof to the statement's bare verifier (`verifyProof`, a transaction
    /// that changes nothing) and report its execution gas against the EIP-1108 floor.
    #[arg(long)]
    measure: bool,
}

fn verifier_of(verifiers: &Verifiers, statement: Statement) -> Address {
    match statement {
        Statement::Authority => verifiers.authority,
        Statement::Access => verifiers.access,
        Statement::Record => verifiers.record,
        Statement::Claim => verifiers.claim,
        Statement::Cohort => verifiers.cohort,
    }
}

pub(crate) fn run(cli: &Cli, args: &ChainVerifyArgs, out: &mut Out) -> Result<(), Failure> {
    let home = context::open(cli)?;
    let config = ChainConfig::read(home.dir())
        .map_err(Failure::malformed)?
        .ok_or_else(|| {
            Failure::malformed(format!(
                "{} does not follow a chain registry (see `chain deploy` and `join`)",
                home.dir().display()
            ))
        })?;
    let key_path = home.dir().join(CHAIN_KEY_FILE);
    let key = read_limited(&key_path, MAX_KEY_FILE)
        .map_err(|e| Failure::malformed(format!("{e}: a verifier on chain sends transactions")))?;
    let key = parse_key(&String::from_utf8_lossy(&key)).map_err(Failure::malformed)?;
    let chain = Chain::connect(&config.rpc, key).map_err(Failure::malformed)?;
    let registry: Address = config
        .registry
        .parse()
        .map_err(|_| Failure::malformed(format!("{}: not an address", config.registry)))?;

    let bytes = read_limited(&args.proof, MAX_PROOF_FILE).map_err(Failure::malformed)?;
    let decoded = ProofFile::decode(&bytes)
        .map_err(|e| Failure::malformed(format!("{}: {e}", args.proof.display())))?;
    let request = read_request(&args.request)?;
    if decoded.statement != request.statement() {
        return Err(Failure::malformed(format!(
            "the proof is a {} proof, the request asks for {}",
            decoded.statement.name(),
            request.statement().name()
        )));
    }
    let answers = decoded
        .statement
        .input_roles()
        .iter()
        .position(|r| *r == InputRole::RequestHash)
        .and_then(|i| decoded.inputs.get(i));
    if answers != Some(&request.hash().0) {
        return Err(Failure::refused(
            "rejected: the proof answers another request (request hash differs)",
        ));
    }
    let function = verify_function(decoded.statement).ok_or_else(|| {
        Failure::malformed("authority proofs gate grant changes; nothing verifies them alone")
    })?;
    let words = EvmArgs::new(&decoded.proof, &decoded.inputs)
        .words()
        .iter()
        .map(|w| w.parse::<U256>().map_err(Failure::malformed))
        .collect::<Result<Vec<_>, _>>()?;
    let request_hash: U256 = zkconsent::circuits::fr_to_decimal(&request.hash().0)
        .parse()
        .map_err(Failure::malformed)?;
    let digests: Vec<B256> = request_digests(&request)
        .map_err(Failure::malformed)?
        .into_iter()
        .map(B256::from)
        .collect();
    let node = |e: zkconsent_chain::ChainError| Failure::malformed(e);
    let me = chain.address();

    let mut opened = None;
    let mut refusal = chain
        .verify_statement_refusal(registry, &function, &words, me)
        .map_err(node)?;
    if refusal == Some("RequestNotOpen") {
        let outcome = chain
            .open_request(registry, request_hash, &digests)
            .map_err(node)?;
        if !outcome.success {
            return Err(Failure::refused("openRequest reverted"));
        }
        opened = Some(outcome.gas);
        refusal = chain
            .verify_statement_refusal(registry, &function, &words, me)
            .map_err(node)?;
    }
    if let Some(name) = refusal {
        return Err(Failure::refused(format!(
            "rejected on chain: {function}: {name}"
        )));
    }
    let outcome = chain
        .verify_statement(registry, &function, &words, me, VERIFY_GAS)
        .map_err(node)?;
    if !outcome.success {
        let name = chain
            .verify_statement_refusal(registry, &function, &words, me)
            .map_err(node)?
            .unwrap_or("reverted");
        return Err(Failure::refused(format!(
            "rejected on chain: {function}: {name}"
        )));
    }

    // The bare verifier, as a transaction: its execution gas against the precompiles' floor
    // (an estimate would not do: with too little gas a precompile fails, and the verifier
    // returns false without reverting).
    let inputs = decoded.inputs.len();
    let floor = groth16_floor_gas(inputs);
    let execution = if args.measure {
        let verifiers = chain.verifiers_of(registry).map_err(node)?;
        let data = verify_proof_calldata(&words);
        let calldata = calldata_gas(&data);
        let sent = chain
            .transact(verifier_of(&verifiers, decoded.statement), data, VERIFY_GAS)
            .map_err(node)?;
        Some(sent.gas.saturating_sub(TX_BASE_GAS + calldata))
    } else {
        None
    };

    let mut human = format!(
        "accepted on chain: {function} ({} gas); the request is answered there",
        group(outcome.gas)
    );
    if let Some(gas) = opened {
        human.push_str(&format!("\n  openRequest: {} gas", group(gas)));
    }
    if let Some(execution) = execution {
        human.push_str(&format!(
            "\n  verifyProof alone: {} gas of execution, {} over the EIP-1108 floor ({} for \
             {inputs} inputs)",
            group(execution),
            group(execution.saturating_sub(floor)),
            group(floor)
        ));
    }
    out.result(
        &human,
        json!({
            "ok": true, "function": function, "gas": outcome.gas, "open_request_gas": opened,
            "verify_proof_execution_gas": execution, "floor_gas": floor, "inputs": inputs,
        }),
    );
    Ok(())
}
