#!/usr/bin/env bash
# Measures explain --batch against the least work that decides the same
# cases (pkg/authn/explain/bench_test.go): 10,000 X.509 cases against a bare
# crypto/x509 Verify loop over the same parsed chains, and 10,000 service
# account token cases against bare RS256 signature checks of the same tokens.
#
# The figure judged is CPU time (user+sys of all threads, so garbage
# collection counts) of the serial batch over the bare loop, target <= 1.25x.
# One test binary runs ROUNDS rounds (default 5) of all the benchmarks, so
# the batch and the bare loops alternate and share whatever else loads the
# machine; each round's batch is divided by the same round's bare loop, and
# the median of those ratios is compared with the target. Wall time is shown
# too, for the parallel batch, but it depends on what else runs here.
# The bare RS256 loop calls crypto/rsa, which rebuilds the key's Montgomery
# form on every call while the batch keeps it per key; the SAT batch is also
# shown against a loop of the batch's own key-set verification
# (BareKeySetVerify), for what everything beyond the signature costs.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-${COUNT:-5}}"
target="1.25"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
out="$tmp/bench.txt"
go test -c -o "$tmp/explain.test" ./pkg/authn/explain/
echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq "$rounds"); do
  (cd pkg/authn/explain && "$tmp/explain.test" -test.run '^$' -test.bench 'Batch|Bare' -test.benchtime 3x) |
    sed "s/^Benchmark/round=$round Benchmark/"
done | tee "$out" | grep 'Benchmark' >&2
echo "machine: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
awk -v target="$target" '
function median(list,   n, a, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/Benchmark/ {
  split($1, r, "="); round = r[2]
  name = $2; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
  w[name, round] = $4 / 1e6; c[name, round] = $6 + 0
  if (round > rounds) rounds = round
}
function row(name,   i, wl, cl) {
  for (i = 1; i <= rounds; i++) { wl = wl " " w[name, i]; cl = cl " " c[name, i] }
  printf "%-20s %16.0f %16.0f\n", name, median(wl), median(cl)
}
function ratios(batch, bare, what, judged,   i, list, m) {
  for (i = 1; i <= rounds; i++) list = list " " sprintf("%.3f", c[batch, i] / c[bare, i])
  m = median(list)
  printf "%s, CPU, serial: %.2fx median of %d rounds (each round:%s)", what, m, rounds, list
  if (judged) printf ", target <= %.2fx: %s", target, (m <= target ? "met" : "MISSED")
  printf "\n"
}
END {
  printf "%-20s %16s %16s\n", "benchmark", "median wall ms", "median CPU ms"
  n = split("BareX509Verify BatchX509 BatchX509Parallel BareSignature BareKeySetVerify BatchSAT BatchSATParallel", names, " ")
  for (i = 1; i <= n; i++) row(names[i])
  ratios("BatchX509", "BareX509Verify", "X.509: batch / bare crypto/x509 Verify", 1)
  ratios("BatchSAT", "BareSignature", "SAT:   batch / bare crypto/rsa RS256 loop", 1)
  ratios("BatchSAT", "BareKeySetVerify", "SAT:   batch / its own key-set verify loop (not a target)", 0)
}' "$out"
