#!/usr/bin/env bash
# Prepare this machine for the test suite: install the Debian packages
# (hack/install-deps.sh), build the pinned kube-apiserver (and kubectl, when
# the machine has none) into the cache (hack/build-kube-apiserver.sh), and
# install the release tools, goreleaser and krew's, into the cache
# (hack/install-tools.sh). Each step is a quick
# no-op once done.
#
# Prints, on stdout, the environment the Go tests read, as shell exports:
#
#   eval "$(bash hack/setup-test-env.sh)" && go test ./...
#
# The tests also find the binaries without these variables (build cache, then
# PATH), so `bash hack/setup-test-env.sh && go test ./...` works as well.
set -euo pipefail

hack=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bash "$hack/install-deps.sh" >&2
apiserver=$(bash "$hack/build-kube-apiserver.sh")
etcd=$(command -v etcd || echo /usr/bin/etcd)
if [[ ! -x "$etcd" ]]; then
	echo "setup-test-env: etcd not found after installing etcd-server" >&2
	exit 1
fi

# The plugin tests run kubectl itself; without one on PATH, build the pinned
# version into the cache and put it on PATH.
if ! command -v kubectl >/dev/null; then
	kubectl=$(bash "$hack/build-kube-apiserver.sh" kubectl)
	printf 'export PATH=%q:"$PATH"\n' "$(dirname "$kubectl")"
fi

printf 'export AIO_AUTHN_KUBE_APISERVER=%q\n' "$apiserver"
printf 'export AIO_AUTHN_ETCD=%q\n' "$etcd"
bash "$hack/install-tools.sh"
