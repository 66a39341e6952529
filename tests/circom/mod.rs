//! Tools for the circom reference tests (`tests/circom_reference*.rs`): compile a reference
//! circuit from `benches/reference/` with the pinned circom2, read its `.r1cs` header, compute
//! and check witnesses with the pinned snarkjs, and locate a failed circom assertion.
//!
//! Needs `(cd interop && npm ci)`; without the tools, `tools()` prints why and the tests pass
//! (CI installs them, so they run there).

#![allow(dead_code)] // each test file uses a different part

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use serde_json::Value;
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Command,
    sync::{Mutex, OnceLock},
};
use zkconsent_circuits::{fr_to_decimal, merkle::MerklePath};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned circom2 and snarkjs.
pub struct Tools {
    pub circom: PathBuf,
    pub snarkjs: PathBuf,
}

/// The pinned tools, or `None` (with a message) when `interop/node_modules` is missing.
pub fn tools() -> Option<Tools> {
    let bin = root().join("interop/node_modules/.bin");
    let tools = Tools {
        circom: bin.join("circom2"),
        snarkjs: bin.join("snarkjs"),
    };
    if tools.circom.exists() && tools.snarkjs.exists() {
        Some(tools)
    } else {
        eprintln!(
            "SKIPPED: circom2/snarkjs not installed under {}; run `(cd interop && npm ci)` to \
             compare against the circom reference",
            bin.display()
        );
        None
    }
}

/// A reference circuit compiled into a temporary directory.
pub struct Compiled {
    dir: tempfile::TempDir,
    /// The main file's stem, e.g. `access`.
    name: String,
}

impl Compiled {
    pub fn r1cs(&self) -> PathBuf {
        self.dir.path().join(format!("{}.r1cs", self.name))
    }

    pub fn wasm(&self) -> PathBuf {
        let name = &self.name;
        self.dir.path().join(format!("{name}_js/{name}.wasm"))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Compiles `benches/reference/<name>.circom` with extra flags (e.g. `--r1cs --wasm --O2`).
pub fn compile(tools: &Tools, name: &str, flags: &[&str]) -> Compiled {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = std::time::Instant::now();
    let output = Command::new(&tools.circom)
        .current_dir(root())
        .arg(format!("benches/reference/{name}.circom"))
        .args(flags)
        .args(["-l", "interop/node_modules/circomlib/circuits", "-o"])
        .arg(dir.path())
        .output()
        .expect("run circom2");
    assert!(
        output.status.success(),
        "circom2 {name} {flags:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("circom2 {name} {flags:?}: {:.1?}", start.elapsed());
    Compiled {
        dir,
        name: name.to_owned(),
    }
}

/// `benches/reference/<name>.circom` compiled once per test process with `--O2` (R1CS and
/// witness generator), shared by every test that needs it.
pub fn compiled_o2(tools: &Tools, name: &str) -> &'static Compiled {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static Compiled>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache.entry(name.to_owned()).or_insert_with(|| {
        // Kept for the process's lifetime, as a static would be.
        Box::leak(Box::new(compile(
            tools,
            name,
            &["--r1cs", "--wasm", "--O2"],
        )))
    })
}

/// What a reference's count test pins.
pub struct Pins {
    /// The main file's stem.
    pub name: &'static str,
    /// Public inputs (ours, in the same order).
    pub public_inputs: usize,
    /// Private inputs of the reference.
    pub private_inputs: usize,
    /// Constraints with `--O2`.
    pub o2: u32,
    /// Constraints with `--O1`.
    pub o1: u32,
    /// Our circuit's constraints.
    pub ours: usize,
}

/// Checks the reference's field, input counts and pinned `--O2` count, compiles it with
/// `--O1` to check that pin, and checks ours is no larger than `--O2`.
pub fn check_pins(tools: &Tools, pins: &Pins) {
    let header = read_r1cs_header(&compiled_o2(tools, pins.name).r1cs());
    assert_eq!(
        header.prime_le,
        Fr::MODULUS.to_bytes_le(),
        "BN254's scalar field"
    );
    assert_eq!(
        (header.n_pub_out, header.n_pub_in),
        (0, pins.public_inputs as u32)
    );
    assert_eq!(header.n_prv_in as usize, pins.private_inputs);
    eprintln!(
        "{} circom --O2: {} constraints, {} wires, {} labels",
        pins.name, header.n_constraints, header.n_wires, header.n_labels
    );
    assert_eq!(header.n_constraints, pins.o2);

    // circom's default simplification, for the record.
    let o1 = compile(tools, pins.name, &["--r1cs"]);
    let o1_header = read_r1cs_header(&o1.r1cs());
    assert_eq!(o1_header.n_constraints, pins.o1);

    assert!(
        pins.ours <= header.n_constraints as usize,
        "ours {} > circom {}",
        pins.ours,
        header.n_constraints
    );
    eprintln!(
        "{} constraints: zkconsent {}, circom --O2 {}, circom --O1 {}",
        pins.name, pins.ours, header.n_constraints, o1_header.n_constraints
    );
}

/// A path's siblings and index bits, as the references' `*_siblings` and `*_indices`.
pub fn path_input(path: &MerklePath) -> (Vec<String>, Vec<String>) {
    let siblings = path.siblings.iter().map(fr_to_decimal).collect();
    let indices = path
        .index_bits()
        .iter()
        .map(|&b| u8::from(b).to_string())
        .collect();
    (siblings, indices)
}

/// Field elements as the decimal strings of a witness's signals.
pub fn decimal(values: &[Fr]) -> Vec<String> {
    values.iter().map(fr_to_decimal).collect()
}

/// The `.r1cs` header (section type 1).
#[derive(Debug, PartialEq, Eq)]
pub struct R1csHeader {
    /// The field's prime, little-endian as stored.
    pub prime_le: Vec<u8>,
    pub n_wires: u32,
    pub n_pub_out: u32,
    pub n_pub_in: u32,
    pub n_prv_in: u32,
    pub n_labels: u64,
    pub n_constraints: u32,
}

/// Reads the header of an `.r1cs` file (iden3 binary format: magic `r1cs`, version 1, a
/// section count, then sections of `(type u32, size u64, bytes)`, all little-endian).
pub fn read_r1cs_header(path: &Path) -> R1csHeader {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut at = 0usize;
    let mut take = |n: usize| -> Vec<u8> {
        let s = bytes.get(at..at + n).expect("truncated .r1cs").to_vec();
        at += n;
        s
    };
    let u32_of = |s: &[u8]| u32::from_le_bytes(s.try_into().expect("4 bytes"));
    let u64_of = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
    assert_eq!(take(4), b"r1cs", "magic");
    assert_eq!(u32_of(&take(4)), 1, "version");
    let sections = u32_of(&take(4));
    for _ in 0..sections {
        let kind = u32_of(&take(4));
        let size = usize::try_from(u64_of(&take(8))).expect("section size");
        let body = take(size);
        if kind != 1 {
            continue;
        }
        // fieldSize, prime (little-endian), nWires, nPubOut, nPubIn, nPrvIn, nLabels (u64),
        // nConstraints.
        let field_size = u32_of(&body[0..4]) as usize;
        assert_eq!(field_size, 32, "BN254 elements are 32 bytes");
        let rest = &body[4 + field_size..];
        let word = |i: usize| u32_of(&rest[4 * i..4 * i + 4]);
        return R1csHeader {
            prime_le: body[4..4 + field_size].to_vec(),
            n_wires: word(0),
            n_pub_out: word(1),
            n_pub_in: word(2),
            n_prv_in: word(3),
            n_labels: u64_of(&rest[16..24]),
            n_constraints: u32_of(&rest[24..28]),
        };
    }
    panic!("{}: no header section", path.display());
}

/// Runs snarkjs with arguments; returns (success, stdout + stderr).
pub fn snarkjs(tools: &Tools, args: &[&Path]) -> (bool, String) {
    let output = Command::new(&tools.snarkjs)
        .args(args)
        .output()
        .expect("run snarkjs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Computes the witness of `compiled` for `input` into `work/<name>.wtns`; `Ok(path)`, or
/// `Err(snarkjs output)` when the input has no witness (a failed assertion).
pub fn witness(
    tools: &Tools,
    compiled: &Compiled,
    work: &Path,
    name: &str,
    input: &Value,
) -> Result<PathBuf, String> {
    let input_path = work.join(format!("{name}.json"));
    std::fs::write(&input_path, serde_json::to_vec(input).expect("json")).expect("write");
    let wtns = work.join(format!("{name}.wtns"));
    let (ok, out) = snarkjs(
        tools,
        &[
            Path::new("wtns"),
            Path::new("calculate"),
            &compiled.wasm(),
            &input_path,
            &wtns,
        ],
    );
    if ok && wtns.exists() {
        Ok(wtns)
    } else {
        Err(out)
    }
}

/// Asserts the witness satisfies the circuit's R1CS and returns its public signals (after the
/// leading constant 1), as decimal strings.
pub fn checked_public_signals(
    tools: &Tools,
    compiled: &Compiled,
    wtns: &Path,
    n_public: usize,
) -> Vec<String> {
    let (ok, out) = snarkjs(
        tools,
        &[
            Path::new("wtns"),
            Path::new("check"),
            &compiled.r1cs(),
            wtns,
        ],
    );
    assert!(
        ok && out.contains("WITNESS IS CORRECT"),
        "wtns check:\n{out}"
    );
    let json_path = wtns.with_extension("wtns.json");
    let (ok, out) = snarkjs(
        tools,
        &[
            Path::new("wtns"),
            Path::new("export"),
            Path::new("json"),
            wtns,
            &json_path,
        ],
    );
    assert!(ok, "wtns export:\n{out}");
    let signals: Vec<String> =
        serde_json::from_slice(&std::fs::read(&json_path).expect("read")).expect("string array");
    assert_eq!(signals[0], "1", "wire 0 is the constant 1");
    signals[1..=n_public].to_vec()
}

/// Asserts snarkjs's witness error is a failed circom assertion at the line of
/// `benches/reference/<file>` holding `statement` (trimmed).
#[track_caller]
pub fn assert_fails_at(err: &str, file: &str, statement: &str) {
    let path = root().join("benches/reference").join(file);
    let source = std::fs::read_to_string(&path).expect("read the reference");
    let line = source
        .lines()
        .position(|l| l.trim() == statement)
        .unwrap_or_else(|| panic!("{statement:?} not in {}", path.display()))
        + 1;
    assert!(
        err.contains("Assert Failed") && err.contains(&format!(" line: {line}\n")),
        "expected a failed assertion at line {line} ({statement}), got:\n{err}"
    );
}
