#!/usr/bin/env bash
# Install the Debian packages the test suite needs: etcd (for the test control
# plane of internal/testenv), mosquitto and its clients (a real MQTT 5 broker
# that tests start themselves), openssl, bash-completion (the completion
# test sources it, as users' shells do), pre-commit (the hook test runs
# .pre-commit-hooks.yaml as CI users do), curl (an HTTP client nobody here
# wrote, for the custom auth server's tests and the documented download
# commands) and git (pre-commit clones the hook repository). Idempotent,
# and a fast no-op when everything is present; `apt-get update` runs once,
# only when something is missing.
#
# apt may start the packages' own daemons (mosquitto on :1883, etcd on :2379)
# where services are allowed to start; tests run their own instances, so the
# daemons of packages installed here are stopped and disabled again.
#
# With package names, installs those instead, the same way (the bench
# scripts' hyperfine, time, ...):
#
#   bash hack/install-deps.sh               # the test suite's packages
#   bash hack/install-deps.sh hyperfine time
set -euo pipefail

packages=("$@")
((${#packages[@]} > 0)) || packages=(etcd-server mosquitto mosquitto-clients openssl bash-completion pre-commit curl git)

installed() {
	[[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if ! command -v sudo >/dev/null; then
		echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
	sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2

# Free the default ports the packaged daemons would hold; only for the
# packages installed just now, so a daemon someone set up on purpose is left alone.
stop_daemon() { # unit binary
	if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
		"${sudo[@]}" systemctl disable --now "$1" >/dev/null 2>&1 || true
	elif command -v service >/dev/null; then
		"${sudo[@]}" service "$1" stop >/dev/null 2>&1 || true
	fi
	# Started by hand or by an init without service tracking: the packaged
	# daemon runs from its default config; end it by pid.
	local pids
	pids=$(pgrep -x "$2" 2>/dev/null || true)
	for pid in $pids; do
		if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "/etc/$1"; then
			"${sudo[@]}" kill "$pid" 2>/dev/null || true
		fi
	done
}
for p in "${missing[@]}"; do
	case $p in
	mosquitto) stop_daemon mosquitto mosquitto ;;
	etcd-server) stop_daemon etcd etcd ;;
	esac
done

for p in "${packages[@]}"; do
	if ! installed "$p"; then
		echo "install-deps: $p is still not installed" >&2
		exit 1
	fi
done
