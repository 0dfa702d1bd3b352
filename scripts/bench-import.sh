#!/usr/bin/env bash
# Whole-process benchmark of importing backups (issue 12), in one hyperfine run: the same
# 500 accounts as an encrypted Aegis backup (scrypt N=2^15), an encrypted 2FAS backup
# (PBKDF2-SHA256, 10,000 iterations), a plain Aegis backup, and a text file of otpauth
# URIs, each imported into a new keyring vault under a real gnome-keyring in a private
# D-Bus session. Target: the KDF dominates the encrypted imports, and everything else
# (the plain Aegis import, the URI list) stays within 100 ms.
# Needs hyperfine, gnome-keyring, dbus-run-session (scripts/setup.sh installs them) and
# python3 with the cryptography module (Debian: python3-cryptography) to write the 2FAS
# file, which otpair only reads.
#
#   scripts/bench-import.sh [hyperfine options, e.g. --runs 30]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/bench-session.sh
python3 -c 'import cryptography' 2>/dev/null || { echo "bench-import: python3's cryptography module is missing (apt-get install python3-cryptography)" >&2; exit 1; }
bench_session "$0" "$@"
unset OTPAIR_PASSPHRASE OTPAIR_IMPORT_PASSWORD

uris=$work/uris.txt
bench_uris "$uris"

# The Aegis backups, written by otpair itself from a vault holding the 500.
printf 'bench-password\n' >"$work/password"
OTPAIR_HOME=$work/src "$bin" import "$uris" >/dev/null
OTPAIR_HOME=$work/src "$bin" export --format aegis --password-file "$work/password" >"$work/aegis-encrypted.json"
OTPAIR_HOME=$work/src "$bin" export --format aegis >"$work/aegis-plain.json" 2>/dev/null

# The 2FAS backup, as 2FAS writes it: servicesEncrypted = ciphertext:salt:iv (base64),
# PBKDF2-HMAC-SHA256 (10,000 iterations) and AES-256-GCM, and a reference under the
# same key.
python3 - "$uris" "$work/2fas-encrypted.2fas" <<'PY'
import base64, json, os, sys, urllib.parse, hashlib
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
services = []
for line in open(sys.argv[1]):
    u = urllib.parse.urlparse(line.strip())
    q = dict(urllib.parse.parse_qsl(u.query))
    account = urllib.parse.unquote(u.path.lstrip("/")).split(":", 1)[1]
    services.append({"name": q["issuer"], "secret": q["secret"], "otp": {"account": account, "issuer": q["issuer"],
        "digits": int(q["digits"]), "period": 30, "algorithm": q["algorithm"], "tokenType": "TOTP"}})
salt = os.urandom(256)
key = hashlib.pbkdf2_hmac("sha256", b"bench-password", salt, 10000, 32)
def seal(plain):
    iv = os.urandom(12)
    return ":".join(base64.b64encode(x).decode() for x in (AESGCM(key).encrypt(iv, plain, None), salt, iv))
json.dump({"services": [], "groups": [], "schemaVersion": 4, "appOrigin": "android",
           "servicesEncrypted": seal(json.dumps(services).encode()), "reference": seal(b"reference")}, open(sys.argv[2], "w"))
PY

# Every run imports into a new vault (it creates vault.json, the keyring item and the file).
export OTPAIR_IMPORT_PASSWORD=bench-password
hyperfine --warmup 1 --export-json "$work/import.json" "$@" \
  --prepare "rm -rf $work/imp" \
  -n 'otpair import: encrypted Aegis backup, 500 accounts' "OTPAIR_HOME=$work/imp $bin import $work/aegis-encrypted.json" \
  -n 'otpair import: encrypted 2FAS backup, 500 accounts' "OTPAIR_HOME=$work/imp $bin import $work/2fas-encrypted.2fas" \
  -n 'otpair import: plain Aegis backup, 500 accounts' "OTPAIR_HOME=$work/imp $bin import $work/aegis-plain.json" \
  -n 'otpair import: 500 otpauth URIs, one file' "OTPAIR_HOME=$work/imp $bin import $uris"
echo
python3 - "$work"/import.json <<'PY'
import json, sys
print("| command | median | mean ± σ | min | max | runs |")
print("|---|---:|---:|---:|---:|---:|")
for r in json.load(open(sys.argv[1]))["results"]:
    ms = lambda x: f"{x * 1000:.1f} ms"
    print(f"| `{r['command']}` | **{ms(r['median'])}** | {ms(r['mean'])} ± {ms(r['stddev'])} | {ms(r['min'])} | {ms(r['max'])} | {len(r['times'])} |")
PY
