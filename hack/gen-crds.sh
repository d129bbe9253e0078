#!/usr/bin/env bash
# Regenerates the CRDs (pkg/api/crds) and deepcopy functions from the Go types
# in pkg/api with controller-gen. Run after changing a type or a marker; the
# test in pkg/api/crds fails when the committed files are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
CONTROLLER_GEN_VERSION=v0.23.0
out=${1:-pkg/api/crds}
go run "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_GEN_VERSION}" \
  object paths=./pkg/api/... \
  crd:crdVersions=v1,maxDescLen=0 paths=./pkg/api/... output:crd:dir="$out"
