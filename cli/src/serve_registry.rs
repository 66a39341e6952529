//! `zkconsent registry serve`: the registry service over this home's registry and params
//! (the operator's home), until SIGTERM or ctrl-c.

use crate::{output::Out, Cli, Failure};
use clap::Args;
use serde_json::json;
use std::{io::Write, path::PathBuf};
use zkconsent_service::registry::{self as service, CustodianTokens, RegistryServiceConfig};

/// `registry serve`.
#[derive(Args, Debug)]
pub struct RegistryServeArgs {
    /// Address to listen on (port 0: a free port; the address is printed first).
    #[arg(long, default_value = "127.0.0.1:8786")]
    pub listen: String,
    /// Custodians allowed to anchor record leaves: a file of `TOKEN` or `NAME TOKEN` lines
    /// (tokens 16 to 256 visible ASCII characters). Without it, anchoring is refused.
    #[arg(long, value_name = "FILE")]
    pub custodian_tokens: Option<PathBuf>,
}

pub(crate) fn run(cli: &Cli, args: &RegistryServeArgs, out: &mut Out) -> Result<(), Failure> {
    let custodian_tokens = args
        .custodian_tokens
        .as_deref()
        .map(CustodianTokens::read)
        .transpose()
        .map_err(Failure::malformed)?;
    let config = RegistryServiceConfig { custodian_tokens };
    let json = out.is_json();
    service::run(&cli.home, &args.listen, config, |addr| {
        // The first line on stdout, flushed: scripts and tests wait for it.
        let url = format!("http://{addr}");
        let line = if json {
            json!({ "ok": true, "listening": url }).to_string()
        } else {
            format!("listening on {url}")
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    })
    .map_err(|e| match e {
        service::ServiceError::Bind { .. } | service::ServiceError::Io(_) => Failure::refused(e),
        _ => Failure::malformed(format!("{}: {e}", cli.home.display())),
    })
}
