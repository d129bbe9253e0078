#!/usr/bin/env bash
# Compare `kubectl aio-authn validate` with kubeconform v0.8.0, in the same
# run, on the same machine:
#
#   throughput: a generated corpus of BrokerAuthentication/BrokerListener
#               documents (hack/corpusgen; N=10000 by default), valid and
#               invalid, in files of 10 documents;
#   startup:    one small file (testdata/validate/good/bundle.yaml).
#
# kubeconform gets the same CRDs as JSON Schemas (hack/crd2jsonschema, strict:
# unknown fields rejected) and runs with -strict. Both tools use every core
# (kubeconform's default 4 workers, validate's GOMAXPROCS workers) and skip
# kinds they have no schema for. Timing is by hyperfine (installed from apt
# when missing); kubeconform is installed with `go install` into a cache
# directory outside the repository (hack/install-go-tool.sh).
#
#   bash hack/bench-validate.sh            # N=10000 RUNS=5 STARTUP_RUNS=40
#   N=2000 RUNS=3 bash hack/bench-validate.sh
#
# Prints both hyperfine reports, then the two ratios and the targets:
# corpus throughput >= 3x kubeconform's, single-file time < 2x kubeconform's.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
RUNS=${RUNS:-5}
STARTUP_RUNS=${STARTUP_RUNS:-40}
KUBECONFORM_VERSION=v0.8.0

kubeconform=$(bash hack/install-go-tool.sh "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION")

command -v hyperfine >/dev/null || bash hack/install-apt-package.sh hyperfine

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/kubectl-aio_authn" .
go run ./hack/corpusgen -n "$N" -o "$work/corpus"
go run ./hack/crd2jsonschema -o "$work/schemas"
single=testdata/validate/good/bundle.yaml

validate=("$work/kubectl-aio_authn" validate -o json)
kc=("$kubeconform" -strict -summary -ignore-missing-schemas -output json
	-schema-location "$work/schemas/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json")

# Both exit 1 on the corpus (it holds invalid documents): -i.
echo "== corpus: $N documents" >&2
hyperfine -N -i --warmup 1 --runs "$RUNS" --export-csv "$work/corpus.csv" \
	-n validate "${validate[*]} $work/corpus" \
	-n kubeconform "${kc[*]} $work/corpus"
echo "== startup: $single" >&2
hyperfine -N -i --warmup 3 --runs "$STARTUP_RUNS" --export-csv "$work/single.csv" \
	-n validate "${validate[*]} $single" \
	-n kubeconform "${kc[*]} $single"

# column col (2 mean, 5 user, 6 system; seconds) of a command in a hyperfine
# CSV export
col() { awk -F, -v cmd="$2" -v c="$3" '$1 == cmd { print $c }' "$1"; }
summary() { # csv -> "validate_mean kc_mean validate_cpu kc_cpu"
	echo "$(col "$1" validate 2) $(col "$1" kubeconform 2)" \
		"$(awk "BEGIN { print $(col "$1" validate 5) + $(col "$1" validate 6) }")" \
		"$(awk "BEGIN { print $(col "$1" kubeconform 5) + $(col "$1" kubeconform 6) }")"
}
read -r vc kcc vcpu kccpu <<<"$(summary "$work/corpus.csv")"
read -r vs kcs vscpu kcscpu <<<"$(summary "$work/single.csv")"
# Wall-clock ratios are the targets; CPU-time ratios (user + system) are
# printed too, as they are steadier on a machine shared with other work.
awk -v vc="$vc" -v kc="$kcc" -v vcpu="$vcpu" -v kcpu="$kccpu" -v vs="$vs" -v ks="$kcs" -v vscpu="$vscpu" -v kscpu="$kcscpu" -v n="$N" 'BEGIN {
	printf "corpus:  validate %.3f s (%.0f docs/s), kubeconform %.3f s (%.0f docs/s): throughput ratio %.2fx (target >= 3x); CPU time %.2f s vs %.2f s: ratio %.2fx\n", vc, n/vc, kc, n/kc, kc/vc, vcpu, kcpu, kcpu/vcpu
	printf "startup: validate %.1f ms, kubeconform %.1f ms: time ratio %.2fx (target < 2x); CPU time %.1f ms vs %.1f ms: ratio %.2fx\n", vs*1000, ks*1000, vs/ks, vscpu*1000, kscpu*1000, vscpu/kscpu
}'
