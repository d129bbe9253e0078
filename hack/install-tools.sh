#!/usr/bin/env bash
# Install the Go programs the release and install tests run, each at a pinned
# version, into the cache (hack/install-go-tool.sh), and print their paths on
# stdout as shell exports:
#
#   goreleaser               `goreleaser check` and a snapshot release of .goreleaser.yaml
#   validate-krew-manifest   krew's own check of the rendered krew manifest
#   krew                     installs the plugin from that manifest and a built archive
#
# The first run builds goreleaser (a few minutes); later runs are instant.
# This is where the versions are pinned (goreleaser's releases after v2.15.1
# need a newer Go than this project's).
set -euo pipefail

hack=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

tools=(
	AIO_AUTHN_GORELEASER=github.com/goreleaser/goreleaser/v2@v2.15.1
	AIO_AUTHN_VALIDATE_KREW_MANIFEST=sigs.k8s.io/krew/cmd/validate-krew-manifest@v0.4.3
	AIO_AUTHN_KREW=sigs.k8s.io/krew/cmd/krew@v0.4.3
)
for t in "${tools[@]}"; do
	path=$(bash "$hack/install-go-tool.sh" "${t#*=}")
	printf 'export %s=%q\n' "${t%%=*}" "$path"
done
