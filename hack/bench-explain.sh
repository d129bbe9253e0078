#!/usr/bin/env bash
# Measures explain --batch against the least work that decides the same
# cases (pkg/authn/explain/bench_test.go): 10,000 X.509 cases against a bare
# crypto/x509 Verify loop over the same parsed chains, and 10,000 service
# account token cases against bare RS256 signature checks of the same tokens.
# Prints the ratios (target: serial batch <= 1.25x the bare loop) in CPU time
# (all threads, so garbage collection counts) and in wall time. Each benchmark
# runs COUNT times (default 5), the benchmarks interleaved, and the best run
# of each is compared: the run least disturbed by other load on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${COUNT:-5}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
out="$tmp/bench.txt"
# One test binary, run COUNT rounds of all benchmarks: interleaving the
# batch and the bare loops spreads the machine's load over both.
go test -c -o "$tmp/explain.test" ./pkg/authn/explain/
for _ in $(seq "$count"); do
  (cd pkg/authn/explain && "$tmp/explain.test" -test.run '^$' -test.bench 'Batch|Bare' -test.benchtime 3x)
done | tee "$out" | grep '^Benchmark' >&2
awk '
/^Benchmark/ {
  name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
  wall = $3 / 1e6; cpu = $5 + 0
  if (!(name in w) || wall < w[name]) w[name] = wall
  if (!(name in c) || cpu < c[name]) c[name] = cpu
}
END {
  printf "%-20s %14s %14s\n", "benchmark", "best wall ms", "best CPU ms"
  n = split("BareX509Verify BatchX509 BatchX509Parallel BareSignature BatchSAT BatchSATParallel", names, " ")
  for (i = 1; i <= n; i++) printf "%-20s %14.0f %14.0f\n", names[i], w[names[i]], c[names[i]]
  printf "X.509: batch / bare Verify  CPU %.2fx (serial), wall %.2fx (serial), %.2fx (parallel)\n", c["BatchX509"] / c["BareX509Verify"], w["BatchX509"] / w["BareX509Verify"], w["BatchX509Parallel"] / w["BareX509Verify"]
  printf "SAT:   batch / bare RS256   CPU %.2fx (serial), wall %.2fx (serial), %.2fx (parallel)\n", c["BatchSAT"] / c["BareSignature"], w["BatchSAT"] / w["BareSignature"], w["BatchSATParallel"] / w["BareSignature"]
}' "$out"
