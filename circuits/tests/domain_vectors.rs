//! Known answers for zkconsent's domain-separated hashes, for JavaScript and Solidity ports
//! (`docs/spec.md` lists the same values). Cross-checked against light-poseidon's
//! `with_domain_tag_circom` in `poseidon.rs`.

use ark_bn254::Fr;
use std::str::FromStr;
use zkconsent_circuits::{domain, fr_to_decimal, merkle, poseidon};

fn fr(s: &str) -> Fr {
    Fr::from_str(s).expect("test constant")
}

#[test]
fn domain_tag_values() {
    let expected = [
        (
            domain::MERKLE_NODE,
            "178916279247671148050091985937392589425002985514085",
        ),
        (
            domain::IDENTITY,
            "10664241269092032197123287981553516104217721",
        ),
        (
            domain::GRANT_LEAF,
            "698891715811215422070671791972324452068965572966",
        ),
        (
            domain::PATIENT_REF,
            "178916279247671148050091989545317329750241613866342",
        ),
        (domain::REQUEST, "41657192457390750770012846212369380373364"),
        (
            domain::ACCESS_TAG,
            "698891715811215422070671763361565974854538387815",
        ),
        (
            domain::RECORD_LEAF,
            "178916279247671148050091991981745276255169681908070",
        ),
    ];
    for (tag, value) in expected {
        assert_eq!(fr_to_decimal(&tag.value()), value, "{}", tag.name());
    }
}

#[test]
fn domain_separated_hash_vectors() {
    assert_eq!(
        fr_to_decimal(&merkle::node_hash(fr("0"), fr("0"))),
        "21745109150659345931321440105968271394760927866842772693223918285954634292674"
    );
    assert_eq!(
        fr_to_decimal(&merkle::node_hash(fr("1"), fr("2"))),
        "18098723105799145172327232422257261954104697306525344243309765804980518891461"
    );
    assert_eq!(
        fr_to_decimal(&poseidon::hash_with_domain(domain::IDENTITY, &[fr("1")])),
        "16228595355162042174871813937876299971254513685079371643647836349484886192408"
    );
    let fields: Vec<Fr> = (1..=7u64).map(Fr::from).collect();
    assert_eq!(
        fr_to_decimal(&poseidon::hash_with_domain(domain::GRANT_LEAF, &fields)),
        "20949190944958568290619980334685268133823625106846273952786868083638585893404"
    );
    // Capacity 0 is plain circomlib Poseidon.
    assert_eq!(
        fr_to_decimal(&poseidon::hash(&[fr("1"), fr("2")]).expect("arity 2")),
        "7853200120776062878684798364095072458815029376092732009249414926327459813530"
    );
}

/// The record leaf over `1..=11`, pinned for ports, and cross-checked against
/// light-poseidon's domain-tagged circom hash (independent code, same definition).
#[test]
fn record_leaf_vector() {
    use light_poseidon::{Poseidon, PoseidonHasher};
    use zkconsent_circuits::record::{self, RECORD_FIELDS};
    let fields: [Fr; RECORD_FIELDS] = core::array::from_fn(|i| Fr::from(i as u64 + 1));
    let leaf = record::commit(&fields);
    let mut light =
        Poseidon::<Fr>::with_domain_tag_circom(RECORD_FIELDS, domain::RECORD_LEAF.value())
            .expect("arity 11");
    assert_eq!(leaf, light.hash(&fields).expect("hash"));
    assert_eq!(
        fr_to_decimal(&leaf),
        "9525260000200010089900545053722551576652167615663980035639577821004826881827"
    );
}
