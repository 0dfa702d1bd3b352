//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpair/otpair/internal/external"
)

// The unlock tests run otpair as child processes started from a test thread that has
// joined a fresh anonymous session keyring (external.SessionKeyring): the children
// share that keyring, as the commands of one login do, and the developer's own keys are
// never touched. Each child's OTPAIR_PASSPHRASE is set empty where the test shows that
// no passphrase was needed: with no variable and no terminal, a command that had to run
// scrypt would fail asking for one.

// unlockRun runs one otpair command as a child with vars, returning the exit status and
// both streams.
func unlockRun(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	cmd := helperCmd(t, "run", vars, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("otpair %v: %v", args, err)
	}
	return code, out.String(), errOut.String()
}

// without is vars with OTPAIR_PASSPHRASE emptied: no passphrase source at all.
func without(vars map[string]string) map[string]string {
	v := maps.Clone(vars)
	v[envPassphrase] = ""
	return v
}

// otpairKeys are the kernel's lines in /proc/keys for otpair's vault keys in this
// thread's session keyring (see external.SessionKeys for the fields).
func otpairKeys(t *testing.T) [][]string {
	t.Helper()
	var keys [][]string
	for _, k := range external.SessionKeys(t) {
		if strings.HasPrefix(k[8], "otpair:vault:") {
			keys = append(keys, k)
		}
	}
	return keys
}

// unlockedUntilJSON is vault info's unlocked_until ("" when not unlocked).
func unlockedUntilJSON(t *testing.T, vars map[string]string) string {
	t.Helper()
	code, out, errOut := unlockRun(t, vars, "vault", "info", "--json")
	var info vaultInfoJSON
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("vault info --json (exit %d): %v\n%s%s", code, err, out, errOut)
	}
	return info.UnlockedUntil
}

func TestUnlockWholeProcess(t *testing.T) {
	external.SessionKeyring(t)
	home := t.TempDir()
	vars := noKeyringVars(home)
	k := randKey(t, "Unlock", "me", 0)
	if code, _, errOut := unlockRun(t, vars, "import", k.URI()); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, errOut)
	}
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	want, err := k.Code(at)
	if err != nil {
		t.Fatal(err)
	}
	codeArgs := []string{"code", "Unlock", "--at", at.Format(time.RFC3339)}
	if code, _, errOut := unlockRun(t, without(vars), codeArgs...); code != 1 || !strings.Contains(errOut, "passphrase") {
		t.Fatalf("code without a passphrase before unlock: exit %d\n%s", code, errOut)
	}

	// A wrong passphrase: the usual message, exit 1, nothing cached.
	wrong := maps.Clone(vars)
	wrong[envPassphrase] = "not the passphrase"
	if code, _, errOut := unlockRun(t, wrong, "unlock"); code != 1 || !strings.Contains(errOut, "wrong passphrase") {
		t.Errorf("unlock with a wrong passphrase: exit %d\n%s", code, errOut)
	}
	if keys := otpairKeys(t); len(keys) != 0 {
		t.Errorf("a failed unlock left keys in the kernel: %v", keys)
	}

	// Bad --for values are usage errors.
	for _, d := range []string{"0", "-1m", "25h", "soon"} {
		if code, _, errOut := unlockRun(t, vars, "unlock", "--for", d); code != 2 {
			t.Errorf("unlock --for %s: exit %d, want 2\n%s", d, code, errOut)
		}
	}

	code, out, errOut := unlockRun(t, vars, "unlock", "--for", "15m")
	if code != 0 || !strings.Contains(out, "unlocked vault "+filepath.Join(home, "vault.age")) {
		t.Fatalf("unlock: exit %d\n%s%s", code, out, errOut)
	}
	// The kernel holds one user key for it, with the 15-minute timeout, that only its
	// possessors can read.
	keys := otpairKeys(t)
	if len(keys) != 1 {
		t.Fatalf("%d otpair keys in the kernel after unlock, want 1: %v", len(keys), keys)
	}
	if k := keys[0]; k[7] != "user" || k[4] != "3f000000" || (k[3] != "15m" && k[3] != "14m") {
		t.Errorf("the kernel's key: type %s, perm %s, timeout %s; want user, 3f000000, 15m", k[7], k[4], k[3])
	}
	code, out, errOut = unlockRun(t, without(vars), codeArgs...)
	if code != 0 || out != want+"\n" {
		t.Fatalf("code after unlock, with no passphrase: exit %d, %q (want %q)\n%s", code, out, want, errOut)
	}
	until := unlockedUntilJSON(t, without(vars))
	if u, err := time.Parse(time.RFC3339, until); err != nil || time.Until(u) <= 14*time.Minute || time.Until(u) > 15*time.Minute {
		t.Errorf("vault info's unlocked_until %q, want about 15 minutes from now", until)
	}
	if code, out, _ := unlockRun(t, without(vars), "vault", "info"); code != 0 || !strings.Contains(out, "unlocked:   until ") {
		t.Errorf("vault info (exit %d) does not say until when it is unlocked:\n%s", code, out)
	}

	// Another vault of the same user and session does not get the key.
	other := t.TempDir()
	otherVars := noKeyringVars(other)
	if code, _, errOut := unlockRun(t, otherVars, "import", randKey(t, "Other", "vault", 0).URI()); code != 0 {
		t.Fatalf("import into the other vault: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := unlockRun(t, without(otherVars), "code", "Other"); code != 1 || !strings.Contains(errOut, "passphrase") {
		t.Errorf("the other vault opened without its passphrase: exit %d\n%s", code, errOut)
	}

	// lock forgets it at once; a second lock says there was nothing.
	if code, out, errOut := unlockRun(t, without(vars), "lock"); code != 0 || !strings.Contains(out, "locked vault") {
		t.Errorf("lock: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := unlockRun(t, without(vars), codeArgs...); code != 1 || !strings.Contains(errOut, "passphrase") {
		t.Errorf("code after lock, with no passphrase: exit %d\n%s", code, errOut)
	}
	if keys := otpairKeys(t); len(keys) != 0 {
		t.Errorf("keys left in the kernel after lock: %v", keys)
	}
	if code, out, _ := unlockRun(t, without(vars), "lock"); code != 0 || !strings.Contains(out, "was not unlocked") {
		t.Errorf("a second lock: exit %d\n%s", code, out)
	}

	// A rekey drops the key: the next command needs the new passphrase.
	if code, _, errOut := unlockRun(t, vars, "unlock"); code != 0 {
		t.Fatalf("unlock again: exit %d\n%s", code, errOut)
	}
	rekey := without(vars)
	rekey[envNewPassphrase] = "a new passphrase"
	if code, _, errOut := unlockRun(t, rekey, "vault", "rekey", "--passphrase"); code != 0 {
		t.Fatalf("rekey of an unlocked vault: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := unlockRun(t, without(vars), codeArgs...); code != 1 || !strings.Contains(errOut, "passphrase") {
		t.Errorf("code after a rekey, with no passphrase: exit %d\n%s", code, errOut)
	}
	if keys := otpairKeys(t); len(keys) != 0 {
		t.Errorf("keys left in the kernel after a rekey: %v", keys)
	}
}

// TestUnlockExpires: the kernel forgets the key when --for is up. The test polls the
// kernel's state through vault info; no fixed sleep decides the outcome.
func TestUnlockExpires(t *testing.T) {
	external.SessionKeyring(t)
	home := t.TempDir()
	vars := noKeyringVars(home)
	if code, _, errOut := unlockRun(t, vars, "import", randKey(t, "Brief", "unlock", 0).URI()); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := unlockRun(t, vars, "unlock", "--for", "1s"); code != 0 {
		t.Fatalf("unlock --for 1s: exit %d\n%s", code, errOut)
	}
	if keys := otpairKeys(t); len(keys) != 1 || (keys[0][3] != "1s" && keys[0][3] != "0s" && keys[0][3] != "expd") {
		t.Errorf("the kernel's key after unlock --for 1s: %v, want a 1s timeout", keys)
	}
	deadline := time.Now().Add(15 * time.Second)
	for unlockedUntilJSON(t, without(vars)) != "" {
		if time.Now().After(deadline) {
			t.Fatal("vault info still says unlocked 15 s after unlock --for 1s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, _, errOut := unlockRun(t, without(vars), "code", "Brief"); code != 1 || !strings.Contains(errOut, "passphrase") {
		t.Errorf("code after the unlock expired, with no passphrase: exit %d\n%s", code, errOut)
	}
}

// TestUnlockKeyringVault: a keyring vault has nothing to unlock, and unlock says so
// without asking for anything.
func TestUnlockKeyringVault(t *testing.T) {
	useMemKeyring(t)
	home := t.TempDir()
	mustRun(t, home, "", nil, "import", randKey(t, "Keyring", "vault", 0).URI())
	code, _, errOut := vrun(t, home, "", nil, "unlock")
	if code != 1 || !strings.Contains(errOut, "nothing to unlock") || !strings.Contains(errOut, "OS keyring") {
		t.Errorf("unlock of a keyring vault: exit %d\n%s", code, errOut)
	}
	code, _, errOut = vrun(t, t.TempDir(), "", nil, "unlock")
	if code != 1 || !strings.Contains(errOut, "no vault yet") {
		t.Errorf("unlock with no vault: exit %d\n%s", code, errOut)
	}
}
