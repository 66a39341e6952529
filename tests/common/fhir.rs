//! The Synthea bundles in `tests/data/fhir` and what tests read from them directly (with
//! serde_json, independently of the extractor).

use serde_json::Value;
use std::path::{Path, PathBuf};

/// `tests/data/fhir`.
pub fn data_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("tests/data/fhir")
}

/// Every bundle file, sorted: the eight patients, then hospital and practitioner bundles.
pub fn bundles() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("tests/data/fhir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// The bundles with a Patient resource, each with a short patient name for `identity new`
/// (the given name, lower-cased, without Synthea's digits).
pub fn patient_bundles() -> Vec<(PathBuf, String)> {
    bundles()
        .into_iter()
        .filter(|p| resources(p, "Patient").next().is_some())
        .map(|p| {
            let stem = p.file_name().and_then(|n| n.to_str()).expect("file name");
            let given: String = stem
                .split('_')
                .next()
                .expect("given name")
                .chars()
                .filter(char::is_ascii_alphabetic)
                .collect();
            (p, given.to_lowercase())
        })
        .collect()
}

/// The parsed bundle.
pub fn read_bundle(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read bundle")).expect("bundle JSON")
}

/// The resources of `resource_type` in a bundle.
pub fn resources<'a>(path: &Path, resource_type: &'a str) -> impl Iterator<Item = Value> + 'a {
    let bundle = read_bundle(path);
    bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["resource"].clone())
        .filter(move |r| r["resourceType"] == resource_type)
        .collect::<Vec<_>>()
        .into_iter()
}

/// `system|code` of a resource's `code.coding[0]`.
pub fn first_coding(resource: &Value) -> String {
    let coding = &resource["code"]["coding"][0];
    format!(
        "{}|{}",
        coding["system"].as_str().expect("system"),
        coding["code"].as_str().expect("code")
    )
}

/// A claim with a principal diagnosis: its resource id, the diagnosis as `system|code` (the
/// referenced Condition's code), and the coverage's display name.
pub struct DiagnosedClaim {
    /// Resource id.
    pub id: String,
    /// `Claim` or `ExplanationOfBenefit`.
    pub resource_type: String,
    /// The principal diagnosis, `system|code`.
    pub diagnosis: String,
    /// `insurance[0].coverage.display`.
    pub coverage: String,
}

/// The Claims and ExplanationOfBenefits of a bundle that reference a diagnosis.
pub fn diagnosed_claims(path: &Path) -> Vec<DiagnosedClaim> {
    let conditions: Vec<Value> = resources(path, "Condition").collect();
    let mut out = Vec::new();
    for resource_type in ["Claim", "ExplanationOfBenefit"] {
        for claim in resources(path, resource_type) {
            let Some(reference) = claim["diagnosis"][0]["diagnosisReference"]["reference"].as_str()
            else {
                continue;
            };
            let target = reference.trim_start_matches("urn:uuid:");
            let condition = conditions
                .iter()
                .find(|c| c["id"] == target)
                .expect("diagnosis references a Condition of the bundle");
            out.push(DiagnosedClaim {
                id: claim["id"].as_str().expect("id").to_owned(),
                resource_type: resource_type.to_owned(),
                diagnosis: first_coding(condition),
                coverage: claim["insurance"][0]["coverage"]["display"]
                    .as_str()
                    .expect("coverage display")
                    .to_owned(),
            });
        }
    }
    out
}

/// The id of the ExplanationOfBenefit of a bundle that adjudicates the Claim `claim_id`
/// (its `claim.reference` is `urn:uuid:<id>` or `Claim/<id>`).
pub fn eob_of(path: &Path, claim_id: &str) -> Option<String> {
    resources(path, "ExplanationOfBenefit")
        .find(|eob| {
            eob["claim"]["reference"].as_str().is_some_and(|r| {
                r.strip_prefix("urn:uuid:")
                    .or_else(|| r.strip_prefix("Claim/"))
                    == Some(claim_id)
            })
        })
        .and_then(|eob| eob["id"].as_str().map(str::to_owned))
}
