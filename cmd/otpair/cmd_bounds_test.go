package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otpair/otpair/authenticator"
	"github.com/otpair/otpair/internal/hostile"
)

// TestDecodeAndImportStopWhenCancelled: decode and import hand their context to the
// QR decoder, so a stop that arrives while an image is being decoded ends the decode
// there: decode says it stopped, import stores nothing. Before, the decode ran to the
// end whatever the context said (a hostile image took minutes).
func TestDecodeAndImportStopWhenCancelled(t *testing.T) {
	useMemKeyring(t)
	img := writeQRFile(t, t.TempDir(), "code.png", decodeURI1)
	const stopAt = 50 // the checks before the decode starts are a handful

	probe := hostile.NewCancelAfter(1 << 62)
	if code, out, errOut := vrunCtx(t, probe, t.TempDir(), "", nil, "decode", img); code != 0 || out != decodeURI1+"\n" {
		t.Fatalf("decode = %d, %q, %q", code, out, errOut)
	}
	if probe.Calls() < 2*stopAt {
		t.Fatalf("decode checked its context %d times; want many more than %d", probe.Calls(), stopAt)
	}
	code, out, errOut := vrunCtx(t, hostile.NewCancelAfter(stopAt), t.TempDir(), "", nil, "decode", img)
	if code != 1 || out != "" || !strings.Contains(errOut, "stopped while decoding") || !strings.Contains(errOut, "context canceled") {
		t.Errorf("decode stopped mid-image = %d, %q, %q; want exit 1 saying it stopped", code, out, errOut)
	}

	home := t.TempDir()
	code, out, errOut = vrunCtx(t, hostile.NewCancelAfter(stopAt), home, "", nil, "import", img)
	if code != 1 || !strings.Contains(errOut, "nothing was stored: import stopped: context canceled") {
		t.Errorf("import stopped mid-image = %d, %q, %q; want exit 1 and nothing stored", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, authenticator.VaultFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a stopped import wrote a vault: %v", err)
	}
	// Uncancelled, the same import stores the account.
	if code, _, errOut := vrun(t, home, "", nil, "import", img); code != 0 {
		t.Errorf("import = %d, %q", code, errOut)
	}
}
