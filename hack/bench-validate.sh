#!/usr/bin/env bash
# The four validate rows of the speed targets, measured in one run on this
# machine, beside kubeconform v0.8.0 -strict fed the same CRDs as JSON
# Schemas (hack/crd2jsonschema: unknown fields rejected):
#
#   throughput    a generated corpus of BrokerAuthentication/BrokerListener
#                 documents (hack/corpusgen; N=10000, files of 10), valid and
#                 invalid: documents per second, and the ratio to kubeconform's
#                 (target >= 1.5x; how far from 3x is printed too);
#   small file    one small file (testdata/validate/good/bundle.yaml): wall
#                 time against kubeconform's (target <= 1.5x) and validate's
#                 peak resident memory (target <= 30 MB);
#   binary        the release binary as .goreleaser.yaml builds it (CGO off,
#                 -trimpath, -s -w): its size (target <= 45 MB).
#
# Each figure is the median of ROUNDS interleaved rounds: a round times both
# tools on the corpus (RUNS runs each) and on the small file (SMALL_RUNS
# runs each, after a warm-up), then measures both peak RSS; the order of the
# two tools alternates between rounds, so that a change in the machine's
# load falls on both. Wall and CPU times are hyperfine's (installed from apt
# when missing), peak RSS GNU time's %M. Both tools use every core
# (kubeconform's 4 workers, validate's GOMAXPROCS) and skip kinds they have
# no schema for. kubeconform is installed with `go install` into a cache
# outside the repository (hack/install-go-tool.sh).
#
#   bash hack/bench-validate.sh                 # N=10000 ROUNDS=5 RUNS=2 SMALL_RUNS=20
#   N=2000 ROUNDS=3 bash hack/bench-validate.sh
#   VALIDATE_FLAGS=--schema-engine=apiserver bash hack/bench-validate.sh
#
# Exits 0 whether or not the targets are met: the table says.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib/bench.sh
. hack/lib/bench.sh # median, build_release

N=${N:-10000}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-2}
SMALL_RUNS=${SMALL_RUNS:-20}
VALIDATE_FLAGS=${VALIDATE_FLAGS:-}
KUBECONFORM_VERSION=v0.8.0
single=testdata/validate/good/bundle.yaml

kubeconform=$(bash hack/install-go-tool.sh "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION")
command -v hyperfine >/dev/null || bash hack/install-deps.sh hyperfine
[[ -x /usr/bin/time ]] || bash hack/install-deps.sh time

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/kubectl-aio_authn
# As .goreleaser.yaml builds it.
build_release "$bin"
go run ./hack/corpusgen -n "$N" -o "$work/corpus" >/dev/null
go run ./hack/crd2jsonschema -o "$work/schemas" >/dev/null

# shellcheck disable=SC2206 # VALIDATE_FLAGS is split on purpose
validate=("$bin" validate -o json $VALIDATE_FLAGS)
kc=("$kubeconform" -strict -summary -ignore-missing-schemas -output json
	-schema-location "$work/schemas/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json")

# time_both ROUND NAME RUNS WARMUP INPUT: hyperfine over both tools, in the
# round's order, appending "median user+system" (seconds) per tool to
# $work/NAME.validate and $work/NAME.kubeconform.
time_both() {
	local round=$1 name=$2 runs=$3 warmup=$4 input=$5
	local a=(-n validate "${validate[*]} $input") b=(-n kubeconform "${kc[*]} $input")
	local order=("${a[@]}" "${b[@]}")
	((round % 2 == 0)) && order=("${b[@]}" "${a[@]}")
	# Both exit 1 on the corpus (it holds invalid documents): -i.
	hyperfine -N -i --style none --warmup "$warmup" --runs "$runs" \
		--export-csv "$work/$name.csv" "${order[@]}" >/dev/null 2>&1
	for tool in validate kubeconform; do
		# CSV columns: command,mean,stddev,median,user,system,min,max
		awk -F, -v t="$tool" '$1 == t { print $4, $5 + $6 }' "$work/$name.csv" >>"$work/$name.$tool"
	done
}

# rss_both ROUND: peak RSS (KiB) of one run of each tool on the small file.
rss_both() {
	local tools=(validate kubeconform)
	(($1 % 2 == 0)) && tools=(kubeconform validate)
	for tool in "${tools[@]}"; do
		local cmd=("${validate[@]}")
		[[ $tool == kubeconform ]] && cmd=("${kc[@]}")
		/usr/bin/time -f "%M" -o "$work/rss" "${cmd[@]}" "$single" >/dev/null 2>&1 || true
		tail -n 1 "$work/rss" >>"$work/rss.$tool"
	done
}


load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
	echo "round $r/$ROUNDS" >&2
	time_both "$r" corpus "$RUNS" 1 "$work/corpus"
	time_both "$r" small "$SMALL_RUNS" 3 "$single"
	rss_both "$r"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

v_corpus=$(median "$work/corpus.validate" 1)
k_corpus=$(median "$work/corpus.kubeconform" 1)
v_corpus_cpu=$(median "$work/corpus.validate" 2)
k_corpus_cpu=$(median "$work/corpus.kubeconform" 2)
v_small=$(median "$work/small.validate" 1)
k_small=$(median "$work/small.kubeconform" 1)
v_rss=$(median "$work/rss.validate" 1)
k_rss=$(median "$work/rss.kubeconform" 1)
size=$(stat -c %s "$bin")

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || rev+=+changes
echo "validate at $rev ${VALIDATE_FLAGS:+($VALIDATE_FLAGS) }vs kubeconform $KUBECONFORM_VERSION -strict; $(nproc) cores;" \
	"load average $load_before before, $load_after after; median of $ROUNDS interleaved rounds"
awk -v n="$N" -v vc="$v_corpus" -v kc="$k_corpus" -v vcpu="$v_corpus_cpu" -v kcpu="$k_corpus_cpu" \
	-v vs="$v_small" -v ks="$k_small" -v vr="$v_rss" -v kr="$k_rss" -v size="$size" 'BEGIN {
	ratio = kc / vc
	printf "| measure | validate | kubeconform | ratio | target | |\n|---|---|---|---|---|---|\n"
	printf "| %d-document corpus throughput | %.0f docs/s (%.3f s; CPU %.2f s) | %.0f docs/s (%.3f s; CPU %.2f s) | %.2fx (CPU %.2fx) | >= 1.5x (3x: %.0f%% there) | %s |\n",
		n, n / vc, vc, vcpu, n / kc, kc, kcpu, ratio, kcpu / vcpu, 100 * ratio / 3, (ratio >= 1.5 ? "met" : "MISSED")
	printf "| one small file, wall time | %.1f ms | %.1f ms | %.2fx | <= 1.5x | %s |\n",
		vs * 1000, ks * 1000, vs / ks, (vs / ks <= 1.5 ? "met" : "MISSED")
	printf "| one small file, peak RSS | %.1f MB | %.1f MB | %.2fx | <= 30 MB | %s |\n",
		vr * 1024 / 1e6, kr * 1024 / 1e6, vr / kr, (vr * 1024 / 1e6 <= 30 ? "met" : "MISSED")
	printf "| release binary (CGO off, -trimpath, -s -w) | %.1f MB (%d bytes) | | | <= 45 MB | %s |\n",
		size / 1e6, size, (size / 1e6 <= 45 ? "met" : "MISSED")
}'
