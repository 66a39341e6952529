//! Extraction: each supported resource of a bundle (or a bare resource) to its
//! [`RecordFields`], per the table in `docs/spec.md` ("FHIR records").
//!
//! Every resource is accounted for: a supported one becomes a record or an error naming
//! `Type/id` and the field; any other type is counted in [`Extraction::unsupported`].

use super::{
    canonical::{self, Json},
    codes::{self, ADMINISTRATIVE_GENDER_SYSTEM, COVERAGE_SYSTEM},
    dates,
    decimal::{self, MONEY_PLACES, QUANTITY_PLACES},
    error::FhirError,
};
use std::collections::{BTreeMap, HashMap};
use zkconsent_circuits::{
    record::{RecordFields, RecordKind, ScaledValue},
    types::{CodeId, EpochDay},
};

/// `resourceType` of a bundle.
pub const BUNDLE_TYPE: &str = "Bundle";
/// Longest FHIR resource id (FHIR R4 `id`: `[A-Za-z0-9\-\.]{1,64}`).
pub const MAX_ID_LEN: usize = 64;
/// Longest resource type name accepted (FHIR's longest is well below this).
pub const MAX_TYPE_LEN: usize = 64;

/// `Type/id` of a patient, the form every patient reference is reduced to.
pub const PATIENT_TYPE: &str = "Patient";

/// One supported resource, extracted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtractedRecord {
    /// The resource's `id`.
    pub id: String,
    /// The record fields (kind, codes, dates, value, coverage, digest, identity).
    pub fields: RecordFields,
    /// The FHIR patient the resource is about, as `Patient/id` (a Patient resource: itself;
    /// others: `subject` or `patient`, resolved in the document), or the reference as
    /// written when it names no patient this document resolves; `None` when the resource
    /// names no patient.
    pub subject: Option<String>,
}

/// A Patient resource of the document: what binds a bundle to one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientIdentity {
    /// `Patient/id`.
    pub reference: String,
    /// `identifier[*]` as `system|value` (medical record numbers, national ids), sorted,
    /// without duplicates; identifiers lacking a system or value are skipped.
    pub identifiers: Vec<String>,
}

impl ExtractedRecord {
    /// The FHIR `resourceType`.
    pub fn resource_type(&self) -> &'static str {
        self.fields.kind.resource_type()
    }
}

/// Everything in a document: the records, in document order, and the unsupported resources
/// counted by type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extraction {
    /// Supported resources, in document order.
    pub records: Vec<ExtractedRecord>,
    /// Resources of other types (not anchored), by `resourceType`.
    pub unsupported: BTreeMap<String, u64>,
    /// The document's Patient resources, in document order (a patient's bundle has one).
    pub patients: Vec<PatientIdentity>,
}

/// Extracts every resource of a bundle, or the single resource of a bare resource file.
///
/// # Errors
///
/// [`FhirError`] for bytes that are not UTF-8 JSON, a malformed bundle, or any supported
/// resource that lacks or garbles a field its record needs.
pub fn extract(bytes: &[u8]) -> Result<Extraction, FhirError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| FhirError::Structure(format!("not UTF-8 text: {e}")))?;
    let doc = canonical::parse(text)?;
    if !matches!(doc, Json::Object(_)) {
        return Err(FhirError::Structure(format!(
            "top level is {}, not a FHIR resource object",
            doc.type_name()
        )));
    }
    let top_type = resource_type(&doc, "top level")?;
    let resources = if top_type == BUNDLE_TYPE {
        bundle_entries(&doc)?
    } else {
        vec![Entry {
            place: "top level".to_owned(),
            full_url: None,
            resource: &doc,
        }]
    };
    let index = Index::new(&resources)?;
    let mut out = Extraction::default();
    for entry in &resources {
        let rtype = resource_type(entry.resource, &entry.place)?;
        match RecordKind::from_resource_type(rtype) {
            Some(kind) => {
                let record = extract_one(kind, entry, &index)?;
                if kind == RecordKind::Patient {
                    out.patients
                        .push(patient_identity(&record.id, entry.resource));
                }
                out.records.push(record);
            }
            None => *out.unsupported.entry(rtype.to_owned()).or_default() += 1,
        }
    }
    Ok(out)
}

/// A resource and where it sits.
struct Entry<'a> {
    /// `Bundle.entry[i]` or `top level`, for messages.
    place: String,
    /// The entry's `fullUrl`, the target of `urn:uuid:` references.
    full_url: Option<&'a str>,
    resource: &'a Json,
}

fn bundle_entries(bundle: &Json) -> Result<Vec<Entry<'_>>, FhirError> {
    let Some(entries) = bundle.get("entry") else {
        return Ok(Vec::new());
    };
    let entries = entries.as_array().ok_or_else(|| {
        FhirError::Structure(format!(
            "Bundle.entry is {}, not an array",
            entries.type_name()
        ))
    })?;
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let place = format!("Bundle.entry[{i}]");
            let resource = e
                .get("resource")
                .filter(|r| matches!(r, Json::Object(_)))
                .ok_or_else(|| FhirError::Structure(format!("{place} has no resource object")))?;
            let full_url = match e.get("fullUrl") {
                None => None,
                Some(Json::String(u)) => Some(u.as_str()),
                Some(other) => {
                    return Err(FhirError::Structure(format!(
                        "{place}.fullUrl is {}, not a string",
                        other.type_name()
                    )))
                }
            };
            Ok(Entry {
                place,
                full_url,
                resource,
            })
        })
        .collect()
}

/// `resourceType`, checked to be a plain type name (it is printed and stored).
fn resource_type<'a>(resource: &'a Json, place: &str) -> Result<&'a str, FhirError> {
    match resource.get("resourceType") {
        Some(Json::String(t))
            if !t.is_empty()
                && t.len() <= MAX_TYPE_LEN
                && t.bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            Ok(t)
        }
        Some(Json::String(_)) => Err(FhirError::Structure(format!(
            "{place}: resourceType is not a FHIR type name"
        ))),
        Some(other) => Err(FhirError::Structure(format!(
            "{place}: resourceType is {}, not a string",
            other.type_name()
        ))),
        None => Err(FhirError::Structure(format!(
            "{place}: missing resourceType"
        ))),
    }
}

/// Whether `id` is a FHIR R4 id: 1 to 64 of `A-Z a-z 0-9 - .`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Reference targets in the document: by `fullUrl` and by `Type/id`.
struct Index<'a> {
    by_url: HashMap<&'a str, &'a Json>,
    by_type_id: HashMap<(&'a str, &'a str), &'a Json>,
}

impl<'a> Index<'a> {
    fn new(entries: &[Entry<'a>]) -> Result<Self, FhirError> {
        let mut by_url = HashMap::new();
        let mut by_type_id = HashMap::new();
        for e in entries {
            if let Some(url) = e.full_url {
                by_url.insert(url, e.resource);
            }
            let rtype = resource_type(e.resource, &e.place)?;
            if let Some(Json::String(id)) = e.resource.get("id") {
                by_type_id.insert((rtype, id.as_str()), e.resource);
            }
        }
        Ok(Self { by_url, by_type_id })
    }

    /// The resource a `Reference.reference` points to: an entry's `fullUrl` (how Synthea's
    /// `urn:uuid:` references resolve), else a relative `Type/id` in the document.
    fn resolve(&self, reference: &str) -> Option<&'a Json> {
        if let Some(r) = self.by_url.get(reference) {
            return Some(r);
        }
        let (rtype, id) = reference.split_once('/')?;
        self.by_type_id.get(&(rtype, id)).copied()
    }
}

/// A path into a resource, with what was found there.
#[derive(Clone)]
struct Field<'a> {
    node: Option<&'a Json>,
    path: String,
    /// Set when an ancestor has the wrong JSON type: `(its path, what it is, what it
    /// should be)`.
    broken: Option<(String, &'static str, &'static str)>,
}

impl<'a> Field<'a> {
    fn root(resource: &'a Json) -> Self {
        Self {
            node: Some(resource),
            path: String::new(),
            broken: None,
        }
    }

    fn step(
        &self,
        segment: String,
        object: bool,
        pick: impl Fn(&'a Json) -> Option<&'a Json>,
    ) -> Self {
        let path = if self.path.is_empty() || segment.starts_with('[') {
            format!("{}{segment}", self.path)
        } else {
            format!("{}.{segment}", self.path)
        };
        let mut broken = self.broken.clone();
        let node = match self.node {
            Some(n) => {
                let right_type = if object {
                    matches!(n, Json::Object(_))
                } else {
                    matches!(n, Json::Array(_))
                };
                if !right_type && broken.is_none() {
                    let expected = if object { "an object" } else { "an array" };
                    broken = Some((self.path.clone(), n.type_name(), expected));
                }
                pick(n)
            }
            None => None,
        };
        Self { node, path, broken }
    }

    fn key(&self, key: &str) -> Self {
        self.step(key.to_owned(), true, |n| n.get(key))
    }

    fn at(&self, i: usize) -> Self {
        self.step(format!("[{i}]"), false, move |n| {
            n.as_array().and_then(|a| a.get(i))
        })
    }

    /// Follows a dotted path (`performedPeriod.start`).
    fn path(&self, dotted: &str) -> Self {
        dotted.split('.').fold(self.clone(), |f, k| f.key(k))
    }
}

/// One resource being extracted: its label for errors and the document's references.
struct Ctx<'a, 'i> {
    label: String,
    resource: &'a Json,
    index: &'i Index<'a>,
}

impl<'a> Ctx<'a, '_> {
    fn field(&self, dotted: &str) -> Field<'a> {
        Field::root(self.resource).path(dotted)
    }

    fn missing(&self, field: &str) -> FhirError {
        FhirError::Missing {
            resource: self.label.clone(),
            field: field.to_owned(),
        }
    }

    fn invalid(&self, field: &str, reason: impl Into<String>) -> FhirError {
        FhirError::Invalid {
            resource: self.label.clone(),
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    /// The node at `f`, `None` if absent; an error if an ancestor has the wrong type.
    fn node(&self, f: &Field<'a>) -> Result<Option<&'a Json>, FhirError> {
        match &f.broken {
            Some((path, found, expected)) => {
                Err(self.invalid(path, format!("is {found}, expected {expected}")))
            }
            None => Ok(f.node),
        }
    }

    /// A non-empty string, or `None` if absent.
    fn opt_str(&self, f: &Field<'a>) -> Result<Option<&'a str>, FhirError> {
        match self.node(f)? {
            None => Ok(None),
            Some(Json::String(s)) if s.is_empty() => {
                Err(self.invalid(&f.path, "is an empty string"))
            }
            Some(Json::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.invalid(
                &f.path,
                format!("is {}, expected a string", other.type_name()),
            )),
        }
    }

    fn req_str(&self, f: &Field<'a>) -> Result<&'a str, FhirError> {
        self.opt_str(f)?.ok_or_else(|| self.missing(&f.path))
    }

    /// `code_id` of `concept.coding[0]` (a CodeableConcept's first coding).
    fn first_coding(&self, concept: &Field<'a>) -> Result<CodeId, FhirError> {
        let coding = concept.key("coding").at(0);
        self.coding(&coding.key("system"), &coding.key("code"))
    }

    /// `code_id(system, code)` of two required strings.
    fn coding(&self, system: &Field<'a>, code: &Field<'a>) -> Result<CodeId, FhirError> {
        let s = self.req_str(system)?;
        let c = self.req_str(code)?;
        if !codes::is_valid_system(s) {
            return Err(self.invalid(&system.path, "a code system may not contain '|'"));
        }
        Ok(codes::code_id(s, c))
    }

    /// The day of a date field, `None` if absent.
    fn opt_day(&self, f: &Field<'a>) -> Result<Option<EpochDay>, FhirError> {
        self.opt_str(f)?
            .map(|s| dates::parse_day(s).map_err(|e| self.invalid(&f.path, e.to_string())))
            .transpose()
    }

    /// The first present of several alternative date fields (FHIR choice types).
    fn first_day(&self, alternatives: &[&str]) -> Result<Option<EpochDay>, FhirError> {
        for path in alternatives {
            if let Some(day) = self.opt_day(&self.field(path))? {
                return Ok(Some(day));
            }
        }
        Ok(None)
    }

    fn req_day(&self, alternatives: &[&str]) -> Result<EpochDay, FhirError> {
        self.first_day(alternatives)?
            .ok_or_else(|| self.missing(&alternatives.join(" or ")))
    }

    /// An optional end date, [`EpochDay::NONE`] when absent (no calendar day is 0).
    fn end_day(&self, alternatives: &[&str]) -> Result<EpochDay, FhirError> {
        Ok(self.first_day(alternatives)?.unwrap_or(EpochDay::NONE))
    }

    /// A JSON number scaled exactly by `10^places`, `None` if absent.
    fn opt_scaled(&self, f: &Field<'a>, places: u32) -> Result<Option<ScaledValue>, FhirError> {
        match self.node(f)? {
            None => Ok(None),
            Some(Json::Number(token)) => decimal::scale(token, places)
                .map(|v| Some(ScaledValue(v)))
                .map_err(|e| self.invalid(&f.path, e.to_string())),
            Some(other) => Err(self.invalid(
                &f.path,
                format!("is {}, expected a number", other.type_name()),
            )),
        }
    }

    /// `code_id` of the claim's principal diagnosis, `diagnosis[0]`, or 0 without diagnoses.
    fn principal_diagnosis(&self) -> Result<CodeId, FhirError> {
        let first = self.field("diagnosis").at(0);
        if self.node(&first)?.is_none() {
            return Ok(CodeId::default());
        }
        let concept = first.key("diagnosisCodeableConcept");
        if self.node(&concept)?.is_some() {
            return self.first_coding(&concept);
        }
        let reference = first.key("diagnosisReference").key("reference");
        let target = self.req_str(&reference)?;
        let condition = self
            .index
            .resolve(target)
            .filter(|r| r.get("resourceType").and_then(Json::as_str) == Some("Condition"))
            .ok_or_else(|| {
                self.invalid(
                    &reference.path,
                    format!("{target:?} does not resolve to a Condition in this document"),
                )
            })?;
        // The diagnosis's own fields are reported against this claim: it is this claim's
        // record that cannot be built. Input strings are quoted with escapes, so an error
        // stays one printable line.
        let coding = Field::root(condition).key("code").key("coding").at(0);
        let sub = Ctx {
            label: format!("{} (diagnosis {target:?})", self.label),
            resource: condition,
            index: self.index,
        };
        sub.coding(&coding.key("system"), &coding.key("code"))
    }

    /// The id of the Claim an ExplanationOfBenefit adjudicates (`claim.reference`): the
    /// Claim it resolves to in this document, or the id of a relative `Claim/id`.
    fn claim_id(&self) -> Result<String, FhirError> {
        let claim = RecordKind::Claim.resource_type();
        let reference = self.field("claim").key("reference");
        let target = self.req_str(&reference)?;
        let id = match self.index.resolve(target) {
            Some(r) if r.get("resourceType").and_then(Json::as_str) == Some(claim) => {
                r.get("id").and_then(Json::as_str)
            }
            Some(_) => None,
            None => target.strip_prefix(claim).and_then(|t| t.strip_prefix('/')),
        };
        id.filter(|id| is_valid_id(id))
            .map(str::to_owned)
            .ok_or_else(|| {
                self.invalid(
                    &reference.path,
                    format!("{target:?} does not resolve to a Claim with a valid id"),
                )
            })
    }

    /// The patient a resource is about (`subject`, or `patient` for the kinds that name it
    /// so), reduced to `Patient/id` when it resolves to a Patient in this document or is a
    /// relative `Patient/id`; otherwise the reference as written, which matches no patient.
    fn subject(&self, kind: RecordKind) -> Result<Option<String>, FhirError> {
        let key = match kind {
            RecordKind::Immunization | RecordKind::Claim | RecordKind::ExplanationOfBenefit => {
                "patient"
            }
            _ => "subject",
        };
        let reference = self.field(key).key("reference");
        let Some(target) = self.opt_str(&reference)? else {
            return Ok(None);
        };
        let id = match self.index.resolve(target) {
            Some(r) if r.get("resourceType").and_then(Json::as_str) == Some(PATIENT_TYPE) => {
                r.get("id").and_then(Json::as_str)
            }
            Some(_) => {
                return Err(self.invalid(
                    &reference.path,
                    format!("{target:?} resolves to a resource that is not a Patient"),
                ))
            }
            None => target
                .strip_prefix(PATIENT_TYPE)
                .and_then(|t| t.strip_prefix('/')),
        };
        Ok(Some(match id.filter(|id| is_valid_id(id)) {
            Some(id) => format!("{PATIENT_TYPE}/{id}"),
            None => target.to_owned(),
        }))
    }

    /// `code_id("zkconsent:coverage", insurance[0].coverage.display or .reference)`, 0
    /// without insurance.
    fn coverage(&self) -> Result<CodeId, FhirError> {
        let coverage = self.field("insurance").at(0).key("coverage");
        if self.node(&coverage)?.is_none() {
            return Ok(CodeId::default());
        }
        let name = match self.opt_str(&coverage.key("display"))? {
            Some(d) => d,
            None => self
                .opt_str(&coverage.key("reference"))?
                .ok_or_else(|| self.missing(&format!("{}.display or .reference", coverage.path)))?,
        };
        Ok(codes::code_id(COVERAGE_SYSTEM, name))
    }
}

fn extract_one(
    kind: RecordKind,
    entry: &Entry<'_>,
    index: &Index<'_>,
) -> Result<ExtractedRecord, FhirError> {
    let rtype = kind.resource_type();
    let unnamed = format!("{rtype} at {}", entry.place);
    let id = match entry.resource.get("id") {
        None => {
            return Err(FhirError::Missing {
                resource: unnamed,
                field: "id".into(),
            })
        }
        Some(Json::String(id)) if is_valid_id(id) => id.clone(),
        Some(_) => {
            return Err(FhirError::Invalid {
                resource: unnamed,
                field: "id".into(),
                reason: "not a FHIR id (1 to 64 of A-Z a-z 0-9 - .)".into(),
            })
        }
    };
    let ctx = Ctx {
        label: format!("{rtype}/{id}"),
        resource: entry.resource,
        index,
    };
    let digest = codes::resource_digest(&entry.resource.canonical_bytes());
    // A service is identified by its claim: an EOB by the Claim it adjudicates.
    let identity = if kind == RecordKind::ExplanationOfBenefit {
        codes::resource_identity(RecordKind::Claim.resource_type(), &ctx.claim_id()?)
    } else {
        codes::resource_identity(rtype, &id)
    };
    let subject = if kind == RecordKind::Patient {
        Some(format!("{PATIENT_TYPE}/{id}"))
    } else {
        ctx.subject(kind)?
    };
    let zero = CodeId::default();
    // The fields every kind has; value, related code and coverage stay zero unless the kind
    // sets them.
    let base = |code, date, end_date| RecordFields {
        kind,
        code,
        date,
        end_date,
        value: ScaledValue::default(),
        related_code: zero,
        coverage: zero,
        digest,
        identity,
    };
    let fields = match kind {
        RecordKind::Patient => base(
            codes::code_id(
                ADMINISTRATIVE_GENDER_SYSTEM,
                ctx.req_str(&ctx.field("gender"))?,
            ),
            ctx.req_day(&["birthDate"])?,
            EpochDay::NONE,
        ),
        RecordKind::Condition => base(
            ctx.first_coding(&ctx.field("code"))?,
            ctx.req_day(&["onsetDateTime", "onsetPeriod.start"])?,
            ctx.end_day(&["abatementDateTime", "abatementPeriod.end"])?,
        ),
        RecordKind::Observation => {
            let quantity = ctx.field("valueQuantity");
            let (value, unit) = if ctx.node(&quantity)?.is_some() {
                let value = ctx
                    .opt_scaled(&quantity.key("value"), QUANTITY_PLACES)?
                    .ok_or_else(|| ctx.missing("valueQuantity.value"))?;
                let (system, code) = (quantity.key("system"), quantity.key("code"));
                let unit = match (ctx.opt_str(&system)?, ctx.opt_str(&code)?) {
                    (Some(_), Some(_)) => ctx.coding(&system, &code)?,
                    _ => zero,
                };
                (value, unit)
            } else {
                (ScaledValue::default(), zero)
            };
            let fields = base(
                ctx.first_coding(&ctx.field("code"))?,
                ctx.req_day(&[
                    "effectiveDateTime",
                    "effectivePeriod.start",
                    "effectiveInstant",
                ])?,
                EpochDay::NONE,
            );
            RecordFields {
                value,
                related_code: unit,
                ..fields
            }
        }
        RecordKind::Procedure => base(
            ctx.first_coding(&ctx.field("code"))?,
            ctx.req_day(&["performedPeriod.start", "performedDateTime"])?,
            ctx.end_day(&["performedPeriod.end"])?,
        ),
        RecordKind::Immunization => base(
            ctx.first_coding(&ctx.field("vaccineCode"))?,
            ctx.req_day(&["occurrenceDateTime"])?,
            EpochDay::NONE,
        ),
        RecordKind::Claim | RecordKind::ExplanationOfBenefit => {
            let amount = if kind == RecordKind::Claim {
                ctx.opt_scaled(&ctx.field("total.value"), MONEY_PLACES)?
            } else {
                let total = ctx.field("total").at(0).path("amount.value");
                match ctx.opt_scaled(&total, MONEY_PLACES)? {
                    Some(v) => Some(v),
                    None => ctx.opt_scaled(&ctx.field("payment.amount.value"), MONEY_PLACES)?,
                }
            };
            let fields = base(
                ctx.first_coding(&ctx.field("item").at(0).key("productOrService"))?,
                ctx.req_day(&["billablePeriod.start"])?,
                ctx.end_day(&["billablePeriod.end"])?,
            );
            RecordFields {
                value: amount.unwrap_or_default(),
                related_code: ctx.principal_diagnosis()?,
                coverage: ctx.coverage()?,
                ..fields
            }
        }
        RecordKind::Encounter => base(
            ctx.first_coding(&ctx.field("type").at(0))?,
            ctx.req_day(&["period.start"])?,
            ctx.end_day(&["period.end"])?,
        ),
        // Not a resource type: `from_resource_type` never yields it, so no file reaches here.
        RecordKind::ConditionSummary => {
            return Err(FhirError::Invalid {
                resource: ctx.label,
                field: "resourceType".into(),
                reason: "a condition summary is derived, never read from a file".into(),
            })
        }
    };
    Ok(ExtractedRecord {
        id,
        fields,
        subject,
    })
}

/// The identity a Patient resource carries: its reference and its identifiers.
fn patient_identity(id: &str, patient: &Json) -> PatientIdentity {
    let mut identifiers: Vec<String> = patient
        .get("identifier")
        .and_then(Json::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(|i| {
            let system = i.get("system").and_then(Json::as_str)?;
            let value = i.get("value").and_then(Json::as_str)?;
            (!system.is_empty() && !value.is_empty()).then(|| format!("{system}|{value}"))
        })
        .collect();
    identifiers.sort();
    identifiers.dedup();
    PatientIdentity {
        reference: format!("{PATIENT_TYPE}/{id}"),
        identifiers,
    }
}
