//! `demo --chain`: the demo's story on a real node. Starts anvil (the binary pinned in
//! `interop/`'s lockfile, or `ZKCONSENT_ANVIL`), deploys the verifiers and the registry from
//! the demo home's keys right after setup, and prints every transaction's gas under the step
//! that sent it.

use super::{
    deploy_for,
    solc::SOLC_ENV,
    upstream::{record_activity, take_activity},
};
use crate::{
    output::{say, Out},
    Failure,
};
use serde_json::json;
use std::path::{Path, PathBuf};
use zkconsent::{
    demo::{self, DemoError},
    registry::{DEFAULT_MAX_CLOCK_SKEW_SECS, DEFAULT_MAX_ROOT_AGE_SECS},
    unix_now,
};
use zkconsent_chain::{anvil_path, key_hex, AnvilNode};

/// solc-js from `interop/`'s lockfile, when no compiler is named.
const INTEROP_SOLCJS: &str = "interop/node_modules/.bin/solcjs";
/// Seconds anvil's genesis is set before now (the demo's grants start a minute back).
const GENESIS_BEFORE_NOW: u64 = 3_600;

fn solc() -> PathBuf {
    std::env::var_os(SOLC_ENV).map_or_else(
        || {
            if Path::new(INTEROP_SOLCJS).exists() {
                PathBuf::from(INTEROP_SOLCJS)
            } else {
                PathBuf::from("solc")
            }
        },
        PathBuf::from,
    )
}

pub(crate) fn run(dir: &Path, depth: usize, out: &mut Out) -> Result<(), Failure> {
    let node = AnvilNode::start(
        &anvil_path(Path::new(".")),
        unix_now().0 - GENESIS_BEFORE_NOW,
    )
    .map_err(Failure::malformed)?;
    let key = node
        .dev_key(0)
        .ok_or_else(|| Failure::malformed("anvil gave no funded account"))?;
    let rpc = node.endpoint();
    out.progress(&format!(
        "zkconsent demo on chain in {} (tree depth {depth}; anvil at {rpc})",
        dir.display()
    ));
    let solc = solc();
    let mut attach = |home: &mut zkconsent::home::Home| -> Result<String, DemoError> {
        let deployment = deploy_for(
            home,
            &rpc,
            &key_hex(&key),
            &solc,
            DEFAULT_MAX_ROOT_AGE_SECS,
            DEFAULT_MAX_CLOCK_SKEW_SECS,
        )
        .map_err(|f| DemoError::Unexpected(f.to_string()))?;
        let total: u64 = deployment.gas.iter().map(|(_, g)| g).sum();
        for (name, gas) in &deployment.gas {
            record_activity(format!("{name}: {} gas", super::group(*gas)));
        }
        Ok(format!(
            "ZkconsentRegistry at {} (block {}), {} gas in all",
            deployment.registry,
            deployment.from_block,
            super::group(total)
        ))
    };
    let json = out.is_json();
    let mut steps = Vec::new();
    let result = demo::run_with(dir, depth, Some(&mut attach), &mut |s| {
        let transactions = take_activity();
        if !json {
            crate::commands::say_demo_step(s);
            for tx in &transactions {
                say(format!("               tx: {tx}"));
            }
        }
        steps.push(json!({
            "step": s.number, "title": s.title, "outcome": s.outcome.label(),
            "detail": s.detail, "ms": s.millis, "transactions": transactions,
        }));
    });
    drop(node);
    match result {
        Ok(()) => {
            out.result(
                &format!(
                    "demo on chain complete: files left in {} (the node is stopped)",
                    dir.display()
                ),
                json!({ "ok": true, "dir": dir.display().to_string(), "chain": true, "steps": steps }),
            );
            Ok(())
        }
        Err(e) => Err(Failure::refused(format!("demo failed: {e}"))),
    }
}
