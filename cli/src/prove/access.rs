//! `zkconsent prove access`: the clinician proves access under a grant for a custodian's
//! request; one proof, or a batch.

use super::{json_map, read_request_for, required, Gathered, Options, ProveCommand};
use crate::{output::Out, Cli, Failure, ProveAccessArgs};
use serde_json::{json, Map, Value};
use zkconsent::{
    circuits::{access::AccessPublic, statement::Access},
    home::{Home, HomeError},
    prover::Statement,
    statements::{access::AccessRequest, Terms},
    unix_now,
};

/// One proof to make: the flags of a single `prove access`, or one `--batch` line.
pub(crate) use zkconsent::files::batch::AccessLine as Line;

/// `prove access`.
struct AccessCommand;

impl ProveCommand for AccessCommand {
    type S = Access;
    type Line = Line;
    type Prepared = (u64, AccessRequest);

    /// The request's terms under the grant.
    fn prepare(line: Line) -> Result<Self::Prepared, Failure> {
        let asked = read_request_for(&line.request, Statement::Access)?;
        let Terms::Access(terms) = &asked.terms else {
            return Err(Failure::malformed("not an access request"));
        };
        let now = match line.now {
            Some(t) => zkconsent::limits::check_time("now", t).map_err(Failure::malformed)?,
            None => unix_now(),
        };
        let request = terms.prove_request(line.grant, asked.verifier, asked.nonce(), now);
        Ok((line.grant, request))
    }

    fn gather(home: &Home, (_, request): &Self::Prepared) -> Gathered<Access> {
        home.access_statement(request)
    }

    fn describe(
        _: &Home,
        (grant, _): &Self::Prepared,
        public: &AccessPublic,
    ) -> Result<(String, Map<String, Value>), HomeError> {
        Ok((
            format!("access proof under grant {grant} for {}", public.now),
            json_map([
                ("grant", json!(grant)),
                ("time_iso", json!(public.now.to_string())),
            ]),
        ))
    }
}

pub fn run(cli: &Cli, args: &ProveAccessArgs, out: &mut Out) -> Result<(), Failure> {
    let options = Options {
        batch: args.batch.as_deref(),
        out_dir: args.out_dir.as_deref(),
        out: args.out.as_deref(),
        profile: args.profile,
    };
    super::run::<AccessCommand>(cli, out, options, || {
        Ok(Line {
            grant: required(&args.grant, "grant")?,
            request: required(&args.request, "request")?,
            now: args.now,
        })
    })
}
