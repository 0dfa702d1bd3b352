# Sourced by the whole-process benchmark scripts (bench-vault.sh, bench-import.sh): what
# they share, so that their figures come from the same setup.

# bench_session SCRIPT ARGS...: the first time, builds otpair into a new work folder and
# runs SCRIPT again with ARGS inside a private D-Bus session with an unlocked
# gnome-keyring and a fresh HOME (gnome-keyring keeps its files there). Inside the
# session it sets work and bin, and removes the work folder when the script ends.
bench_session() {
  local script=$1
  shift
  if [ -z "${OTPAIR_BENCH_IN_SESSION:-}" ]; then
    local w
    w=$(mktemp -d)
    go build -o "$w/otpair" ./cmd/otpair
    export OTPAIR_BENCH_WORK=$w OTPAIR_BENCH_IN_SESSION=1
    export GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)"
    export HOME="$w/home" XDG_DATA_HOME="$w/home/.local/share" XDG_CONFIG_HOME="$w/home/.config"
    mkdir -p "$HOME"
    exec dbus-run-session -- bash -c 'echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$0" "$@"' "$script" "$@"
  fi
  work=$OTPAIR_BENCH_WORK
  bin=$work/otpair
  trap 'rm -rf "$work"' EXIT
}

# bench_uris FILE: 500 random TOTP URIs (160-bit secrets), a mix of issuers,
# algorithms and digit counts, one a line.
bench_uris() {
  local algs=(SHA1 SHA256 SHA512) i secret
  for i in $(seq 0 499); do
    secret=$(head -c 20 /dev/urandom | base32 | tr -d '=')
    printf 'otpauth://totp/Issuer%d:user%03d@example.com?secret=%s&issuer=Issuer%d&algorithm=%s&digits=%d\n' \
      $((i % 7)) "$i" "$secret" $((i % 7)) "${algs[i % 3]}" $((6 + 2 * (i % 2)))
  done >"$1"
}
