//go:build unix

package keyfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadRefusesOpenModes: a key file is read only when its group and others have no
// access at all; the error names the file, its mode and the chmod that fixes it.
func TestReadRefusesOpenModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seed.key")
	if err := os.WriteFile(path, []byte("secret key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []fs.FileMode{0o600, 0o400, 0o700} {
		os.Chmod(path, mode)
		if b, err := Read(path, 64); err != nil || string(b) != "secret key\n" {
			t.Errorf("mode %04o: %q %v", mode, b, err)
		}
	}
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666} {
		os.Chmod(path, mode)
		b, err := Read(path, 64)
		if !errors.Is(err, ErrExposed) || b != nil {
			t.Fatalf("mode %04o: %q %v, want ErrExposed", mode, b, err)
		}
		for _, want := range []string{"chmod 600 " + path, path, fmt.Sprintf("mode %04o", mode)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("mode %04o: %q lacks %q", mode, err, want)
			}
		}
		if strings.Contains(err.Error(), "secret key") {
			t.Errorf("the error holds the key: %v", err)
		}
	}
	// A symlink is judged by the file it leads to.
	os.Chmod(path, 0o644)
	link := filepath.Join(dir, "link.key")
	os.Symlink(path, link)
	if _, err := Read(link, 64); !errors.Is(err, ErrExposed) {
		t.Errorf("a symlink to a 0644 key: %v", err)
	}
	os.Chmod(path, 0o600)
	if _, err := Read(link, 64); err != nil {
		t.Errorf("a symlink to a 0600 key: %v", err)
	}
	if _, err := Read(filepath.Join(dir, "none"), 64); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing key file: %v", err)
	}
	if _, err := Read(dir, 64); err == nil {
		t.Error("a directory was read as a key file")
	}
	if _, err := Read(path, 4); err == nil {
		t.Error("an oversized key file was read")
	}
}
