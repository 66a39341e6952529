//! Mutation fuzzing of every decoder of outside bytes: each case is a valid input with one
//! to four random mutations (bit flips, JSON-significant bytes, cut, inserted or repeated
//! spans, huge and out-of-field numbers). A decoder must return `Ok` or `Err`, never panic;
//! what it accepts must round-trip where an encoder exists. Fixed seed; the count per
//! decoder is `ZKCONSENT_FUZZ_CASES` (a short run by default, for CI; 100000 on demand:
//! `ZKCONSENT_FUZZ_CASES=100000 cargo test --release -p zkconsent-cli --test fuzz_decoders
//! -- --nocapture`). A failing input is written to `target/fuzz-failures/`.
//! (cargo-fuzz needs a nightly toolchain, which this machine cannot fetch.)

mod common;

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    path::{Path, PathBuf},
};
use zkconsent::{
    cards::Card,
    export::snarkjs::{SnarkjsProof, SnarkjsPublic, SnarkjsVerifyingKey},
    files::{code_list::parse_code_list, criteria::parse_criteria, proof::ProofFile},
    request::Request,
    wallet::{sealed, KdfCost, Passphrase},
};

/// Cases per decoder in a default run.
const DEFAULT_CASES: u64 = 1_500;
/// Batch-line cases in a default run (each one a process).
const DEFAULT_PROCESS_CASES: u64 = 60;
/// Seed of every mutation (a failure is reproducible).
const SEED: u64 = 0x5eed_f022;

fn cases() -> u64 {
    std::env::var("ZKCONSENT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// splitmix64: small, fast, fixed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that change what JSON (or a number) means.
const SIGNIFICANT: &[u8] = b"\"\\{}[],:-+.0123456789eE \n\x00\xff\x7f\x80tfn";
/// Tokens that stress number and string handling.
const TOKENS: &[&str] = &[
    "1e400",
    "-0",
    "-1",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    // r and r + 1: the BN254 scalar field's modulus, just out of range.
    "21888242871839275222246405745257275088548364400416034343698204186575808495617",
    "21888242871839275222246405745257275088548364400416034343698204186575808495618",
    // q, the base field's modulus.
    "21888242871839275222246405745257275088696311157297823662689037894645226208583",
    "0x10",
    "null",
    "true",
    "\"\"",
    "[]",
    "{}",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "1.5",
    "NaN",
    "9999-12-31T23:59:59Z",
    "0000-00-00",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len();
        let at = rng.below(len + 1);
        match rng.below(9) {
            0 if len > 0 => v[at.min(len - 1)] ^= 1 << rng.below(8),
            1 if len > 0 => v[at.min(len - 1)] = SIGNIFICANT[rng.below(SIGNIFICANT.len())],
            2 => {
                let end = (at + 1 + rng.below(16)).min(len);
                v.drain(at.min(end)..end);
            }
            3 => {
                let bytes: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
                v.splice(at..at, bytes);
            }
            4 if len > 0 => {
                let from = rng.below(len);
                let end = (from + 1 + rng.below(64)).min(len);
                let chunk = v[from..end].to_vec();
                let to = rng.below(v.len() + 1);
                v.splice(to..to, chunk);
            }
            5 => v.truncate(at),
            6 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes().to_vec();
                v.splice(at..at, token);
            }
            7 => {
                // Replace a run of digits with a token (a number made huge or odd).
                if let Some(start) = (at..len).find(|&i| v[i].is_ascii_digit()) {
                    let end = (start..len)
                        .find(|&i| !v[i].is_ascii_digit())
                        .unwrap_or(len);
                    let token = TOKENS[rng.below(6)].as_bytes().to_vec();
                    v.splice(start..end, token);
                }
            }
            _ if len > 1 => {
                let other = rng.below(len);
                v.swap(at.min(len - 1), other);
            }
            _ => v.push(rng.next() as u8),
        }
    }
    v
}

/// Runs `decode` on `cases` mutations of `samples`; `decode` returns whether it accepted.
fn fuzz(name: &str, samples: &[Vec<u8>], decode: impl Fn(&[u8]) -> bool) {
    let total = cases();
    let mut rng = Rng(SEED
        ^ name
            .bytes()
            .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b)));
    // The valid inputs themselves are accepted.
    for sample in samples {
        assert!(decode(sample), "{name}: a valid sample was refused");
    }
    let (mut accepted, mut panics) = (0u64, Vec::new());
    for case in 0..total {
        let input = mutate(&mut rng, &samples[case as usize % samples.len()]);
        match catch_unwind(AssertUnwindSafe(|| decode(&input))) {
            Ok(true) => accepted += 1,
            Ok(false) => {}
            Err(_) => panics.push(save_failure(name, case, &input)),
        }
    }
    eprintln!(
        "fuzz {name}: {total} cases, {accepted} accepted, {} refused, {} panics",
        total - accepted - panics.len() as u64,
        panics.len()
    );
    assert!(panics.is_empty(), "{name} panicked on: {panics:?}");
}

fn save_failure(name: &str, case: u64, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}-{case}.bin"));
    let _ = std::fs::write(&path, input);
    path
}

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn proof_files() {
    let f = common::fixture();
    fuzz(
        "proof-file",
        std::slice::from_ref(&f.proof_bytes),
        |bytes| ProofFile::decode(bytes).is_ok(),
    );
}

#[test]
fn request_files() {
    let f = common::fixture();
    fuzz("request-file", &[read(&f.request)], |bytes| {
        match Request::from_file_bytes(bytes) {
            Ok(request) => {
                // What is accepted re-encodes to a file that decodes to the same request.
                let again = Request::from_file_bytes(&request.to_file_bytes())
                    .expect("a re-encoded request decodes");
                assert_eq!(again.to_file_bytes(), request.to_file_bytes());
                true
            }
            Err(_) => false,
        }
    });
}

#[test]
fn snarkjs_files() {
    let dir = repo().join("tests/fixtures/snarkjs");
    fuzz(
        "snarkjs-vk",
        &[read(dir.join("verification_key.json"))],
        |b| SnarkjsVerifyingKey::decode(b).is_ok(),
    );
    fuzz("snarkjs-proof", &[read(dir.join("proof.json"))], |b| {
        SnarkjsProof::decode(b).is_ok()
    });
    fuzz("snarkjs-public", &[read(dir.join("public.json"))], |b| {
        SnarkjsPublic::decode(b).is_ok()
    });
}

/// A Synthea bundle cut to its first entries (the decoder is the same; cases are faster).
fn small_bundle() -> Vec<u8> {
    let name = "Roland928_Nienow652_13b1a0f2-dceb-37a2-f32b-f0ca6e3b9925.json";
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&read(repo().join("tests/data/fhir").join(name))).expect("JSON");
    if let Some(entries) = bundle["entry"].as_array_mut() {
        entries.truncate(24);
    }
    serde_json::to_vec(&bundle).expect("JSON")
}

#[test]
fn fhir_bundles_and_consents() {
    fuzz("fhir-bundle", &[small_bundle()], |b| {
        zkconsent::fhir::extract(b).is_ok()
    });
    let consent = read(repo().join("tests/data/consent/treatment-bundle.json"));
    fuzz("fhir-consent", &[consent], |b| {
        zkconsent::fhir::consent::parse(b).is_ok()
    });
}

#[test]
fn criteria_and_code_lists() {
    let criteria = br#"{
        "reference_date": "2026-01-01",
        "age": { "min": 18, "max": 90 },
        "include": ["http://snomed.info/sct|44054006"],
        "exclude": ["http://snomed.info/sct|254637007"],
        "summary_not_before": "2025-12-01"
    }"#;
    fuzz("criteria", &[criteria.to_vec()], |b| {
        std::str::from_utf8(b).is_ok_and(|t| parse_criteria(t).is_ok())
    });
    let codes = br#"["http://snomed.info/sct|44054006", "http://loinc.org|8310-5"]"#;
    fuzz("code-list", &[codes.to_vec()], |b| {
        std::str::from_utf8(b).is_ok_and(|t| parse_code_list(t).is_ok())
    });
}

#[test]
fn identity_cards_and_sealed_envelopes() {
    let f = common::fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let card = dir.path().join("alice.card.json");
    common::zkh(
        &f.home,
        &[
            "identity",
            "export",
            "alice",
            "--out",
            card.to_str().expect("utf-8"),
        ],
    )
    .expect_code(0);
    fuzz("identity-card", &[read(&card)], |b| {
        match Card::from_json(b) {
            Ok(card) => {
                let again = Card::from_json(&card.to_file_bytes()).expect("re-encoded card");
                assert_eq!(again.to_file_bytes(), card.to_file_bytes());
                true
            }
            Err(_) => false,
        }
    });
    // A sealed hand-off (HPKE envelope): decoded, then opened; only the original opens.
    use rand::SeedableRng;
    use zkconsent::seal::{open, seal, Envelope, SealKeyPair};
    let keypair = SealKeyPair::derive(b"fuzz recipient");
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
    let envelope = seal(
        &keypair.public_key(),
        b"info",
        b"aad",
        b"openings",
        &mut rng,
    )
    .expect("seal")
    .to_bytes();
    fuzz("sealed-envelope", std::slice::from_ref(&envelope), |b| {
        Envelope::from_bytes(b).is_ok_and(|e| {
            let opened = open(&keypair, b"info", b"aad", &e).is_ok();
            assert!(
                !opened || e.to_bytes() == envelope,
                "a changed envelope opened"
            );
            opened
        })
    });
}

#[test]
fn sealed_wallet_files() {
    // Cheap costs: the container is under test; the header's costs are bounded separately.
    let cost = KdfCost {
        memory_kib: 64,
        passes: 1,
        lanes: 1,
    };
    let passphrase = Passphrase::new("correct horse".into()).expect("passphrase");
    let key = sealed::SealKey::for_new_wallet(&passphrase, cost).expect("key");
    let file = key.seal(b"SQLite format 3\0 a wallet image").expect("seal");
    // Only the untouched file opens: every mutation is refused, none panics.
    fuzz("sealed-wallet", std::slice::from_ref(&file), |b| {
        let opened = key.reopen(b).is_ok();
        assert!(
            !opened || b == file.as_slice(),
            "a changed sealed wallet opened"
        );
        opened
    });
}

#[test]
fn batch_lines() {
    use zkconsent::files::batch::{parse_lines, AccessLine, ClaimLine, CohortLine, RecordLine};
    let access = b"{\"grant\":0,\"request\":\"r.json\",\"now\":1750000000}\n{\"grant\":3,\"request\":\"s.json\"}\n";
    fuzz("batch-access", &[access.to_vec()], |b| {
        std::str::from_utf8(b).is_ok_and(|t| parse_lines::<AccessLine>(t).is_ok())
    });
    let record = b"{\"resource\":\"Observation/1\",\"request\":\"r.json\"}\n{\"leaf\":7,\"request\":\"r.json\"}\n";
    fuzz("batch-record", &[record.to_vec()], |b| {
        std::str::from_utf8(b).is_ok_and(|t| parse_lines::<RecordLine>(t).is_ok())
    });
    let claim = b"{\"bundle\":\"b.json\",\"claim\":\"c1\",\"request\":\"r.json\"}\n";
    fuzz("batch-claim", &[claim.to_vec()], |b| {
        std::str::from_utf8(b).is_ok_and(|t| parse_lines::<ClaimLine>(t).is_ok())
    });
    let cohort = b"{\"bundle\":\"b.json\",\"request\":\"r.json\",\"now\":1750000000}\n";
    fuzz("batch-cohort", &[cohort.to_vec()], |b| {
        std::str::from_utf8(b).is_ok_and(|t| parse_lines::<CohortLine>(t).is_ok())
    });
}

/// `prove access --batch` end to end: every line is read and checked before anything
/// else, so a malformed batch is exit 2 and proves nothing; a process per case
/// (`ZKCONSENT_FUZZ_PROCESS_CASES`; the decoder itself is fuzzed in process above).
#[test]
fn prove_batch_lines() {
    let f = common::fixture();
    let dir = tempfile::tempdir().expect("tempdir");
    let request = f.request.to_str().expect("utf-8");
    let sample = format!(
        "{{\"grant\":0,\"request\":\"{request}\",\"now\":{}}}\n",
        common::BASE
    );
    let out_dir = dir.path().join("out");
    let batch = dir.path().join("batch.jsonl");
    let total = std::env::var("ZKCONSENT_FUZZ_PROCESS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_PROCESS_CASES);
    let mut rng = Rng(SEED ^ 0xba7c);
    let (mut exits, mut panics) = ([0u64; 3], Vec::new());
    for case in 0..total {
        let input = mutate(&mut rng, sample.as_bytes());
        std::fs::write(&batch, &input).expect("write batch");
        let run = common::zkh(
            &f.home,
            &[
                "prove",
                "access",
                "--batch",
                batch.to_str().expect("utf-8"),
                "--out-dir",
                out_dir.to_str().expect("utf-8"),
            ],
        );
        match run.code {
            Some(code @ 0..=2) => exits[code as usize] += 1,
            _ => panics.push((save_failure("batch-line", case, &input), run.stderr)),
        }
    }
    eprintln!(
        "fuzz batch-line: {total} cases (processes), exit 0: {}, 1: {}, 2: {}, {} panics or \
         signals",
        exits[0],
        exits[1],
        exits[2],
        panics.len()
    );
    assert!(panics.is_empty(), "{panics:?}");
}
