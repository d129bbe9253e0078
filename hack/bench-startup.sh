#!/usr/bin/env bash
# What the release binary weighs, what it links, and how fast it starts:
#
#   size:     the binary built as .goreleaser.yaml builds it (CGO_ENABLED=0,
#             -trimpath, -ldflags "-s -w"), in bytes; e2e's
#             TestReleaseBinarySize fails it past 45 MB;
#   links:    the modules with the most code and data, from the symbol sizes
#             of the same build without -s -w (`go tool nm -size`);
#   init:     package initialisation, from GODEBUG=inittrace=1 on
#             `version`: the median over RUNS runs of the summed init clock
#             time, and the packages whose init costs most (median each);
#   wall:     hyperfine (installed from apt when missing) of `version` and of
#             `validate testdata/validate/good/bundle.yaml`, ROUNDS rounds
#             (default 5) of RUNS runs each.
#
#   bash hack/bench-startup.sh                  # this checkout, RUNS=21 ROUNDS=5
#   BASE=main bash hack/bench-startup.sh        # also a revision, interleaved
#
# With BASE, the revision is built from `git archive` into a temporary
# directory and every measure is taken of both binaries, interleaved.
# The machine's core count and load are printed: on a shared machine, compare
# medians of one run of the script, never figures from different runs.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-21}
ROUNDS=${ROUNDS:-5}
TOP=${TOP:-15}
command -v hyperfine >/dev/null || bash hack/install-deps.sh hyperfine
# shellcheck source=hack/lib/bench.sh
. hack/lib/bench.sh # build_release

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build DIR NAME: the release binary and a copy with symbols, from DIR.
build() {
	(cd "$1" && build_release "$work/$2/kubectl-aio_authn")
	(cd "$1" && CGO_ENABLED=0 go build -trimpath -o "$work/$2.symbols" ./cmd/kubectl-aio_authn)
}
names=(head)
build . head
if [ -n "${BASE:-}" ]; then
	mkdir "$work/src"
	git archive "$BASE" | tar -x -C "$work/src"
	build "$work/src" base
	names=(base head)
fi

echo "cores $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== size (bytes; limit 45000000)"
for n in "${names[@]}"; do
	printf '%-5s %10d  %.1f MB\n' "$n" "$(stat -c %s "$work/$n/kubectl-aio_authn")" \
		"$(awk "BEGIN { print $(stat -c %s "$work/$n/kubectl-aio_authn") / 1e6 }")"
done

echo
echo "== links: top $TOP modules by symbol size (text and data; the rest of the file is tables in proportion)"
for n in "${names[@]}"; do
	echo "-- $n"
	go tool nm -size "$work/$n.symbols" | awk -v top="$TOP" '
	$3 ~ /^[TtRrDd]$/ && $2 < 8000000 {   # not the bss of crypto/internal/fips140/drbg
		name = $4
		sub(/^(type:|go:itab\.|go:)/, "", name); sub(/^[*\[\]()]+/, "", name)
		slash = 0; for (i = length(name); i > 0; i--) if (substr(name, i, 1) == "/") { slash = i; break }
		dot = index(substr(name, slash + 1), ".")
		pkg = dot ? substr(name, 1, slash + dot - 1) : name
		n = split(pkg, seg, "/")
		if (seg[1] ~ /\./) key = seg[1] "/" seg[2] "/" seg[3]; else key = "std:" seg[1]
		sub(/\/+$/, "", key)
		size[key] += $2; total += $2
	}
	END {
		for (k in size) printf "%8.2f MB  %s\n", size[k] / 1e6, k | "sort -rn | head -" top
		close("sort -rn | head -" top)
		printf "%8.2f MB  (all symbols)\n", total / 1e6
	}'
done

echo
echo "== init: GODEBUG=inittrace=1 on version, $RUNS runs interleaved"
for _ in $(seq "$RUNS"); do
	for n in "${names[@]}"; do
		GODEBUG=inittrace=1 "$work/$n/kubectl-aio_authn" version 2>&1 >/dev/null |
			awk -v n="$n" -v run="$_" '/^init / { print n, run, $2, $5, $8 }'
	done
done >"$work/inittrace.txt"
for n in "${names[@]}"; do
	awk -v n="$n" '$1 == n { ms[$2] += $4; b[$2] += $5; c[$2]++ }
	END { for (r in ms) print ms[r], b[r], c[r] }' "$work/inittrace.txt" | sort -n |
		awk -v n="$n" '{ a[NR] = $1; bytes = $2; inits = $3 }
		END { printf "%-5s median %.2f ms (min %.2f, max %.2f), %d inits, %.2f MB allocated\n", n, a[int((NR + 1) / 2)], a[1], a[NR], inits, bytes / 1e6 }'
done
echo "-- head: packages by median init clock time"
awk '$1 == "head" { print $3, $4, $5 }' "$work/inittrace.txt" | sort -k1,1 -k2,2n |
	awk '{ v[$1] = v[$1] " " $2; c[$1]++; b[$1] = $3 }
	END { for (p in v) { split(substr(v[p], 2), a, " "); printf "%7.3f ms %9d B  %s\n", a[int((c[p] + 1) / 2)], b[p], p } }' |
	sort -rn | head -"$TOP"

echo
echo "== wall: hyperfine"
single=testdata/validate/good/bundle.yaml
cmds=()
for n in "${names[@]}"; do
	cmds+=(-n "$n version" "$work/$n/kubectl-aio_authn version")
done
for n in "${names[@]}"; do
	cmds+=(-n "$n validate" "$work/$n/kubectl-aio_authn validate $single")
done
# hyperfine runs one command's runs back to back: ROUNDS rounds of it,
# and the median of each round's medians, spread the machine's load over
# all the commands.
for round in $(seq "$ROUNDS"); do
	hyperfine -N --warmup 3 --runs "$RUNS" "${cmds[@]}" --export-csv "$work/wall-$round.csv" >/dev/null
done
# CSV columns: command,mean,stddev,median,user,system,min,max (seconds)
cat "$work"/wall-*.csv | awk -F, '$1 != "command" { print $1 "," $4 }' | sort -t, -k1,1 -k2,2n |
	awk -F, -v rounds="$ROUNDS" '{ v[$1] = v[$1] " " $2; c[$1]++ }
	END { for (k in v) { split(substr(v[k], 2), a, " "); printf "%-15s median %.1f ms (round medians %.1f .. %.1f, %d rounds)\n", k, a[int((c[k] + 1) / 2)] * 1000, a[1] * 1000, a[c[k]] * 1000, rounds } }' | sort
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
