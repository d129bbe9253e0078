# Helpers the bench scripts share; source it: . "$(dirname "$0")/lib/bench.sh"

# median FILE COLUMN: the median of a whitespace-separated column of FILE
# (the mean of the middle two for an even count).
median() { awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# build_release OUT: builds kubectl-aio_authn, from the current directory's
# module, into OUT as .goreleaser.yaml builds a release (CGO off, -trimpath,
# -s -w).
build_release() { CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$1" ./cmd/kubectl-aio_authn; }
