#!/usr/bin/env bash
# Install Debian packages a bench script needs, when missing (the test
# suite's own packages are hack/install-deps.sh's): `apt-get update` runs only
# when a plain install fails.
#
#   bash hack/install-apt-package.sh hyperfine time
set -euo pipefail

missing=()
for p in "$@"; do
	[[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] || missing+=("$p")
done
((${#missing[@]} > 0)) || exit 0
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
	{ "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }
