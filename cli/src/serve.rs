//! `zkconsent serve`: the verifier service over this home (`zkconsent_service::verifier`).
//! The first line on stdout is `listening on http://ADDR`, flushed, so a script or a test
//! can read the bound port; the service runs until ctrl-c or SIGTERM.

use crate::{output::Out, Cli, Failure};
use clap::Args;
use std::{io::Write, time::Duration};
use zkconsent::registry::{RootPolicy, DEFAULT_MAX_CLOCK_SKEW_SECS, DEFAULT_MAX_ROOT_AGE_SECS};
use zkconsent_service::verifier::{
    run_blocking, VerifierConfig, DEFAULT_BATCH_MAX, DEFAULT_MAX_BODY_BYTES, DEFAULT_QUEUE_CAPACITY,
};

/// `serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0: a free port; the address is printed first).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: String,
    /// Seconds between syncs of the registry replica.
    #[arg(long, default_value_t = 5)]
    pub sync_every: u64,
    /// Most proofs checked in one batch.
    #[arg(long, default_value_t = DEFAULT_BATCH_MAX)]
    pub batch_max: usize,
    /// Most verifications waiting; beyond it calls are answered 503.
    #[arg(long, default_value_t = DEFAULT_QUEUE_CAPACITY)]
    pub queue: usize,
    /// Largest request body in bytes (413 above).
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body: usize,
    /// Seconds a root stays acceptable after the first removal that followed it.
    #[arg(long, default_value_t = DEFAULT_MAX_ROOT_AGE_SECS, value_parser = crate::policy_arg())]
    pub max_root_age: u64,
    /// Largest accepted distance, in seconds, between a proof's time and the clock.
    #[arg(long, default_value_t = DEFAULT_MAX_CLOCK_SKEW_SECS, value_parser = crate::policy_arg())]
    pub clock_skew: u64,
}

pub(crate) fn run(cli: &Cli, args: &ServeArgs, _out: &mut Out) -> Result<(), Failure> {
    if args.sync_every == 0 {
        return Err(Failure::malformed("--sync-every must be at least 1 second"));
    }
    let config = VerifierConfig {
        batch_max: args.batch_max,
        queue_capacity: args.queue,
        sync_every: Duration::from_secs(args.sync_every),
        max_body_bytes: args.max_body,
        policy: RootPolicy {
            max_root_age_secs: args.max_root_age,
            max_clock_skew_secs: args.clock_skew,
        },
    };
    run_blocking(&cli.home, &args.listen, config, |addr| {
        let mut stdout = std::io::stdout().lock();
        // A closed stdout must not stop the service; it only loses the announcement.
        let _ = writeln!(stdout, "listening on http://{addr}");
        let _ = stdout.flush();
    })
    .map_err(|e| Failure::malformed(format!("serve: {e}")))
}
