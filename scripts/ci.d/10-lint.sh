#!/usr/bin/env bash
# The static checks every commit must pass: gofmt, go vet and staticcheck at a pinned
# version (so a new staticcheck release never turns main red on its own). staticcheck is
# installed into Go's own bin folder from the module proxy, once per machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
staticcheck_version=v0.7.0 # staticcheck 2026.1

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './compat/node/*'))
if [ -n "$unformatted" ]; then
  echo "lint: gofmt would change these files:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...

bin="$(go env GOPATH)/bin/staticcheck-$staticcheck_version"
if [ ! -x "$bin" ]; then
  tmp=$(mktemp -d)
  GOBIN=$tmp GOFLAGS=-buildvcs=false go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
  mkdir -p "$(dirname "$bin")"
  mv "$tmp/staticcheck" "$bin"
  rm -rf "$tmp"
fi
"$bin" ./...
echo "lint: gofmt, go vet and staticcheck $staticcheck_version are clean"
