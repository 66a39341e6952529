//! `zkconsent agent`: the key agent (`zkconsent_wallet::agent`). In the foreground it asks
//! for the passphrase as every command does, unlocks the sealed wallet once and hands the
//! derived key (not the passphrase) to this user's later commands on the same home until
//! its time to live runs out or `agent --stop`; `agent --status` prints its seconds left.

use super::{Cli, Failure};
use crate::output::Out;
use clap::Args;
use serde_json::json;
use zkconsent::wallet::WalletError;

/// Arguments of `zkconsent agent`.
#[derive(Args, Debug)]
pub struct AgentArgs {
    /// Seconds the agent runs before it exits (1 to 86400).
    #[arg(
        long,
        default_value_t = 900,
        value_parser = clap::value_parser!(u64).range(1..=86_400),
        conflicts_with_all = ["status", "stop"]
    )]
    ttl: u64,
    /// Print the running agent's seconds left (exit 1 if none runs).
    #[arg(long, conflicts_with = "stop")]
    status: bool,
    /// Stop the running agent (exit 1 if none runs).
    #[arg(long)]
    stop: bool,
}

/// An unusable wallet (damaged, locked, no passphrase) is exit 2; a retryable failure is 1.
fn wallet_failure(e: WalletError) -> Failure {
    if e.is_unusable() {
        Failure::malformed(e)
    } else {
        Failure::refused(e)
    }
}

#[cfg(not(unix))]
pub fn run(_cli: &Cli, _args: &AgentArgs, _out: &mut Out) -> Result<(), Failure> {
    Err(Failure::malformed("the key agent needs Unix sockets"))
}

#[cfg(unix)]
pub fn run(cli: &Cli, args: &AgentArgs, out: &mut Out) -> Result<(), Failure> {
    use zkconsent::wallet::agent;
    if args.status {
        let left = agent::status(&cli.home).map_err(agent_failure)?;
        out.result(
            &format!("agent running: {left} s left"),
            json!({ "ok": true, "running": true, "seconds_left": left }),
        );
        return Ok(());
    }
    if args.stop {
        agent::stop(&cli.home).map_err(agent_failure)?;
        out.result(
            "agent stopped",
            json!({ "ok": true, "running": false, "stopped": true }),
        );
        return Ok(());
    }
    serve(cli, args.ttl, out)
}

/// Unlocks the wallet and serves its key until the agent exits.
#[cfg(unix)]
fn serve(cli: &Cli, ttl: u64, out: &mut Out) -> Result<(), Failure> {
    use zkconsent::{
        home::WALLET_FILE,
        wallet::{
            agent::{self, Agent, AgentExit},
            Wallet,
        },
    };
    let path = cli.home.join(WALLET_FILE);
    let sealed = Wallet::file_is_sealed(&path)
        .map_err(|e| Failure::malformed(format!("no wallet at {}: {e}", path.display())))?;
    if !sealed {
        return Err(Failure::malformed(format!(
            "{} is not encrypted: the agent holds a sealed wallet's key only (`zkconsent \
             wallet seal` seals it)",
            path.display()
        )));
    }
    // Before the passphrase is asked for.
    if agent::status(&cli.home).is_ok() {
        return Err(agent_failure(agent::AgentError::AlreadyRunning(
            agent::socket_path(&cli.home),
        )));
    }
    let passphrase = zkconsent::passphrase::for_opening(&path)
        .map_err(wallet_failure)?
        .ok_or_else(|| wallet_failure(WalletError::Locked))?;
    // Opened once, as every command opens it: a wrong passphrase stops here, before any
    // socket exists. Only the derived key is kept; the passphrase is dropped (zeroised).
    let key = Wallet::open(&path, Some(&passphrase))
        .and_then(Wallet::into_seal_key)
        .map_err(wallet_failure)?;
    drop(passphrase);
    let agent =
        Agent::start(&cli.home, key, std::time::Duration::from_secs(ttl)).map_err(agent_failure)?;
    out.progress(&format!(
        "agent for {} listening on {} for {ttl} s (`zkconsent agent --stop` stops it)",
        cli.home.display(),
        agent.socket().display()
    ));
    let (why, human) = match agent.serve().map_err(agent_failure)? {
        AgentExit::Expired => ("expired", "agent exited: its time to live ran out"),
        AgentExit::Stopped => ("stopped", "agent exited: stopped"),
        AgentExit::SocketGone => ("socket_gone", "agent exited: its socket was removed"),
    };
    out.result(human, json!({ "ok": true, "exit": why }));
    Ok(())
}

/// No agent, or one already running, is exit 1; a socket path or directory the agent cannot
/// use is exit 2.
#[cfg(unix)]
fn agent_failure(e: zkconsent::wallet::agent::AgentError) -> Failure {
    use zkconsent::wallet::agent::AgentError;
    match e {
        AgentError::AlreadyRunning(_)
        | AgentError::NotRunning
        | AgentError::NoKey
        | AgentError::BadReply => Failure::refused(e),
        _ => Failure::malformed(e),
    }
}
