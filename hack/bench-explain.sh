#!/usr/bin/env bash
# Measures explain --batch against the least work that decides the same
# cases (pkg/authn/explain/bench_test.go): 10,000 X.509 cases against a bare
# crypto/x509 Verify loop over the same parsed chains, and 10,000 service
# account token cases against bare RS256 signature checks of the same tokens.
# Prints the ratios (target: serial batch <= 1.25x the bare loop). Each
# benchmark runs COUNT times (default 5) and the fastest run is compared, the
# run least disturbed by other load on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${COUNT:-5}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench 'Batch|Bare' -benchtime 3x -count "$count" ./pkg/authn/explain/ | tee "$out" | grep '^Benchmark' >&2
awk '
/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
  ns = $3 + 0
  if (!(name in best) || ns < best[name]) best[name] = ns
}
END {
  printf "%-22s %12s\n", "benchmark", "best ms/10k"
  for (n in best) printf "%-22s %12.0f\n", n, best[n] / 1e6 | "sort"
  close("sort")
  printf "X.509 batch / bare Verify:           serial %.2fx, parallel %.2fx\n", best["BatchX509"] / best["BareX509Verify"], best["BatchX509Parallel"] / best["BareX509Verify"]
  printf "SAT batch / bare signature check:    serial %.2fx, parallel %.2fx\n", best["BatchSAT"] / best["BareSignature"], best["BatchSATParallel"] / best["BareSignature"]
}' "$out"
