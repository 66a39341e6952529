#!/usr/bin/env bash
# Side-by-side Groth16 prover comparison on the Access statement at depth 20: snarkjs on the
# circom reference (benches/reference/access.circom) against zkconsent's prover, on the same
# statement (the compare_access example writes the circom input from its fixed-seed fixture).
#
#   (cd interop && npm ci) && benches/compare/run.sh [RUNS]      # RUNS defaults to 5
#
# Everything generated lives under target/compare/bench/; the powers of tau and the snarkjs
# keys are cached there (from fixed entropy, development only) and rebuilt when the circuit
# changes. snarkjs is timed two ways from one precomputed witness: whole `snarkjs groth16
# prove` processes (node start-up, timed once on its own, and reading the zkey included),
# and the same proofs inside one node process through its API. zkconsent times are
# `prove_access` in-process from the typed statement (native check and witness included,
# key loading not). The first run spends most of its time on the powers of tau.
set -euo pipefail
START=$(date +%s)
cd "$(dirname "$0")/../.."

RUNS=${1:-${RUNS:-5}}
OUT=target/compare/bench
SNARKJS=interop/node_modules/.bin/snarkjs
CIRCOM=interop/node_modules/.bin/circom2
CIRCOMLIB=interop/node_modules/circomlib/circuits
ENTROPY="zkconsent compare: fixed entropy, development only"
if [ ! -x "$SNARKJS" ] || [ ! -x "$CIRCOM" ]; then
    echo "missing toolchain: run (cd interop && npm ci)" >&2
    exit 1
fi
mkdir -p "$OUT"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), node $(node --version)"

echo "== compile the circom reference (--O2)"
"$CIRCOM" benches/reference/access.circom --r1cs --wasm --O2 -l "$CIRCOMLIB" -o "$OUT" >/dev/null
CONSTRAINTS=$("$SNARKJS" r1cs info "$OUT/access.r1cs" | sed -n 's/.*# of Constraints: *\([0-9]*\).*/\1/p')
PUBLIC=$("$SNARKJS" r1cs info "$OUT/access.r1cs" | sed -n 's/.*# of Public Inputs: *\([0-9]*\).*/\1/p')
echo "circom: $CONSTRAINTS constraints, $PUBLIC public inputs"

# Smallest power of two holding the constraints plus the public inputs and the constant.
POWER=1
while [ $((1 << POWER)) -lt $((CONSTRAINTS + PUBLIC + 1)) ]; do POWER=$((POWER + 1)); done
PTAU="$OUT/pot${POWER}_final.ptau"
if [ ! -s "$PTAU" ]; then
    echo "== powers of tau 2^$POWER (cached in $PTAU)"
    "$SNARKJS" powersoftau new bn128 "$POWER" "$OUT/pot${POWER}_0.ptau" >/dev/null
    "$SNARKJS" powersoftau contribute "$OUT/pot${POWER}_0.ptau" "$OUT/pot${POWER}_1.ptau" \
        --name="zkconsent compare" -e="$ENTROPY" >/dev/null
    "$SNARKJS" powersoftau prepare phase2 "$OUT/pot${POWER}_1.ptau" "$PTAU.tmp" >/dev/null
    mv "$PTAU.tmp" "$PTAU"
    rm -f "$OUT/pot${POWER}_0.ptau" "$OUT/pot${POWER}_1.ptau"
fi

R1CS_SHA=$(sha256sum "$OUT/access.r1cs" | cut -d' ' -f1)
if [ ! -s "$OUT/access.zkey" ] || [ "$(cat "$OUT/access.zkey.r1cs-sha256" 2>/dev/null)" != "$R1CS_SHA" ]; then
    echo "== snarkjs groth16 setup and one contribution (cached in $OUT/access.zkey)"
    "$SNARKJS" groth16 setup "$OUT/access.r1cs" "$PTAU" "$OUT/access_0.zkey" >/dev/null
    "$SNARKJS" zkey contribute "$OUT/access_0.zkey" "$OUT/access.zkey.tmp" \
        --name="zkconsent compare" -e="$ENTROPY" >/dev/null
    "$SNARKJS" zkey export verificationkey "$OUT/access.zkey.tmp" "$OUT/verification_key.json" >/dev/null
    mv "$OUT/access.zkey.tmp" "$OUT/access.zkey"
    rm -f "$OUT/access_0.zkey"
    echo "$R1CS_SHA" >"$OUT/access.zkey.r1cs-sha256"
fi

echo "== build zkconsent and write the statement's circom input"
cargo build --release --example compare_access --quiet
cargo run --release --example compare_access --quiet -- --out "$OUT" --input-only

echo "== witness (once)"
"$SNARKJS" wtns calculate "$OUT/access_js/access.wasm" "$OUT/input.json" "$OUT/access.wtns" >/dev/null

echo "== node start-up"
T0=$(now_ms)
node -e ''
NODE_MS=$(($(now_ms) - T0))
echo "node -e '': $NODE_MS ms"

echo "== snarkjs groth16 prove x $RUNS (after one warm-up)"
"$SNARKJS" groth16 prove "$OUT/access.zkey" "$OUT/access.wtns" "$OUT/proof.json" "$OUT/public.json"
SNARK_TIMES=()
for _ in $(seq "$RUNS"); do
    T0=$(now_ms)
    "$SNARKJS" groth16 prove "$OUT/access.zkey" "$OUT/access.wtns" "$OUT/proof.json" "$OUT/public.json"
    SNARK_TIMES+=($(($(now_ms) - T0)))
done
echo "snarkjs: ${SNARK_TIMES[*]} ms"
SNARK_MEDIAN=$(printf '%s\n' "${SNARK_TIMES[@]}" | median)
VERIFY=$("$SNARKJS" groth16 verify "$OUT/verification_key.json" "$OUT/public.json" "$OUT/proof.json") || true
case "$VERIFY" in
*OK*) echo "snarkjs proof verifies" ;;
*) echo "snarkjs proof does not verify: $VERIFY" >&2; exit 1 ;;
esac

# The same proofs in one node process through snarkjs's API: no start-up, curve and workers
# built once (by the warm-up), the zkey and witness files read on each call as the CLI does.
echo "== snarkjs groth16.prove in one process x $RUNS (after one warm-up)"
SNARK_API_TIMES=$(node -e '
const snarkjs = require(process.argv[1]);
const [zkey, wtns, runs] = [process.argv[2], process.argv[3], Number(process.argv[4])];
(async () => {
    await snarkjs.groth16.prove(zkey, wtns);
    const times = [];
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await snarkjs.groth16.prove(zkey, wtns);
        times.push(Math.round(performance.now() - t0));
    }
    console.log(times.join(" "));
    process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
' "$PWD/interop/node_modules/snarkjs" "$OUT/access.zkey" "$OUT/access.wtns" "$RUNS")
echo "snarkjs (in-process): $SNARK_API_TIMES ms"
SNARK_API_MEDIAN=$(printf '%s\n' $SNARK_API_TIMES | median)

echo "== zkconsent prove_access x $RUNS (after one warm-up)"
cargo run --release --example compare_access --quiet -- --out "$OUT" --runs "$RUNS"

# Both proofs are of the same statement: snarkjs's public signals are ours.
node -e '
const [a, b] = [require(process.argv[1]), require(process.argv[2]).public_inputs];
if (JSON.stringify(a) !== JSON.stringify(b)) { console.error("public inputs differ"); process.exit(1); }
' "$PWD/$OUT/public.json" "$PWD/$OUT/zkconsent.json"
echo "same public inputs"

read -r OURS_CONSTRAINTS OURS_MEDIAN < <(node -e '
const r = require(process.argv[1]); console.log(r.constraints, r.median_prove_ms.toFixed(1));
' "$PWD/$OUT/zkconsent.json")
ratio() { awk -v s="$1" -v z="$OURS_MEDIAN" 'BEGIN { printf "%.1f", s / z }'; }

echo
echo "Access, tree depth 20, $RUNS runs each; $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
echo
echo "| tool | constraints | median prove ms | ratio (snarkjs/zkconsent) |"
echo "|---|---|---|---|"
echo "| snarkjs 0.7.6 CLI (circom 2.2.3 --O2) | $CONSTRAINTS | $SNARK_MEDIAN | $(ratio "$SNARK_MEDIAN") |"
echo "| snarkjs 0.7.6 in one node process | $CONSTRAINTS | $SNARK_API_MEDIAN | $(ratio "$SNARK_API_MEDIAN") |"
echo "| zkconsent | $OURS_CONSTRAINTS | $OURS_MEDIAN | 1.0 |"
echo
echo "snarkjs CLI times are whole \`snarkjs groth16 prove\` processes (node start-up alone: $NODE_MS ms);"
echo "in-process times exclude start-up and curve set-up. Both read a precomputed witness;"
echo "zkconsent's include its native check and witness, and exclude loading the key."
echo "Total: $(($(date +%s) - START)) s"
