#!/usr/bin/env bash
# Regenerates the CRDs (pkg/api/crds) and deepcopy functions from the Go types
# in pkg/api with controller-gen. Run after changing a type or a marker; the
# test in pkg/api/crds fails when the committed CRDs are stale.
#
#   bash hack/gen-crds.sh          # rewrite pkg/api/crds/*.yaml and zz_generated.deepcopy.go
#   bash hack/gen-crds.sh DIR      # only write the CRDs, into DIR (what the test compares)
set -euo pipefail
cd "$(dirname "$0")/.."
CONTROLLER_GEN_VERSION=v0.23.0
controller_gen=(go run "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_GEN_VERSION}")
if [ $# -gt 0 ]; then
  # Leave the source tree alone: the test runs this while others edit it.
  "${controller_gen[@]}" crd:crdVersions=v1,maxDescLen=0 'paths={./pkg/api/v1,./pkg/api/v1beta1}' output:crd:dir="$1"
  exit 0
fi
"${controller_gen[@]}" \
  object 'paths={./pkg/api/v1,./pkg/api/v1beta1}' \
  crd:crdVersions=v1,maxDescLen=0 'paths={./pkg/api/v1,./pkg/api/v1beta1}' output:crd:dir=pkg/api/crds
