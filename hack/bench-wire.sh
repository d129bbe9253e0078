#!/usr/bin/env bash
# serve broker on the wire, beside Debian's mosquitto on this machine, both
# driven by the same client (probe --count N --concurrency C):
#
#  1. X.509: TLS with a client certificate (EC P-256 chain from certs chain),
#     serve broker against mosquitto with require_certificate (and
#     set_tcp_nodelay, as docs/probe.md explains): connects/s, p50 and p99
#     latency, the median of ROUNDS interleaved runs.
#     Target: serve broker at least as many connects/s as mosquitto.
#  2. K8S-SAT: an RS256 token on a plain port of serve broker, against the
#     bare RS256 verify rate of this machine on every core
#     (BenchmarkBareRS256 in pkg/broker, the same token and key), runs
#     interleaved. Target: connects/s >= 50% of verifies/s. For scale, the
#     same client against a port without authentication (serve broker) and
#     mosquitto with anonymous clients, and the broker's CPU per connect.
#  3. Memory per idle connection: IDLE_CONNS (10,000) X.509 connections held
#     open on serve broker and on mosquitto, each started fresh; the growth
#     of the broker's anonymous resident memory (RssAnon) once all are in,
#     and again after IDLE_SECONDS of idleness.
#
# It prints the machine's core count first, and exits 1 when a target is
# missed. Never run as a test: the figures depend on the machine and its
# load. Settings (environment): X509_COUNT (2000), SAT_COUNT (10000),
# CONCURRENCY (8), ROUNDS (5), IDLE_CONNS (10000), IDLE_SECONDS (30).
#
#   bash hack/bench-wire.sh
#   ROUNDS=3 IDLE_CONNS=2000 bash hack/bench-wire.sh   # quicker
#
# To see where serve broker spends a connect, profile the same client and
# broker in one process:
#   go test ./pkg/broker -run '^$' -bench Rate/SAT -benchtime 20000x -cpuprofile cpu.out
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib/bench.sh
. hack/lib/bench.sh # median

X509_COUNT=${X509_COUNT:-2000}
SAT_COUNT=${SAT_COUNT:-10000}
CONCURRENCY=${CONCURRENCY:-8}
ROUNDS=${ROUNDS:-5}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_SECONDS=${IDLE_SECONDS:-30}

command -v mosquitto >/dev/null || bash hack/install-deps.sh mosquitto
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bench-wire.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

# Every connection the memory run holds is a file descriptor on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < IDLE_CONNS + 200)); then
	echo "bench-wire: ulimit -n is $(ulimit -n) (hard limit $(ulimit -Hn)): $IDLE_CONNS idle connections need $((IDLE_CONNS + 200)); raise the hard limit or lower IDLE_CONNS" >&2
	exit 2
fi

echo "building ..." >&2
go build -o "$work/kubectl-aio_authn" .
go test -c -o "$work/broker.test" ./pkg/broker
tool=$work/kubectl-aio_authn
cd "$work"

# The chain, the bundle and a token, made by the tool itself.
"$tool" certs chain --out-dir certs --client thermostat --server-san localhost --server-san 127.0.0.1 >/dev/null 2>&1
cat certs/thermostat_cert.pem certs/intermediate_ca_cert.pem >thermostat_chain.pem
mkdir bundle
"$tool" ca import certs/client_ca.pem --name client-ca --dry-run=client -o yaml >bundle/client-ca.yaml
"$tool" generate authn --method sat --method x509 >bundle/authn.yaml
"$tool" generate sat-client >bundle/sat-client.yaml
"$tool" sat keygen --out-dir keys --kty RSA >/dev/null 2>&1
"$tool" sat mint --signing-key keys/sa_key.pem --service-account mqtt-client --audience aio-internal --duration 24h >token

# Five ports nothing listens on.
ports=()
while ((${#ports[@]} < 5)); do
	p=$((20000 + RANDOM % 20000))
	[[ " ${ports[*]} " != *" $p "* ]] || continue
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || ports+=("$p")
done
tls_port=${ports[0]} sat_port=${ports[1]} open_port=${ports[2]} mtls_port=${ports[3]} manon_port=${ports[4]}
cat >bundle/listener.yaml <<EOF
apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata: {name: bench, namespace: azure-iot-operations}
spec:
  ports:
  - {port: $tls_port, authenticationRef: default, tls: {mode: Automatic}}
  - {port: $sat_port, authenticationRef: default}
  - {port: $open_port}
EOF
cat >mosquitto.conf <<EOF
set_tcp_nodelay true
per_listener_settings true
persistence false
log_dest none
listener $mtls_port 127.0.0.1
cafile certs/chain.pem
certfile certs/server_cert.pem
keyfile certs/server_key.pem
require_certificate true
use_identity_as_username true
listener $manon_port 127.0.0.1
allow_anonymous true
EOF
# mosquitto started as root drops to user mosquitto, which cannot read the
# files here.
[[ $(id -u) -ne 0 ]] || echo "user root" >>mosquitto.conf

# start_broker NAME: serve broker (both present the same server certificate)
# or mosquitto in the background; sets pid.
pid=
start_broker() {
	case $1 in
	serve)
		rm -f ready.json
		"$tool" serve broker -f bundle --sat-issuer-key keys/jwks.json --server-cert certs/server_cert.pem --server-key certs/server_key.pem \
			--ready-file ready.json >serve.log 2>&1 &
		pid=$!
		timeout 30 sh -c 'until [ -f ready.json ]; do sleep 0.05; done' || { cat serve.log >&2; exit 1; }
		;;
	mosquitto)
		"$mosquitto_bin" -c mosquitto.conf >mosquitto.log 2>&1 &
		pid=$!
		timeout 30 bash -c "until (exec 3<>/dev/tcp/127.0.0.1/$manon_port) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/$mtls_port) 2>/dev/null; do sleep 0.05; done" ||
			{ cat mosquitto.log >&2; exit 1; }
		;;
	esac
	pids+=("$pid")
}
stop_broker() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

x509=(--cafile certs/chain.pem --cert thermostat_chain.pem --key certs/thermostat_key.pem)
clk_tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# rate PID OUT ARGS...: one probe --count run; appends "connects/s p50 p99
# cpu_us_per_connect" to OUT.
rate() {
	local p=$1 out=$2
	shift 2
	local before after json
	before=$(cpu_ticks "$p")
	json=$("$tool" probe "$@" --concurrency "$CONCURRENCY" -o json | tr -d ' \n') || true
	after=$(cpu_ticks "$p")
	local count ok
	count=$(sed -nE 's/.*"connects":([0-9]+).*/\1/p' <<<"$json")
	ok=$(sed -nE 's/.*"ok":([0-9]+).*/\1/p' <<<"$json")
	if [[ -z $count || $count == 0 || $ok != "$count" ]]; then
		echo "bench-wire: probe $* got in $ok of $count times: $json" >&2
		exit 1
	fi
	sed -E 's/.*"connectsPerSec":([0-9.]+).*"p50":([0-9.]+).*"p99":([0-9.]+).*/\1 \2 \3/' <<<"$json" |
		awk -v d=$((after - before)) -v hz="$clk_tck" -v n="$count" '{ printf "%s %s %s %.1f\n", $1, $2, $3, d * 1e6 / hz / n }' >>"$out"
}


printf 'bench-wire: %s cores (nproc), %s, %s, %s\n' "$(nproc)" "$(go env GOVERSION)" "$("$mosquitto_bin" -h 2>/dev/null | head -n 1)" "$(uname -sr)"
printf 'load average before the runs: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
status=0

start_broker serve
serve=$pid
start_broker mosquitto
mosq=$pid

# 1. X.509 connects/s, interleaved rounds.
echo "measuring X.509 ($ROUNDS rounds) ..." >&2
for _ in $(seq "$ROUNDS"); do
	rate "$serve" x509-serve --server "mqtts://127.0.0.1:$tls_port" "${x509[@]}" --count "$X509_COUNT"
	rate "$mosq" x509-mosq --server "mqtts://127.0.0.1:$mtls_port" "${x509[@]}" --count "$X509_COUNT"
done
s_rate=$(median x509-serve 1) m_rate=$(median x509-mosq 1)
echo
echo "X.509 over TLS (EC P-256 client chain), probe --count $X509_COUNT --concurrency $CONCURRENCY, median of $ROUNDS interleaved runs:"
printf '  %-34s %9.1f connects/s   p50 %6.2f ms   p99 %6.2f ms   %5.0f µs CPU per connect\n' \
	"serve broker" "$s_rate" "$(median x509-serve 2)" "$(median x509-serve 3)" "$(median x509-serve 4)" \
	"mosquitto (require_certificate)" "$m_rate" "$(median x509-mosq 2)" "$(median x509-mosq 3)" "$(median x509-mosq 4)"
if awk -v s="$s_rate" -v m="$m_rate" 'BEGIN { exit !(s >= m) }'; then verdict=met; else verdict=MISSED status=1; fi
awk -v s="$s_rate" -v m="$m_rate" -v v="$verdict" 'BEGIN { printf "  serve broker / mosquitto: %.2fx (target >= 1: %s)\n", s / m, v }'

# 2. K8S-SAT against the bare verify rate, interleaved.
echo "measuring K8S-SAT ($ROUNDS rounds) ..." >&2
for _ in $(seq "$ROUNDS"); do
	rate "$serve" sat-serve --server "mqtt://127.0.0.1:$sat_port" --sat-file token --count "$SAT_COUNT"
	AIO_AUTHN_BENCH_TOKEN=$work/token AIO_AUTHN_BENCH_KEY=$work/keys/sa_pub.pem \
		"$work/broker.test" -test.run '^$' -test.bench 'BareRS256' -test.benchtime 1s |
		awk '/^BenchmarkBareRS256\/Serial/ { s = $(NF - 1) } /^BenchmarkBareRS256\/Parallel/ { p = $(NF - 1); printf "%s %s %.1f\n", p, s, 1e6 / s }' >>verify
	rate "$serve" open-serve --server "mqtt://127.0.0.1:$open_port" --count "$SAT_COUNT"
	rate "$mosq" anon-mosq --server "mqtt://127.0.0.1:$manon_port" --count "$SAT_COUNT"
done
sat_rate=$(median sat-serve 1) floor=$(median verify 1)
echo
echo "K8S-SAT (RS256 token, plain TCP), probe --count $SAT_COUNT --concurrency $CONCURRENCY, median of $ROUNDS interleaved runs:"
printf '  %-34s %9.1f connects/s   p50 %6.2f ms   p99 %6.2f ms   %5.0f µs CPU per connect\n' \
	"serve broker" "$sat_rate" "$(median sat-serve 2)" "$(median sat-serve 3)" "$(median sat-serve 4)"
printf '  %-34s %9.1f verifies/s   (one core: %.1f/s, %.1f µs each)\n' "bare RS256 verify, every core" "$floor" "$(median verify 2)" "$(median verify 3)"
if awk -v s="$sat_rate" -v f="$floor" 'BEGIN { exit !(s >= f / 2) }'; then verdict=met; else verdict=MISSED status=1; fi
awk -v s="$sat_rate" -v f="$floor" -v v="$verdict" 'BEGIN { printf "  serve broker / bare verify: %.0f%% (target >= 50%%: %s)\n", 100 * s / f, v }'
echo "  for scale, the same client without authentication:"
printf '  %-34s %9.1f connects/s   p50 %6.2f ms   p99 %6.2f ms   %5.0f µs CPU per connect\n' \
	"serve broker, port without authn" "$(median open-serve 1)" "$(median open-serve 2)" "$(median open-serve 3)" "$(median open-serve 4)" \
	"mosquitto, anonymous" "$(median anon-mosq 1)" "$(median anon-mosq 2)" "$(median anon-mosq 3)" "$(median anon-mosq 4)"
stop_broker "$serve"
stop_broker "$mosq"

# 3. Memory per idle connection, each broker started fresh.
rss_anon() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
# idle NAME PORT: holds IDLE_CONNS X.509 connections on a fresh broker and
# prints the RssAnon growth per connection.
idle() {
	start_broker "$1"
	local b=$pid rss0 fd0 rss1 rss2
	sleep 1
	rss0=$(rss_anon "$b") fd0=$(fds "$b")
	# --keepalive 0: the held connections send nothing, and no broker
	# closes them for a missed ping.
	"$tool" probe --server "mqtts://127.0.0.1:$2" "${x509[@]}" --count "$IDLE_CONNS" --concurrency 32 --keepalive 0 \
		--hold "$((IDLE_SECONDS + 600))s" -o json >"idle-$1.json" 2>&1 &
	local holder=$!
	pids+=("$holder")
	local deadline=$((SECONDS + 600))
	until (($(fds "$b") >= fd0 + IDLE_CONNS)); do
		if ((SECONDS > deadline)) || ! kill -0 "$holder" 2>/dev/null; then
			echo "bench-wire: $1 holds $(($(fds "$b") - fd0)) of $IDLE_CONNS connections:" >&2
			cat "idle-$1.json" >&2
			exit 1
		fi
		sleep 0.2
	done
	sleep 1
	rss1=$(rss_anon "$b")
	sleep "$IDLE_SECONDS"
	rss2=$(rss_anon "$b")
	stop_broker "$holder"
	stop_broker "$b"
	awk -v n="$IDLE_CONNS" -v r0="$rss0" -v r1="$rss1" -v r2="$rss2" -v name="$3" -v idle="$IDLE_SECONDS" 'BEGIN {
		printf "  %-34s %6.1f MB before, %6.1f MB with them (%5.1f KB each), %6.1f MB after %d s idle (%5.1f KB each)\n",
			name, r0 / 1024, r1 / 1024, (r1 - r0) / n, r2 / 1024, idle, (r2 - r0) / n }'
}
echo "measuring memory ($IDLE_CONNS idle connections on each broker) ..." >&2
echo
echo "Memory per idle connection, $IDLE_CONNS X.509 connections over TLS held open (RssAnon of the broker):"
idle serve "$tls_port" "serve broker"
idle mosquitto "$mtls_port" "mosquitto (require_certificate)"
exit $status
