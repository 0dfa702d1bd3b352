#!/usr/bin/env bash
# Descope's own SDKs against otpair serve: builds otpair, starts `otpair serve` on a free
# loopback port with a throwaway OTPAIR_HOME and a frozen clock (so the suites can
# compute three distinct valid codes, steps -1, 0 and +1, without waiting for the next
# step), runs the Go suite (compat/go, go-sdk v1.28.0), the node suite (compat/node,
# @descope/node-sdk 2.13.0 from its lockfile) and `otpair flow test --backend URL
# --frozen-clock` on the built-in flows' files, as a developer's CI would, then stops the
# server with SIGTERM and checks that it shut down cleanly and logged no token or key.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

require=${OTPAIR_REQUIRE_EXTERNAL:-}
status=0

echo "compat: building otpair and the Go suite"
go build -o "$work/otpair" ./cmd/otpair
# Compiled before the server starts, so build time never eats into token lifetimes.
(cd compat/go && go test -c -o "$work/compat-go.test" .)

run_node=1
if ! command -v node >/dev/null || [ ! -d compat/node/node_modules/@descope/node-sdk ]; then
  if [ "$require" = 1 ]; then
    echo "compat: node or compat/node/node_modules missing (run scripts/setup.sh)" >&2
    exit 1
  fi
  echo "compat: skipping the node suite: node or compat/node/node_modules missing (scripts/setup.sh installs them)"
  run_node=0
fi

now=$(date +%s)
mkdir -p "$work/home"
OTPAIR_HOME="$work/home" OTPAIR_MANAGEMENT_KEY="" OTPAIR_PROJECT_ID="" OTPAIR_SEED_KEY="" \
  "$work/otpair" serve --addr 127.0.0.1:0 --frozen-clock "$now" --signup-rate off --signup-rate-total off \
  >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 200); do
  grep -q '^management key' "$work/serve.out" 2>/dev/null && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "compat: otpair serve exited early:" >&2
    cat "$work/serve.log" >&2
    exit 1
  fi
  sleep 0.05
done
url=$(sed -n 's/^otpair verifier listening on //p' "$work/serve.out")
project=$(sed -n 's/^project id: //p' "$work/serve.out")
mgmt=$(tr -d '\n' <"$work/home/management.key")
if [ -z "$url" ] || [ -z "$project" ] || [ -z "$mgmt" ]; then
  echo "compat: otpair serve did not start:" >&2
  cat "$work/serve.out" "$work/serve.log" >&2
  exit 1
fi
echo "compat: otpair serve at $url, project $project, clock frozen at $now"
export OTPAIR_COMPAT_URL=$url OTPAIR_COMPAT_PROJECT_ID=$project OTPAIR_COMPAT_MGMT_KEY=$mgmt OTPAIR_COMPAT_TIME=$now

echo "== compat/go (github.com/descope/go-sdk v1.28.0)"
(cd compat/go && "$work/compat-go.test" -test.count=1 -test.v) || status=1

if [ "$run_node" = 1 ]; then
  echo "== compat/node (@descope/node-sdk 2.13.0)"
  (cd compat/node && node --test) || status=1
fi

echo "== otpair flow test --backend (the built-in flows' test cases, exported)"
mkdir -p "$work/flows" "$work/client"
for id in $("$work/otpair" flow list | awk '{print $1}'); do
  "$work/otpair" flow export "$id" >"$work/flows/$id.yaml"
done
OTPAIR_HOME="$work/client" OTPAIR_PROJECT_ID=$project OTPAIR_MANAGEMENT_KEY=$mgmt \
  "$work/otpair" flow test --backend "$url" --frozen-clock "$now" "$work/flows"/*.yaml || status=1

kill -TERM "$server"
if ! wait "$server"; then
  echo "compat: otpair serve did not exit cleanly on SIGTERM" >&2
  status=1
fi
server=""
if ! grep -q 'msg=stopped' "$work/serve.log"; then
  echo "compat: otpair serve logged no clean stop" >&2
  status=1
fi
if grep -qF "$mgmt" "$work/serve.log" || grep -Eq 'eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.' "$work/serve.log"; then
  echo "compat: the server log contains the management key or a token" >&2
  status=1
fi
requests=$(grep -c 'msg=request' "$work/serve.log" || true)
echo "compat: the server answered $requests requests; log is clean"
exit $status
