pragma circom 2.1.0;

// Fixture circuit for zkconsent's snarkjs interop tests: the prover knows a and b with
// a * b = c, and publishes c and Poseidon(a, b) (circomlib's Poseidon, the hash zkconsent
// uses). Public signals, in snarkjs order: [c, h].
include "circomlib/circuits/poseidon.circom"; // resolved with -l node_modules

template Multiplier() {
    signal input a;
    signal input b;
    signal output c;
    signal output h;

    c <== a * b;

    component hash = Poseidon(2);
    hash.inputs[0] <== a;
    hash.inputs[1] <== b;
    h <== hash.out;
}

component main = Multiplier();
