package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/external"
	"github.com/otpair/otpair/provisioning"
)

// acceptanceAt is the fixed time every code of the acceptance test is checked at.
const acceptanceAt = 1795000007

// buildVaultBinary builds the otpair binary (without the race detector, whatever the test
// binary has) so the acceptance run measures and exercises whole processes at their
// real speed.
func buildVaultBinary(t *testing.T) string {
	t.Helper()
	goTool := external.Tool(t, "go", "golang")
	bin := filepath.Join(t.TempDir(), "otpair")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// binRun runs the otpair binary with the real environment (the test's D-Bus session
// and keyring), OTPAIR_HOME=home and no OTPAIR_PASSPHRASE (a keyring vault must not
// need one).
func binRun(t *testing.T, bin, home string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OTPAIR_PASSPHRASE=") && !strings.HasPrefix(kv, "OTPAIR_HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "OTPAIR_HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("otpair %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// oathtoolCode is oathtool's code for k at unix time at.
func oathtoolCode(t *testing.T, tool string, k provisioning.Key, at int64) string {
	t.Helper()
	out, err := exec.Command(tool, "--totp="+string(k.Algorithm), "-d", fmt.Sprint(k.Digits), "-s", fmt.Sprint(k.Period),
		"-N", fmt.Sprintf("@%d", at), "--base32", k.SecretBase32()).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestVaultAcceptanceRealKeyring is issue 3's acceptance run under a real gnome-keyring:
// 500 accounts imported from a text file into one vault and from 50 migration QR
// images into another; list --json shows all 500; every code agrees with oathtool at a
// fixed --at (the pages drawn by qrencode); no file under the data folder holds a secret or the age identity; and
// the keyring holds exactly one item per vault.
func TestVaultAcceptanceRealKeyring(t *testing.T) {
	external.Env(t, "OTPAIR_TEST_KEYRING", "a Secret Service (gnome-keyring under dbus-run-session)")
	oath := external.Tool(t, "oathtool", "oathtool")
	secretTool := external.Tool(t, "secret-tool", "libsecret-tools")
	if testing.Short() {
		t.Skip("500-account acceptance run skipped in -short mode")
	}
	bin := buildVaultBinary(t)
	const n = 500
	algs := []provisioning.Algorithm{provisioning.SHA1, provisioning.SHA256, provisioning.SHA512}
	var textKeys, qrKeys []provisioning.Key
	var text strings.Builder
	for i := range n {
		k := randKey(t, fmt.Sprintf("Issuer%d", i%7), fmt.Sprintf("user%03d@example.com", i), 0)
		k.Algorithm, k.Digits = algs[i%3], []int{6, 8}[i%2]
		q := k
		q.Secret = append([]byte(nil), k.Secret...)
		q.Secret[0] ^= 0xff // a different secret for the QR vault
		if i%5 == 0 {
			k.Period = 60 // export pages cannot hold other periods: text file only
		}
		textKeys, qrKeys = append(textKeys, k), append(qrKeys, q)
		text.WriteString(k.URI() + "\n")
	}
	dir := t.TempDir()
	textFile := filepath.Join(dir, "accounts.txt")
	os.WriteFile(textFile, []byte(text.String()), 0o600)
	pages, err := provisioning.EncodeMigration(qrKeys)
	if err != nil {
		t.Fatal(err)
	}
	// qrencode draws the pages: an encoder independent of otpair's own, and fast where
	// gozxing's encoder under the race detector takes minutes for 50 dense pages.
	qrencode := external.Tool(t, "qrencode", "qrencode")
	var images []string
	for i, p := range pages {
		path := filepath.Join(dir, fmt.Sprintf("page%02d.png", i+1))
		if out, err := exec.Command(qrencode, "-s", "4", "-m", "4", "-o", path, p).CombinedOutput(); err != nil {
			t.Fatalf("qrencode: %v: %s", err, out)
		}
		images = append(images, path)
	}
	if len(images) != 50 {
		t.Fatalf("%d export pages, want 50", len(images))
	}

	for _, c := range []struct {
		name    string
		sources []string
		keys    []provisioning.Key
	}{{"text", []string{textFile}, textKeys}, {"qr", images, qrKeys}} {
		t.Run(c.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			binRun(t, bin, home, append([]string{"import"}, c.sources...)...)
			var meta struct {
				User string `json:"keyring_user"`
			}
			b, _ := os.ReadFile(filepath.Join(home, authenticator.MetaFileName))
			json.Unmarshal(b, &meta)
			t.Cleanup(func() { authenticator.SystemKeyring{}.Delete(context.Background(), "otpair", meta.User) })

			var listed []accountJSON
			if err := json.Unmarshal([]byte(binRun(t, bin, home, "list", "--json")), &listed); err != nil {
				t.Fatal(err)
			}
			if len(listed) != n {
				t.Fatalf("list --json shows %d accounts, want %d", len(listed), n)
			}
			byLabel := map[string]provisioning.Key{}
			for _, k := range c.keys {
				byLabel[k.Label()] = k
			}
			mismatches := 0
			for _, a := range listed {
				k, ok := byLabel[a.Label]
				if !ok {
					t.Fatalf("listed %q was not imported", a.Label)
				}
				var cj codeJSON
				json.Unmarshal([]byte(binRun(t, bin, home, "code", a.ID, "--at", fmt.Sprint(acceptanceAt), "--json")), &cj)
				if want := oathtoolCode(t, oath, k, acceptanceAt); cj.Code != want {
					mismatches++
					if mismatches < 5 {
						t.Errorf("%s: otpair code %s, oathtool %s", a.Label, cj.Code, want)
					}
				}
			}
			if mismatches > 0 {
				t.Errorf("%d of %d codes differ from oathtool", mismatches, n)
			}

			// Exactly one keyring item for this vault.
			out, _ := exec.Command(secretTool, "search", "--all", "service", "otpair", "username", meta.User).CombinedOutput()
			if got := strings.Count(string(out), "attribute.username = "+meta.User); got != 1 {
				t.Errorf("secret-tool finds %d items for the vault, want 1:\n%s", got, out)
			}
			// No secret (raw or base32, any case) or identity in any file of the data folder.
			id, err := authenticator.SystemKeyring{}.Get(context.Background(), "otpair", meta.User)
			if err != nil || !strings.HasPrefix(id, "AGE-SECRET-KEY-") {
				t.Fatalf("keyring item: %v", err)
			}
			files := 0
			filepath.WalkDir(home, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				files++
				b, _ := os.ReadFile(path)
				upper := bytes.ToUpper(b)
				if bytes.Contains(upper, []byte(id)) {
					t.Errorf("%s holds the age identity", path)
				}
				for _, k := range c.keys {
					if bytes.Contains(b, k.Secret) || bytes.Contains(upper, []byte(k.SecretBase32())) {
						t.Errorf("%s holds the secret of %s", path, k.Label())
						break
					}
				}
				return nil
			})
			if files < 2 {
				t.Errorf("only %d files under the data folder", files)
			}
		})
	}
}
