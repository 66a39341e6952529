//! Extraction of each supported type from small inline resources, and the error cases.

use super::{
    codes::{self, code_id, sha256_248, ADMINISTRATIVE_GENDER_SYSTEM, COVERAGE_SYSTEM},
    dates::parse_day,
    extract, FhirError,
};
use serde_json::json;
use zkconsent_circuits::{
    record::{RecordFields, RecordKind, ScaledValue},
    types::{CodeId, EpochDay},
};

const SNOMED: &str = "http://snomed.info/sct";
const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";

fn day(s: &str) -> EpochDay {
    parse_day(s).unwrap()
}

fn one(resource: serde_json::Value) -> RecordFields {
    let x = extract(resource.to_string().as_bytes()).unwrap();
    assert!(x.unsupported.is_empty());
    assert_eq!(x.records.len(), 1);
    x.records[0].fields.clone()
}

fn err(doc: &serde_json::Value) -> String {
    extract(doc.to_string().as_bytes()).unwrap_err().to_string()
}

fn concept(system: &str, code: &str) -> serde_json::Value {
    json!({ "coding": [{ "system": system, "code": code, "display": "x" }], "text": "x" })
}

#[test]
fn patient() {
    let f = one(
        json!({ "resourceType": "Patient", "id": "p1", "gender": "female",
                        "birthDate": "2009-04-29" }),
    );
    assert_eq!(f.kind, RecordKind::Patient);
    assert_eq!(f.code, code_id(ADMINISTRATIVE_GENDER_SYSTEM, "female"));
    assert_eq!(f.date, day("2009-04-29"));
    assert_eq!(f.date.to_string(), "2009-04-29");
    assert_eq!((f.end_date, f.value), (EpochDay::NONE, ScaledValue(0)));
    assert_eq!(
        (f.related_code, f.coverage),
        (CodeId::default(), CodeId::default())
    );
    // The digest is SHA-256 of the canonical text, keys sorted, low 248 bits.
    let canonical =
        r#"{"birthDate":"2009-04-29","gender":"female","id":"p1","resourceType":"Patient"}"#;
    assert_eq!(f.digest.0, sha256_248(canonical.as_bytes()));
}

#[test]
fn patients_born_before_1970_and_end_dates_on_1970_01_01_are_dates() {
    // Born 1921: a day number like any other (the old epoch refused it).
    let f = one(
        json!({ "resourceType": "Patient", "id": "p2", "gender": "male", "birthDate": "1921-03-04" }),
    );
    assert_eq!(f.date, day("1921-03-04"));
    assert_eq!(f.date.to_string(), "1921-03-04");
    // The first and last days of the calendar.
    for birth in ["1800-01-01", "2199-12-31"] {
        let f = one(
            json!({ "resourceType": "Patient", "id": "p3", "gender": "other", "birthDate": birth }),
        );
        assert_eq!(f.date.to_string(), birth);
    }
    // 1970-01-01 is an ordinary day: as an end date it is not "absent".
    let f = one(
        json!({ "resourceType": "Encounter", "id": "e", "type": [concept(SNOMED, "1")],
        "period": { "start": "1970-01-01", "end": "1970-01-01T10:00:00Z" } }),
    );
    assert_eq!((f.date, f.end_date), (day("1970-01-01"), day("1970-01-01")));
    assert_ne!(f.end_date, EpochDay::NONE);
}

#[test]
fn condition() {
    let mut c = json!({ "resourceType": "Condition", "id": "c1",
        "code": concept(SNOMED, "49727002"),
        "onsetDateTime": "2020-03-06T20:20:23-08:00",
        "abatementDateTime": "2020-03-20T22:09:23-07:00" });
    let f = one(c.clone());
    assert_eq!(f.kind, RecordKind::Condition);
    assert_eq!(f.code, code_id(SNOMED, "49727002"));
    assert_eq!((f.date, f.end_date), (day("2020-03-06"), day("2020-03-20")));
    // Without abatement the end date is absent (0); onsetPeriod is the other onset choice.
    c.as_object_mut().unwrap().remove("abatementDateTime");
    c.as_object_mut().unwrap().remove("onsetDateTime");
    c["onsetPeriod"] = json!({ "start": "2020-01-02" });
    let f = one(c);
    assert_eq!((f.date, f.end_date), (day("2020-01-02"), EpochDay::NONE));
}

#[test]
fn observation_quantity_and_coded_value() {
    let q = json!({ "resourceType": "Observation", "id": "o1",
        "code": { "coding": [{ "system": LOINC, "code": "8310-5" }, { "system": LOINC, "code": "8331-1" }] },
        "effectiveDateTime": "2020-03-06T20:20:23-08:00",
        "valueQuantity": { "value": 40.894, "unit": "Cel", "system": UCUM, "code": "Cel" } });
    let f = one(q);
    assert_eq!(f.kind, RecordKind::Observation);
    assert_eq!(f.code, code_id(LOINC, "8310-5")); // the first coding
    assert_eq!(f.date, day("2020-03-06"));
    assert_eq!(f.value, ScaledValue(40_894));
    assert_eq!(f.related_code, code_id(UCUM, "Cel"));
    // A coded value: no quantity, no unit.
    let coded = json!({ "resourceType": "Observation", "id": "o2",
        "code": concept(LOINC, "94531-1"), "effectiveDateTime": "2020-03-06",
        "valueCodeableConcept": concept(SNOMED, "260385009") });
    let f = one(coded);
    assert_eq!(
        (f.value, f.related_code),
        (ScaledValue(0), CodeId::default())
    );
}

#[test]
fn procedure_immunization_encounter() {
    let f = one(
        json!({ "resourceType": "Procedure", "id": "pr1", "code": concept(SNOMED, "261352009"),
        "performedPeriod": { "start": "2020-03-06T20:20:23-08:00", "end": "2020-03-07T00:00:00-08:00" } }),
    );
    assert_eq!(
        (f.kind, f.code),
        (RecordKind::Procedure, code_id(SNOMED, "261352009"))
    );
    assert_eq!((f.date, f.end_date), (day("2020-03-06"), day("2020-03-07")));
    let f = one(
        json!({ "resourceType": "Procedure", "id": "pr2", "code": concept(SNOMED, "1"),
        "performedDateTime": "2001-02-03T04:05:06Z" }),
    );
    assert_eq!((f.date, f.end_date), (day("2001-02-03"), EpochDay::NONE));

    let f = one(json!({ "resourceType": "Immunization", "id": "i1",
        "vaccineCode": concept("http://hl7.org/fhir/sid/cvx", "140"),
        "occurrenceDateTime": "2011-04-06T21:20:23-07:00" }));
    assert_eq!(f.kind, RecordKind::Immunization);
    assert_eq!(f.code, code_id("http://hl7.org/fhir/sid/cvx", "140"));
    assert_eq!(f.date, day("2011-04-06"));

    let f = one(json!({ "resourceType": "Encounter", "id": "e1",
        "type": [concept(SNOMED, "410620009")],
        "period": { "start": "2011-04-06T21:20:23-07:00", "end": "2011-04-06T21:35:23-07:00" } }));
    assert_eq!(
        (f.kind, f.code),
        (RecordKind::Encounter, code_id(SNOMED, "410620009"))
    );
    assert_eq!((f.date, f.end_date), (day("2011-04-06"), day("2011-04-06")));
}

/// A bundle with a Condition and a Claim/EOB pair whose diagnosis references it.
fn claim_bundle() -> serde_json::Value {
    json!({ "resourceType": "Bundle", "type": "batch", "entry": [
        { "fullUrl": "urn:uuid:cond-1", "resource": { "resourceType": "Condition", "id": "cond-1",
            "code": concept(SNOMED, "444814009"), "onsetDateTime": "2019-01-01" } },
        { "fullUrl": "urn:uuid:claim-1", "resource": { "resourceType": "Claim", "id": "claim-1",
            "billablePeriod": { "start": "2019-01-01T10:00:00-05:00", "end": "2019-01-02T10:00:00-05:00" },
            "insurance": [{ "sequence": 1, "focal": true, "coverage": { "display": "Humana" } }],
            "diagnosis": [{ "sequence": 1, "diagnosisReference": { "reference": "urn:uuid:cond-1" } }],
            "item": [{ "sequence": 1, "productOrService": concept(SNOMED, "185345009") }],
            "total": { "value": 129.16, "currency": "USD" } } },
        { "fullUrl": "urn:uuid:eob-1", "resource": { "resourceType": "ExplanationOfBenefit", "id": "eob-1",
            "claim": { "reference": "urn:uuid:claim-1" },
            "billablePeriod": { "start": "2019-01-01", "end": "2020-01-01" },
            "insurance": [{ "focal": true, "coverage": { "reference": "#coverage", "display": "Humana" } }],
            "diagnosis": [{ "sequence": 1, "diagnosisReference": { "reference": "Condition/cond-1" } }],
            "item": [{ "sequence": 1, "productOrService": concept(SNOMED, "185345009") }],
            "total": [{ "category": concept("http://x", "submitted"), "amount": { "value": 129.16 } }],
            "payment": { "amount": { "value": 112.41600000000001 } } } },
        { "fullUrl": "urn:uuid:org", "resource": { "resourceType": "Organization", "id": "org" } },
        { "fullUrl": "urn:uuid:org2", "resource": { "resourceType": "Organization" } },
        { "resource": { "resourceType": "CarePlan", "id": "cp" } }
    ] })
}

#[test]
fn claim_and_eob_with_diagnosis_amount_and_coverage() {
    let x = extract(claim_bundle().to_string().as_bytes()).unwrap();
    assert_eq!(x.records.len(), 3);
    let unsupported: Vec<_> = x
        .unsupported
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(unsupported, [("CarePlan", 1), ("Organization", 2)]);
    let diagnosis = code_id(SNOMED, "444814009");
    let humana = code_id(COVERAGE_SYSTEM, "Humana");
    let claim = &x.records[1];
    assert_eq!(
        (claim.resource_type(), claim.id.as_str()),
        ("Claim", "claim-1")
    );
    let f = &claim.fields;
    assert_eq!(f.kind, RecordKind::Claim);
    assert_eq!(f.code, code_id(SNOMED, "185345009"));
    assert_eq!((f.date, f.end_date), (day("2019-01-01"), day("2019-01-02")));
    assert_eq!(f.value, ScaledValue(12_916));
    assert_eq!((f.related_code, f.coverage), (diagnosis, humana));
    // The EOB: amount from total[0] (payment's excess digits are never read), the relative
    // reference resolves too, and the display names the coverage.
    let f = &x.records[2].fields;
    assert_eq!(f.kind, RecordKind::ExplanationOfBenefit);
    assert_eq!(f.value, ScaledValue(12_916));
    assert_eq!((f.related_code, f.coverage), (diagnosis, humana));
    assert_eq!(f.end_date, day("2020-01-01"));
    // One service: the EOB's identity is its claim's, and both are about no patient here.
    let claim_identity = codes::resource_identity("Claim", "claim-1");
    assert_eq!(x.records[1].fields.identity, claim_identity);
    assert_eq!(f.identity, claim_identity);
    assert_ne!(x.records[0].fields.identity, claim_identity);
    assert_eq!(x.records[1].subject, None);
    // A relative `Claim/id` names the same claim; a reference to no Claim is refused.
    let mut b = claim_bundle();
    b["entry"][2]["resource"]["claim"]["reference"] = json!("Claim/claim-1");
    let x = extract(b.to_string().as_bytes()).unwrap();
    assert_eq!(x.records[2].fields.identity, claim_identity);
    b["entry"][2]["resource"]["claim"]["reference"] = json!("urn:uuid:cond-1");
    let e = extract(b.to_string().as_bytes()).unwrap_err().to_string();
    assert!(e.contains("does not resolve to a Claim"), "{e}");
}

#[test]
fn subjects_and_patients_are_read_for_the_binding() {
    let bundle = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        { "fullUrl": "urn:uuid:p-1", "resource": { "resourceType": "Patient", "id": "p-1",
            "gender": "female", "birthDate": "1921-03-04",
            "identifier": [ { "system": "urn:ssn", "value": "999-1" },
                            { "system": "urn:mrn", "value": "m-7" }, { "value": "no-system" } ] } },
        { "resource": { "resourceType": "Condition", "id": "c-1", "subject": { "reference": "urn:uuid:p-1" },
            "code": concept(SNOMED, "444814009"), "onsetDateTime": "2019-01-01" } },
        { "resource": { "resourceType": "Condition", "id": "c-2", "subject": { "reference": "Patient/other" },
            "code": concept(SNOMED, "444814009"), "onsetDateTime": "2019-01-01" } },
        { "resource": { "resourceType": "Condition", "id": "c-3", "subject": { "reference": "urn:uuid:elsewhere" },
            "code": concept(SNOMED, "444814009"), "onsetDateTime": "2019-01-01" } }
    ] });
    let x = extract(bundle.to_string().as_bytes()).unwrap();
    assert_eq!(x.patients.len(), 1);
    assert_eq!(x.patients[0].reference, "Patient/p-1");
    assert_eq!(x.patients[0].identifiers, ["urn:mrn|m-7", "urn:ssn|999-1"]);
    let subjects: Vec<_> = x.records.iter().map(|r| r.subject.as_deref()).collect();
    assert_eq!(
        subjects,
        [
            Some("Patient/p-1"),
            Some("Patient/p-1"),
            Some("Patient/other"),
            Some("urn:uuid:elsewhere")
        ]
    );
    assert_eq!(x.records[0].fields.date, day("1921-03-04"));
}

#[test]
fn claim_without_diagnosis_total_or_insurance() {
    let mut b = claim_bundle();
    let claim = &mut b["entry"][1]["resource"];
    for k in ["diagnosis", "total", "insurance"] {
        claim.as_object_mut().unwrap().remove(k);
    }
    let x = extract(b.to_string().as_bytes()).unwrap();
    let f = &x.records[1].fields;
    assert_eq!(
        (f.value, f.related_code, f.coverage),
        (ScaledValue(0), CodeId::default(), CodeId::default())
    );
    // The coverage's reference stands in for a missing display.
    let mut b = claim_bundle();
    b["entry"][2]["resource"]["insurance"][0]["coverage"] = json!({ "reference": "Coverage/9" });
    let x = extract(b.to_string().as_bytes()).unwrap();
    assert_eq!(
        x.records[2].fields.coverage,
        code_id(COVERAGE_SYSTEM, "Coverage/9")
    );
}

#[test]
fn whitespace_and_key_order_do_not_change_the_digest() {
    let a = r#"{"resourceType":"Patient","id":"p","gender":"male","birthDate":"1990-01-01"}"#;
    let b = "{ \"birthDate\" : \"1990-01-01\",\n \"id\":\"p\", \"gender\":\"male\",\t\"resourceType\":\"Patient\" }";
    let da = extract(a.as_bytes()).unwrap().records[0].fields.digest;
    let db = extract(b.as_bytes()).unwrap().records[0].fields.digest;
    assert_eq!(da, db);
    let c = a.replace("male", "female");
    assert_ne!(extract(c.as_bytes()).unwrap().records[0].fields.digest, da);
}

#[test]
fn errors_name_the_resource_and_field() {
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({ "resourceType": "Condition", "id": "c9", "onsetDateTime": "2020-01-01" }),
         "Condition/c9: missing code.coding[0].system"),
        (json!({ "resourceType": "Condition", "id": "c9", "code": { "coding": [] }, "onsetDateTime": "2020-01-01" }),
         "Condition/c9: missing code.coding[0].system"),
        (json!({ "resourceType": "Condition", "id": "c9", "code": "x", "onsetDateTime": "2020-01-01" }),
         "Condition/c9: code: is a string, expected an object"),
        (json!({ "resourceType": "Condition", "id": "c9", "code": concept(SNOMED, "1") }),
         "Condition/c9: missing onsetDateTime or onsetPeriod.start"),
        (json!({ "resourceType": "Condition", "id": "c9", "code": concept("a|b", "1"), "onsetDateTime": "2020-01-01" }),
         "Condition/c9: code.coding[0].system: a code system may not contain '|'"),
        (json!({ "resourceType": "Patient", "id": "p", "gender": "other", "birthDate": "1799-12-31" }),
         "Patient/p: birthDate: \"1799-12-31\" is outside the supported dates, 1800-01-01 to 2199-12-31"),
        (json!({ "resourceType": "Observation", "id": "o", "code": concept(LOINC, "1"), "effectiveDateTime": "2200-01-01T00:00:00Z" }),
         "Observation/o: effectiveDateTime: \"2200-01-01T00:00:00Z\" is outside the supported dates, 1800-01-01 to 2199-12-31"),
        (json!({ "resourceType": "Patient", "id": "p", "gender": "other", "birthDate": "1999" }),
         "Patient/p: birthDate: \"1999\" is not a full date"),
        (json!({ "resourceType": "Patient", "id": "p", "birthDate": "1999-01-01" }),
         "Patient/p: missing gender"),
        (json!({ "resourceType": "Patient", "id": "p", "gender": 3, "birthDate": "1999-01-01" }),
         "Patient/p: gender: is a number, expected a string"),
        (json!({ "resourceType": "Patient", "gender": "male", "birthDate": "1999-01-01" }),
         "Patient at top level: missing id"),
        (json!({ "resourceType": "Patient", "id": "a b", "gender": "male", "birthDate": "1999-01-01" }),
         "Patient at top level: id: not a FHIR id"),
        (json!({ "resourceType": "Observation", "id": "o", "code": concept(LOINC, "1"), "effectiveDateTime": "2020-01-01",
                 "valueQuantity": { "value": -1.5 } }),
         "Observation/o: valueQuantity.value: -1.5 is negative"),
        (json!({ "resourceType": "Observation", "id": "o", "code": concept(LOINC, "1"), "effectiveDateTime": "2020-01-01",
                 "valueQuantity": { "value": 1.23456 } }),
         "Observation/o: valueQuantity.value: 1.23456 has more than 3 decimal places"),
        (json!({ "resourceType": "Observation", "id": "o", "code": concept(LOINC, "1"), "effectiveDateTime": "2020-01-01",
                 "valueQuantity": { "value": "1.5" } }),
         "Observation/o: valueQuantity.value: is a string, expected a number"),
        (json!({ "resourceType": "Observation", "id": "o", "code": concept(LOINC, "1"), "effectiveDateTime": "2020-01-01",
                 "valueQuantity": { "unit": "kg" } }),
         "Observation/o: missing valueQuantity.value"),
        (json!({ "resourceType": "Claim", "id": "k", "billablePeriod": { "start": "2020-01-01" },
                 "item": [{ "productOrService": concept(SNOMED, "1") }],
                 "diagnosis": [{ "diagnosisReference": { "reference": "urn:uuid:nowhere\n" } }] }),
         "Claim/k: diagnosis[0].diagnosisReference.reference: \"urn:uuid:nowhere\\n\" does not resolve to a Condition"),
        (json!({ "resourceType": "Claim", "id": "k", "billablePeriod": { "start": "2020-01-01" },
                 "item": [{ "productOrService": concept(SNOMED, "1") }], "total": { "value": 1.001 } }),
         "Claim/k: total.value: 1.001 has more than 2 decimal places"),
        (json!({ "resourceType": "ExplanationOfBenefit", "id": "x", "claim": { "reference": "Claim/c" }, "billablePeriod": { "start": "2020-01-01" } }),
         "ExplanationOfBenefit/x: missing item[0].productOrService.coding[0].system"),
        (json!({ "resourceType": "Bundle", "entry": [{ "fullUrl": "u" }] }),
         "Bundle.entry[0] has no resource object"),
        (json!({ "resourceType": "Bundle", "entry": {} }), "Bundle.entry is an object, not an array"),
        (json!({ "resourceType": "Encounter", "id": "e", "type": { "coding": [] }, "period": { "start": "2020-01-01" } }),
         "Encounter/e: type: is an object, expected an array"),
        (json!({ "resourceType": "Bundle", "entry": [{ "resource": { "id": "x" } }] }),
         "Bundle.entry[0]: missing resourceType"),
        (json!({ "resourceType": "Bad\u{1b}[31m" }), "top level: resourceType is not a FHIR type name"),
        (json!([1, 2]), "top level is an array, not a FHIR resource object"),
    ];
    for (doc, want) in cases {
        let got = err(&doc);
        assert!(got.starts_with(want), "{doc}\n got: {got}\nwant: {want}");
        assert!(!got.contains('\n'), "{got}");
    }
    // A claim whose diagnosis points at a Condition without a code names both.
    let mut b = claim_bundle();
    b["entry"][0]["resource"]
        .as_object_mut()
        .unwrap()
        .remove("code");
    let got = err(&b);
    assert!(got.starts_with("Condition/cond-1: missing code"), "{got}");
    let mut b = claim_bundle();
    b["entry"].as_array_mut().unwrap().swap(0, 1);
    b["entry"][1]["resource"]
        .as_object_mut()
        .unwrap()
        .remove("code");
    let got = err(&b);
    assert!(
        got.starts_with(
            "Claim/claim-1 (diagnosis \"urn:uuid:cond-1\"): missing code.coding[0].system"
        ),
        "{got}"
    );
}

#[test]
fn non_json_and_duplicate_keys_are_errors() {
    for bad in [
        &b"\xff\xfe"[..],
        b"",
        b"{",
        b"{\"resourceType\":\"Patient\",\"id\":\"a\",\"id\":\"b\"}",
    ] {
        assert!(matches!(
            extract(bad),
            Err(FhirError::Json(_) | FhirError::Structure(_))
        ));
    }
}

#[test]
fn empty_bundle_and_unsupported_bare_resource() {
    let x = extract(br#"{"resourceType":"Bundle","type":"batch"}"#).unwrap();
    assert!(x.records.is_empty() && x.unsupported.is_empty());
    let x = extract(br#"{"resourceType":"Organization","id":"o"}"#).unwrap();
    assert_eq!(x.unsupported.get("Organization"), Some(&1));
}
