//! `zkconsent prove …`: one generic path from a statement's public and private inputs to a
//! proof file, optionally profiled (every statement), and the statement commands.

pub mod access;
mod batch;
pub mod claim;
pub mod cohort;
pub mod record;

use crate::{
    context::{open, read_request, refused},
    output::{say, Out},
    Cli, Failure,
};
use rand::{rngs::StdRng, SeedableRng};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use std::{path::Path, time::Instant};
use zkconsent::{
    circuits::statement::{PublicInputs, Statement as StatementType},
    home::{proof_file, Home, HomeError},
    prover::{prove_statement, prove_statement_profiled, LoadedKeys, Statement},
    request::Request,
};

/// A statement's public and private inputs, gathered from a home.
pub(crate) type Gathered<S> =
    Result<(<S as StatementType>::Public, <S as StatementType>::Private), HomeError>;

/// What one `prove` command adds to the generic path: how a proof is named (a `--batch`
/// line, or the command's flags as one), what is read before the home is opened, how the
/// statement is gathered from the home, and how the proof is described.
pub(crate) trait ProveCommand {
    /// The statement proved.
    type S: StatementType;
    /// One proof's fields: a `--batch` line, or the command's flags.
    type Line: DeserializeOwned;
    /// A line with its files read (request, bundle) and checked.
    type Prepared;

    /// Reads what a line names, before the home is opened (malformed input is exit 2).
    fn prepare(line: Self::Line) -> Result<Self::Prepared, Failure>;

    /// The statement a prepared line asks for.
    fn gather(home: &Home, prepared: &Self::Prepared) -> Gathered<Self::S>;

    /// The summary of one proof and its extra JSON fields.
    fn describe(
        home: &Home,
        prepared: &Self::Prepared,
        public: &<Self::S as StatementType>::Public,
    ) -> Result<(String, Map<String, Value>), HomeError>;
}

/// The options every `prove` command has.
pub(crate) struct Options<'a> {
    /// `--batch FILE`.
    pub batch: Option<&'a Path>,
    /// `--out-dir DIR` (with `--batch`).
    pub out_dir: Option<&'a Path>,
    /// `--out FILE` (one proof).
    pub out: Option<&'a Path>,
    /// `--profile` (one proof).
    pub profile: bool,
}

/// Runs a `prove` command: a batch, or the one proof its flags name (`line`).
pub(crate) fn run<C: ProveCommand>(
    cli: &Cli,
    out: &mut Out,
    options: Options<'_>,
    line: impl FnOnce() -> Result<C::Line, Failure>,
) -> Result<(), Failure> {
    if let Some(file) = options.batch {
        return batch::run::<C>(cli, file, options.out_dir, out);
    }
    let prepared = C::prepare(line()?)?;
    let home = open(cli)?;
    let keys = LoadTimed::load(&home, <C::S as StatementType>::KIND)?;
    let (public, private) = C::gather(&home, &prepared)?;
    let (summary, result) = C::describe(&home, &prepared, &public)?;
    prove_and_emit::<C::S>(
        out,
        &keys,
        &public,
        &private,
        Emit {
            path: options.out,
            summary: &summary,
            result,
            profile: options.profile,
        },
    )
}

/// Reads a request file asking for `statement` (one for another statement is exit 2).
pub(crate) fn read_request_for(path: &Path, statement: Statement) -> Result<Request, Failure> {
    let request = read_request(path)?;
    if request.statement() != statement {
        return Err(Failure::malformed(format!(
            "{}: a request for {}, not {}",
            path.display(),
            request.statement().name(),
            statement.name()
        )));
    }
    Ok(request)
}

/// A flag the command needs unless it runs a batch.
pub(crate) fn required<T: Clone>(value: &Option<T>, flag: &str) -> Result<T, Failure> {
    value
        .clone()
        .ok_or_else(|| Failure::malformed(format!("--{flag} is required")))
}

/// A proving key with the time its load took (hash check, matrices, decoding).
struct LoadTimed {
    keys: LoadedKeys,
    millis: f64,
}

impl LoadTimed {
    /// Loads `statement`'s proving key from the home's params.
    fn load(home: &Home, statement: Statement) -> Result<Self, Failure> {
        let start = Instant::now();
        let keys = home.keys(statement).map_err(Failure::malformed)?;
        Ok(Self {
            keys,
            millis: start.elapsed().as_secs_f64() * 1e3,
        })
    }
}

impl std::ops::Deref for LoadTimed {
    type Target = LoadedKeys;
    fn deref(&self) -> &LoadedKeys {
        &self.keys
    }
}

/// Where a proof goes and what is said about it.
struct Emit<'a> {
    /// The proof file (none: print the proof JSON).
    pub path: Option<&'a Path>,
    /// The human summary, e.g. `record proof for leaf 93`.
    pub summary: &'a str,
    /// Extra JSON fields of the result.
    pub result: serde_json::Map<String, serde_json::Value>,
    /// Run the phases one after another and report where the time went.
    pub profile: bool,
}

/// Proves statement `S` (timed, profiled if asked), then writes the proof file and reports
/// the summary (and the result, with `ok`, `out`, `ms` and `profile` added, as JSON), or
/// prints the proof JSON when no path is given. Every `prove` command ends here.
fn prove_and_emit<S: StatementType>(
    out: &mut Out,
    keys: &LoadTimed,
    public: &S::Public,
    private: &S::Private,
    emit: Emit<'_>,
) -> Result<(), Failure> {
    let mut rng = StdRng::from_entropy();
    let start = Instant::now();
    let (proof, profile) = if emit.profile {
        let (proof, profile) = prove_statement_profiled::<S>(keys, public, private, &mut rng)
            .map_err(|e| refused(e.into()))?;
        (proof, Some(profile))
    } else {
        let proof =
            prove_statement::<S>(keys, public, private, &mut rng).map_err(|e| refused(e.into()))?;
        (proof, None)
    };
    let millis = start.elapsed().as_secs_f64() * 1e3;
    let json_text = proof_file(keys, &public.to_field_elements(), &proof)
        .map_err(refused)?
        .to_json();
    let peak_mib = peak_memory_kib().map(|k| k as f64 / 1024.0);
    if let (Some(p), false) = (&profile, out.is_json()) {
        eprintln!("{p}");
        eprintln!(
            "{:<12} {:>9.2} ms (hash check, matrices, decode)",
            "key load", keys.millis
        );
        if let Some(peak) = peak_mib {
            eprintln!("{:<12} {peak:>9.1} MiB (whole process)", "peak memory");
        }
    }
    let profile_json = profile.map(|p| {
        p.phases()
            .iter()
            .map(|(name, d)| (name.to_string(), json!(d.as_secs_f64() * 1e3)))
            .chain([
                ("total".to_string(), json!(p.total.as_secs_f64() * 1e3)),
                ("prover_over_msm".to_string(), json!(p.floor_ratio())),
                ("key_load".to_string(), json!(keys.millis)),
                ("peak_memory_mib".to_string(), json!(peak_mib)),
            ])
            .collect::<serde_json::Map<_, _>>()
    });
    let Some(path) = emit.path else {
        say(json_text);
        return Ok(());
    };
    write_file(path, &json_text)?;
    let mut result = emit.result;
    result.insert("ok".into(), json!(true));
    result.insert("out".into(), json!(path.display().to_string()));
    result.insert("ms".into(), json!(millis));
    result.insert("profile".into(), json!(profile_json));
    out.result(
        &format!(
            "{} ({millis:.0} ms) written to {}",
            emit.summary,
            path.display()
        ),
        serde_json::Value::Object(result),
    );
    Ok(())
}

/// Peak resident memory of this process (Linux `VmHWM`).
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| Failure::malformed(format!("{}: {e}", path.display())))
}

/// A JSON object from key-value pairs.
pub(crate) fn json_map<const N: usize>(
    pairs: [(&str, serde_json::Value); N],
) -> serde_json::Map<String, serde_json::Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
