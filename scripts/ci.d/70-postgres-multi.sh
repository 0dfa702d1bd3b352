#!/usr/bin/env bash
# Descope's SDK suites against two `otpair serve` instances sharing one PostgreSQL
# database, as behind a load balancer: a fresh database on the test server
# (OTPAIR_TEST_POSTGRES, started by scripts/test.sh), instances A and B on free loopback
# ports with the same seed key, management key, project id and frozen clock, then the
# Go suite (compat/go) and the node suite (compat/node) against each instance in turn;
# the node flow suite starts its executions on one instance and continues them on the
# other.
# Without a PostgreSQL server it skips, and fails under OTPAIR_REQUIRE_EXTERNAL=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
require=${OTPAIR_REQUIRE_EXTERNAL:-}

if [ -z "${OTPAIR_TEST_POSTGRES:-}" ] || [ -z "${OTPAIR_TEST_PGBIN:-}" ]; then
  if [ "$require" = 1 ]; then
    echo "postgres-multi: OTPAIR_TEST_POSTGRES/OTPAIR_TEST_PGBIN unset (run through scripts/test.sh)" >&2
    exit 1
  fi
  echo "postgres-multi: skipping: no PostgreSQL (scripts/test.sh starts one)"
  exit 0
fi

work=$(mktemp -d)
servers=()
db="otpair_multi_$$_$RANDOM"
psql=("$OTPAIR_TEST_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$OTPAIR_TEST_POSTGRES")
cleanup() {
  for pid in "${servers[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  "${psql[@]}" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "postgres-multi: building otpair and the Go suite"
go build -o "$work/otpair" ./cmd/otpair
(cd compat/go && go test -c -o "$work/compat-go.test" .)
run_node=1
if ! command -v node >/dev/null || [ ! -d compat/node/node_modules/@descope/node-sdk ]; then
  if [ "$require" = 1 ]; then
    echo "postgres-multi: node or compat/node/node_modules missing (run scripts/setup.sh)" >&2
    exit 1
  fi
  echo "postgres-multi: skipping the node suite: node or compat/node/node_modules missing"
  run_node=0
fi

"${psql[@]}" -c "CREATE DATABASE $db"
# The same server, the fresh database: replace the URL's path.
dsn=$(printf '%s' "$OTPAIR_TEST_POSTGRES" | sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$db#")

now=$(date +%s)
project="Pmulti$RANDOM"
export OTPAIR_SEED_KEY OTPAIR_MANAGEMENT_KEY
OTPAIR_SEED_KEY=$(head -c 32 /dev/urandom | base64)
OTPAIR_MANAGEMENT_KEY="mk-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')"

# start NAME: starts an instance and sets url_NAME once it listens.
start() {
  local name=$1
  mkdir -p "$work/$name"
  OTPAIR_HOME="$work/$name" OTPAIR_PROJECT_ID="" \
    "$work/otpair" serve --addr 127.0.0.1:0 --db "$dsn" --project-id "$project" --frozen-clock "$now" \
    >"$work/$name.out" 2>"$work/$name.log" &
  servers+=($!)
}
start a
start b # at the same time: both race to migrate and to create the signing key
for name in a b; do
  for _ in $(seq 400); do
    grep -q '^management key' "$work/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  url=$(sed -n 's/^otpair verifier listening on //p' "$work/$name.out")
  if [ -z "$url" ]; then
    echo "postgres-multi: instance $name did not start:" >&2
    cat "$work/$name.out" "$work/$name.log" >&2
    exit 1
  fi
  declare "url_$name=$url"
done
echo "postgres-multi: A at $url_a, B at $url_b, one database, project $project, clock frozen at $now"

status=0
export OTPAIR_COMPAT_PROJECT_ID=$project OTPAIR_COMPAT_MGMT_KEY=$OTPAIR_MANAGEMENT_KEY OTPAIR_COMPAT_TIME=$now
for name in b a; do
  url_var="url_$name"
  export OTPAIR_COMPAT_URL=${!url_var}
  # The flow suite starts each execution here and continues it on the other instance.
  if [ "$name" = a ]; then export OTPAIR_COMPAT_URL_B=$url_b; else export OTPAIR_COMPAT_URL_B=$url_a; fi
  echo "== compat/go against instance ${name^^}"
  (cd compat/go && "$work/compat-go.test" -test.count=1) || status=1
  if [ "$run_node" = 1 ]; then
    echo "== compat/node against instance ${name^^}"
    (cd compat/node && node --test) || status=1
  fi
done

for name in a b; do
  if grep -qF "$OTPAIR_MANAGEMENT_KEY" "$work/$name.log" || grep -Eq 'eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.' "$work/$name.log"; then
    echo "postgres-multi: instance $name logged the management key or a token" >&2
    status=1
  fi
done
exit $status
