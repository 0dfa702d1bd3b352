#!/usr/bin/env bash
# Runs every benchmark once (-benchtime 1x), so that a change which breaks a benchmark
# (a harness that no longer builds, a setup or a first request that now fails) fails CI
# instead of the next person who measures. (One iteration cannot catch everything: the
# flow-start limit refused BenchmarkFlows only after its tenth flow.) No figure is taken here: docs/benchmarks.md records
# figures from idle machines, with the commands that made them.
set -euo pipefail
cd "$(dirname "$0")/../.."
go test -run '^$' -bench . -benchtime 1x ./...
echo "bench-once: every benchmark ran once"
