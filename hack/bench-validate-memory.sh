#!/usr/bin/env bash
# Peak memory (maximum resident set size) and time of `kubectl aio-authn
# validate -o json` on one large manifest file of small valid and invalid
# documents (hack/corpusgen, one file): 50 MB and 200 MB by default.
# validate reads a file a few documents at a time, so its memory should stay
# near what the findings take, whatever the file's size. Target: under
# 400 MB for the 50 MB file; the script exits 1 when it is missed.
#
#   bash hack/bench-validate-memory.sh                # 50 and 200 MB
#   SIZES="50" bash hack/bench-validate-memory.sh     # the 50 MB file only
#   FORMAT=text bash hack/bench-validate-memory.sh    # another output format
#
# Peak RSS is GNU time's %M (Debian package "time", installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"50 200"}
FORMAT=${FORMAT:-json}
TARGET_MB=400
# corpusgen's documents average 483 bytes: documents per MB.
DOCS_PER_MB=2070

[[ -x /usr/bin/time ]] || bash hack/install-deps.sh time

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bench-validate-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/kubectl-aio_authn" .

status=0
for mb in $SIZES; do
	n=$((mb * DOCS_PER_MB))
	go run ./hack/corpusgen -n "$n" -per-file "$n" -o "$work/c$mb" 2>/dev/null
	file=$work/c$mb/corpus-00000.yaml
	bytes=$(stat -c %s "$file")
	# validate exits 1: the corpus holds invalid documents.
	/usr/bin/time -f "%M %e %U" -o "$work/time" "$work/kubectl-aio_authn" validate -o "$FORMAT" "$file" >/dev/null 2>&1 || true
	read -r rss_kb wall user < <(tail -n 1 "$work/time")
	rss_mb=$((rss_kb / 1024))
	verdict=""
	if [[ $mb -eq 50 ]]; then
		if ((rss_mb < TARGET_MB)); then verdict=" (target < $TARGET_MB MB: met)"; else verdict=" (target < $TARGET_MB MB: MISSED)"; status=1; fi
	fi
	awk -v mb="$mb" -v bytes="$bytes" -v n="$n" -v rss="$rss_mb" -v wall="$wall" -v user="$user" -v verdict="$verdict" 'BEGIN {
		printf "validate -o '"$FORMAT"' of %d MB (%d bytes, %d documents): peak RSS %d MB%s, %.1f s wall, %.1f s user\n", mb, bytes, n, rss, verdict, wall, user
	}'
	rm -rf "$work/c$mb"
done
exit $status
