//! The circom reference circuit for Access (`benches/reference/`): its constraint count is
//! pinned and is no smaller than ours, and it proves the same statement (its witness for one
//! of our fixtures has our public inputs, satisfies its R1CS, and false statements have no
//! witness).
//!
//! Needs the pinned circom2 and snarkjs: `(cd interop && npm ci)`. Without them the tests
//! print why and pass (CI installs them, so they run there).

#[path = "../benches/compare/circom_input.rs"]
mod circom_input;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};
use zkconsent_circuits::{
    access::AccessCircuit,
    fr_to_decimal,
    testing::{access_fixture, constraint_count},
};

/// Constraints of `access.circom` (depth 20) compiled with `--O2`, circom's full linear
/// simplification (what a deployment would use; circomlib's Poseidon reaches 240 per 2-input
/// hash only with it). Per part: grantee key 213, leaf 381, path 20 × 242, non-empty leaf 1,
/// window 256, scope 192, request/patient-ref/access-tag 3 × 240.
const CIRCOM_ACCESS_DEPTH_20_CONSTRAINTS: u32 = 6603;
/// The same circuit with circom's default `--O1` (only signal = signal and signal = constant
/// are simplified, so every Poseidon round's linear mixing stays): 6680 non-linear plus 7249
/// linear constraints.
const CIRCOM_ACCESS_DEPTH_20_CONSTRAINTS_O1: u32 = 13_929;

/// Our Access circuit's depth-20 count (`1711 + 242 · 20`, pinned in `circuits/tests/access.rs`).
const OURS_DEPTH_20: usize = 6551;
const DEPTH: usize = 20;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Tools {
    circom: PathBuf,
    snarkjs: PathBuf,
}

fn tools() -> Option<Tools> {
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

/// Compiles `benches/reference/access.circom` into `out` with extra flags.
fn compile(tools: &Tools, out: &Path, flags: &[&str]) {
    let output = Command::new(&tools.circom)
        .current_dir(root())
        .arg("benches/reference/access.circom")
        .args(flags)
        .args(["-l", "interop/node_modules/circomlib/circuits", "-o"])
        .arg(out)
        .output()
        .expect("run circom2");
    assert!(
        output.status.success(),
        "circom2 {flags:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The depth-20 reference compiled once with `--O2` (R1CS and witness generator).
struct Compiled {
    dir: tempfile::TempDir,
}

impl Compiled {
    fn r1cs(&self) -> PathBuf {
        self.dir.path().join("access.r1cs")
    }
    fn wasm(&self) -> PathBuf {
        self.dir.path().join("access_js/access.wasm")
    }
}

fn compiled(tools: &Tools) -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let start = std::time::Instant::now();
        compile(tools, dir.path(), &["--r1cs", "--wasm", "--O2"]);
        eprintln!("circom2 --O2 compile: {:.1?}", start.elapsed());
        Compiled { dir }
    })
}

/// The `.r1cs` header (section type 1).
#[derive(Debug, PartialEq, Eq)]
struct R1csHeader {
    /// The field's prime, little-endian as stored.
    prime_le: Vec<u8>,
    n_wires: u32,
    n_pub_out: u32,
    n_pub_in: u32,
    n_prv_in: u32,
    n_labels: u64,
    n_constraints: u32,
}

/// Reads the header of an `.r1cs` file (iden3 binary format: magic `r1cs`, version 1, a
/// section count, then sections of `(type u32, size u64, bytes)`, all little-endian).
fn read_r1cs_header(path: &Path) -> R1csHeader {
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
fn snarkjs(tools: &Tools, args: &[&Path]) -> (bool, String) {
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

#[test]
fn circom_reference_has_the_pinned_count_and_no_fewer_constraints_than_ours() {
    let Some(tools) = tools() else { return };
    let header = read_r1cs_header(&compiled(&tools).r1cs());
    assert_eq!(
        header.prime_le,
        Fr::MODULUS.to_bytes_le(),
        "BN254's scalar field"
    );
    assert_eq!((header.n_pub_out, header.n_pub_in), (0, 7));
    // 20 siblings, 20 index bits and 8 grant/key/request fields.
    assert_eq!(header.n_prv_in, 2 * DEPTH as u32 + 8);
    eprintln!(
        "circom --O2: {} constraints, {} wires, {} labels",
        header.n_constraints, header.n_wires, header.n_labels
    );
    assert_eq!(header.n_constraints, CIRCOM_ACCESS_DEPTH_20_CONSTRAINTS);

    // circom's default simplification, for the record.
    let o1 = tempfile::tempdir().expect("tempdir");
    compile(&tools, o1.path(), &["--r1cs"]);
    let o1_header = read_r1cs_header(&o1.path().join("access.r1cs"));
    assert_eq!(
        o1_header.n_constraints,
        CIRCOM_ACCESS_DEPTH_20_CONSTRAINTS_O1
    );

    let ours = constraint_count(AccessCircuit::blank(DEPTH));
    assert_eq!(ours, OURS_DEPTH_20);
    assert!(
        ours <= header.n_constraints as usize,
        "ours {ours} > circom {}",
        header.n_constraints
    );
    eprintln!(
        "constraints at depth {DEPTH}: zkconsent {ours}, circom --O2 {}, circom --O1 {}",
        header.n_constraints, o1_header.n_constraints
    );
}

#[test]
fn circom_reference_proves_the_same_statement() {
    let Some(tools) = tools() else { return };
    let compiled = compiled(&tools);
    let work = tempfile::tempdir().expect("tempdir");
    let fixture = access_fixture(&mut ChaCha20Rng::seed_from_u64(2026), DEPTH);
    let input = circom_input::circom_input(&fixture.public, &fixture.private);

    // Computes a witness for `input`; Ok(wtns path) or Err(snarkjs output).
    let witness = |name: &str, input: &Value| -> Result<PathBuf, String> {
        let input_path = work.path().join(format!("{name}.json"));
        std::fs::write(&input_path, serde_json::to_vec(input).expect("json")).expect("write");
        let wtns = work.path().join(format!("{name}.wtns"));
        let (ok, out) = snarkjs(
            &tools,
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
    };

    // The true statement: a witness whose public signals are ours, satisfying the R1CS.
    let wtns = witness("valid", &input).unwrap_or_else(|e| panic!("witness failed:\n{e}"));
    let (ok, out) = snarkjs(
        &tools,
        &[
            Path::new("wtns"),
            Path::new("check"),
            &compiled.r1cs(),
            &wtns,
        ],
    );
    assert!(
        ok && out.contains("WITNESS IS CORRECT"),
        "wtns check:\n{out}"
    );
    let json_path = work.path().join("valid.wtns.json");
    let (ok, out) = snarkjs(
        &tools,
        &[
            Path::new("wtns"),
            Path::new("export"),
            Path::new("json"),
            &wtns,
            &json_path,
        ],
    );
    assert!(ok, "wtns export:\n{out}");
    let signals: Vec<String> =
        serde_json::from_slice(&std::fs::read(&json_path).expect("read")).expect("string array");
    let ours: Vec<String> = fixture
        .public
        .to_field_elements()
        .iter()
        .map(fr_to_decimal)
        .collect();
    assert_eq!(signals[0], "1");
    assert_eq!(signals[1..=ours.len()], ours[..], "public signals differ");

    // False statements have no witness, and fail at the check we expect: another root (the
    // membership check), and `now` at the (exclusive) end of the window.
    let mut wrong_root = input.clone();
    wrong_root["grants_root"] =
        fr_to_decimal(&(fixture.tree.root().0 + ark_bn254::Fr::from(1u64))).into();
    let err = witness("wrong_root", &wrong_root).expect_err("wrong root has a witness");
    assert_fails_at(&err, "tree.root === grants_root;");

    let mut expired = input;
    expired["now"] = fixture.private.grant.not_after.0.to_string().into();
    let err = witness("expired", &expired).expect_err("expired grant has a witness");
    assert_fails_at(&err, "unexpired.out === 1;");
}

/// Asserts snarkjs's witness error is a failed circom assertion at the line of
/// `zkconsent_access.circom` holding `statement`.
#[track_caller]
fn assert_fails_at(err: &str, statement: &str) {
    let path = root().join("benches/reference/zkconsent_access.circom");
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
