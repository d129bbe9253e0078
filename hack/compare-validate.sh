#!/usr/bin/env bash
# Is validate's output unchanged? Builds `kubectl aio-authn validate` at a
# base revision (default: where this branch left main) and from the
# working tree, and runs both on generated corpora (hack/corpusgen: several
# seeds, files of 10 and single files of thousands of documents) and on the
# repository's testdata and docs, in every output format; the working tree's binary runs with both schema
# engines (--schema-engine fast, the default, and apiserver) and, with the
# fast engine, with both YAML readers (--yaml-reader fast, the default, and
# yamlv3). Stdout,
# stderr and exit code must be byte-identical.
#
#   bash hack/compare-validate.sh           # against the merge base with main
#   bash hack/compare-validate.sh HEAD~3    # against another revision
#
# Exits 1 at the first difference, showing it.
set -euo pipefail
cd "$(dirname "$0")/.."

base=${1:-$(git merge-base HEAD main)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/base"
git archive "$base" | tar x -C "$work/base"
(cd "$work/base" && go build -o "$work/old" .)
go build -o "$work/new" .

go run ./hack/corpusgen -n 3000 -per-file 10 -seed 7 -o "$work/c-files" >/dev/null
go run ./hack/corpusgen -n 10000 -per-file 10000 -seed 5 -o "$work/c-one" >/dev/null
go run ./hack/corpusgen -n 2000 -per-file 2000 -seed 9 -o "$work/c-two" >/dev/null

# run BIN OUT FORMAT INPUT [FLAGS...]: stdout, stderr and exit code in OUT.*
run() {
	local bin=$1 out=$2 format=$3 input=$4
	shift 4
	local rc=0
	"$bin" validate --now 2026-06-01T00:00:00Z -o "$format" "$@" "$input" >"$out.stdout" 2>"$out.stderr" || rc=$?
	echo "$rc" >"$out.rc"
}

compared=0
for input in "$work/c-files" "$work/c-one" "$work/c-two" testdata docs; do
	for format in text json sarif junit; do
		run "$work/old" "$work/a" "$format" "$input"
		for variant in "fast fast" "apiserver fast" "fast yamlv3"; do
			read -r engine reader <<<"$variant"
			run "$work/new" "$work/b" "$format" "$input" --schema-engine "$engine" --yaml-reader "$reader"
			for part in stdout stderr rc; do
				if ! cmp -s "$work/a.$part" "$work/b.$part"; then
					echo "DIFFERENT: $input -o $format --schema-engine $engine --yaml-reader $reader ($part):" >&2
					diff "$work/a.$part" "$work/b.$part" | head -20 >&2
					exit 1
				fi
			done
			compared=$((compared + 1))
		done
	done
done
echo "validate output identical to $base's in $compared runs (corpora of 2,000-10,000 documents, testdata, docs; text, json, sarif, junit; both schema engines; both YAML readers)"
