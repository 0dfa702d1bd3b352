#!/usr/bin/env bash
# Builds and vets otpair for every platform the README promises, so a file-name build
# constraint (a `_linux.go` file carrying a BSD build line) or a Unix-only call can never
# slip in unseen. `go vet` type-checks the test files too, so the tests that do not need
# Linux-only tools also compile for Windows and the rest. Pure Go (CGO_ENABLED=0), as a
# cross-compiling packager builds it.
set -euo pipefail
cd "$(dirname "$0")/../.."
targets=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 freebsd/amd64 openbsd/amd64)
status=0
for t in "${targets[@]}"; do
  goos=${t%/*} goarch=${t#*/}
  if GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 go build ./... &&
    GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 go vet ./...; then
    echo "platforms: $t builds and vets"
  else
    echo "platforms: $t FAILED" >&2
    status=1
  fi
done
exit $status
