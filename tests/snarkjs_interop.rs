//! snarkjs interoperability: our verifier on snarkjs's files, and snarkjs on ours.
//!
//! The committed fixtures in `tests/fixtures/snarkjs/` come from `interop/make-fixtures.sh`
//! (circom2 0.2.23 + snarkjs 0.7.6). The end-to-end test runs the real snarkjs from
//! `interop/node_modules`, so `(cd interop && npm ci)` must have run first; without it the
//! test fails rather than skipping.

mod common;

use common::{issue_grant, new_request, prove, setup_home, BASE, P, R};
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};
use zkconsent::{
    circuits::poseidon,
    export::{
        snarkjs::{SnarkjsError, SnarkjsProof, SnarkjsPublic, SnarkjsVerifyingKey},
        verify_snarkjs,
    },
    files::proof::ProofFile,
    prover::Statement,
    verifier::{self, DecodeError, Fr, VerifyError},
    verify::VerifyFailure,
};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn fixture(name: &str) -> Vec<u8> {
    let path = root().join("tests/fixtures/snarkjs").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).expect("fixture is JSON")
}

/// The three committed fixture files: (vk, public, proof) bytes.
fn fixtures() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    (
        fixture("verification_key.json"),
        fixture("public.json"),
        fixture("proof.json"),
    )
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("serialise")
}

// ---- (a) our verifier on snarkjs's proof ----

#[test]
fn our_verifier_accepts_the_snarkjs_fixture_and_rejects_tampering() {
    let (vk_bytes, public_bytes, proof_bytes) = fixtures();
    let vk = SnarkjsVerifyingKey::decode(&vk_bytes).expect("fixture key decodes");
    let inputs = SnarkjsPublic::decode(&public_bytes).expect("fixture inputs decode");
    let proof = SnarkjsProof::decode(&proof_bytes).expect("fixture proof decodes");
    let pvk = verifier::prepare_verifying_key(&vk).expect("key prepares");
    assert_eq!(verifier::verify(&pvk, &inputs, &proof), Ok(()));
    verify_snarkjs(&vk_bytes, &public_bytes, &proof_bytes).expect("snarkjs proof verifies");

    // The circuit publishes [a * b, Poseidon(a, b)] for a = 3, b = 11: circomlib's Poseidon
    // is ours.
    let (a, b) = (Fr::from(3u64), Fr::from(11u64));
    assert_eq!(
        inputs,
        vec![a * b, poseidon::hash(&[a, b]).expect("arity 2")]
    );

    // A public input changed.
    let mut wrong = inputs.clone();
    wrong[0] += Fr::from(1u64);
    assert_eq!(
        verifier::verify(&pvk, &wrong, &proof),
        Err(VerifyError::InvalidProof)
    );
    let wrong_json = SnarkjsPublic::from_inputs(&wrong).to_json();
    assert!(matches!(
        verify_snarkjs(&vk_bytes, wrong_json.as_bytes(), &proof_bytes),
        Err(VerifyFailure::Rejected(_))
    ));

    // pi_a negated (still a valid point, so it decodes; the pairing check fails).
    let mut negated = proof.clone();
    negated.a = -negated.a;
    assert_eq!(
        verifier::verify(&pvk, &inputs, &negated),
        Err(VerifyError::InvalidProof)
    );
    let negated_json = SnarkjsProof::from_proof(&negated).to_json();
    assert!(matches!(
        verify_snarkjs(&vk_bytes, &public_bytes, negated_json.as_bytes()),
        Err(VerifyFailure::Rejected(_))
    ));

    // Too few inputs for the key: malformed, not merely invalid.
    assert!(matches!(
        verify_snarkjs(&vk_bytes, br#"["33"]"#, &proof_bytes),
        Err(VerifyFailure::Malformed(_))
    ));
}

#[test]
fn fixture_round_trips_through_our_types() {
    // snarkjs writes vk_alphabeta_12, which we accept and never write: apart from it, our
    // export of the decoded fixture is the fixture.
    let (vk_bytes, public_bytes, proof_bytes) = fixtures();
    let vk = SnarkjsVerifyingKey::decode(&vk_bytes).expect("decodes");
    let mut original = fixture_json("verification_key.json");
    assert!(original
        .as_object_mut()
        .expect("object")
        .remove("vk_alphabeta_12")
        .is_some());
    let ours: Value = serde_json::from_str(&SnarkjsVerifyingKey::from_vk(&vk).to_json())
        .expect("our JSON parses");
    assert_eq!(ours, original);

    let proof = SnarkjsProof::decode(&proof_bytes).expect("decodes");
    let ours: Value =
        serde_json::from_str(&SnarkjsProof::from_proof(&proof).to_json()).expect("parses");
    assert_eq!(ours, fixture_json("proof.json"));

    let inputs = SnarkjsPublic::decode(&public_bytes).expect("decodes");
    let ours: Value =
        serde_json::from_str(&SnarkjsPublic::from_inputs(&inputs).to_json()).expect("parses");
    assert_eq!(ours, fixture_json("public.json"));
}

#[test]
fn import_is_strict() {
    let vk = fixture_json("verification_key.json");
    let proof = fixture_json("proof.json");
    let vk_err = |edit: &dyn Fn(&mut Value)| {
        let mut v = vk.clone();
        edit(&mut v);
        SnarkjsVerifyingKey::decode(&bytes(&v)).expect_err("must be rejected")
    };
    let proof_err = |edit: &dyn Fn(&mut Value)| {
        let mut v = proof.clone();
        edit(&mut v);
        SnarkjsProof::decode(&bytes(&v)).expect_err("must be rejected")
    };
    let public_err = |text: &str| SnarkjsPublic::decode(text.as_bytes()).expect_err(text);

    // Header fields.
    assert_eq!(
        vk_err(&|v| v["protocol"] = "plonk".into()),
        SnarkjsError::Protocol("plonk".into())
    );
    assert_eq!(
        vk_err(&|v| v["curve"] = "bls12381".into()),
        SnarkjsError::Curve("bls12381".into())
    );
    assert_eq!(
        vk_err(&|v| v["nPublic"] = 3.into()),
        SnarkjsError::PublicCount { n_public: 3, ic: 3 }
    );
    assert!(matches!(
        vk_err(&|v| v["IC"] = Value::Array(vec![])),
        SnarkjsError::Count { what: "IC", .. }
    ));
    assert!(matches!(
        vk_err(&|v| v["extra"] = 1.into()),
        SnarkjsError::Json { .. }
    ));
    assert!(matches!(
        vk_err(&|v| {
            v.as_object_mut().expect("object").remove("vk_delta_2");
        }),
        SnarkjsError::Json { .. }
    ));
    assert_eq!(
        proof_err(&|v| v["protocol"] = "fflonk".into()),
        SnarkjsError::Protocol("fflonk".into())
    );
    assert_eq!(
        proof_err(&|v| v["curve"] = "bn254".into()),
        SnarkjsError::Curve("bn254".into())
    );
    assert!(matches!(
        proof_err(&|v| v["pi_z"] = "1".into()),
        SnarkjsError::Json { .. }
    ));
    // rapidsnark omits `curve`: tolerated.
    let mut no_curve = proof.clone();
    no_curve.as_object_mut().expect("object").remove("curve");
    assert!(SnarkjsProof::decode(&bytes(&no_curve)).is_ok());

    // Projective z must be exactly 1 / [1, 0]; the identity is allowed only in IC.
    let not_affine = |field: &str| SnarkjsError::NotAffine {
        field: field.into(),
    };
    assert_eq!(
        proof_err(&|v| v["pi_a"][2] = "2".into()),
        not_affine("pi_a")
    );
    assert_eq!(
        proof_err(&|v| v["pi_a"][2] = "01".into()),
        not_affine("pi_a")
    );
    assert_eq!(
        proof_err(&|v| v["pi_b"][2] = serde_json::json!(["0", "1"])),
        not_affine("pi_b")
    );
    assert_eq!(
        proof_err(&|v| v["pi_c"] = serde_json::json!(["0", "1", "0"])),
        not_affine("pi_c")
    );
    assert_eq!(
        vk_err(&|v| v["vk_gamma_2"][2] = serde_json::json!(["1", "1"])),
        not_affine("vk_gamma_2")
    );
    assert_eq!(vk_err(&|v| v["IC"][1][2] = "0".into()), not_affine("IC[1]"));

    // Coordinates: strings only, canonical decimal, below p, on the curve, [c0, c1] order.
    assert!(matches!(
        proof_err(&|v| v["pi_a"][0] = 1.into()),
        SnarkjsError::Json { .. }
    ));
    let lead_zero = format!("0{}", proof["pi_a"][0].as_str().expect("string"));
    assert_eq!(
        proof_err(&|v| v["pi_a"][0] = lead_zero.clone().into()),
        SnarkjsError::Point {
            field: "pi_a".into(),
            source: DecodeError::InvalidDecimal
        }
    );
    assert_eq!(
        proof_err(&|v| v["pi_c"][1] = "1".into()),
        SnarkjsError::Point {
            field: "pi_c".into(),
            source: DecodeError::NotOnCurve
        }
    );
    assert_eq!(
        vk_err(&|v| v["vk_alpha_1"][0] = P.into()),
        SnarkjsError::Point {
            field: "vk_alpha_1".into(),
            source: DecodeError::FieldElementTooLarge
        }
    );
    assert!(matches!(
        proof_err(&|v| {
            let x = v["pi_b"][0].clone();
            v["pi_b"][0] = serde_json::json!([x[1], x[0]]);
            let y = v["pi_b"][1].clone();
            v["pi_b"][1] = serde_json::json!([y[1], y[0]]);
        }),
        SnarkjsError::Point { field, .. } if field == "pi_b"
    ));

    // Public inputs: strings, canonical, below r.
    assert_eq!(
        public_err(&format!(r#"["33", "{R}"]"#)),
        SnarkjsError::PublicInput {
            index: 1,
            source: DecodeError::FieldElementTooLarge
        }
    );
    assert_eq!(
        public_err(r#"["033"]"#),
        SnarkjsError::PublicInput {
            index: 0,
            source: DecodeError::InvalidDecimal
        }
    );
    assert!(matches!(public_err("[33]"), SnarkjsError::Json { .. }));
    assert!(matches!(
        public_err(r#"{"c": "33"}"#),
        SnarkjsError::Json { .. }
    ));

    // Every message is one line.
    for e in [public_err("[\n33\n]"), vk_err(&|v| v["nPublic"] = 7.into())] {
        assert!(!e.to_string().contains('\n'), "{e}");
    }
}

// ---- (b), (c): zkconsent proof → snarkjs, checked by the real snarkjs ----

/// `zkconsent --home HOME ARGS…`, returning the output; asserts no panic.
fn zk(home: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_zkconsent"))
        .env("ZKCONSENT_PASSPHRASE", common::TEST_PASSPHRASE)
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("ZKCONSENT_HOME")
        .output()
        .expect("run zkconsent");
    assert_ne!(
        output.status.code(),
        Some(101),
        "zkconsent {args:?} panicked"
    );
    output
}

#[track_caller]
fn zk_ok(home: &Path, args: &[&str]) -> String {
    let output = zk(home, args);
    assert!(
        output.status.success(),
        "zkconsent {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn snarkjs_bin() -> PathBuf {
    let bin = root().join("interop/node_modules/.bin/snarkjs");
    assert!(
        bin.exists(),
        "{} is missing: run `(cd interop && npm ci)` first; the snarkjs interop test needs \
         the pinned snarkjs and must not be skipped",
        bin.display()
    );
    bin
}

/// `snarkjs groth16 verify` on DIR's three files: (exit success, combined output).
fn snarkjs_verify(dir: &Path) -> (bool, String) {
    let output = Command::new(snarkjs_bin())
        .args([
            "groth16",
            "verify",
            "verification_key.json",
            "public.json",
            "proof.json",
        ])
        .current_dir(dir)
        .output()
        .expect("run snarkjs (is node installed?)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn verify_snarkjs_cli(home: &Path, dir: &Path) -> Option<i32> {
    let arg = |name: &str| dir.join(name).display().to_string();
    zk(
        home,
        &[
            "verify-snarkjs",
            "--vk",
            &arg("verification_key.json"),
            "--public",
            &arg("public.json"),
            "--proof",
            &arg("proof.json"),
        ],
    )
    .status
    .code()
}

/// Sets up the shared depth-4 CLI home (tests/common) and writes an access proof made at
/// BASE to `out`.
fn make_access_proof(home: &Path, out: &Path) {
    setup_home(home);
    let grant = issue_grant(home, "conditions,observations");
    let (request, _) = new_request(home);
    let base = BASE.to_string();
    prove(
        home,
        grant,
        &request,
        &["--now", &base, "--out", out.to_str().expect("utf-8 path")],
    )
    .expect_code(0);
}

#[test]
fn exported_access_proof_verifies_in_snarkjs_and_round_trips() {
    let snarkjs = snarkjs_bin(); // fail fast, before the slow setup
    assert!(snarkjs.exists());
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("home");
    let proof_path = tmp.path().join("access.json");
    make_access_proof(&home, &proof_path);

    let out = tmp.path().join("snarkjs");
    zk_ok(
        &home,
        &[
            "export",
            "snarkjs",
            proof_path.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );

    // (b) The real snarkjs accepts it…
    let (ok, text) = snarkjs_verify(&out);
    assert!(
        ok && text.contains("OK!"),
        "snarkjs rejected our proof:\n{text}"
    );
    assert_eq!(verify_snarkjs_cli(&home, &out), Some(0));

    // (c) …and import gives back exactly the home's key and the proof file's proof and inputs.
    let read = |name: &str| std::fs::read(out.join(name)).expect("exported file");
    let vk = SnarkjsVerifyingKey::decode(&read("verification_key.json")).expect("vk");
    let proof = SnarkjsProof::decode(&read("proof.json")).expect("proof");
    let inputs = SnarkjsPublic::decode(&read("public.json")).expect("public");
    let opened = common::open_home(&home);
    let (pvk, _) = opened.verifying_key(Statement::Access).expect("vk");
    assert_eq!(&vk, pvk.vk());
    let decoded = ProofFile::decode(&std::fs::read(&proof_path).expect("proof file"))
        .expect("proof file decodes");
    assert_eq!(proof, decoded.proof);
    assert_eq!(inputs, decoded.inputs);
    assert_eq!(inputs.len(), Statement::Access.input_names().len());
    // Re-exporting the imported values reproduces the files byte for byte.
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    assert_eq!(
        SnarkjsVerifyingKey::from_vk(&vk).to_json() + "\n",
        text(read("verification_key.json"))
    );
    assert_eq!(
        SnarkjsProof::from_proof(&proof).to_json() + "\n",
        text(read("proof.json"))
    );
    assert_eq!(
        SnarkjsPublic::from_inputs(&inputs).to_json() + "\n",
        text(read("public.json"))
    );

    // Tampered public input (+1): snarkjs and our verifier both reject.
    let mut tampered = inputs.clone();
    tampered[0] += Fr::from(1u64);
    std::fs::write(
        out.join("public.json"),
        SnarkjsPublic::from_inputs(&tampered).to_json(),
    )
    .expect("write");
    let (ok, text) = snarkjs_verify(&out);
    assert!(
        !ok && text.contains("Invalid proof"),
        "snarkjs accepted a tampered input:\n{text}"
    );
    assert_eq!(verify_snarkjs_cli(&home, &out), Some(1));

    // Malformed files are exit 2, for both commands.
    std::fs::write(out.join("public.json"), "[\"01\"]").expect("write");
    assert_eq!(verify_snarkjs_cli(&home, &out), Some(2));
    // A key with gamma == delta would let anyone forge its public inputs: refused at load.
    std::fs::write(
        out.join("public.json"),
        SnarkjsPublic::from_inputs(&inputs).to_json(),
    )
    .expect("write");
    let vk_path = out.join("verification_key.json");
    let mut vk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&vk_path).expect("vk")).expect("vk JSON");
    vk["vk_delta_2"] = vk["vk_gamma_2"].clone();
    std::fs::write(&vk_path, vk.to_string()).expect("write");
    assert_eq!(verify_snarkjs_cli(&home, &out), Some(2));
    let bad_proof = tmp.path().join("bad.json");
    std::fs::write(&bad_proof, "{\"format\": \"zkconsent-proof\"}").expect("write");
    let run = zk(
        &home,
        &[
            "export",
            "snarkjs",
            bad_proof.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(run.status.code(), Some(2));
}
