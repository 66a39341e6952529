/*
 * In-process timing of rapidsnark through its public C API (prover.h, verifier.h), for
 * benches/compare/run.sh. Not part of rapidsnark: our harness, linked against a local
 * rapidsnark build (librapidsnark.so).
 *
 *   rapidsnark_inproc ZKEY WTNS VK_JSON PUBLIC_JSON PROOF_JSON PROVE_RUNS VERIFY_RUNS
 *
 * The zkey is read into memory and handed to groth16_prover_create once (not timed, reported
 * as create_ms); the witness file is read into memory once. Each timed proof is one
 * groth16_prover_prove on the in-memory witness (proof and public signals written as JSON
 * into preallocated buffers). The first proof is a warm-up and is checked with
 * groth16_verify against VK_JSON. Each timed verification is one groth16_verify on the JSON
 * strings of VK_JSON, PUBLIC_JSON and PROOF_JSON (read once), after one warm-up call: it
 * parses the three strings and runs the pairing check.
 *
 * Prints one JSON object on stdout: {"create_ms":..,"prove_ms":[..],"verify_ms":[..]}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prover.h"
#include "verifier.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The whole file, NUL-terminated (the JSON files are passed as C strings). */
static char *read_file(const char *path, unsigned long long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "cannot seek %s\n", path);
        exit(2);
    }
    long len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot size %s\n", path);
        exit(2);
    }
    char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    buf[len] = '\0';
    fclose(f);
    *size = (unsigned long long)len;
    return buf;
}

static void print_times(const char *name, const double *times, int n) {
    printf("\"%s\":[", name);
    for (int i = 0; i < n; i++) {
        printf("%s%.4f", i ? "," : "", times[i]);
    }
    printf("]");
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr,
                "usage: %s ZKEY WTNS VK_JSON PUBLIC_JSON PROOF_JSON PROVE_RUNS VERIFY_RUNS\n",
                argv[0]);
        return 2;
    }
    int prove_runs = atoi(argv[6]);
    int verify_runs = atoi(argv[7]);
    if (prove_runs < 0 || verify_runs < 0) {
        fprintf(stderr, "runs must be >= 0\n");
        return 2;
    }
    char err[1024] = {0};
    unsigned long long zkey_size, wtns_size, len;
    char *zkey = read_file(argv[1], &zkey_size);
    char *wtns = read_file(argv[2], &wtns_size);
    char *vk = read_file(argv[3], &len);
    char *public_json = read_file(argv[4], &len);
    char *proof_json = read_file(argv[5], &len);

    double *prove_ms = calloc((size_t)prove_runs + 1, sizeof(double));
    double *verify_ms = calloc((size_t)verify_runs + 1, sizeof(double));
    if (!prove_ms || !verify_ms) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }

    double create_ms = 0;
    if (prove_runs > 0) {
        void *prover = NULL;
        double t0 = now_ms();
        if (groth16_prover_create(&prover, zkey, zkey_size, err, sizeof err) != PROVER_OK) {
            fprintf(stderr, "groth16_prover_create: %s\n", err);
            return 1;
        }
        create_ms = now_ms() - t0;

        unsigned long long proof_cap, public_cap;
        groth16_proof_size(&proof_cap);
        if (groth16_public_size_for_zkey_buf(zkey, zkey_size, &public_cap, err, sizeof err) !=
            PROVER_OK) {
            fprintf(stderr, "groth16_public_size_for_zkey_buf: %s\n", err);
            return 1;
        }
        char *proof_buf = malloc(proof_cap + 1);
        char *public_buf = malloc(public_cap + 1);
        if (!proof_buf || !public_buf) {
            fprintf(stderr, "out of memory\n");
            return 2;
        }
        for (int i = -1; i < prove_runs; i++) {
            unsigned long long proof_size = proof_cap, public_size = public_cap;
            double t = now_ms();
            int rc = groth16_prover_prove(prover, wtns, wtns_size, proof_buf, &proof_size,
                                          public_buf, &public_size, err, sizeof err);
            double dt = now_ms() - t;
            if (rc != PROVER_OK) {
                fprintf(stderr, "groth16_prover_prove: %d %s\n", rc, err);
                return 1;
            }
            if (i < 0) {
                /* The warm-up proof verifies under the snarkjs verification key. */
                proof_buf[proof_size < proof_cap ? proof_size : proof_cap] = '\0';
                public_buf[public_size < public_cap ? public_size : public_cap] = '\0';
                int v = groth16_verify(proof_buf, public_buf, vk, err, sizeof err);
                if (v != VERIFIER_VALID_PROOF) {
                    fprintf(stderr, "rapidsnark's own proof does not verify: %d %s\n", v, err);
                    return 1;
                }
            } else {
                prove_ms[i] = dt;
            }
        }
        groth16_prover_destroy(prover);
        free(proof_buf);
        free(public_buf);
    }

    for (int i = -1; i < verify_runs; i++) {
        double t = now_ms();
        int v = groth16_verify(proof_json, public_json, vk, err, sizeof err);
        double dt = now_ms() - t;
        if (v != VERIFIER_VALID_PROOF) {
            fprintf(stderr, "groth16_verify: %d %s\n", v, err);
            return 1;
        }
        if (i >= 0) {
            verify_ms[i] = dt;
        }
    }

    printf("{\"create_ms\":%.3f,", create_ms);
    print_times("prove_ms", prove_ms, prove_runs);
    printf(",");
    print_times("verify_ms", verify_ms, verify_runs);
    printf("}\n");
    free(zkey);
    free(wtns);
    free(vk);
    free(public_json);
    free(proof_json);
    free(prove_ms);
    free(verify_ms);
    return 0;
}
