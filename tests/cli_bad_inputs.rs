//! Malformed and hostile inputs: every malformed proof file is exit 2 with a one-line
//! `zkconsent:` reason and no panic; well-formed but wrong proofs are exit 1; bad arguments
//! and homes that were never set up are exit 2. Ends with a seeded mutation loop through
//! the library.

mod common;

use common::*;
use rand::{rngs::StdRng, SeedableRng};
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use zkconsent::{
    circuits::types::{Purpose, Timestamp},
    home::Home,
    prover::Statement,
    registry::Role,
    request::Request,
    statements::{access::AccessTerms, authority::GrantRequest, Terms},
    verifier::{fq_to_decimal, parse_fq_decimal, parse_fr_decimal, Fq, G2Affine},
    verify::{verify_proof_bytes, VerifyFailure, VerifyOptions},
    vocab::parse_scope,
};

/// Asserts a malformed-input verdict: exit 2, one `zkconsent:` line, no panic.
#[track_caller]
fn assert_malformed(run: &Run, what: &str) {
    assert_eq!(
        run.code,
        Some(2),
        "{what}: expected exit 2\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout,
        run.stderr
    );
    run.no_panic();
    run.one_line_error();
}

/// Asserts a rejection: exit 1, one `zkconsent:` line, no panic.
#[track_caller]
fn assert_rejected(run: &Run, what: &str) {
    assert_eq!(
        run.code,
        Some(1),
        "{what}: expected exit 1\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout,
        run.stderr
    );
    run.no_panic();
    run.one_line_error();
}

/// The fixture proof with `edit` applied, verified through the binary.
fn verify_edited(edit: impl FnOnce(&mut Value)) -> Run {
    let fx = fixture();
    let mut v = fx.proof_json();
    edit(&mut v);
    fx.verify_json(&v)
}

#[test]
fn the_fixture_proof_verifies() {
    let fx = fixture();
    fx.verify_path(&fx.proof_path).expect_code(0);
    // Re-serialised without changes, it still verifies (the edits below are the only change).
    fx.verify_json(&fx.proof_json()).expect_code(0);
    let v = fx.proof_json();
    assert_eq!(v["public_inputs"]["request_hash"], fx.request_hash.as_str());
}

#[test]
fn nonexistent_and_empty_files() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-proof.json");
    let run = fx.verify_path(&missing);
    assert_malformed(&run, "nonexistent file");
    assert!(run.stderr.contains("no-such-proof.json"), "{}", run.stderr);
    assert_malformed(&fx.verify_bytes(b""), "empty file");
    assert_malformed(&fx.verify_bytes(b"   \n"), "whitespace only");
    // A directory is not a file.
    assert_malformed(&fx.verify_path(dir.path()), "a directory");
}

#[test]
fn truncated_proof_files() {
    let fx = fixture();
    let n = fx.proof_bytes.len();
    for len in [1, 2, 10, 50, n / 4, n / 2, n - 100, n - 10, n - 2, n - 1] {
        let run = fx.verify_bytes(&fx.proof_bytes[..len]);
        assert_malformed(&run, &format!("truncated to {len} of {n} bytes"));
    }
}

#[test]
fn not_json_and_wrong_shapes() {
    let fx = fixture();
    for (what, bytes) in [
        ("not JSON", &b"this is not a proof"[..]),
        ("binary", &[0xff, 0xfe, 0x00, 0x01, 0x80][..]),
        ("JSON null", b"null"),
        ("JSON number", b"42"),
        ("JSON string", b"\"zkconsent-proof\""),
        ("JSON array", b"[1, 2, 3]"),
        ("empty object", b"{}"),
        ("wrong shape", br#"{"format": 5, "proof": "x"}"#),
        ("trailing garbage", b"{} {}"),
    ] {
        assert_malformed(&fx.verify_bytes(bytes), what);
    }
    // A valid proof followed by garbage.
    let mut extra = fx.proof_bytes.clone();
    extra.extend_from_slice(b"\n{}");
    assert_malformed(&fx.verify_bytes(&extra), "valid proof then garbage");
    // Larger than the 64 KiB limit (valid JSON padded with whitespace).
    let mut big = fx.proof_bytes.clone();
    big.extend(std::iter::repeat_n(b' ', 70 * 1024));
    assert_malformed(&fx.verify_bytes(&big), "over 64 KiB");
}

/// A named edit of a proof file's JSON.
type Edit = Box<dyn FnOnce(&mut Value)>;

#[test]
fn unknown_fields_format_version_statement() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "unknown top-level field",
            Box::new(|v| v["extra"] = json!(1)),
        ),
        (
            "unknown proof field",
            Box::new(|v| v["proof"]["d"] = json!(["1", "2"])),
        ),
        (
            "missing proof",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("proof");
            }),
        ),
        (
            "missing public_inputs",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("public_inputs");
            }),
        ),
        (
            "missing vk_sha256",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("vk_sha256");
            }),
        ),
        (
            "wrong format",
            Box::new(|v| v["format"] = json!("snarkjs-proof")),
        ),
        ("format not a string", Box::new(|v| v["format"] = json!(1))),
        ("version 2", Box::new(|v| v["version"] = json!(2))),
        ("version 0", Box::new(|v| v["version"] = json!(0))),
        (
            "version as a string",
            Box::new(|v| v["version"] = json!("1")),
        ),
        ("version negative", Box::new(|v| v["version"] = json!(-1))),
        (
            "version 2^32",
            Box::new(|v| v["version"] = json!(4_294_967_296u64)),
        ),
        ("version 1.0", Box::new(|v| v["version"] = json!(1.0))),
        (
            "unknown statement",
            Box::new(|v| v["statement"] = json!("teleport")),
        ),
        (
            "statement in capitals",
            Box::new(|v| v["statement"] = json!("ACCESS")),
        ),
        (
            "authority statement with access inputs",
            Box::new(|v| v["statement"] = json!("authority")),
        ),
        (
            "public_inputs an array",
            Box::new(|v| v["public_inputs"] = json!(["1", "2", "3", "4", "5", "6", "7"])),
        ),
        (
            "proof.a of one coordinate",
            Box::new(|v| v["proof"]["a"] = json!(["1"])),
        ),
        (
            "proof.a of three coordinates",
            Box::new(|v| v["proof"]["a"] = json!(["1", "2", "3"])),
        ),
        (
            "proof.a numbers",
            Box::new(|v| v["proof"]["a"] = json!([1, 2])),
        ),
        (
            "proof.b flat",
            Box::new(|v| v["proof"]["b"] = json!(["1", "2", "3", "4"])),
        ),
    ];
    for (what, edit) in cases {
        assert_malformed(&verify_edited(edit), what);
    }
}

#[test]
fn vk_sha256_not_hex() {
    for (what, value) in [
        ("not hex", json!("z".repeat(64))),
        ("63 digits", json!("a".repeat(63))),
        ("65 digits", json!("a".repeat(65))),
        ("0x prefix", json!(format!("0x{}", "a".repeat(62)))),
        ("empty", json!("")),
        ("a number", json!(12345)),
        ("non-ASCII", json!(format!("{}é", "a".repeat(62)))),
    ] {
        assert_malformed(
            &verify_edited(|v| v["vk_sha256"] = value),
            &format!("vk_sha256 {what}"),
        );
    }
}

#[test]
fn public_input_set_and_order() {
    assert_malformed(
        &verify_edited(|v| {
            v["public_inputs"].as_object_mut().unwrap().remove("now");
        }),
        "public input missing",
    );
    assert_malformed(
        &verify_edited(|v| {
            v["public_inputs"]
                .as_object_mut()
                .unwrap()
                .shift_remove("access_tag");
        }),
        "last public input missing",
    );
    assert_malformed(
        &verify_edited(|v| v["public_inputs"]["extra"] = json!("1")),
        "extra public input",
    );
    assert_malformed(
        &verify_edited(|v| v["public_inputs"] = json!({})),
        "no public inputs",
    );
    // Same set of names, two swapped.
    assert_malformed(
        &verify_edited(|v| {
            let inputs = v["public_inputs"].as_object().unwrap().clone();
            let mut names: Vec<String> = inputs.keys().cloned().collect();
            names.swap(1, 2);
            let reordered: serde_json::Map<String, Value> = names
                .iter()
                .map(|n| (n.clone(), inputs[n].clone()))
                .collect();
            assert_eq!(
                reordered.keys().nth(1).unwrap(),
                "scope",
                "order is preserved"
            );
            v["public_inputs"] = Value::Object(reordered);
        }),
        "public inputs out of order",
    );
    // Same count, one name replaced.
    assert_malformed(
        &verify_edited(|v| {
            let inputs = v["public_inputs"].as_object().unwrap().clone();
            let renamed: serde_json::Map<String, Value> = inputs
                .into_iter()
                .map(|(k, x)| (if k == "scope" { "Scope".into() } else { k }, x))
                .collect();
            v["public_inputs"] = Value::Object(renamed);
        }),
        "public input renamed",
    );
}

#[test]
fn public_input_values() {
    let bad: Vec<(&str, Value)> = vec![
        ("a number", json!(5)),
        ("a big number", json!(1_750_000_000u64)),
        ("null", Value::Null),
        ("an array", json!(["5"])),
        ("r", json!(R)),
        ("r + 1", json!(R_PLUS_1)),
        ("2^256", json!(TWO_256)),
        ("79 digits", json!(format!("1{}", "0".repeat(78)))),
        ("-1", json!("-1")),
        ("+5", json!("+5")),
        (" 5", json!(" 5")),
        ("5 ", json!("5 ")),
        ("05", json!("05")),
        ("00", json!("00")),
        ("1e3", json!("1e3")),
        ("hex", json!("0x1f")),
        ("bare hex", json!("ff")),
        ("empty", json!("")),
        ("underscore", json!("1_000")),
        ("decimal point", json!("5.0")),
        ("unicode digit", json!("５")),
    ];
    for name in ["now", "scope", "access_tag"] {
        for (what, value) in &bad {
            let value = value.clone();
            assert_malformed(
                &verify_edited(|v| v["public_inputs"][name] = value),
                &format!("public input {name} = {what}"),
            );
        }
    }
}

#[test]
fn points_off_the_curve_or_out_of_range() {
    let g1_cases: Vec<(&str, Value)> = vec![
        ("(1, 1)", json!(["1", "1"])),
        ("(0, 0)", json!(["0", "0"])),
        ("x = p", json!([P, "2"])),
        ("y = p", json!(["1", P])),
        ("x = 2^256", json!([TWO_256, "2"])),
        ("x = -1", json!(["-1", "2"])),
        ("x = 01", json!(["01", "2"])),
        ("x empty", json!(["", "2"])),
    ];
    for field in ["a", "c"] {
        for (what, value) in &g1_cases {
            let value = value.clone();
            assert_malformed(
                &verify_edited(|v| v["proof"][field] = value),
                &format!("proof.{field} = {what}"),
            );
        }
    }
    // The generator (1, 2) is on the curve, so the coordinate-range check is what must fire
    // for x = 1 + p: the same point if the decoder reduced mod p.
    let fx = fixture();
    let a = fx.proof_json()["proof"]["a"].clone();
    let x = a[0].as_str().unwrap().to_string();
    let y = a[1].as_str().unwrap().to_string();
    let p_minus_y = fq_to_decimal(&-parse_fq_decimal(&y).unwrap());
    assert_ne!(p_minus_y, y);
    // x + p (non-canonical spelling of the same x) is >= p.
    let x_plus_p = add_decimal(&x, P);
    assert_malformed(
        &verify_edited(|v| v["proof"]["a"] = json!([x_plus_p, y])),
        "proof.a x + p",
    );
    // y as 2p - y: same y mod p, non-canonical.
    let y_plus_p = add_decimal(&y, P);
    assert_malformed(
        &verify_edited(|v| v["proof"]["a"] = json!([x, y_plus_p])),
        "proof.a y + p",
    );

    // G2: zero point, swapped c0/c1, coordinates out of range.
    let b = fx.proof_json()["proof"]["b"].clone();
    let swapped = json!([[b[0][1], b[0][0]], [b[1][1], b[1][0]]]);
    assert_malformed(
        &verify_edited(|v| v["proof"]["b"] = swapped),
        "proof.b with c0/c1 swapped",
    );
    let swapped_x = json!([[b[0][1], b[0][0]], b[1]]);
    assert_malformed(
        &verify_edited(|v| v["proof"]["b"] = swapped_x),
        "proof.b with x's c0/c1 swapped",
    );
    let swapped_xy = json!([b[1], b[0]]);
    assert_malformed(
        &verify_edited(|v| v["proof"]["b"] = swapped_xy),
        "proof.b with x and y swapped",
    );
    assert_malformed(
        &verify_edited(|v| v["proof"]["b"] = json!([["0", "0"], ["0", "0"]])),
        "proof.b all zero",
    );
    assert_malformed(
        &verify_edited(|v| v["proof"]["b"] = json!([[P, "0"], ["0", "0"]])),
        "proof.b x.c0 = p",
    );
    let b_c1_plus_p = json!([[b[0][0], add_decimal(b[0][1].as_str().unwrap(), P)], b[1]]);
    assert_malformed(
        &verify_edited(|v| v["proof"]["b"] = b_c1_plus_p),
        "proof.b x.c1 + p",
    );
}

#[test]
fn g2_point_outside_the_subgroup() {
    let p = g2_outside_subgroup();
    let b = json!([
        [fq_to_decimal(&p.x.c0), fq_to_decimal(&p.x.c1)],
        [fq_to_decimal(&p.y.c0), fq_to_decimal(&p.y.c1)],
    ]);
    let run = verify_edited(|v| v["proof"]["b"] = b);
    assert_malformed(&run, "proof.b on the curve, outside the subgroup");
    assert!(run.stderr.contains("subgroup"), "{}", run.stderr);
}

/// A G2 point on the twist but outside the prime-order subgroup (the cofactor is huge, so
/// the first point found is almost surely outside; asserted).
fn g2_outside_subgroup() -> G2Affine {
    for i in 1u64.. {
        let x = ark_bn254::Fq2::new(Fq::from(i), Fq::from(1u64));
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            assert!(p.is_on_curve());
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                return p;
            }
        }
    }
    unreachable!()
}

/// Sum of two non-negative decimal strings.
fn add_decimal(a: &str, b: &str) -> String {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut out = Vec::new();
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let da = if i < a.len() {
            a[a.len() - 1 - i] - b'0'
        } else {
            0
        };
        let db = if i < b.len() {
            b[b.len() - 1 - i] - b'0'
        } else {
            0
        };
        let s = da + db + carry;
        out.push(b'0' + s % 10);
        carry = s / 10;
    }
    if carry > 0 {
        out.push(b'0' + carry);
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

#[test]
fn well_formed_but_wrong_proofs_are_rejected_not_malformed() {
    let fx = fixture();
    let names: Vec<String> = fx.proof_json()["public_inputs"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(names.len(), 7);
    for name in &names {
        let run = verify_edited(|v| {
            let old = v["public_inputs"][name.as_str()]
                .as_str()
                .unwrap()
                .to_string();
            // +1, unless that reaches r (then -1 is just as good a change).
            let new = if old == R_MINUS_1 {
                "0".to_string()
            } else {
                decimal_add_one(&old)
            };
            assert!(parse_fr_decimal(&new).is_ok());
            v["public_inputs"][name.as_str()] = json!(new);
        });
        assert_rejected(&run, &format!("public input {name} + 1"));
    }

    // Another valid-looking verifying key hash.
    let run = verify_edited(|v| {
        let old = v["vk_sha256"].as_str().unwrap().to_string();
        let first = if old.starts_with('0') { "1" } else { "0" };
        v["vk_sha256"] = json!(format!("{first}{}", &old[1..]));
    });
    assert_rejected(&run, "vk_sha256 of another key");
    assert!(run.stderr.contains("verifying key"), "{}", run.stderr);

    // Another circuit version.
    assert_rejected(
        &verify_edited(|v| {
            v["circuit_version"] = json!(v["circuit_version"].as_u64().unwrap() + 1)
        }),
        "circuit_version + 1",
    );

    // Valid points, wrong proof: A and C swapped; A negated.
    assert_rejected(
        &verify_edited(|v| {
            let a = v["proof"]["a"].clone();
            v["proof"]["a"] = v["proof"]["c"].clone();
            v["proof"]["c"] = a;
        }),
        "A and C swapped",
    );
    assert_rejected(
        &verify_edited(|v| {
            let y = v["proof"]["a"][1].as_str().unwrap().to_string();
            v["proof"]["a"][1] = json!(fq_to_decimal(&-parse_fq_decimal(&y).unwrap()));
        }),
        "A negated",
    );
    // The authority statement's input names with the access proof's points: well-formed,
    // but made for another key.
    assert_rejected(
        &verify_edited(|v| {
            v["statement"] = json!("authority");
            v.as_object_mut().unwrap().remove("tree_depth");
            v["public_inputs"] = json!({ "action": "1", "commitment": "12345" });
        }),
        "authority statement, access key",
    );
}

#[test]
fn uppercase_vk_hash_is_not_canonical() {
    // vk_sha256 is lower-case hex, like every other encoding: no second spelling.
    let run = verify_edited(|v| {
        let upper = v["vk_sha256"].as_str().unwrap().to_ascii_uppercase();
        v["vk_sha256"] = json!(upper);
    });
    run.expect_code(2);
}

/// A proof file's tree depth must be the params' depth (another depth is another circuit).
#[test]

fn proof_file_tree_depth_must_match_the_params() {
    // The home is depth 4; a proof file claiming another depth, or none, describes a proof
    // for another circuit and should not be accepted as is.
    for (what, value) in [
        ("tree_depth 5", Some(json!(5))),
        ("tree_depth 20", Some(json!(20))),
        ("tree_depth 0", Some(json!(0))),
        ("tree_depth absent", None),
    ] {
        let run = verify_edited(|v| match value {
            Some(d) => v["tree_depth"] = d,
            None => {
                v.as_object_mut().unwrap().remove("tree_depth");
            }
        });
        assert!(
            run.code == Some(1) || run.code == Some(2),
            "{what}: accepted (exit {:?}); a proof file's tree_depth is not checked against \
             the params' depth\n{}",
            run.code,
            run.stdout
        );
        run.no_panic();
    }
}

/// A repeated public-input name is malformed: a JSON map would keep one value silently.
#[test]

fn duplicate_public_input_names_are_malformed() {
    let fx = fixture();
    let text = String::from_utf8(fx.proof_bytes.clone()).unwrap();
    let scope = fx.proof_json()["public_inputs"]["scope"]
        .as_str()
        .unwrap()
        .to_string();
    let slot = format!("\"scope\": \"{scope}\"");
    assert_eq!(text.matches(&slot).count(), 1, "{text}");
    let forged = text.replacen(&slot, "\"scope\": \"1023\"", 1).replacen(
        "\"access_tag\"",
        &format!("{slot},\n    \"access_tag\""),
        1,
    );
    assert_malformed(
        &fx.verify_bytes(forged.as_bytes()),
        "duplicate scope, wide first",
    );
    let same = text.replacen("\"access_tag\"", &format!("{slot},\n    \"access_tag\""), 1);
    assert_malformed(
        &fx.verify_bytes(same.as_bytes()),
        "duplicate scope, same value",
    );
}

#[test]
fn duplicate_top_level_fields_are_malformed() {
    let fx = fixture();
    let text = String::from_utf8(fx.proof_bytes.clone()).unwrap();
    for (field, dup) in [
        ("format", "\"format\": \"zkconsent-proof\",\n  \"format\""),
        ("version", "\"version\": 1,\n  \"format\""),
    ] {
        let forged = text.replacen("\"format\"", dup, 1);
        assert_ne!(forged, text);
        assert_malformed(
            &fx.verify_bytes(forged.as_bytes()),
            &format!("duplicate {field}"),
        );
    }
}

/// `grant issue` refuses an empty validity window as malformed input, before any proof.
#[test]

fn grant_issue_rejects_an_empty_window() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    setup_home(&home);
    let (nb, na) = (BASE.to_string(), (BASE - 1).to_string());
    for not_after in [&na, &nb] {
        let run = grant_issue(
            &home,
            "observations",
            &["--not-before", &nb, "--not-after", not_after],
        );
        assert_malformed(&run, &format!("window [{nb}, {not_after})"));
    }
    let list = zkh(&home, &["--json", "grant", "list"]);
    assert_eq!(list.json()["grants"].as_array().unwrap().len(), 0);
}

/// The bad decimals every decimal field of a request file is tried with.
const BAD_DECIMALS: [&str; 8] = ["-1", "+1", "01", R, TWO_256, "1e3", "0x1", ""];

/// Hostile copies of the fixture's request file, each refused as malformed (exit 2) by every
/// command that reads a request: (what, bytes, a word the one-line reason must contain).
fn bad_request_files(fx: &Fixture) -> Vec<(String, Vec<u8>, &'static str)> {
    let original = std::fs::read(&fx.request).expect("read request");
    let value: Value = serde_json::from_slice(&original).expect("request JSON");
    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut v = value.clone();
        edit(&mut v);
        serde_json::to_vec_pretty(&v).expect("serialise")
    };
    // A decimal field (a JSON pointer) plus one.
    let bumped = |pointer: &str| {
        edited(&|v| {
            let slot = v.pointer_mut(pointer).expect("field");
            let p = slot.as_str().expect("decimal").to_string();
            *slot = json!(decimal_add_one(&p));
        })
    };
    let other_scope = parse_scope("conditions").expect("scope").0;
    let mut out: Vec<(String, Vec<u8>, &'static str)> = vec![
        ("empty file".into(), Vec::new(), ""),
        ("not JSON".into(), b"this is not a request".to_vec(), ""),
        (
            "truncated".into(),
            original[..original.len() / 2].to_vec(),
            "",
        ),
        ("JSON array".into(), b"[1, 2, 3]".to_vec(), ""),
        ("a proof file".into(), fx.proof_bytes.clone(), ""),
        (
            "unknown field".into(),
            edited(&|v| v["extra"] = json!(1)),
            "extra",
        ),
        (
            "unknown term".into(),
            edited(&|v| v["terms"]["extra"] = json!(1)),
            "",
        ),
        (
            "missing terms".into(),
            edited(&|v| {
                v.as_object_mut().unwrap().remove("terms");
            }),
            "terms",
        ),
        (
            "wrong format".into(),
            edited(&|v| v["format"] = json!("zkconsent.proof")),
            "format",
        ),
        (
            "unknown statement".into(),
            edited(&|v| v["statement"] = json!("telepathy")),
            "",
        ),
        (
            "other circuit version".into(),
            edited(&|v| v["circuit_version"] = json!(99)),
            "",
        ),
        (
            "salt not hex".into(),
            edited(&|v| v["salt"] = json!("zz")),
            "salt",
        ),
        // Altered terms and fields: the stored nonce and hash no longer match.
        (
            "altered scope".into(),
            edited(&|v| v["terms"]["scope"] = json!(other_scope)),
            "altered",
        ),
        (
            "altered purpose".into(),
            edited(&|v| v["terms"]["purpose"] = json!(2)),
            "altered",
        ),
        (
            "altered patient".into(),
            bumped("/terms/patient"),
            "altered",
        ),
        ("altered verifier".into(), bumped("/verifier"), "altered"),
        (
            "altered created_at".into(),
            edited(&|v| v["created_at"] = json!(BASE + 1)),
            "altered",
        ),
        ("altered nonce".into(), bumped("/nonce"), "altered"),
        (
            "altered request_hash".into(),
            bumped("/request_hash"),
            "altered",
        ),
    ];
    for field in ["nonce", "request_hash", "verifier"] {
        for bad in BAD_DECIMALS {
            out.push((
                format!("{field} = {bad:?}"),
                edited(&|v| v[field] = json!(bad)),
                field,
            ));
        }
    }
    out
}

/// Writes `bytes` as a request file in a fresh directory.
fn write_request(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("request.json");
    std::fs::write(&path, bytes).expect("write request");
    (dir, path)
}

#[test]
fn verify_arguments() {
    let fx = fixture();
    let path = fx.proof_path.to_str().unwrap();
    let base = BASE.to_string();
    // A malformed or altered request file: exit 2, one line, whatever the proof.
    for (what, bytes, word) in bad_request_files(fx) {
        let (_guard, request) = write_request(&bytes);
        let run = verify_answer(&fx.home, &fx.proof_path, &request);
        assert_malformed(&run, &format!("verify --request ({what})"));
        assert!(
            run.stderr.contains(word),
            "{what}: expected {word:?} in {}",
            run.stderr
        );
    }
    // A request file that does not exist, or is a directory.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-request.json");
    let run = verify_answer(&fx.home, &fx.proof_path, &missing);
    assert_malformed(&run, "nonexistent request file");
    assert!(
        run.stderr.contains("no-such-request.json"),
        "{}",
        run.stderr
    );
    assert_malformed(
        &verify_answer(&fx.home, &fx.proof_path, dir.path()),
        "request is a directory",
    );
    // A self-consistent request this home never issued (terms changed, nonce and hash
    // recomputed): exit 2.
    let mut forged =
        Request::from_file_bytes(&std::fs::read(&fx.request).unwrap()).expect("request");
    match &mut forged.terms {
        Terms::Access(terms) => terms.scope = parse_scope("conditions").unwrap().0,
        other => panic!("fixture request is not Access: {other:?}"),
    }
    let (_g, forged_path) = write_request(&forged.to_file_bytes());
    let run = verify_answer(&fx.home, &fx.proof_path, &forged_path);
    assert_malformed(&run, "request not issued by this home");
    assert!(run.stderr.contains("not issued"), "{}", run.stderr);
    // The honest request still accepts the proof: nothing above disturbed it.
    fx.verify_path(&fx.proof_path).expect_code(0);
    let request = fx.request.to_str().unwrap();
    // clap usage errors, including the removed --nonce/--verifier/terms flags: exit 2.
    for args in [
        vec!["verify"],
        vec!["verify", path, "--nonce", "5"],
        vec!["verify", path, "--verifier", "clinic"],
        vec!["verify", path, "--patient", "alice"],
        vec!["verify", path, "--scope", "observations"],
        vec!["verify", path, "--purpose", "treatment"],
        vec!["verify", path, "--request"],
        vec!["verify", path, "--consume"],
        vec!["verify", path, "--consume", "--now", &base],
        vec![
            "verify",
            path,
            "--request",
            request,
            "--statement",
            "access",
        ],
        vec!["verify", path, "--statement", "telepathy"],
        vec!["verify", path, "--max-root-age", "-5"],
        vec!["verify", path, "--now", "soon"],
        vec!["verify", path, "--clock-skew", "18446744073709551616"],
    ] {
        let run = zkh(&fx.home, &args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        run.no_panic();
    }
}

#[test]
fn prove_bad_arguments() {
    let fx = fixture();
    let base = BASE.to_string();
    let request = fx.request.to_str().unwrap();
    // The removed flags, a missing --request and a negative grant are clap usage errors.
    for args in [
        vec!["prove", "access", "--grant", "0"],
        vec!["prove", "access", "--grant", "0", "--request"],
        vec!["prove", "access", "--grant", "-1", "--request", request],
        vec![
            "prove",
            "access",
            "--grant",
            "0",
            "--request",
            request,
            "--nonce",
            "5",
        ],
        vec![
            "prove",
            "access",
            "--grant",
            "0",
            "--request",
            request,
            "--verifier",
            "clinic",
        ],
        vec![
            "prove",
            "access",
            "--grant",
            "0",
            "--request",
            request,
            "--scope",
            "observations",
        ],
    ] {
        let run = zkh(&fx.home, &args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        run.no_panic();
    }
    // A malformed or altered request file reaches the request parser: exit 2, one line.
    for (what, bytes, word) in bad_request_files(fx) {
        let (_guard, path) = write_request(&bytes);
        let run = prove(&fx.home, 0, &path, &["--now", &base]);
        assert_malformed(&run, &format!("prove --request ({what})"));
        assert!(
            run.stderr.contains(word),
            "{what}: expected {word:?} in {}",
            run.stderr
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-request.json");
    let run = prove(&fx.home, 0, &missing, &["--now", &base]);
    assert_malformed(&run, "nonexistent request file");
    assert!(
        run.stderr.contains("no-such-request.json"),
        "{}",
        run.stderr
    );
    // Unknown scope, purpose or parties are refused when the request is made, and no file
    // is written.
    let out = dir.path().join("bad-request.json");
    let out_str = out.to_str().unwrap();
    for (what, args) in [
        (
            "unknown scope",
            vec![
                "--statement",
                "access",
                "--patient",
                "alice",
                "--scope",
                "telepathy",
            ],
        ),
        (
            "unknown purpose",
            vec![
                "--statement",
                "access",
                "--patient",
                "alice",
                "--scope",
                "observations",
                "--purpose",
                "curiosity",
            ],
        ),
        (
            "unknown patient",
            vec![
                "--statement",
                "access",
                "--patient",
                "nobody",
                "--scope",
                "observations",
            ],
        ),
        (
            "unknown statement",
            vec![
                "--statement",
                "telepathy",
                "--patient",
                "alice",
                "--scope",
                "observations",
            ],
        ),
    ] {
        let mut all = vec!["request", "new", "--verifier", "clinic", "--out", out_str];
        all.extend_from_slice(&args);
        let run = zkh(&fx.home, &all);
        assert_eq!(run.code, Some(2), "request new ({what}): {}", run.stderr);
        run.no_panic();
        assert!(!out.exists(), "request new ({what}) wrote a file");
    }
    for (what, verifier) in [("unknown verifier", "nobody"), ("not a verifier", "bob")] {
        let run = zkh(
            &fx.home,
            &[
                "request",
                "new",
                "--verifier",
                verifier,
                "--statement",
                "access",
                "--patient",
                "alice",
                "--scope",
                "observations",
                "--out",
                out_str,
            ],
        );
        assert_malformed(&run, what);
        assert!(!out.exists(), "request new ({what}) wrote a file");
    }
    // A request for another statement, given to the Access prover.
    let (record, _) = new_request_with(
        &fx.home,
        "clinic",
        &["--statement", "record", "--disclose", "kind,date"],
    );
    assert_malformed(
        &prove(&fx.home, 0, &record, &["--now", &base]),
        "record request to prove access",
    );
    // A grant index that was never issued: refused (1) or malformed (2), one line.
    let run = prove(&fx.home, 9, &fx.request, &["--now", &base]);
    assert!(matches!(run.code, Some(1) | Some(2)), "{}", run.stderr);
    run.no_panic();
    run.one_line_error();
    // Output to a directory that does not exist.
    let run = prove(
        &fx.home,
        0,
        &fx.request,
        &["--now", &base, "--out", "/nonexistent-dir/x/proof.json"],
    );
    assert_malformed(&run, "unwritable --out");
}

#[test]
fn poseidon_bad_inputs() {
    for (what, input) in [
        ("r", R),
        ("r + 1", R_PLUS_1),
        ("2^256", TWO_256),
        ("p", P),
        ("+5", "+5"),
        ("05", "05"),
        ("1e3", "1e3"),
        ("hex", "0x1"),
        ("empty", ""),
    ] {
        let run = zk(None, &["poseidon", input]);
        assert_malformed(&run, &format!("poseidon {what}"));
    }
    // "-1" is taken by clap for a flag: a usage error, still exit 2.
    let run = zk(None, &["poseidon", "-1"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    run.no_panic();
    let run = zk(None, &["poseidon", "--", "-1"]);
    assert_malformed(&run, "poseidon -- -1");

    let seventeen: Vec<String> = (1..=17).map(|i| i.to_string()).collect();
    let mut args = vec!["poseidon"];
    args.extend(seventeen.iter().map(String::as_str));
    let run = zk(None, &args);
    assert_eq!(run.code, Some(2), "17 inputs: {}", run.stderr);
    run.no_panic();
    let run = zk(None, &["poseidon"]);
    assert_eq!(run.code, Some(2), "no inputs: {}", run.stderr);
    run.no_panic();
}

#[test]
fn identity_and_grant_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    setup_home(&home);
    let run = zkh(&home, &["identity", "new", "x", "--role", "wizard"]);
    assert_malformed(&run, "--role wizard");
    assert!(run.stderr.contains("role"), "{}", run.stderr);
    // Nothing was registered.
    let list = zkh(&home, &["--json", "identity", "list"]);
    list.expect_code(0);
    assert_eq!(list.json()["identities"].as_array().unwrap().len(), 3);

    for (what, name) in [
        ("empty name", ""),
        ("leading space", " eve"),
        ("control character", "ev\u{1b}[31me"),
    ] {
        let run = zkh(&home, &["identity", "new", name, "--role", "patient"]);
        assert!(
            matches!(run.code, Some(1) | Some(2)),
            "{what}: exit {:?}",
            run.code
        );
        run.no_panic();
        run.one_line_error();
    }

    let issue = |extra: &[&str]| {
        let mut args = vec!["grant", "issue", "--patient", "alice", "--grantee", "bob"];
        args.extend_from_slice(extra);
        zkh(&home, &args)
    };
    assert_malformed(&issue(&["--scope", "telepathy"]), "unknown scope");
    assert_malformed(
        &issue(&["--scope", "observations", "--purpose", "curiosity"]),
        "unknown purpose",
    );
    let run = issue(&["--scope", "observations", "--not-after", "5", "--days", "3"]);
    assert_eq!(run.code, Some(2), "--not-after with --days: {}", run.stderr);
    run.no_panic();
    let run = issue(&["--scope", "observations", "--not-before", "-1"]);
    assert_eq!(run.code, Some(2), "--not-before -1: {}", run.stderr);
    run.no_panic();
    // Unknown parties are refused, one line, and no grant is recorded.
    for extra in [
        ["--scope", "observations", "--patient", "nobody"],
        ["--scope", "observations", "--grantee", "nobody"],
    ] {
        let mut args = vec!["grant", "issue"];
        args.extend_from_slice(&extra);
        if !extra.contains(&"--patient") {
            args.extend_from_slice(&["--patient", "alice"]);
        }
        if !extra.contains(&"--grantee") {
            args.extend_from_slice(&["--grantee", "bob"]);
        }
        let run = zkh(&home, &args);
        assert!(
            matches!(run.code, Some(1) | Some(2)),
            "{args:?}: {}",
            run.stderr
        );
        run.no_panic();
        run.one_line_error();
    }
    let run = zkh(&home, &["grant", "revoke", "7"]);
    assert!(matches!(run.code, Some(1) | Some(2)), "{}", run.stderr);
    run.no_panic();
    run.one_line_error();
    let list = zkh(&home, &["--json", "grant", "list"]);
    list.expect_code(0);
    assert_eq!(list.json()["grants"].as_array().unwrap().len(), 0);
    let run = zkh(
        &home,
        &[
            "request",
            "new",
            "--verifier",
            "nobody",
            "--statement",
            "access",
            "--patient",
            "alice",
            "--scope",
            "observations",
        ],
    );
    assert_malformed(&run, "request new --verifier nobody");
}

#[test]
fn home_never_set_up() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("never-set-up");
    let proof = fx.proof_path.to_str().unwrap();
    let request = fx.request.to_str().unwrap();
    for args in [
        vec!["identity", "list"],
        vec!["identity", "new", "alice", "--role", "patient"],
        vec!["grant", "list"],
        vec!["grant", "revoke", "0"],
        vec![
            "grant",
            "issue",
            "--patient",
            "alice",
            "--grantee",
            "bob",
            "--scope",
            "observations",
        ],
        vec![
            "request",
            "new",
            "--verifier",
            "clinic",
            "--statement",
            "access",
            "--patient",
            "alice",
            "--scope",
            "observations",
        ],
        vec!["prove", "access", "--grant", "0", "--request", request],
        vec!["verify", proof, "--request", request],
        vec!["verify", proof],
        vec!["registry", "audit"],
        vec!["registry", "roots"],
    ] {
        let run = zkh(&home, &args);
        assert_malformed(&run, &format!("{args:?} without setup"));
        assert!(
            run.stderr.contains("zkconsent setup"),
            "{args:?}: message should suggest setup: {}",
            run.stderr
        );
        // --json: the error is a JSON object on stdout.
        let mut json_args = vec!["--json"];
        json_args.extend_from_slice(&args);
        let run = zkh(&home, &json_args);
        assert_eq!(run.code, Some(2), "{json_args:?}");
        run.no_panic();
        let v = run.json();
        assert_eq!(v["ok"], false, "{v}");
        assert!(
            v["error"].as_str().unwrap().contains("zkconsent setup"),
            "{v}"
        );
    }
    assert!(
        !home.join("registry.db").exists() && !home.join("wallet.db").exists(),
        "opening a missing home must not create databases"
    );
}

#[test]
fn home_with_params_but_no_registry() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    zkh(&home, &["setup", "--depth", "4"]).expect_code(0);
    std::fs::remove_file(home.join("registry.db")).unwrap();
    let run = zkh(&home, &["identity", "list"]);
    assert_malformed(&run, "no registry.db");
    assert!(run.stderr.contains("zkconsent setup"), "{}", run.stderr);
    assert!(
        !home.join("registry.db").exists(),
        "registry.db was created"
    );
}

#[test]
fn json_errors_are_json_objects() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let run = zkh(&fx.home, &["--json", "verify", missing.to_str().unwrap()]);
    assert_eq!(run.code, Some(2));
    run.no_panic();
    let v = run.json();
    assert_eq!(v["ok"], false);
    assert!(v["error"].is_string(), "{v}");

    // A rejection in JSON mode.
    let (_g, path) = fx.write_temp(&fx.proof_bytes);
    let far = (BASE + 1_000_000).to_string();
    let run = zkh(
        &fx.home,
        &["--json", "verify", path.to_str().unwrap(), "--now", &far],
    );
    assert_eq!(run.code, Some(1));
    let v = run.json();
    assert_eq!(v["ok"], false);
    assert!(v["error"].as_str().unwrap().contains("proof time"), "{v}");

    // A malformed proof in JSON mode.
    let (_g2, bad) = fx.write_temp(b"{");
    let run = zkh(&fx.home, &["--json", "verify", bad.to_str().unwrap()]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.json()["ok"], false);

    let run = zk(None, &["--json", "poseidon", R]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.json()["ok"], false);
    let run = zkh(
        &fx.home,
        &["--json", "identity", "new", "x", "--role", "wizard"],
    );
    assert_eq!(run.code, Some(2));
    assert_eq!(run.json()["ok"], false);
}

/// The JSON value of a proof file, with `vk_sha256` lower-cased (the decoder compares it
/// case-insensitively); `None` if not JSON.
fn normalise(bytes: &[u8]) -> Option<Value> {
    let mut v: Value = serde_json::from_slice(bytes).ok()?;
    if let Some(s) = v.get("vk_sha256").and_then(Value::as_str) {
        let lower = s.to_ascii_lowercase();
        v["vk_sha256"] = Value::String(lower);
    }
    Some(v)
}

/// A home built through the library with seeded randomness and explicit times, so its
/// proof file is the same bytes on every run (the CLI draws keys, secrets and salts from
/// the OS): returns the home, the proof bytes, the request they answer and options under
/// which they verify.
fn deterministic_home(dir: &std::path::Path) -> (Home, Vec<u8>, Request, VerifyOptions) {
    let mut rng = StdRng::seed_from_u64(0x7a6b_636f_6e73_656e);
    let mut home = Home::init(dir, 4, Timestamp(BASE), &mut rng).expect("init");
    for (name, role) in [
        ("alice", Role::Patient),
        ("bob", Role::Clinician),
        ("clinic", Role::Verifier),
    ] {
        home.create_identity(name, role, &mut rng)
            .expect("identity");
    }
    let grant = GrantRequest {
        patient: "alice".into(),
        grantee: "bob".into(),
        scope: parse_scope("conditions,observations").expect("scope"),
        purpose: Purpose(1),
        not_before: Timestamp(NOT_BEFORE),
        not_after: Timestamp(NOT_AFTER),
    };
    let (index, _) = home
        .issue_grant(&grant, Timestamp(BASE), &mut rng)
        .expect("issue");
    // clinic asks for alice's observations, for treatment.
    let patient = home.identity_id("alice").expect("alice");
    let terms = AccessTerms::new(
        patient,
        parse_scope("observations").expect("scope"),
        Purpose(1),
    );
    let request = home
        .issue_request(
            "clinic",
            Terms::Access(terms.clone()),
            Timestamp(BASE),
            &mut rng,
        )
        .expect("request");
    let keys = home.keys(Statement::Access).expect("keys");
    let access = terms.prove_request(index, request.verifier, request.nonce(), Timestamp(BASE));
    let (file, _) = home.prove_access(&keys, &access, &mut rng).expect("prove");
    let options = VerifyOptions::access(Timestamp(BASE));
    (home, file.to_json().into_bytes(), request, options)
}

#[test]
fn mutated_proof_bytes_never_panic_and_never_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (built, original, request, options) = deterministic_home(&dir.path().join("home"));
    drop(built);
    // Verify through a freshly opened home, as a verifier process would.
    let home = common::open_home(&dir.path().join("home"));
    let original = &original;
    verify_proof_bytes(&home, original, Some(&request), &options)
        .expect("the unmutated proof verifies");
    let original_value = normalise(original).expect("JSON");

    let mut rng = XorShift::new(0x2b99_2ddf_a232_49d6);
    let (mut accepted, mut rejected, mut malformed, mut skipped) = (0, 0, 0, 0);
    for i in 0..300 {
        let mut bytes = original.clone();
        let kind = rng.below(5);
        match kind {
            // Flip one bit.
            0 => {
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
            }
            // Replace one byte with any byte.
            1 => {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next_u64() as u8;
            }
            // Truncate.
            2 => {
                let len = rng.below(bytes.len());
                bytes.truncate(len);
            }
            // Several bit flips.
            3 => {
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(bytes.len());
                    bytes[at] ^= 1 << rng.below(8);
                }
            }
            // Replace a digit with another digit (keeps most values canonical decimals).
            _ => {
                let digits: Vec<usize> = (0..bytes.len())
                    .filter(|&k| bytes[k].is_ascii_digit())
                    .collect();
                let at = digits[rng.below(digits.len())];
                bytes[at] = b'0' + ((bytes[at] - b'0') + 1 + rng.below(9) as u8) % 10;
            }
        }
        if bytes == *original {
            skipped += 1;
            continue;
        }
        let result = catch_unwind(AssertUnwindSafe(|| {
            verify_proof_bytes(&home, &bytes, Some(&request), &options)
        }))
        .unwrap_or_else(|_| {
            panic!(
                "iteration {i} (mutation {kind}) panicked on:\n{}",
                String::from_utf8_lossy(&bytes)
            )
        });
        match result {
            Ok(_) => {
                accepted += 1;
                assert_eq!(
                    normalise(&bytes).as_ref(),
                    Some(&original_value),
                    "iteration {i} (mutation {kind}): a semantically different file was \
                     accepted:\n{}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            Err(VerifyFailure::Rejected(_)) => rejected += 1,
            Err(VerifyFailure::Malformed(_)) => malformed += 1,
        }
    }
    eprintln!(
        "proof sha256 {}: mutations: {accepted} accepted (semantically identical), \
         {rejected} rejected, {malformed} malformed, {skipped} no-ops",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(original))
    );
    assert!(
        rejected > 10 && malformed > 10,
        "the loop exercises both failure classes"
    );
}

/// Times and durations are bounded: no grant is valid forever by accident, no clock or root
/// age is unbounded. Clap's range errors are usage errors (exit 2, before anything runs).
#[test]
fn times_and_durations_are_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    let issue = |extra: &[&str]| grant_issue(&home, "observations", extra);
    let past = (zkconsent::limits::MAX_TIMESTAMP + 1).to_string();
    for extra in [
        &["--days", "18446744073709551615"][..],
        &["--days", "0"],
        &["--days", "3654"],
        &["--not-before", "0", "--not-after", "18446744073709551615"],
        &["--not-before", &past],
    ] {
        let run = issue(extra);
        assert_eq!(run.code, Some(2), "{extra:?}: {}", run.stderr);
        run.no_panic();
    }
    // Longer than ten years, within the time range: the library refuses it (exit 2).
    let run = issue(&["--not-before", "100", "--not-after", "400000000"]);
    assert_malformed(&run, "an 11-year grant");
    assert!(run.stderr.contains("at most 3653 days"), "{}", run.stderr);
    assert!(grant_issue(&home, "observations", &["--days", "3653"]).code == Some(0));
    for args in [
        &["verify", "x.json", "--now", &past][..],
        &["verify", "x.json", "--max-root-age", "400000000"],
        &["verify", "x.json", "--clock-skew", "400000000"],
    ] {
        let run = zkh(&home, args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
    }
}
