package authenticator

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/provisioning"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func qrPNG(t *testing.T, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := provisioning.WriteQRPNG(&buf, text); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadSources: a URI, a text file with good and bad lines, an image, stdin, and
// sources that are not there each give their keys or an error naming them; bad sources
// never stop good ones, and no error quotes a secret.
func TestReadSources(t *testing.T) {
	dir := t.TempDir()
	k1, k2, k3, k4 := testKey(t, "A", "one"), testKey(t, "B", "two"), testKey(t, "C", "three"), testKey(t, "D", "four")
	text := "# exported\n" + uriOf(k2) + "\n\nJBSWY3DPEHPK3PXP\notpauth://totp/X:y?secret=&issuer=X\n" + uriOf(k3) + "\r\n"
	txt := writeFile(t, dir, "list.txt", []byte(text))
	img := writeFile(t, dir, "code.png", qrPNG(t, uriOf(k4)))
	junk := writeFile(t, dir, "junk.bin", []byte{0x89, 0x00, 0xff, 0x13, 0x37})
	empty := writeFile(t, dir, "empty.txt", []byte("# nothing here\n\n"))
	wifi := writeFile(t, dir, "wifi.png", qrPNG(t, "WIFI:S:home;T:WPA;P:hunter2;;"))
	badURI := "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&algorithm=MD5"
	sources := []string{uriOf(k1), txt, img, junk, empty, wifi, "-", filepath.Join(dir, "missing.png"), dir, badURI}
	keys, failed := ReadSources(context.Background(), sources, strings.NewReader(uriOf(k1)+"\n"))

	var got []string
	for _, k := range keys {
		got = append(got, k.Key.Label()+" <- "+filepath.Base(k.Source))
	}
	want := []string{"A: one <- " + filepath.Base(redactURI(uriOf(k1))), "B: two <- list.txt:2", "C: three <- list.txt:6",
		"D: four <- code.png", "A: one <- stdin:1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("keys:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var msgs []string
	for _, f := range failed {
		msgs = append(msgs, f.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, frag := range []string{"list.txt:4: not an otpauth", "list.txt:5: ", "junk.bin: not a backup file otpair reads, nor a list of otpauth URIs or an image: it is binary data (5 bytes)",
		"empty.txt: not a backup file otpair reads, nor a list of otpauth URIs or an image: it is text with nothing but blank lines",
		"wifi.png: the QR code holds something other", "missing.png: no such file", "a directory", "algorithm"} {
		if !strings.Contains(all, frag) {
			t.Errorf("failures lack %q:\n%s", frag, all)
		}
	}
	if len(failed) != 8 {
		t.Errorf("%d failures, want 8:\n%s", len(failed), all)
	}
	for _, secret := range []string{"JBSWY3DPEHPK3PXP", "hunter2", k1.SecretBase32()} {
		if strings.Contains(all, secret) {
			t.Errorf("a failure message quotes a secret %q:\n%s", secret, all)
		}
	}
}

// TestImport: keys from every source land in one write; duplicates and failures are
// reported beside the added accounts.
func TestImport(t *testing.T) {
	dir := t.TempDir()
	v := mustOpen(t, memOpts(filepath.Join(dir, "home"), &MemKeyring{}, ""))
	k1, k2 := testKey(t, "A", "one"), testKey(t, "B", "two")
	txt := writeFile(t, dir, "l.txt", []byte(uriOf(k1)+"\n"+uriOf(k2)+"\nnonsense\n"))
	res, err := v.Import(context.Background(), []string{txt, uriOf(k1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 2 || len(res.Duplicates) != 1 || len(res.Failed) != 1 {
		t.Fatalf("Import = %d added, %d duplicates, %d failed", len(res.Added), len(res.Duplicates), len(res.Failed))
	}
	if res.Duplicates[0].Account.ID != res.Added[0].Account.ID {
		t.Error("the duplicate does not name the account it duplicates")
	}
	var se *SourceError
	if err := res.Err(); !errors.As(err, &se) || se.Source != txt+":3" {
		t.Errorf("Err() = %v", err)
	}
	// Only failures: nothing is written and no vault is created.
	v2 := mustOpen(t, memOpts(filepath.Join(dir, "home2"), &MemKeyring{}, ""))
	res, err = v2.Import(context.Background(), []string{"otpauth://totp/x?secret=!!"}, nil)
	if err != nil || len(res.Failed) != 1 || len(res.Added) != 0 {
		t.Fatalf("Import(bad) = %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "home2", VaultFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a vault was created by an import that added nothing: %v", err)
	}
}

// FuzzReadBlob: whatever a file holds, reading it as an import source never panics, and
// every key it gives is valid.
func FuzzReadBlob(f *testing.F) {
	f.Add([]byte("otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A\n"))
	f.Add([]byte("# comment\n\notpauth://hotp/x?secret=GEZDGNBV&counter=3\nnot a uri\n"))
	f.Add([]byte("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC"))
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r reader
		keys, _ := r.readBlob(t.Context(), "fuzz", data)
		for _, k := range keys {
			if err := k.Key.Validate(); err != nil {
				t.Errorf("readBlob gave an invalid key: %v", err)
			}
		}
	})
}

// FuzzUnmarshalAccounts: vault plaintext that does not parse is an error, never a panic,
// and what parses writes back to the same accounts.
func FuzzUnmarshalAccounts(f *testing.F) {
	f.Add([]byte(`{"format":"otpair-vault","version":1,"accounts":[]}`))
	f.Add([]byte(`{"format":"otpair-vault","version":1,"accounts":[{"id":"a","type":"totp","account":"x","secret":"JBSWY3DPEHPK3PXP","algorithm":"SHA1","digits":6,"period":30,"created":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"format":"otpair-vault","version":2}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		accounts, err := unmarshalAccounts(data)
		if err != nil {
			return
		}
		b, err := marshalAccounts(accounts)
		if err != nil {
			t.Fatal(err)
		}
		again, err := unmarshalAccounts(b)
		if err != nil || len(again) != len(accounts) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range again {
			if !again[i].Key.Equal(accounts[i].Key) {
				t.Errorf("account %d changed in a round trip", i)
			}
		}
	})
}
