#!/usr/bin/env bash
# Runs every Go fuzz target briefly beyond its seed corpus (the seeds already ran as plain
# tests in go test). Targets are discovered, so a new Fuzz function is covered without
# editing this file. OTPAIR_FUZZTIME sets the time per target (default 4s).
#
# A failure that wrote a failing input is a real finding and fails at once. A bare
# "context deadline exceeded" with no input written is a race in Go's fuzzing
# coordinator at the end of a duration -fuzztime (golang/go#75804, fixed in Go 1.27):
# the target ran its whole time without a finding, so it counts as passed, said so in
# the log. Otherwise, on a loaded machine the engine sometimes loses a worker ("fuzzing
# process hung or terminated unexpectedly") without any input to blame; such a run is
# tried once more, and fails only if it happens again.
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzztime=${OTPAIR_FUZZTIME:-4s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    for try in 1 2; do
      echo "fuzz $pkg $target ($fuzztime, try $try)"
      if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
        break
      fi
      if ! grep -q 'Failing input written to' "$log" && grep -q '^    context deadline exceeded$' "$log" &&
        [ "$(grep -c '^--- FAIL' "$log")" = 1 ]; then
        echo "fuzz $pkg $target: ran its time with no finding; the engine's end-of-time race (golang/go#75804) reported it as failed"
        break
      fi
      if grep -q 'Failing input written to' "$log" || [ "$try" = 2 ]; then
        status=1
        cat "$log"
        break
      fi
      echo "fuzz $pkg $target: the engine failed without a failing input; trying once more:"
      tail -n 5 "$log"
    done
  done
done
exit $status
