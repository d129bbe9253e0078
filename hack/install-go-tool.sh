#!/usr/bin/env bash
# Install a Go program at a pinned version with `go install` into a cache
# outside the repository, keyed by name and version, and print the binary's
# path on stdout (progress goes to stderr). A no-op when it is cached.
#
#   bash hack/install-go-tool.sh github.com/goreleaser/goreleaser/v2@v2.15.1
#     -> $cache/goreleaser-v2.15.1/goreleaser
#
#   AIO_AUTHN_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-aio-authn)
set -euo pipefail

if [[ $# -ne 1 || $1 != *@v* ]]; then
	echo "usage: install-go-tool.sh PACKAGE@VERSION" >&2
	exit 2
fi
pkg=${1%@*}
version=${1##*@}
# The binary is named after the package path's last element, not counting
# a major-version suffix (.../goreleaser/v2 installs goreleaser).
name=${pkg##*/}
if [[ $name =~ ^v[0-9]+$ ]]; then
	name=${pkg%/*}
	name=${name##*/}
fi

cache_root=${AIO_AUTHN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-aio-authn}
dir=$cache_root/$name-$version
bin=$dir/$name
if [[ -x $bin ]]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$dir"
# Into a directory of its own first, then renamed: another worktree may be
# installing the same tool into the same cache at the same time.
tmp=$(mktemp -d "$dir/.install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "install-go-tool: go install $pkg@$version (once; cached in $dir)..." >&2
start=$(date +%s)
# From the cache directory, so no go.mod or go.work of a checkout applies.
(cd "$dir" && GOBIN=$tmp GOFLAGS= GOWORK=off go install "$pkg@$version")
mv -f "$tmp/$name" "$bin"
echo "install-go-tool: $name $version installed in $(($(date +%s) - start))s" >&2
echo "$bin"
