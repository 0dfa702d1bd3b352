#!/usr/bin/env bash
# Runs every Go fuzz target briefly beyond its seed corpus (the seeds already ran as plain
# tests in go test). Targets are discovered, so a new Fuzz function is covered without
# editing this file. OTPAIR_FUZZTIME sets the time per target (default 4s).
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzztime=${OTPAIR_FUZZTIME:-4s}
status=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "fuzz $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/fuzz.$$.log 2>&1 || {
      status=1; cat /tmp/fuzz.$$.log; }
  done
done
rm -f /tmp/fuzz.$$.log
exit $status
