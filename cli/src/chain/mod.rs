//! The chain as the registry: `chain deploy` (the verifiers and `ZkconsentRegistry` from a
//! home's hash-checked keys), `join` with `--registry evm+RPC#ADDRESS`, and `demo --chain`.
//! The home's registry then replicates the contract ([`upstream::ChainUpstream`]).

pub(crate) mod demo;
pub(crate) mod solc;
pub(crate) mod upstream;
pub(crate) mod verify;

use crate::{context, output::Out, Cli, Failure};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::{Path, PathBuf};
pub(crate) use upstream::group;
use zkconsent::{
    export::{
        registry::{contract_sources, render_registry, GRANTS_TREE_FILE, REGISTRY_CONTRACT},
        solidity::{contract_name, render_verifier},
    },
    home::Home,
    prover::{ParamsDir, Statement},
    remote::upstream::{parse_evm_location, ChainConfig, CHAIN_FORMAT, CHAIN_KEY_FILE},
    verifier::VerifyingKey,
};
use zkconsent_chain::{key_hex, parse_key, Address, Chain, Verifiers};

/// Installs the chain client into the library (once, at start).
pub(crate) fn install() {
    zkconsent::remote::upstream::install_chain_connector(upstream::connect);
}

/// Largest key file read.
const MAX_KEY_FILE: usize = 256;

#[derive(Subcommand, Debug)]
pub(crate) enum ChainCommand {
    /// Deploy the five verifiers and ZkconsentRegistry from --home's keys, and make the
    /// home's registry a replica of it (the home must have no grants or records yet).
    Deploy(DeployArgs),
    /// Answer a request on chain: open it from this home's account (once) and submit the
    /// proof to the registry's verify function; exit 0 accepted, 1 refused (by error name).
    Verify(verify::ChainVerifyArgs),
}

#[derive(Args, Debug)]
pub(crate) struct DeployArgs {
    /// The node's JSON-RPC endpoint.
    #[arg(long)]
    rpc: String,
    /// A file holding the deploying account's key (hex); it becomes the registry's admin
    /// and first custodian, and the home sends its transactions from it.
    #[arg(long)]
    key_file: PathBuf,
    /// A Solidity compiler speaking Standard JSON (solc, or solc-js's solcjs).
    #[arg(long, env = solc::SOLC_ENV, default_value = "solc")]
    solc: PathBuf,
    /// Superseded roots stay acceptable this long after the first revocation that follows.
    #[arg(long, default_value_t = zkconsent::registry::DEFAULT_MAX_ROOT_AGE_SECS, value_parser = crate::policy_arg())]
    max_root_age: u64,
    /// Largest distance between a proof's time and the block's.
    #[arg(long, default_value_t = zkconsent::registry::DEFAULT_MAX_CLOCK_SKEW_SECS, value_parser = crate::policy_arg())]
    max_clock_skew: u64,
}

/// Where `chain deploy` put everything, and what each creation cost.
pub(crate) struct Deployment {
    pub registry: Address,
    pub from_block: u64,
    pub verifiers: Verifiers,
    /// (contract, gas) in deployment order, the custodian registration last.
    pub gas: Vec<(String, u64)>,
}

pub(crate) fn run(cli: &Cli, command: &ChainCommand, out: &mut Out) -> Result<(), Failure> {
    match command {
        ChainCommand::Deploy(args) => deploy_command(cli, args, out),
        ChainCommand::Verify(args) => verify::run(cli, args, out),
    }
}

fn read_key(path: &Path) -> Result<String, Failure> {
    let bytes = zkconsent::files::read_limited(path, MAX_KEY_FILE).map_err(Failure::malformed)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::malformed(format!("{}: not a key", path.display())))?;
    let key =
        parse_key(&text).map_err(|e| Failure::malformed(format!("{}: {e}", path.display())))?;
    Ok(key_hex(&key))
}

fn deploy_command(cli: &Cli, args: &DeployArgs, out: &mut Out) -> Result<(), Failure> {
    let mut home = context::open_only(cli)?;
    let key = read_key(&args.key_file)?;
    let deployment = deploy_for(
        &mut home,
        &args.rpc,
        &key,
        &args.solc,
        args.max_root_age,
        args.max_clock_skew,
    )?;
    let mut human = format!(
        "deployed ZkconsentRegistry at {} (block {}); {} now replicates it as --registry {}",
        deployment.registry,
        deployment.from_block,
        cli.home.display(),
        chain_config(&args.rpc, &deployment).location()
    );
    for (name, gas) in &deployment.gas {
        human.push_str(&format!("\n  {name:<28} {:>10} gas", group(*gas)));
    }
    out.result(
        &human,
        json!({
            "registry": deployment.registry.to_string(),
            "from_block": deployment.from_block,
            "verifiers": {
                "authority": deployment.verifiers.authority.to_string(),
                "access": deployment.verifiers.access.to_string(),
                "record": deployment.verifiers.record.to_string(),
                "claim": deployment.verifiers.claim.to_string(),
                "cohort": deployment.verifiers.cohort.to_string(),
            },
            "location": chain_config(&args.rpc, &deployment).location(),
            "gas": deployment.gas.iter().map(|(n, g)| json!({"contract": n, "gas": g})).collect::<Vec<_>>(),
        }),
    );
    Ok(())
}

fn chain_config(rpc: &str, deployment: &Deployment) -> ChainConfig {
    ChainConfig {
        format: CHAIN_FORMAT.into(),
        rpc: rpc.to_owned(),
        registry: deployment.registry.to_string(),
        from_block: deployment.from_block,
    }
}

/// Deploys for `home` (no upstream, no grants or records) and makes it a replica of the new
/// registry: `chain.key` and `chain.json` written, the home re-opened on the chain.
pub(crate) fn deploy_for(
    home: &mut Home,
    rpc: &str,
    key: &str,
    solc_path: &Path,
    max_root_age: u64,
    max_clock_skew: u64,
) -> Result<Deployment, Failure> {
    if home.remote().is_some() {
        return Err(Failure::malformed(format!(
            "{} already replicates a registry",
            home.dir().display()
        )));
    }
    let heads = home.registry.heads().map_err(Failure::malformed)?;
    if heads.grant_events > 0 || heads.record_events > 0 {
        return Err(Failure::malformed(format!(
            "{} has grants or records of its own: deploy from a home without them",
            home.dir().display()
        )));
    }
    let signer = parse_key(key).map_err(Failure::malformed)?;
    let chain = Chain::connect(rpc, signer).map_err(Failure::malformed)?;
    let sources = contract_sources(home).map_err(Failure::malformed)?;
    let compiled = solc::compile(solc_path, &sources).map_err(Failure::malformed)?;
    let mut gas = Vec::new();
    let mut deploy = |name: &str, args: Option<Vec<u8>>| -> Result<(Address, u64), Failure> {
        let code = compiled
            .get(name)
            .ok_or_else(|| Failure::malformed(format!("the compiler gave no {name}")))?;
        let deployed = match args {
            None => chain.deploy(&code.creation, &[]),
            Some(args) => chain.deploy(&code.creation, &args),
        }
        .map_err(|e| Failure::refused(format!("deploying {name}: {e}")))?;
        gas.push((format!("deploy {name}"), deployed.gas));
        Ok((deployed.address, deployed.block))
    };
    let verifier = |s: Statement| contract_name(s.name());
    let verifiers = Verifiers {
        authority: deploy(&verifier(Statement::Authority), None)?.0,
        access: deploy(&verifier(Statement::Access), None)?.0,
        record: deploy(&verifier(Statement::Record), None)?.0,
        claim: deploy(&verifier(Statement::Claim), None)?.0,
        cohort: deploy(&verifier(Statement::Cohort), None)?.0,
    };
    let args = constructor_args(verifiers, max_root_age, max_clock_skew);
    let (registry, from_block) = deploy(REGISTRY_CONTRACT, Some(args))?;
    let custodian = chain
        .set_custodian(registry, chain.address(), true)
        .map_err(|e| Failure::refused(format!("setCustodian: {e}")))?;
    if !custodian.success {
        return Err(Failure::refused("setCustodian reverted"));
    }
    gas.push(("setCustodian(deployer)".into(), custodian.gas));
    let deployment = Deployment {
        registry,
        from_block,
        verifiers,
        gas,
    };
    let dir = home.dir().to_path_buf();
    zkconsent::files::write_private_atomic(&dir.join(CHAIN_KEY_FILE), key.as_bytes())
        .map_err(Failure::malformed)?;
    chain_config(rpc, &deployment)
        .write(&dir)
        .map_err(Failure::malformed)?;
    *home = Home::open(&dir).map_err(Failure::from)?;
    home.sync().map_err(Failure::from)?;
    Ok(deployment)
}

/// `ZkconsentRegistry`'s constructor arguments.
fn constructor_args(verifiers: Verifiers, max_root_age: u64, max_clock_skew: u64) -> Vec<u8> {
    Chain::registry_constructor_args(verifiers, max_root_age, max_clock_skew)
}

/// `join` with `--registry evm+RPC#ADDRESS`: a new home with params copied from
/// `--params` and checked against the verifiers the registry calls.
pub(crate) fn join(
    cli: &Cli,
    location: &str,
    params: Option<&Path>,
    key_file: Option<&Path>,
    solc_path: &Path,
    out: &mut Out,
) -> Result<(), Failure> {
    let Some((rpc, registry)) = parse_evm_location(location).map_err(Failure::malformed)? else {
        return Err(Failure::malformed("not a chain registry"));
    };
    let params = params.ok_or_else(|| {
        Failure::malformed(
            "a chain holds no keys: join a chain registry with --params DIR (the deployer's \
             params directory)",
        )
    })?;
    let key = key_file.map(read_key).transpose()?;
    let reader = Chain::connect(&rpc, zkconsent_chain::random_key()).map_err(Failure::malformed)?;
    let address: Address = registry
        .parse()
        .map_err(|_| Failure::malformed(format!("{registry}: not an address")))?;
    let from_block = deployment_block(&reader, address)?;
    let config = ChainConfig {
        format: CHAIN_FORMAT.into(),
        rpc,
        registry,
        from_block,
    };
    let check = |params: &ParamsDir| check_verifiers(&reader, address, params, solc_path);
    let home =
        zkconsent::remote::join::join_chain(&cli.home, params, &config, key.as_deref(), &check)
            .map_err(|e| match e {
                zkconsent::remote::join::JoinError::Home(e) => Failure::from(e),
                other => Failure::malformed(other),
            })?;
    let root = home
        .registry
        .current_root()
        .map(|r| zkconsent::circuits::fr_to_decimal(&r.0))
        .unwrap_or_default();
    out.result(
        &format!(
            "joined {} in {}: the chain's five verifiers are exactly these params' keys; \
             replica rebuilt from the registry's events (grants root {root}){}",
            config.location(),
            cli.home.display(),
            if key.is_some() {
                ""
            } else {
                "; no chain key: this home reads the chain only"
            }
        ),
        json!({"registry": config.location(), "home": cli.home.display().to_string(),
               "from_block": from_block, "grants_root": root, "sends": key.is_some()}),
    );
    Ok(())
}

/// The block the registry was created in: the first block whose state has its code (a
/// binary search over `eth_getCode` at past blocks).
fn deployment_block(chain: &Chain, address: Address) -> Result<u64, Failure> {
    let node = |e: zkconsent_chain::ChainError| Failure::malformed(e);
    let head = chain.block_number().map_err(node)?;
    if chain.code_at_block(address, head).map_err(node)?.is_empty() {
        return Err(Failure::malformed(format!(
            "{address} holds no contract on this chain"
        )));
    }
    let (mut lo, mut hi) = (0, head);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if chain.code_at_block(address, mid).map_err(node)?.is_empty() {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// The registry's five verifiers are the contracts these params' verifying keys compile to
/// (runtime code compared byte for byte, with the pinned compiler): a registry deployed
/// with other keys, or a verifier that accepts anything, is refused.
fn check_verifiers(
    chain: &Chain,
    registry: Address,
    params: &ParamsDir,
    solc_path: &Path,
) -> Result<(), String> {
    let deployed = chain.verifiers_of(registry).map_err(|e| e.to_string())?;
    let depth = params.manifest().tree_depth;
    let mut sources = vec![
        (
            GRANTS_TREE_FILE.to_owned(),
            zkconsent::export::grants_tree::render_grants_tree(depth),
        ),
        (format!("{REGISTRY_CONTRACT}.sol"), render_registry(depth)),
    ];
    for statement in Statement::ALL {
        let (bytes, sha) = params
            .verifying_key_bytes(statement)
            .map_err(|e| e.to_string())?;
        // Checked decoding: these files come from another party.
        let vk = VerifyingKey::from_bytes(&bytes).map_err(|e| e.to_string())?;
        sources.push((
            format!("{}.sol", contract_name(statement.name())),
            render_verifier(&vk, statement.name(), Some(&sha)),
        ));
    }
    let compiled = solc::compile(solc_path, &sources)?;
    // The registry itself is the generated contract at these params' depth (only its
    // immutables, the admin, the verifiers and the two policy numbers, may differ): not a
    // look-alike that exposes the right verifiers and ignores them.
    let ours = compiled
        .get(REGISTRY_CONTRACT)
        .ok_or_else(|| format!("the compiler gave no {REGISTRY_CONTRACT}"))?;
    let theirs = chain.code_at(registry).map_err(|e| e.to_string())?;
    if !ours.matches_runtime(&theirs) {
        return Err(format!(
            "the contract at {registry} is not the ZkconsentRegistry these params (depth \
             {depth}) give, compiled with this solc"
        ));
    }
    for (statement, address) in [
        (Statement::Authority, deployed.authority),
        (Statement::Access, deployed.access),
        (Statement::Record, deployed.record),
        (Statement::Claim, deployed.claim),
        (Statement::Cohort, deployed.cohort),
    ] {
        let name = contract_name(statement.name());
        let ours = compiled
            .get(&name)
            .ok_or_else(|| format!("the compiler gave no {name}"))?;
        let theirs = chain.code_at(address).map_err(|e| e.to_string())?;
        if theirs != ours.runtime {
            return Err(format!(
                "the registry's {} verifier at {address} is not the one these params' \
                 verifying key gives",
                statement.name()
            ));
        }
    }
    Ok(())
}
