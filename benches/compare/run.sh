#!/usr/bin/env bash
# Like-for-like Groth16 (BN254) comparison on the Access statement: zkconsent against snarkjs
# and rapidsnark proving and verifying the circom reference (benches/reference/access.circom,
# `Access(DEPTH)`), at grants-tree depths 20 and 32.
#
#   (cd interop && npm ci) && benches/compare/run.sh [RUNS]     # RUNS defaults to 5
#
# Environment:
#   RUNS            timed rounds per measurement (or the first argument; default 5)
#   DEPTHS          tree depths (default "20 32")
#   INPROC_PROVES   timed proofs inside each in-process harness run (default 3)
#   VERIFY_RUNS     timed verifications inside each in-process harness run (default 200;
#                   snarkjs's node harness does a quarter of them)
#   RAPIDSNARK_DIR  a rapidsnark build: bin/prover, bin/verifier, and for the in-process rows
#                   include/prover.h and lib/librapidsnark.so (or src/package/{include,lib},
#                   as rapidsnark's `make host` installs them); RAPIDSNARK_INCLUDE and
#                   RAPIDSNARK_LIB override the last two. Without it, `prover` on PATH. Without
#                   either, rapidsnark is skipped.
#   CARGO_TARGET_DIR  where cargo builds the zkconsent CLI and the compare_access example
#
# Per depth, every tool is warmed up once and then run in interleaved rounds (A B C, A B C,
# ...); each number is the median over the rounds. Measurements:
#   1. prove, whole process: `snarkjs groth16 prove`, rapidsnark's `prover`, and
#      `zkconsent prove access` on a zkconsent home at that depth (wallet unlock included;
#      the wallet's argon2id key derivation is estimated separately and subtracted).
#   2. prove, in process, key loaded: snarkjs's node API on in-memory zkey and witness,
#      rapidsnark's C API (benches/compare/rapidsnark_inproc.c) after groth16_prover_create,
#      zkconsent's prove_statement::<Access> (the compare_access example).
#   3. verify, whole process, on the same snarkjs files: `snarkjs groth16 verify`, rapidsnark's
#      `verifier`, `zkconsent verify-snarkjs`; and `zkconsent verify --request` on the home's
#      own fresh proof.
#   4. verify, in process, from the JSON files' bytes: snarkjs's groth16.verify (with
#      JSON.parse), rapidsnark's groth16_verify, zkconsent::export::verify_snarkjs.
#
# Everything generated lives under target/compare/bench/: the powers of tau and the snarkjs
# keys are cached there (from fixed entropy, development only) and rebuilt when the circuit
# changes; zkconsent's seeded params (params-DEPTH/) and homes (home-DEPTH/) too. The samples
# are in samples.tsv and the medians in summary.json.
set -euo pipefail
START=$EPOCHREALTIME
cd "$(dirname "$0")/../.."
ROOT=$PWD

RUNS=${1:-${RUNS:-5}}
DEPTHS=${DEPTHS:-20 32}
INPROC_PROVES=${INPROC_PROVES:-3}
VERIFY_RUNS=${VERIFY_RUNS:-200}
SNARKJS_VERIFY_RUNS=$(((VERIFY_RUNS + 3) / 4))
OUT=target/compare/bench
TARGET=${CARGO_TARGET_DIR:-target}
ZKC=$TARGET/release/zkconsent
EXAMPLE=$TARGET/release/examples/compare_access
SNARKJS=interop/node_modules/.bin/snarkjs
SNARKJS_MODULE=$ROOT/interop/node_modules/snarkjs
CIRCOM=interop/node_modules/.bin/circom2
CIRCOMLIB=interop/node_modules/circomlib/circuits
ENTROPY="zkconsent compare: fixed entropy, development only"
export ZKCONSENT_PASSPHRASE="zkconsent compare: development only"
if [ ! -x "$SNARKJS" ] || [ ! -x "$CIRCOM" ]; then
    echo "missing toolchain: run (cd interop && npm ci)" >&2
    exit 1
fi
case "$RUNS" in '' | *[!0-9]* | 0) echo "RUNS must be a positive integer" >&2; exit 2 ;; esac
mkdir -p "$OUT"
SAMPLES=$OUT/samples.tsv
META=$OUT/meta.tsv
LOG=$OUT/last-command.log
: >"$SAMPLES"
: >"$META"

# ---- helpers ----------------------------------------------------------------------------------
# Runs a command (output to $LOG), failing the script if it fails; its wall time in ms is in
# $MS. $EPOCHREALTIME is read by the shell itself: no clock process inside the interval.
timed() {
    local t0 t1
    t0=$EPOCHREALTIME
    if ! "$@" >"$LOG" 2>&1; then
        echo "command failed: $*" >&2
        cat "$LOG" >&2
        exit 1
    fi
    t1=$EPOCHREALTIME
    MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
}
# rec DEPTH ROW TOOL MS...: appends samples.
rec() {
    local depth=$1 row=$2 tool=$3
    shift 3
    for v in "$@"; do printf '%s\t%s\t%s\t%s\n' "$depth" "$row" "$tool" "$v" >>"$SAMPLES"; done
}
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
# json_get FILE KEY: a number, or an array's elements separated by spaces.
json_get() {
    node -e '
const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
if (v === undefined) { console.error(process.argv[2] + " missing in " + process.argv[1]); process.exit(1); }
const r = (x) => String(Math.round(x * 1000) / 1000);
console.log(Array.isArray(v) ? v.map(r).join(" ") : r(v));
' "$1" "$2"
}
# json_median FILE KEY: the median of an array, in ms to 3 decimals.
json_median() {
    node -e '
const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
const s = [...v].sort((a, b) => a - b), n = s.length;
console.log((n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2).toFixed(3));
' "$1" "$2"
}
# same_json A B [KEY]: the arrays A and B (B's KEY if given) are equal.
same_json() {
    node -e '
const fs = require("fs");
const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
let b = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
if (process.argv[3]) b = b[process.argv[3]];
process.exit(JSON.stringify(a) === JSON.stringify(b) ? 0 : 1);
' "$@"
}
cpu_model() { grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'; }

# ---- rapidsnark -------------------------------------------------------------------------------
RS_PROVER="" RS_VERIFIER="" RS_INCLUDE="" RS_LIB="" RS_INPROC=""
if [ -n "${RAPIDSNARK_DIR:-}" ]; then
    RS_PROVER=$RAPIDSNARK_DIR/bin/prover
    RS_VERIFIER=$RAPIDSNARK_DIR/bin/verifier
    [ -x "$RS_PROVER" ] || RS_PROVER=$RAPIDSNARK_DIR/src/package/bin/prover
    [ -x "$RS_VERIFIER" ] || RS_VERIFIER=$RAPIDSNARK_DIR/src/package/bin/verifier
elif command -v prover >/dev/null && command -v verifier >/dev/null; then
    RS_PROVER=$(command -v prover)
    RS_VERIFIER=$(command -v verifier)
    RAPIDSNARK_DIR=$(dirname "$(dirname "$RS_PROVER")")
fi
if [ -n "$RS_PROVER" ] && { [ ! -x "$RS_PROVER" ] || [ ! -x "$RS_VERIFIER" ]; }; then
    echo "rapidsnark: no bin/prover and bin/verifier under $RAPIDSNARK_DIR" >&2
    RS_PROVER="" RS_VERIFIER=""
fi
if [ -n "$RS_PROVER" ]; then
    for d in "${RAPIDSNARK_INCLUDE:-}" "$RAPIDSNARK_DIR/include" "$RAPIDSNARK_DIR/src/package/include"; do
        if [ -n "$d" ] && [ -f "$d/prover.h" ] && [ -f "$d/verifier.h" ]; then RS_INCLUDE=$d; break; fi
    done
    for d in "${RAPIDSNARK_LIB:-}" "$RAPIDSNARK_DIR/lib" "$RAPIDSNARK_DIR/src/package/lib"; do
        if [ -n "$d" ] && [ -f "$d/librapidsnark.so" ]; then RS_LIB=$(cd "$d" && pwd); break; fi
    done
fi

# ---- machine and versions ---------------------------------------------------------------------
echo "== machine: $(nproc) CPUs, $(cpu_model); load average $(cut -d' ' -f1-3 /proc/loadavg)"
meta nproc "$(nproc)"
meta cpu "$(cpu_model)"
meta loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"

echo "== build zkconsent (release CLI and the compare_access example, in $TARGET)"
cargo build --release -p zkconsent-cli --quiet
cargo build --release -p zkconsent --example compare_access --quiet

NODE_VERSION=$(node --version)
SNARKJS_VERSION=$(node -p "require('$SNARKJS_MODULE/package.json').version")
CIRCOM_VERSION=$("$CIRCOM" --version | sed -n 's/^circom compiler //p')
ZKC_VERSION=$("$ZKC" --version)
RUSTC_VERSION=$(rustc --version)
echo "node $NODE_VERSION, snarkjs $SNARKJS_VERSION, circom $CIRCOM_VERSION, $ZKC_VERSION ($RUSTC_VERSION)"
meta node "$NODE_VERSION"
meta snarkjs "$SNARKJS_VERSION"
meta circom "$CIRCOM_VERSION"
meta zkconsent "$ZKC_VERSION"
meta rustc "$RUSTC_VERSION"
if [ -n "$RS_PROVER" ]; then
    RS_REAL=$(readlink -f "$RS_PROVER")
    RS_SHA=$(sha256sum "$RS_REAL" | cut -c1-12)
    echo "rapidsnark: $RS_PROVER (-> $RS_REAL, sha256 $RS_SHA…)"
    meta rapidsnark "$RS_REAL sha256:$RS_SHA"
    if [ -n "$RS_INCLUDE" ] && [ -n "$RS_LIB" ]; then
        RS_INPROC=$OUT/rapidsnark_inproc
        gcc -O2 -Wall -Wextra -I"$RS_INCLUDE" benches/compare/rapidsnark_inproc.c \
            -L"$RS_LIB" -lrapidsnark -Wl,-rpath,"$RS_LIB" -o "$RS_INPROC"
        echo "rapidsnark in-process harness: $RS_INPROC ($(gcc --version | head -1), $RS_LIB/librapidsnark.so)"
    else
        echo "rapidsnark: no include/prover.h or lib/librapidsnark.so found: in-process rows skipped"
    fi
else
    echo "rapidsnark: not found (set RAPIDSNARK_DIR or put prover/verifier on PATH): skipped"
    meta rapidsnark "skipped"
fi

# ---- circuits, powers of tau, snarkjs keys ----------------------------------------------------
MAX_POWER=1
for D in $DEPTHS; do
    W=$OUT/d$D
    mkdir -p "$W"
    if [ "$D" = 20 ]; then
        MAIN=benches/reference/access.circom
    else
        MAIN=$W/access.circom
        sed -e "s/Access(20)/Access($D)/" \
            -e "s|^// zkconsent's Access statement at the default tree depth, 20|// Generated by benches/compare/run.sh: zkconsent's Access statement at tree depth $D|" \
            benches/reference/access.circom >"$MAIN"
        grep -q "Access($D);" "$MAIN" || { echo "could not generate $MAIN" >&2; exit 1; }
    fi
    echo "== depth $D: compile $MAIN (--O2)"
    "$CIRCOM" "$MAIN" --r1cs --wasm --O2 -l benches/reference -l "$CIRCOMLIB" -o "$W" >/dev/null
    INFO=$("$SNARKJS" r1cs info "$W/access.r1cs")
    C=$(sed -n 's/.*# of Constraints: *\([0-9]*\).*/\1/p' <<<"$INFO")
    P=$(sed -n 's/.*# of Public Inputs: *\([0-9]*\).*/\1/p' <<<"$INFO")
    echo "circom, depth $D: $C constraints, $P public inputs"
    meta "d$D.circom_constraints" "$C"
    # Smallest power of two holding the constraints plus the public inputs and the constant.
    POWER=1
    while [ $((1 << POWER)) -lt $((C + P + 1)) ]; do POWER=$((POWER + 1)); done
    meta "d$D.power" "$POWER"
    if [ "$POWER" -gt "$MAX_POWER" ]; then MAX_POWER=$POWER; fi
done

# One ptau serves every depth: the zkey's domain is the circuit's, not the ptau's.
PTAU=""
for p in $(seq "$MAX_POWER" 24); do
    if [ -s "$OUT/pot${p}_final.ptau" ]; then PTAU=$OUT/pot${p}_final.ptau; break; fi
done
if [ -z "$PTAU" ]; then
    PTAU=$OUT/pot${MAX_POWER}_final.ptau
    echo "== powers of tau 2^$MAX_POWER (cached in $PTAU)"
    "$SNARKJS" powersoftau new bn128 "$MAX_POWER" "$OUT/pot${MAX_POWER}_0.ptau" >/dev/null
    "$SNARKJS" powersoftau contribute "$OUT/pot${MAX_POWER}_0.ptau" "$OUT/pot${MAX_POWER}_1.ptau" \
        --name="zkconsent compare" -e="$ENTROPY" >/dev/null
    "$SNARKJS" powersoftau prepare phase2 "$OUT/pot${MAX_POWER}_1.ptau" "$PTAU.tmp" >/dev/null
    mv "$PTAU.tmp" "$PTAU"
    rm -f "$OUT/pot${MAX_POWER}_0.ptau" "$OUT/pot${MAX_POWER}_1.ptau"
fi
echo "powers of tau: $PTAU"

for D in $DEPTHS; do
    W=$OUT/d$D
    R1CS_SHA=$(sha256sum "$W/access.r1cs" | cut -d' ' -f1)
    if [ ! -s "$W/access.zkey" ] || [ "$(cat "$W/access.zkey.r1cs-sha256" 2>/dev/null)" != "$R1CS_SHA" ]; then
        echo "== depth $D: snarkjs groth16 setup and one contribution (cached in $W/access.zkey)"
        "$SNARKJS" groth16 setup "$W/access.r1cs" "$PTAU" "$W/access_0.zkey" >/dev/null
        "$SNARKJS" zkey contribute "$W/access_0.zkey" "$W/access.zkey.tmp" \
            --name="zkconsent compare" -e="$ENTROPY" >/dev/null
        "$SNARKJS" zkey export verificationkey "$W/access.zkey.tmp" "$W/verification_key.json" >/dev/null
        mv "$W/access.zkey.tmp" "$W/access.zkey"
        rm -f "$W/access_0.zkey"
        echo "$R1CS_SHA" >"$W/access.zkey.r1cs-sha256"
    fi

    echo "== depth $D: the statement's circom input, the witness, a snarkjs proof"
    "$EXAMPLE" --out "$OUT" --depth "$D" --input-only
    "$SNARKJS" wtns calculate "$W/access_js/access.wasm" "$OUT/input-$D.json" "$W/access.wtns" >/dev/null
    "$SNARKJS" groth16 prove "$W/access.zkey" "$W/access.wtns" "$W/proof.json" "$W/public.json"
    VERIFY=$("$SNARKJS" groth16 verify "$W/verification_key.json" "$W/public.json" "$W/proof.json") || true
    case "$VERIFY" in
    *OK*) echo "snarkjs proof verifies" ;;
    *) echo "snarkjs proof does not verify: $VERIFY" >&2; exit 1 ;;
    esac
    # zkconsent's seeded keys for the in-process rows (set up here, once, if not cached).
    "$EXAMPLE" --out "$OUT" --depth "$D" --runs 1
    if same_json "$W/public.json" "$OUT/zkconsent-$D.json" public_inputs; then
        echo "same public inputs (snarkjs public.json = zkconsent's statement)"
    else
        echo "public inputs differ between snarkjs and zkconsent at depth $D" >&2
        exit 1
    fi
    meta "d$D.zkconsent_constraints" "$(json_get "$OUT/zkconsent-$D.json" constraints)"
done

# ---- zkconsent homes --------------------------------------------------------------------------
# make_home DEPTH: a home with a patient, a clinician holding grant 0 and a verifier.
make_home() {
    local H=$OUT/home-$1
    rm -rf "$H"
    echo "== depth $1: zkconsent home $H (setup, identities, a grant)"
    "$ZKC" --home "$H" setup --depth "$1" >/dev/null
    "$ZKC" --home "$H" identity new alice --role patient >/dev/null
    "$ZKC" --home "$H" identity new dr-bob --role clinician >/dev/null
    "$ZKC" --home "$H" identity new st-mary --role verifier >/dev/null
    "$ZKC" --home "$H" grant issue --patient alice --grantee dr-bob --scope conditions,observations \
        --purpose treatment --days 30 >/dev/null
}
# new_request DEPTH: a fresh access request (the grant's window covers today).
new_request() {
    local H=$OUT/home-$1
    "$ZKC" --home "$H" request new --verifier st-mary --statement access --patient alice \
        --scope observations --purpose treatment --out "$H/request.json" >/dev/null
}
for D in $DEPTHS; do
    H=$OUT/home-$D
    if [ ! -s "$H/wallet.db" ] || ! new_request "$D" 2>/dev/null ||
        ! "$ZKC" --home "$H" prove access --grant 0 --request "$H/request.json" --out "$H/proof.json" >/dev/null 2>&1; then
        make_home "$D"
        new_request "$D"
        "$ZKC" --home "$H" prove access --grant 0 --request "$H/request.json" --out "$H/proof.json" >/dev/null
    fi
    "$ZKC" --home "$H" verify "$H/proof.json" --request "$H/request.json" >/dev/null
    echo "zkconsent home at depth $D: proves and verifies"
done

# ---- measurements -----------------------------------------------------------------------------
for D in $DEPTHS; do
    W=$OUT/d$D
    H=$OUT/home-$D
    ZKEY=$W/access.zkey WTNS=$W/access.wtns VK=$W/verification_key.json
    SJ_PROVE=("$SNARKJS" groth16 prove "$ZKEY" "$WTNS" "$W/proof.json" "$W/public.json")
    RS_PROVE=("$RS_PROVER" "$ZKEY" "$WTNS" "$W/rs_proof.json" "$W/rs_public.json")
    ZK_PROVE=("$ZKC" --home "$H" prove access --grant 0 --request "$H/request.json" --out "$H/proof.json")
    SJ_WTNS=("$SNARKJS" wtns calculate "$W/access_js/access.wasm" "$OUT/input-$D.json" "$W/access.wtns")

    echo "== depth $D: prove, whole process: $RUNS interleaved rounds after one warm-up each"
    timed "${SJ_PROVE[@]}"
    if [ -n "$RS_PROVER" ]; then timed "${RS_PROVE[@]}"; fi
    timed "${ZK_PROVE[@]}"
    timed "${SJ_WTNS[@]}"
    timed "$ZKC" --home "$H" identity list
    for r in $(seq "$RUNS"); do
        timed "${SJ_PROVE[@]}" && rec "$D" prove_process snarkjs "$MS" && line="snarkjs $MS"
        if [ -n "$RS_PROVER" ]; then
            timed "${RS_PROVE[@]}" && rec "$D" prove_process rapidsnark "$MS" && line+=", rapidsnark $MS"
        fi
        timed "${ZK_PROVE[@]}" && rec "$D" prove_process zkconsent "$MS" && line+=", zkconsent $MS"
        timed "$ZKC" --home "$H" identity list && rec "$D" baseline zkconsent_identity_list "$MS" && line+=", identity list $MS"
        timed "$ZKC" --version && rec "$D" baseline zkconsent_version "$MS" && line+=", --version $MS"
        timed "${SJ_WTNS[@]}" && rec "$D" baseline snarkjs_wtns_calculate "$MS" && line+=", wtns calculate $MS"
        timed node -e '' && rec "$D" baseline node_startup "$MS" && line+=", node -e '' $MS"
        echo "round $r: $line ms"
    done
    if [ -n "$RS_PROVER" ]; then
        if same_json "$W/public.json" "$W/rs_public.json"; then
            echo "rapidsnark's public signals = snarkjs's"
        else
            echo "rapidsnark's public signals differ from snarkjs's at depth $D" >&2
            exit 1
        fi
    fi

    echo "== depth $D: prove, in process, key loaded: $RUNS interleaved rounds of $INPROC_PROVES proofs (each process warms up first)"
    for r in $(seq "$RUNS"); do
        node -e '
const fs = require("fs");
const snarkjs = require(process.argv[1]);
const [zkeyFile, wtnsFile, runs] = [process.argv[2], process.argv[3], Number(process.argv[4])];
(async () => {
    // Key and witness in memory, read once (snarkjs still parses the zkey on each call).
    const zkey = new Uint8Array(fs.readFileSync(zkeyFile));
    const wtns = new Uint8Array(fs.readFileSync(wtnsFile));
    await snarkjs.groth16.prove(zkey, wtns);
    const times = [];
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await snarkjs.groth16.prove(zkey, wtns);
        times.push(performance.now() - t0);
    }
    fs.writeFileSync(process.argv[5], JSON.stringify({ prove_ms: times }));
    process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
' "$SNARKJS_MODULE" "$ZKEY" "$WTNS" "$INPROC_PROVES" "$W/snarkjs_inproc.json"
        # shellcheck disable=SC2046
        rec "$D" prove_inproc snarkjs $(json_get "$W/snarkjs_inproc.json" prove_ms)
        line="snarkjs $(json_get "$W/snarkjs_inproc.json" prove_ms)"
        if [ -n "$RS_INPROC" ]; then
            "$RS_INPROC" "$ZKEY" "$WTNS" "$VK" "$W/public.json" "$W/proof.json" "$INPROC_PROVES" 0 >"$W/rapidsnark_inproc.json"
            # shellcheck disable=SC2046
            rec "$D" prove_inproc rapidsnark $(json_get "$W/rapidsnark_inproc.json" prove_ms)
            rec "$D" info rapidsnark_create "$(json_get "$W/rapidsnark_inproc.json" create_ms)"
            line+="; rapidsnark $(json_get "$W/rapidsnark_inproc.json" prove_ms)"
        fi
        "$EXAMPLE" --out "$OUT" --depth "$D" --runs "$INPROC_PROVES" 2>/dev/null
        # shellcheck disable=SC2046
        rec "$D" prove_inproc zkconsent $(json_get "$OUT/zkconsent-$D.json" prove_ms)
        rec "$D" info zkconsent_witness "$(json_get "$OUT/zkconsent-$D.json" witness_ms)"
        rec "$D" info zkconsent_load "$(json_get "$OUT/zkconsent-$D.json" load_ms)"
        line+="; zkconsent $(json_get "$OUT/zkconsent-$D.json" prove_ms)"
        echo "round $r: $line ms"
    done

    echo "== depth $D: verify, whole process: $RUNS interleaved rounds after one warm-up each"
    # snarkjs's files from its last proof; zkconsent verify --request on a fresh proof of the
    # home's (verify rejects proofs older than 120 s), made before each round, not timed.
    SJ_VERIFY=("$SNARKJS" groth16 verify "$VK" "$W/public.json" "$W/proof.json")
    RS_VERIFY=("$RS_VERIFIER" "$VK" "$W/public.json" "$W/proof.json")
    ZK_VERIFY_SJ=("$ZKC" verify-snarkjs --vk "$VK" --public "$W/public.json" --proof "$W/proof.json")
    ZK_VERIFY=("$ZKC" --home "$H" verify "$H/proof.json" --request "$H/request.json")
    "${ZK_PROVE[@]}" >/dev/null
    timed "${SJ_VERIFY[@]}"
    if [ -n "$RS_PROVER" ]; then timed "${RS_VERIFY[@]}"; fi
    timed "${ZK_VERIFY_SJ[@]}"
    timed "${ZK_VERIFY[@]}"
    for r in $(seq "$RUNS"); do
        "${ZK_PROVE[@]}" >/dev/null
        timed "${SJ_VERIFY[@]}"
        grep -q OK "$LOG" || { echo "snarkjs groth16 verify: $(cat "$LOG")" >&2; exit 1; }
        rec "$D" verify_process snarkjs "$MS"
        line="snarkjs $MS"
        if [ -n "$RS_PROVER" ]; then
            timed "${RS_VERIFY[@]}" && rec "$D" verify_process rapidsnark "$MS" && line+=", rapidsnark $MS"
        fi
        timed "${ZK_VERIFY_SJ[@]}" && rec "$D" verify_process zkconsent "$MS" && line+=", zkconsent verify-snarkjs $MS"
        timed "${ZK_VERIFY[@]}" && rec "$D" verify_process zkconsent_home "$MS" && line+=", zkconsent verify --request $MS"
        echo "round $r: $line ms"
    done

    echo "== depth $D: verify, in process from JSON: $RUNS interleaved rounds ($SNARKJS_VERIFY_RUNS snarkjs, $VERIFY_RUNS rapidsnark and zkconsent calls each, after a warm-up)"
    for r in $(seq "$RUNS"); do
        node -e '
const fs = require("fs");
const snarkjs = require(process.argv[1]);
const read = (f) => fs.readFileSync(f, "utf8");
const [vk, pub, proof, runs] = [read(process.argv[2]), read(process.argv[3]), read(process.argv[4]), Number(process.argv[5])];
(async () => {
    const once = () => snarkjs.groth16.verify(JSON.parse(vk), JSON.parse(pub), JSON.parse(proof));
    if (!(await once())) throw new Error("snarkjs: proof does not verify");
    const times = [];
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const ok = await once();
        times.push(performance.now() - t0);
        if (!ok) throw new Error("snarkjs: proof does not verify");
    }
    fs.writeFileSync(process.argv[6], JSON.stringify({ verify_ms: times }));
    process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
' "$SNARKJS_MODULE" "$VK" "$W/public.json" "$W/proof.json" "$SNARKJS_VERIFY_RUNS" "$W/snarkjs_verify.json"
        # shellcheck disable=SC2046
        rec "$D" verify_inproc snarkjs $(json_get "$W/snarkjs_verify.json" verify_ms)
        line="snarkjs $(json_median "$W/snarkjs_verify.json" verify_ms)"
        if [ -n "$RS_INPROC" ]; then
            "$RS_INPROC" "$ZKEY" "$WTNS" "$VK" "$W/public.json" "$W/proof.json" 0 "$VERIFY_RUNS" >"$W/rapidsnark_verify.json"
            # shellcheck disable=SC2046
            rec "$D" verify_inproc rapidsnark $(json_get "$W/rapidsnark_verify.json" verify_ms)
            line+=", rapidsnark $(json_median "$W/rapidsnark_verify.json" verify_ms)"
        fi
        "$EXAMPLE" --out "$OUT" --depth "$D" --runs 0 --snarkjs-dir "$W" --verify-runs "$VERIFY_RUNS" 2>/dev/null
        # shellcheck disable=SC2046
        rec "$D" verify_inproc zkconsent $(json_get "$OUT/zkconsent-$D.json" verify_snarkjs_ms)
        line+=", zkconsent $(json_median "$OUT/zkconsent-$D.json" verify_snarkjs_ms)"
        echo "round $r (medians of the process's calls): $line ms"
    done
done
meta loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta runs "$RUNS"
meta inproc_proves "$INPROC_PROVES"
meta verify_runs "$VERIFY_RUNS"
meta snarkjs_verify_runs "$SNARKJS_VERIFY_RUNS"
meta total_s "$(awk -v a="$START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')"

# ---- report -----------------------------------------------------------------------------------
echo
node - "$SAMPLES" "$META" "$OUT/summary.json" <<'EOF'
const fs = require("fs");
const [samplesFile, metaFile, summaryFile] = process.argv.slice(2);
const meta = Object.fromEntries(fs.readFileSync(metaFile, "utf8").trim().split("\n").map((l) => l.split("\t")));
const data = {};
for (const line of fs.readFileSync(samplesFile, "utf8").trim().split("\n")) {
    const [depth, row, tool, v] = line.split("\t");
    ((data[depth] ??= {})[row] ??= {})[tool] ??= [];
    data[depth][row][tool].push(Number(v));
}
const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b), n = s.length;
    return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const med = (d, row, tool) => {
    const xs = data[d]?.[row]?.[tool];
    return xs ? median(xs) : null;
};
const fmt = (x) => x === null ? "–" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
const ratio = (a, b) => a === null || b === null ? "–" : (a / b).toFixed(2);
const summary = { meta, depths: {} };
const out = [];
const p = (s = "") => out.push(s);
p(`Access statement, Groth16 on BN254. ${meta.nproc} CPUs (${meta.cpu}); every tool uses all of them.`);
p(`node ${meta.node}, snarkjs ${meta.snarkjs}, circom ${meta.circom} --O2, ${meta.zkconsent}, rapidsnark ${meta.rapidsnark}.`);
p(`Median of ${meta.runs} interleaved rounds, ms (in-process rows: ${meta.runs} x ${meta.inproc_proves} proofs, ` +
  `${meta.runs} x ${meta.verify_runs} verifications; snarkjs ${meta.runs} x ${meta.snarkjs_verify_runs}). ` +
  `Load average ${meta.loadavg_start} at the start, ${meta.loadavg_end} at the end.`);
for (const d of Object.keys(data).sort((a, b) => a - b)) {
    const m = (row, tool) => med(d, row, tool);
    const kdf = m("baseline", "zkconsent_identity_list") - m("baseline", "zkconsent_version");
    const zkNoKdf = m("prove_process", "zkconsent") - kdf;
    const rows = [
        ["prove, whole process", m("prove_process", "snarkjs"), m("prove_process", "rapidsnark"), m("prove_process", "zkconsent")],
        [`prove, whole process, zkconsent minus its wallet unlock (≈ ${fmt(kdf)} ms)`, m("prove_process", "snarkjs"), m("prove_process", "rapidsnark"), zkNoKdf],
        ["prove, in process, key loaded", m("prove_inproc", "snarkjs"), m("prove_inproc", "rapidsnark"), m("prove_inproc", "zkconsent")],
        ["verify, whole process, snarkjs's files", m("verify_process", "snarkjs"), m("verify_process", "rapidsnark"), m("verify_process", "zkconsent")],
        ["verify, whole process, zkconsent verify --request (own proof)", null, null, m("verify_process", "zkconsent_home")],
        ["verify, in process, from the JSON files", m("verify_inproc", "snarkjs"), m("verify_inproc", "rapidsnark"), m("verify_inproc", "zkconsent")],
    ];
    p();
    p(`### Tree depth ${d}: circom ${meta[`d${d}.circom_constraints`]} constraints (snarkjs, rapidsnark), zkconsent ${meta[`d${d}.zkconsent_constraints`]}`);
    p();
    p("| median ms | snarkjs | rapidsnark | zkconsent | snarkjs / zkconsent | rapidsnark / zkconsent |");
    p("|---|---|---|---|---|---|");
    for (const [name, s, r, z] of rows) p(`| ${name} | ${fmt(s)} | ${fmt(r)} | ${fmt(z)} | ${ratio(s, z)} | ${ratio(r, z)} |`);
    p();
    p(`Also measured: snarkjs wtns calculate (whole process, not in the snarkjs and rapidsnark prove rows) ${fmt(m("baseline", "snarkjs_wtns_calculate"))}; ` +
      `node -e '' ${fmt(m("baseline", "node_startup"))}; zkconsent --version ${fmt(m("baseline", "zkconsent_version"))}, ` +
      `zkconsent identity list ${fmt(m("baseline", "zkconsent_identity_list"))}; ` +
      `in process: zkconsent key load ${fmt(m("info", "zkconsent_load"))} (not in the row), of which native check + witness ${fmt(m("info", "zkconsent_witness"))} in the row; ` +
      `rapidsnark groth16_prover_create ${fmt(m("info", "rapidsnark_create"))} (not in the row).`);
    const depthSummary = { rows: {} };
    for (const [row, tools] of Object.entries(data[d])) {
        depthSummary.rows[row] = Object.fromEntries(Object.entries(tools).map(([t, xs]) => [t, { median_ms: median(xs), samples_ms: xs }]));
    }
    depthSummary.circom_constraints = Number(meta[`d${d}.circom_constraints`]);
    depthSummary.zkconsent_constraints = Number(meta[`d${d}.zkconsent_constraints`]);
    depthSummary.wallet_unlock_estimate_ms = kdf;
    depthSummary.zkconsent_prove_process_minus_unlock_ms = zkNoKdf;
    depthSummary.table = rows.map(([name, s, r, z]) => ({ measurement: name, snarkjs_ms: s, rapidsnark_ms: r, zkconsent_ms: z,
        snarkjs_over_zkconsent: s && z ? s / z : null, rapidsnark_over_zkconsent: r && z ? r / z : null }));
    summary.depths[d] = depthSummary;
}
p();
p("What each row includes:");
p("- prove, whole process: snarkjs `groth16 prove ZKEY WTNS` and rapidsnark `prover ZKEY WTNS` start a process,");
p("  read the zkey and a precomputed witness, prove and write proof.json and public.json; witness generation is");
p("  not included (see wtns calculate). `zkconsent prove access --grant 0 --request R --out P` starts a process,");
p("  opens the home (registry and the argon2id-sealed wallet), reads and checks the request, loads the proving");
p("  key, computes the witness from the wallet's grant and the registry's path, proves and writes the proof.");
p("- minus its wallet unlock: the estimate is median(`identity list`) - median(`--version`), so it also takes out");
p("  opening registry.db and listing; the argon2id derivation is a deliberate security cost of the CLI.");
p("- prove, in process, key loaded: snarkjs groth16.prove on the zkey and witness in memory (it still parses the");
p("  zkey on each call); rapidsnark groth16_prover_prove after groth16_prover_create, witness in memory;");
p("  zkconsent prove_statement::<Access> with the key loaded, including its native check and witness synthesis.");
p("  (rapidsnark's groth16_prover_create does little: it proves from the zkey buffer in place.)");
p("- snarkjs's whole-process rows include node's start-up (node -e '' above).");
p("- verify, whole process: the three verifiers on the same snarkjs verification_key.json, public.json and");
p("  proof.json (`snarkjs groth16 verify`, rapidsnark `verifier`, `zkconsent verify-snarkjs`). `zkconsent verify");
p("  --request` verifies the home's own fresh proof with the home's key and checks every public input against");
p("  the request and the registry (no --consume).");
p("- verify, in process: from the three files' bytes: parse, check points, pairing check with an unprepared key");
p("  (snarkjs groth16.verify after JSON.parse, rapidsnark groth16_verify, zkconsent::export::verify_snarkjs).");
p("- ratios above 1 mean zkconsent is faster.");
p(`Total: ${meta.total_s} s`);
console.log(out.join("\n"));
fs.writeFileSync(summaryFile, JSON.stringify(summary, null, 2) + "\n");
console.log(`\n(samples: ${samplesFile}; summary: ${summaryFile})`);
EOF
