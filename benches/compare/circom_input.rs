//! The input JSON of the circom reference circuit (`benches/reference/zkconsent_access.circom`)
//! for an Access statement. Shared, through `#[path]`, by `tests/circom_reference.rs` and the
//! `compare_access` example.

use serde_json::{json, Value};
use zkconsent_circuits::{
    access::{AccessPrivate, AccessPublic},
    fr_to_decimal,
};

/// The reference circuit's inputs for a statement, as snarkjs reads them: field elements as
/// decimal strings, arrays for the path. The grant's purpose and grantee id are not inputs
/// (the circuit uses the public purpose and derives the id from the key), so a witness whose
/// grant disagrees with them fails at the root check, as ours fails the equality.
pub fn circom_input(public: &AccessPublic, private: &AccessPrivate) -> Value {
    let d = |x: &ark_bn254::Fr| fr_to_decimal(x);
    let g = &private.grant;
    let siblings: Vec<String> = private.path.siblings.iter().map(d).collect();
    let indices: Vec<String> = private
        .path
        .index_bits()
        .iter()
        .map(|&b| u8::from(b).to_string())
        .collect();
    json!({
        "grants_root": d(&public.grants_root.0),
        "now": public.now.0.to_string(),
        "scope": public.scope.0.to_string(),
        "purpose": public.purpose.0.to_string(),
        "patient_ref": d(&public.patient_ref.0),
        "request_hash": d(&public.request_hash.0),
        "access_tag": d(&public.access_tag.0),
        "patient_id": d(&g.patient.0),
        "granted_scope": g.scope.0.to_string(),
        "not_before": g.not_before.0.to_string(),
        "not_after": g.not_after.0.to_string(),
        "salt": d(&g.salt.0),
        "grantee_secret": d(&private.grantee_secret.0),
        "path_siblings": siblings,
        "path_indices": indices,
        "verifier_id": d(&private.verifier.0),
        "nonce": d(&private.nonce.0),
    })
}
