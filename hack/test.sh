#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the Debian packages the
# tests use (etcd, mosquitto, openssl), builds kube-apiserver once into a cache
# outside the repository, then runs vet, the gofmt check and every Go test,
# including those against the real control plane and real mosquitto.
#
#   bash hack/test.sh                 # everything (what CI runs)
#   bash hack/test.sh ./pkg/lint/...  # some packages, same set-up
set -euo pipefail
cd "$(dirname "$0")/.."

# The set-up prints the environment the tests read (binary locations); its
# progress goes to stderr.
eval "$(bash hack/setup-test-env.sh)"

echo "--- go vet" >&2
go vet ./...

echo "--- gofmt" >&2
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change these files (run gofmt -w):" >&2
  echo "$unformatted" >&2
  exit 1
fi

echo "--- go test" >&2
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
go test -count=1 -timeout 20m "${pkgs[@]}"
