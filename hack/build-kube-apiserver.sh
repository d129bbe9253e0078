#!/usr/bin/env bash
# Build the kube-apiserver used by the test harness (internal/testenv) from the
# pinned module in hack/tools/kube-apiserver, into a cache outside the
# repository keyed by version. A no-op when the binary is already cached.
# Prints the binary's path on stdout (progress goes to stderr).
#
#   bash hack/build-kube-apiserver.sh           # kube-apiserver
#   bash hack/build-kube-apiserver.sh kubectl   # kubectl, same version
#
#   AIO_AUTHN_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-aio-authn)
set -euo pipefail

KUBE_VERSION=v1.34.2
name=${1:-kube-apiserver}
case $name in
kube-apiserver | kubectl) ;;
*)
	echo "build-kube-apiserver: builds kube-apiserver or kubectl, not $name" >&2
	exit 2
	;;
esac

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools_dir="$repo_root/hack/tools/kube-apiserver"
cache_root=${AIO_AUTHN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-aio-authn}
out_dir="$cache_root/$name-$KUBE_VERSION"
bin="$out_dir/$name"

if [[ -x "$bin" ]]; then
	echo "$bin"
	exit 0
fi

if ! grep -q "k8s.io/kubernetes $KUBE_VERSION\$" "$tools_dir/go.mod"; then
	echo "build-kube-apiserver: $tools_dir/go.mod does not require k8s.io/kubernetes $KUBE_VERSION" >&2
	exit 1
fi

minor=${KUBE_VERSION#v*.}
minor=${minor%%.*}
major=${KUBE_VERSION#v}
major=${major%%.*}
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
ldflags+=" -X k8s.io/component-base/version.gitMajor=$major"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=$major"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"

mkdir -p "$out_dir"
tmp=$(mktemp "$out_dir/.$name.XXXXXX")
trap 'rm -f "$tmp"' EXIT

echo "build-kube-apiserver: building $name $KUBE_VERSION (several minutes the first time)..." >&2
start=$(date +%s)
(
	cd "$tools_dir"
	GOWORK=off CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" \
		go build -trimpath -ldflags="$ldflags" -o "$tmp" "k8s.io/kubernetes/cmd/$name"
)
chmod 0755 "$tmp"
mv -f "$tmp" "$bin"
trap - EXIT
echo "build-kube-apiserver: built $name in $(($(date +%s) - start))s" >&2
echo "$bin"
