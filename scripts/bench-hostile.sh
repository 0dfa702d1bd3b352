#!/usr/bin/env bash
# Whole-process figures for issue 11's target: any image otpair accepts decodes, or
# gives up, within 3 s and 512 MB of peak RSS. Times `otpair decode` (hyperfine) and
# reads its peak RSS and CPU time (GNU time) on the hostile images and on the largest, costliest
# images otpair accepts, which TestWriteHostileImages writes (provisioning). Run it on
# an idle machine; docs/benchmarks.md records the figures. Needs hyperfine and GNU time
# (/usr/bin/time).
#
#   scripts/bench-hostile.sh [hyperfine options, e.g. --runs 20]
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-hostile: $tool is missing (apt-get install hyperfine time)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/otpair" ./cmd/otpair
OTPAIR_HOSTILE_OUT=$work go test -count 1 -run '^TestWriteHostileImages$' ./provisioning >/dev/null

images=(finder-grid.png refused-rgb16-10000.png black-grey-50mp.png black-rgb16-4000.png
  noise-grey-50mp.png noise-rgb16-4000.png noise-50mp.jpg)
echo "| image | file | peak RSS | CPU (user+sys) |"
echo "|---|---:|---:|---:|"
for img in "${images[@]}"; do
  # Exit status 1 is the answer here ("no QR code found", "image too large").
  /usr/bin/time -f '%M %U %S' -o "$work/usage" "$work/otpair" decode "$work/$img" >/dev/null 2>&1 || true
  read -r rss user sys < <(tail -n 1 "$work/usage")
  printf '| %s | %s KB | %s MB | %s s |\n' "$img" "$(( $(stat -c %s "$work/$img") / 1024 ))" "$(( rss / 1024 ))" \
    "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
done
echo
cmds=()
for img in "${images[@]}"; do cmds+=("$work/otpair decode $work/$img"); done
hyperfine -N -i -w 1 "$@" --export-markdown "$work/times.md" "${cmds[@]}" >&2
sed "s|$work/||g" "$work/times.md"
