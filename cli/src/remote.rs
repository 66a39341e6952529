//! `join` and `sync`: a home whose registry is a registry service's replica.

use crate::{context, output::Out, Cli, Failure};
use serde_json::json;
use std::path::Path;
use zkconsent::{
    circuits::fr_to_decimal,
    remote::join::{join as join_service, JoinError},
};

/// Largest token file read.
const MAX_TOKEN_FILE: usize = 4096;

/// `join`'s options.
pub(crate) struct JoinArgs<'a> {
    pub token_file: Option<&'a Path>,
    pub params: Option<&'a Path>,
    pub chain_key_file: Option<&'a Path>,
    pub solc: &'a Path,
}

pub(crate) fn join(cli: &Cli, args: &JoinArgs<'_>, out: &mut Out) -> Result<(), Failure> {
    let Some(url) = &cli.registry else {
        return Err(Failure::malformed(
            "join needs the registry: --registry http://HOST:PORT (a registry service) or \
             evm+http://HOST:PORT#0xADDRESS (a chain), or ZKCONSENT_REGISTRY",
        ));
    };
    if url.starts_with(zkconsent::remote::upstream::EVM_SCHEME) {
        if args.token_file.is_some() {
            return Err(Failure::malformed(
                "--token-file is for a registry service; on a chain a custodian is an \
                 account the admin registered (--chain-key-file)",
            ));
        }
        return crate::chain::join(cli, url, args.params, args.chain_key_file, args.solc, out);
    }
    if args.params.is_some() || args.chain_key_file.is_some() {
        return Err(Failure::malformed(
            "--params and --chain-key-file are for a chain registry: a registry service \
             serves its params",
        ));
    }
    let token = args.token_file.map(read_token).transpose()?;
    let home = join_service(&cli.home, url, token).map_err(|e| match e {
        JoinError::Home(e) => Failure::from(e),
        JoinError::Remote(e) => Failure::from(zkconsent::home::HomeError::from(e)),
        other => Failure::malformed(other),
    })?;
    let heads = (
        home.registry
            .identities()
            .map(|v| v.len())
            .unwrap_or_default(),
        home.registry
            .current_root()
            .map(|r| fr_to_decimal(&r.0))
            .unwrap_or_default(),
    );
    out.result(
        &format!(
            "joined {url} in {}: params checked against its manifest, replica synced \
             ({} identities; grants root {})",
            cli.home.display(),
            heads.0,
            heads.1
        ),
        json!({"registry": url, "home": cli.home.display().to_string(),
               "identities": heads.0, "grants_root": heads.1}),
    );
    Ok(())
}

fn read_token(path: &Path) -> Result<String, Failure> {
    let bytes = zkconsent::files::read_limited(path, MAX_TOKEN_FILE).map_err(Failure::malformed)?;
    let token = String::from_utf8(bytes)
        .map_err(|_| Failure::malformed(format!("{}: not text", path.display())))?
        .trim()
        .to_owned();
    if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Failure::malformed(format!(
            "{}: a token is one line without spaces",
            path.display()
        )));
    }
    Ok(token)
}

pub(crate) fn sync(cli: &Cli, out: &mut Out) -> Result<(), Failure> {
    let mut home = context::open_only(cli)?;
    if home.remote().is_none() {
        return Err(Failure::malformed(format!(
            "{} has its own registry: nothing to sync (see `join`)",
            cli.home.display()
        )));
    }
    let report = home.sync().map_err(Failure::from)?;
    let reconciled = home.reconcile().map_err(Failure::from)?;
    let root = fr_to_decimal(
        &home
            .registry
            .current_root()
            .map_err(|e| Failure::from(zkconsent::home::HomeError::from(e)))?
            .0,
    );
    out.result(
        &format!(
            "synced: {} identities, {} grant events, {} record anchorings applied and checked; \
             grants root {root}{}",
            report.identities,
            report.grant_events,
            report.record_events,
            if reconciled.is_empty() {
                ""
            } else {
                "; interrupted writes finished"
            }
        ),
        json!({"identities": report.identities, "grant_events": report.grant_events,
               "record_events": report.record_events, "grants_root": root}),
    );
    Ok(())
}

pub(crate) fn demo_parties(dir: &Path, depth: usize, out: &mut Out) -> Result<(), Failure> {
    crate::demo_parties::run(dir, depth, out)
}
