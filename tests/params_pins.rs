//! Guards against drift between the circuits and `params/circuits.json`, the shapes this
//! version ships (statement, circuit version, constraint count at the default depth, public
//! inputs in order).

use zkconsent::{circuits::merkle::DEFAULT_TREE_DEPTH, prover::Statement};

#[test]
fn params_circuits_json_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/params/circuits.json");
    let pins: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("params/circuits.json"))
            .expect("json");
    let statements = pins["statements"].as_array().expect("statements");
    assert_eq!(statements.len(), Statement::ALL.len());
    for pin in statements {
        let statement = Statement::from_name(pin["statement"].as_str().expect("name"))
            .expect("known statement");
        assert_eq!(
            pin["circuit_version"].as_u64(),
            Some(u64::from(statement.circuit_version()))
        );
        let depth = pin["tree_depth"]
            .as_u64()
            .map(|d| d as usize)
            .unwrap_or(DEFAULT_TREE_DEPTH);
        assert_eq!(
            pin["constraints"].as_u64(),
            Some(statement.constraint_count(depth).expect("synthesis") as u64),
            "{}",
            statement.name()
        );
        let inputs: Vec<&str> = pin["public_inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .map(|v| v.as_str().expect("str"))
            .collect();
        assert_eq!(inputs, statement.input_names());
    }
}
