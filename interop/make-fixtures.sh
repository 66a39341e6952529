#!/usr/bin/env bash
# Regenerates tests/fixtures/snarkjs/{verification_key,proof,public}.json with the pinned
# snarkjs and circom2 (run `npm ci` here first). Compiles multiplier.circom, runs a small
# bn128 powers-of-tau and a Groth16 setup whose randomness comes from fixed beacons (so the
# verifying key is reproducible), then proves a = 3, b = 11. The proof itself is randomised
# (snarkjs draws r, s), so it differs on every run; the key and public signals do not.
# Build outputs (.r1cs, .wasm, .ptau, .zkey, .wtns) live in a temporary directory that is
# deleted on exit: only the three small JSON files are written into the repository.
set -euo pipefail
cd "$(dirname "$0")"
OUT=../tests/fixtures/snarkjs
SNARKJS=node_modules/.bin/snarkjs
CIRCOM=node_modules/.bin/circom2
if [ ! -x "$SNARKJS" ] || [ ! -x "$CIRCOM" ]; then
    echo "missing toolchain: run (cd interop && npm ci)" >&2
    exit 1
fi
BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT

# 1. Compile (circom 2.2.3 via circom2's WASM build).
"$CIRCOM" multiplier.circom --r1cs --wasm -l node_modules -o "$BUILD" >/dev/null

# 2. Powers of tau, 2^10 (the circuit has ~240 constraints), randomness from a beacon.
BEACON=0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
"$SNARKJS" powersoftau new bn128 10 "$BUILD/pot0.ptau" >/dev/null
"$SNARKJS" powersoftau beacon "$BUILD/pot0.ptau" "$BUILD/pot1.ptau" "$BEACON" 10 \
    -n="zkconsent interop tau" >/dev/null
"$SNARKJS" powersoftau prepare phase2 "$BUILD/pot1.ptau" "$BUILD/pot.ptau" >/dev/null

# 3. Groth16 phase 2, again from a beacon; export the verifying key.
"$SNARKJS" groth16 setup "$BUILD/multiplier.r1cs" "$BUILD/pot.ptau" "$BUILD/m0.zkey" >/dev/null
"$SNARKJS" zkey beacon "$BUILD/m0.zkey" "$BUILD/m.zkey" "$BEACON" 10 \
    -n="zkconsent interop phase 2" >/dev/null
mkdir -p "$OUT"
"$SNARKJS" zkey export verificationkey "$BUILD/m.zkey" "$OUT/verification_key.json" >/dev/null

# 4. Witness and proof for a = 3, b = 11 (public signals: c = 33, h = Poseidon(3, 11)).
echo '{"a": "3", "b": "11"}' >"$BUILD/input.json"
"$SNARKJS" wtns calculate "$BUILD/multiplier_js/multiplier.wasm" "$BUILD/input.json" \
    "$BUILD/w.wtns" >/dev/null
"$SNARKJS" groth16 prove "$BUILD/m.zkey" "$BUILD/w.wtns" "$OUT/proof.json" "$OUT/public.json" \
    >/dev/null

# 5. Sanity check with snarkjs itself.
"$SNARKJS" groth16 verify "$OUT/verification_key.json" "$OUT/public.json" "$OUT/proof.json"
