#!/usr/bin/env bash
# The one test command: sets up what the tests need, then runs every Go test with the race
# detector inside a throwaway D-Bus session with an unlocked gnome-keyring (a real Secret
# Service) and a throwaway PostgreSQL on loopback, then each extra step in scripts/ci.d
# (SDK compat suites, fuzz smoke runs, the tmux end-to-end test).
#
# OTPAIR_REQUIRE_EXTERNAL=1 turns every "outside tool missing" skip into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

[ "${OTPAIR_SKIP_SETUP:-}" = 1 ] || scripts/setup.sh

work=$(mktemp -d)
runas=()
cleanup() {
  if [ -n "${PGBIN:-}" ] && [ -d "$work/pg" ]; then
    "${runas[@]}" "$PGBIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A throwaway PostgreSQL on loopback for the store conformance tests.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
  pgport=$((20000 + RANDOM % 20000))
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root; the cluster belongs to an unprivileged user.
    id otpairpg >/dev/null 2>&1 || useradd --system --no-create-home otpairpg
    chown otpairpg "$work"; chmod 755 "$work"
    runas=(runuser -u otpairpg --)
  fi
  "${runas[@]}" "$PGBIN/initdb" -D "$work/pg" -U otpair --auth=trust -E UTF8 >/dev/null
  "${runas[@]}" "$PGBIN/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $work -c fsync=off -c max_connections=200" start >/dev/null
  export OTPAIR_TEST_POSTGRES="postgres://otpair@127.0.0.1:$pgport/postgres?sslmode=disable"
  export OTPAIR_TEST_PGBIN=$PGBIN OTPAIR_TEST_PGDATA=$work/pg
  if [ "${#runas[@]}" -gt 0 ]; then export OTPAIR_TEST_PGUSER=otpairpg; fi
fi

# Go's caches stay where they are (asked before HOME moves), so a run reuses the modules
# and builds it already has.
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export GOCACHE="${GOCACHE:-$(go env GOCACHE 2>/dev/null || echo /tmp/gocache)}"
export GOMODCACHE="${GOMODCACHE:-$(go env GOMODCACHE 2>/dev/null || echo /tmp/gomodcache)}"
export GOPATH="${GOPATH:-$(go env GOPATH 2>/dev/null || echo /tmp/gopath)}"

# gnome-keyring keeps its files under HOME: a fresh one, so no old locked keyring interferes.
export HOME="$work/home" XDG_DATA_HOME="$work/home/.local/share" XDG_CONFIG_HOME="$work/home/.config"
mkdir -p "$HOME"

run_in_session() {
  dbus-run-session -- bash -c '
    echo -n otpair-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
    export OTPAIR_TEST_KEYRING=1
    exec "$@"' bash "$@"
}

passed=0 failed=0
# step NAME CMD...: runs one test step and counts it.
step() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "== $name FAILED"
  fi
}
in_session() {
  if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
    run_in_session "$@"
  else
    "$@"
  fi
}

step "go test -race ./..." in_session go test -race -count=1 -timeout 30m ./...
for s in scripts/ci.d/*.sh; do
  [ -e "$s" ] || continue
  step "$s" in_session bash "$s"
done

echo "steps: $passed passed, $failed failed"
[ "$failed" = 0 ]
