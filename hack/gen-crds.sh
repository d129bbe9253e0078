#!/usr/bin/env bash
# Regenerates the CRDs (pkg/api/crds) and deepcopy functions from the Go types
# in pkg/api with controller-gen. Run after changing a type or a marker; the
# test in pkg/api/crds fails when the committed CRDs are stale.
#
# The mid-2024 preview BrokerAuthentication (package mid2024) shares its
# apiVersion with the 2025 preview (package v1beta1) but not its shape; no
# broker serves it, so its schema goes to pkg/api/crds/mid2024, apart from
# the CRDs, for validate to explain such manifests.
#
#   bash hack/gen-crds.sh          # rewrite pkg/api/crds/**/*.yaml, their JSON copies (json/, what
#                                  # validate decodes) and zz_generated.deepcopy.go
#   bash hack/gen-crds.sh DIR      # only write the CRDs, into DIR and DIR/mid2024 (what the test compares)
set -euo pipefail
cd "$(dirname "$0")/.."
CONTROLLER_GEN_VERSION=v0.23.0
controller_gen=(go run "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_GEN_VERSION}")
out=pkg/api/crds
if [ $# -gt 0 ]; then
  # Leave the source tree alone: the test runs this while others edit it.
  out=$1
else
  "${controller_gen[@]}" object 'paths={./pkg/api/v1,./pkg/api/v1beta1,./pkg/api/mid2024}'
fi
"${controller_gen[@]}" crd:crdVersions=v1,maxDescLen=0 'paths={./pkg/api/v1,./pkg/api/v1beta1}' output:crd:dir="$out"
"${controller_gen[@]}" crd:crdVersions=v1,maxDescLen=0 'paths={./pkg/api/mid2024}' output:crd:dir="$out/mid2024"
if [ $# -eq 0 ]; then
  UPDATE_CRD_JSON=1 go test ./pkg/api/crds -run '^TestEmbeddedJSONMatchesYAML$' -count=1 >/dev/null
fi
