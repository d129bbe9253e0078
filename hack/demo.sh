#!/usr/bin/env bash
# The tool's main job on the built-in example bundle (testdata/examples): check
# the manifests, then walk the broker's authentication chain for four clients.
# Needs only Go. Each step prints the command it runs; exit codes are shown,
# not fatal, since denials and findings are part of the story.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
echo "building kubectl-aio_authn ..." >&2
go build -o "$bin/kubectl-aio_authn" .
export PATH="$bin:$PATH"

# kubectl runs the plugin when it is on PATH; without kubectl, call it directly.
if command -v kubectl >/dev/null 2>&1; then
	tool=(kubectl aio-authn)
else
	tool=(kubectl-aio_authn)
fi
ex=testdata/examples

bold='' plain=''
if [[ -t 1 && -z ${NO_COLOR+x} ]]; then
	bold=$'\033[1m' plain=$'\033[0m'
fi

step() {
	local title=$1
	shift
	printf '\n%s== %s%s\n$ %s\n' "$bold" "$title" "$plain" "kubectl aio-authn $*"
	local rc=0
	"${tool[@]}" "$@" || rc=$?
	printf '(exit %d)\n' "$rc"
}

step "Lint the example bundle: one port has X.509 without TLS, one has no authentication" \
	validate "$ex"

step "A device with a certificate from the trusted chain: the custom auth server is down, so the chain falls through to X509" \
	explain -f "$ex" --cert "$ex/clients/smart-fan.pem"

step "A pod's service account token requested for the wrong audience: denied by ServiceAccountToken" \
	explain -f "$ex" --sat-file "$ex/tokens/wrong-audience.jwt" --sat-issuer-key "$ex/sat/jwks.json"

step "The same pod with a token for aio-internal: granted" \
	explain -f "$ex" --sat-file "$ex/tokens/mqtt-client.jwt" --sat-issuer-key "$ex/sat/jwks.json"

step "What if the custom auth server were up and said no? It decides, and the chain stops there" \
	explain -f "$ex" --cert "$ex/clients/smart-fan.pem" --custom-result fail

step "A device from another CA on the plain-TCP port 1884: X.509 cannot apply without TLS" \
	explain -f "$ex" --listener default --port 1884 --cert "$ex/clients/stranger.pem"
