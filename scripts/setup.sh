#!/usr/bin/env bash
# Installs what otpair's tests use from outside Go: the independent oracles (oathtool,
# qrencode, zbarimg), a real Secret Service (gnome-keyring on a private D-Bus), tmux for the
# end-to-end TUI test, PostgreSQL, the npm packages of the Descope SDK compat suite, and
# prlimit and GNU time for the hostile-image runs (a memory cap, peak RSS), and
# bash-completion for the shell completion test.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A need=(
  [oathtool]=oathtool
  [qrencode]=qrencode
  [zbarimg]=zbar-tools
  [gnome-keyring-daemon]=gnome-keyring
  [dbus-run-session]=dbus
  [secret-tool]=libsecret-tools
  [tmux]=tmux
  [groff]=groff
  [age]=age
  [hyperfine]=hyperfine
  [prlimit]=util-linux
  [/usr/bin/time]=time
  [node]=nodejs
  [npm]=npm
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# The functions cobra's bash completion script calls, for the completion test.
if [ ! -f /usr/share/bash-completion/bash_completion ]; then
  missing+=(bash-completion)
fi
# Some machines ship a stand-in `convert` that only prints PNGs; the WebP test needs the
# real ImageMagick.
if ! convert -version 2>/dev/null | grep -q ImageMagick; then
  missing+=(imagemagick)
fi
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The Node half of the Descope compat suite, pinned by its lockfile.
if [ -f compat/node/package-lock.json ]; then
  (cd compat/node && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
