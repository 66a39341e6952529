//! Every public-input encoder has a decoder twin: `from(to(x)) == x` for random publics of
//! every statement, decoding accepts only what the encoder produces (`to(from(v)) == v`
//! whenever decoding succeeds), and it refuses wrong counts and out-of-range values without
//! panicking.

use ark_bn254::Fr;
use ark_ff::{Field, One, PrimeField};
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};
use zkconsent_circuits::{
    access::{self, AccessPublic},
    authority::{self, AuthorityPublic, GrantAction},
    claim::{self, ClaimNullifier, ClaimPublic, PolicyCommitment},
    cohort::{self, CohortNullifier, CohortPublic, ExclusionHash, StudyId},
    record::{
        self, CodeSetPredicate, CodeSetRoot, InclusiveRange, RecordKind, RecordPublic, ScaledValue,
        SetField, DISCLOSABLE_FIELDS,
    },
    statement::{
        Access, Authority, Claim, Cohort, InputError, PublicInputs, Record, Statement,
        StatementKind, StatementVisitor,
    },
    testing::{
        access_fixture, authority_for, claim::claim_fixture, cohort::cohort_fixture, record_fixture,
    },
    types::*,
};

/// Any field element, with the edges (0, 1, `2^64`, `p - 1`) drawn often.
fn fr() -> impl Strategy<Value = Fr> {
    prop_oneof![
        Just(Fr::from(0u64)),
        Just(Fr::one()),
        Just(Fr::from(2u64).pow([64u64])),
        Just(-Fr::one()),
        any::<[u8; 32]>().prop_map(|b| Fr::from_le_bytes_mod_order(&b)),
    ]
}

/// Any 64-bit integer, with the edges drawn often.
fn u64_edge() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()]
}

fn range() -> impl Strategy<Value = InclusiveRange> {
    (u64_edge(), u64_edge()).prop_map(|(lo, hi)| InclusiveRange::new(lo, hi))
}

fn access_public() -> impl Strategy<Value = AccessPublic> {
    (fr(), u64_edge(), u64_edge(), u64_edge(), fr(), fr(), fr()).prop_map(
        |(root, now, scope, purpose, patient_ref, request, tag)| AccessPublic {
            grants_root: GrantsRoot(root),
            now: Timestamp(now),
            scope: Scope(scope),
            purpose: Purpose(purpose),
            patient_ref: PatientRef(patient_ref),
            request_hash: RequestHash(request),
            access_tag: AccessTag(tag),
        },
    )
}

fn authority_public() -> impl Strategy<Value = AuthorityPublic> {
    (any::<bool>(), fr()).prop_map(|(issue, commitment)| AuthorityPublic {
        action: if issue {
            GrantAction::Issue
        } else {
            GrantAction::Revoke
        },
        commitment: GrantCommitment(commitment),
    })
}

fn record_public() -> impl Strategy<Value = RecordPublic> {
    let code_set =
        proptest::option::of(
            (any::<bool>(), fr()).prop_map(|(code, root)| CodeSetPredicate {
                field: if code {
                    SetField::Code
                } else {
                    SetField::RelatedCode
                },
                root: CodeSetRoot(root),
            }),
        );
    (
        fr(),
        proptest::array::uniform9(proptest::option::of(fr())),
        range(),
        range(),
        code_set,
        fr(),
    )
        .prop_map(
            |(root, disclosed, value_range, date_range, code_set, request)| RecordPublic {
                records_root: RecordsRoot(root),
                disclosed,
                value_range,
                date_range,
                code_set,
                request_hash: RequestHash(request),
            },
        )
}

fn claim_public() -> impl Strategy<Value = ClaimPublic> {
    (
        any::<bool>(),
        (fr(), fr(), u64_edge(), u64_edge()),
        (fr(), fr(), fr(), fr()),
    )
        .prop_map(
            |(is_claim, (root, service, date, amount), (covered, policy, nullifier, request))| {
                ClaimPublic {
                    records_root: RecordsRoot(root),
                    kind: if is_claim {
                        RecordKind::Claim
                    } else {
                        RecordKind::ExplanationOfBenefit
                    },
                    service_code: CodeId(service),
                    service_date: EpochDay(date),
                    amount: ScaledValue(amount),
                    covered_set_root: CodeSetRoot(covered),
                    policy: PolicyCommitment(policy),
                    nullifier: ClaimNullifier(nullifier),
                    request_hash: RequestHash(request),
                }
            },
        )
}

fn cohort_public() -> impl Strategy<Value = CohortPublic> {
    (
        (fr(), fr(), u64_edge(), u64_edge(), u64_edge()),
        (range(), u64_edge()),
        (fr(), fr(), fr(), fr(), fr()),
    )
        .prop_map(
            |(
                (records_root, grants_root, now, scope, purpose),
                (birth_window, not_before),
                (inclusion, exclusion, study, nullifier, request),
            )| CohortPublic {
                records_root: RecordsRoot(records_root),
                grants_root: GrantsRoot(grants_root),
                now: Timestamp(now),
                scope: Scope(scope),
                purpose: Purpose(purpose),
                birth_window,
                summary_not_before: EpochDay(not_before),
                inclusion_root: CodeSetRoot(inclusion),
                exclusion_hash: ExclusionHash(exclusion),
                study: StudyId(study),
                nullifier: CohortNullifier(nullifier),
                request_hash: RequestHash(request),
            },
        )
}

/// `from(to(x)) == x`, through the trait that generic code uses.
fn round_trips<S: Statement>(public: &S::Public) -> Result<(), TestCaseError> {
    let elements = public.to_field_elements();
    prop_assert_eq!(elements.len(), <S::Public as PublicInputs>::COUNT);
    prop_assert_eq!(elements.len(), S::INPUT_NAMES.len());
    prop_assert_eq!(
        &<S::Public as PublicInputs>::from_field_elements(&elements),
        &Ok(public.clone())
    );
    Ok(())
}

/// Whatever the elements, decoding does not panic, and what it accepts encodes back to the
/// same elements: the decoder accepts exactly the encoder's image.
fn decodes_only_encodings<S: Statement>(elements: &[Fr]) -> Result<(), TestCaseError> {
    if let Ok(public) = <S::Public as PublicInputs>::from_field_elements(elements) {
        prop_assert_eq!(public.to_field_elements(), elements.to_vec());
    }
    Ok(())
}

/// Elements likely to decode for some statement (small codes and masks, 64-bit values) and
/// others not to.
fn elements(count: usize) -> impl Strategy<Value = Vec<Fr>> {
    proptest::collection::vec(
        prop_oneof![
            (0u64..4).prop_map(Fr::from),
            (0u64..1024).prop_map(Fr::from),
            any::<u64>().prop_map(Fr::from),
            fr(),
        ],
        count,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn access_inputs_round_trip(public in access_public()) {
        round_trips::<Access>(&public)?;
    }

    #[test]
    fn authority_inputs_round_trip(public in authority_public()) {
        round_trips::<Authority>(&public)?;
    }

    #[test]
    fn record_inputs_round_trip(public in record_public()) {
        round_trips::<Record>(&public)?;
    }

    #[test]
    fn claim_inputs_round_trip(public in claim_public()) {
        round_trips::<Claim>(&public)?;
    }

    #[test]
    fn cohort_inputs_round_trip(public in cohort_public()) {
        round_trips::<Cohort>(&public)?;
    }

    #[test]
    fn decoders_accept_only_encodings(
        short in elements(authority::inputs::COUNT),
        access in elements(access::inputs::COUNT),
        claim in elements(claim::inputs::COUNT),
        cohort in elements(cohort::inputs::COUNT),
        record in elements(record::inputs::COUNT),
        any_length in proptest::collection::vec(fr(), 0..24),
    ) {
        decodes_only_encodings::<Authority>(&short)?;
        decodes_only_encodings::<Access>(&access)?;
        decodes_only_encodings::<Claim>(&claim)?;
        decodes_only_encodings::<Cohort>(&cohort)?;
        decodes_only_encodings::<Record>(&record)?;
        for kind in StatementKind::ALL {
            kind.visit(DecodeAnything(&any_length))?;
        }
    }
}

/// [`decodes_only_encodings`] for a kind chosen at run time.
struct DecodeAnything<'a>(&'a [Fr]);

impl StatementVisitor for DecodeAnything<'_> {
    type Output = Result<(), TestCaseError>;

    fn visit<S: Statement>(self) -> Self::Output {
        decodes_only_encodings::<S>(self.0)
    }
}

/// Decoding `n ± 1` elements fails with the counts named.
struct RejectsWrongCounts;

impl StatementVisitor for RejectsWrongCounts {
    type Output = ();

    fn visit<S: Statement>(self) {
        let n = <S::Public as PublicInputs>::COUNT;
        for got in [0, n - 1, n + 1] {
            assert_eq!(
                <S::Public as PublicInputs>::from_field_elements(&vec![Fr::from(0u64); got]),
                Err(InputError::WrongCount { expected: n, got }),
                "{} with {got}",
                S::NAME
            );
        }
    }
}

#[test]
fn decoders_reject_wrong_counts() {
    for kind in StatementKind::ALL {
        kind.visit(RejectsWrongCounts);
    }
}

/// Encodes `public`, sets input `index` to `value`, and decodes.
fn tampered<P: PublicInputs>(public: &P, index: usize, value: Fr) -> Result<P, InputError> {
    let mut elements = public.to_field_elements();
    elements[index] = value;
    P::from_field_elements(&elements)
}

fn out_of_range(input: &'static str) -> InputError {
    InputError::OutOfRange { input }
}

#[test]
fn decoders_reject_out_of_range_values() {
    let mut rng = StdRng::seed_from_u64(301);
    let two_64 = Fr::from(2u64).pow([64u64]);
    let p_minus_1 = -Fr::one();

    // Access: times, scopes and purposes are 64-bit.
    let f = access_fixture(&mut rng, 4);
    for (i, name) in [
        (access::inputs::NOW, "now"),
        (access::inputs::SCOPE, "scope"),
        (access::inputs::PURPOSE, "purpose"),
    ] {
        assert_eq!(tampered(&f.public, i, two_64), Err(out_of_range(name)));
        assert_eq!(tampered(&f.public, i, p_minus_1), Err(out_of_range(name)));
    }
    assert!(tampered(&f.public, access::inputs::SCOPE, Fr::from(u64::MAX)).is_ok());

    // Authority: issue (1) or revoke (2), nothing else.
    let (public, _) = authority_for(&f, GrantAction::Issue);
    for code in [Fr::from(0u64), Fr::from(3u64), two_64 + Fr::one()] {
        assert_eq!(
            tampered(&public, authority::inputs::ACTION, code),
            Err(out_of_range("action"))
        );
    }
    assert_eq!(
        tampered(&public, authority::inputs::ACTION, Fr::from(2u64)).map(|p| p.action),
        Ok(GrantAction::Revoke)
    );

    // Record: the mask, hidden fields, bounds, the set field and its root.
    let r = record_fixture(&mut rng, 4).public;
    use record::inputs as ri;
    let mask = r.disclose_mask();
    assert_eq!(
        tampered(&r, ri::DISCLOSE_MASK, Fr::from(1u64 << DISCLOSABLE_FIELDS)),
        Err(out_of_range("disclose_mask"))
    );
    let hidden = (0..DISCLOSABLE_FIELDS)
        .find(|&i| !mask.contains(i))
        .expect("the fixture hides a field");
    assert_eq!(
        tampered(&r, ri::DISCLOSED + hidden, Fr::from(5u64)),
        Err(out_of_range(ri::NAMES[ri::DISCLOSED + hidden]))
    );
    for (i, name) in [
        (ri::VALUE_LO, "value_lo"),
        (ri::VALUE_HI, "value_hi"),
        (ri::DATE_LO, "date_lo"),
        (ri::DATE_HI, "date_hi"),
    ] {
        assert_eq!(tampered(&r, i, two_64), Err(out_of_range(name)));
    }
    for code in [Fr::from(3u64), two_64, p_minus_1] {
        assert_eq!(
            tampered(&r, ri::SET_FIELD, code),
            Err(out_of_range("set_field"))
        );
    }
    let mut without_set = r.clone();
    without_set.code_set = None;
    assert_eq!(
        tampered(&without_set, ri::CODE_SET_ROOT, Fr::from(9u64)),
        Err(out_of_range("code_set_root"))
    );
    // A disclosed field may hold any value, 0 included.
    let mut all = r.clone();
    all.disclosed = [Some(Fr::from(0u64)); DISCLOSABLE_FIELDS];
    all.disclosed[1] = Some(p_minus_1);
    assert_eq!(
        RecordPublic::from_field_elements(&all.to_field_elements()),
        Ok(all)
    );

    // Claim: kind 6 or 7 only; date and amount are 64-bit.
    let c = claim_fixture(&mut rng, 4).public;
    use claim::inputs as ci;
    for code in [0u64, 1, 5, 8, 9] {
        assert_eq!(
            tampered(&c, ci::KIND, Fr::from(code)),
            Err(out_of_range("kind")),
            "kind {code}"
        );
    }
    assert_eq!(
        tampered(&c, ci::KIND, two_64 + Fr::from(6u64)),
        Err(out_of_range("kind"))
    );
    assert_eq!(
        tampered(&c, ci::KIND, Fr::from(7u64)).map(|p| p.kind),
        Ok(RecordKind::ExplanationOfBenefit)
    );
    assert_eq!(
        tampered(&c, ci::SERVICE_DATE, two_64),
        Err(out_of_range("service_date"))
    );
    assert_eq!(
        tampered(&c, ci::AMOUNT, p_minus_1),
        Err(out_of_range("amount"))
    );

    // Cohort: times, scope, purpose, birth bounds and the summary date are 64-bit.
    let h = cohort_fixture(&mut rng, 4).public;
    use cohort::inputs as hi;
    for i in [
        hi::NOW,
        hi::SCOPE,
        hi::PURPOSE,
        hi::BIRTH_LO,
        hi::BIRTH_HI,
        hi::SUMMARY_NOT_BEFORE,
    ] {
        assert_eq!(tampered(&h, i, two_64), Err(out_of_range(hi::NAMES[i])));
    }
}

/// The sample statements every other suite uses round-trip too.
#[test]
fn fixtures_round_trip() {
    let mut rng = StdRng::seed_from_u64(302);
    let f = access_fixture(&mut rng, 4);
    let a = f.public.clone();
    assert_eq!(
        AccessPublic::from_field_elements(&a.to_field_elements()),
        Ok(a)
    );
    let (auth, _) = authority_for(&f, GrantAction::Revoke);
    assert_eq!(
        AuthorityPublic::from_field_elements(&auth.to_field_elements()),
        Ok(auth)
    );
    let r = record_fixture(&mut rng, 4).public;
    assert_eq!(
        RecordPublic::from_field_elements(&r.to_field_elements()),
        Ok(r)
    );
    let c = claim_fixture(&mut rng, 4).public;
    assert_eq!(
        ClaimPublic::from_field_elements(&c.to_field_elements()),
        Ok(c)
    );
    let h = cohort_fixture(&mut rng, 4).public;
    assert_eq!(
        CohortPublic::from_field_elements(&h.to_field_elements()),
        Ok(h)
    );
}
