#!/usr/bin/env bash
# The tool's main job on the built-in example bundle (testdata/examples): check
# the manifests, then walk the broker's authentication chain for four clients;
# then rehearse a device on the wire against a local broker (serve broker) with
# mosquitto_pub. Needs Go, and mosquitto_pub for the last part (skipped
# without it). Each step prints the command it runs; exit codes are shown,
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

# show TITLE SHOWN COMMAND...: prints the title and the command as SHOWN,
# runs COMMAND and prints its exit code.
show() {
	local title=$1 shown=$2
	shift 2
	printf '\n%s== %s%s\n$ %s\n' "$bold" "$title" "$plain" "$shown"
	local rc=0
	"$@" || rc=$?
	printf '(exit %d)\n' "$rc"
}

# step TITLE ARGS...: a kubectl aio-authn command.
step() {
	local title=$1
	shift
	show "$title" "kubectl aio-authn $*" "${tool[@]}" "$@"
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

# The same kind of device on the wire: a local broker that enforces a bundle
# as explain decides, driven by mosquitto's own client. Needs mosquitto_pub
# (bash hack/install-deps.sh installs it).
if ! command -v mosquitto_pub >/dev/null 2>&1; then
	printf '\n(skipping the rehearsal on the wire: mosquitto_pub is not installed; bash hack/install-deps.sh installs it)\n'
	exit 0
fi
work=$(mktemp -d)
broker_pid=
cleanup() {
	if [[ -n $broker_pid ]]; then
		kill "$broker_pid" 2>/dev/null || true
		wait "$broker_pid" 2>/dev/null || true
	fi
	rm -rf "$work" "$bin"
}
trap cleanup EXIT

# run TITLE COMMAND...: any other command.
run() {
	local title=$1
	shift
	show "$title" "$*" "$@"
}

cd "$work"
"${tool[@]}" certs chain --out-dir certs --client thermostat 2>/dev/null
mkdir bundle
"${tool[@]}" ca import certs/client_ca.pem --name client-ca --dry-run=client -o yaml >bundle/client-ca.yaml
"${tool[@]}" generate authn --method x509 >bundle/authn.yaml
# Port 18883 of the listener, moved up by 10000 so that a broker already on
# 18883 does not get in the way.
"${tool[@]}" generate listener --name default --port 18883 >bundle/listener.yaml
cat certs/thermostat_cert.pem certs/intermediate_ca_cert.pem >thermostat_chain.pem

printf '\n%s== A local broker for that bundle: a BrokerListener with one TLS port, X.509 clients of the minted chain%s\n' "$bold" "$plain"
printf '$ kubectl aio-authn serve broker -f bundle --port-offset 10000 --events events.jsonl --ready-file ready.json &\n'
"${tool[@]}" serve broker -f bundle --port-offset 10000 --events events.jsonl --ready-file ready.json &
broker_pid=$!
for _ in $(seq 100); do
	[[ -f ready.json ]] && break
	kill -0 "$broker_pid" 2>/dev/null || { echo "the broker did not start" >&2; exit 1; }
	sleep 0.1
done
[[ -f ready.json ]] || { echo "the broker is not ready after 10s" >&2; exit 1; }
cat ready.json

run "The thermostat presents its chain: CONNACK 0x00" \
	mosquitto_pub -V mqttv5 -h localhost -p 28883 --cafile ready-ca.pem -i thermostat \
	--cert thermostat_chain.pem --key certs/thermostat_key.pem -t hello -m world
run "A client without a certificate: mosquitto_pub exits with the CONNACK code, 135 (0x87 Not authorized)" \
	mosquitto_pub -V mqttv5 -h localhost -p 28883 --cafile ready-ca.pem -i stranger -t hello -m world

kill "$broker_pid"
wait "$broker_pid" || true
broker_pid=
printf '\n%s== The events log: who got in, by which method, until when, and why not%s\n$ cat events.jsonl\n' "$bold" "$plain"
cat events.jsonl
