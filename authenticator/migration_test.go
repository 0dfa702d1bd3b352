package authenticator

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"testing"

	"github.com/otpair/otpair/provisioning"
)

// twoQRPNG draws two QR codes side by side in one PNG.
func twoQRPNG(t *testing.T, a, b string) []byte {
	t.Helper()
	ia, err := provisioning.EncodeQR(a)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := provisioning.EncodeQR(b)
	if err != nil {
		t.Fatal(err)
	}
	wa, wb := ia.Bounds().Dx(), ib.Bounds().Dx()
	h := max(ia.Bounds().Dy(), ib.Bounds().Dy())
	img := image.NewGray(image.Rect(0, 0, wa+wb+40, h+40))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.White}, image.Point{}, draw.Src)
	draw.Draw(img, ia.Bounds().Add(image.Pt(10, 20)), ia, ia.Bounds().Min, draw.Src)
	draw.Draw(img, ib.Bounds().Add(image.Pt(wa+30, 20)), ib, ib.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportMigrationPages: a 25-account export in 3 pages, given as an image holding
// two pages and a URI for the third, imports all 25; leaving a page out imports the
// rest and names the missing page.
func TestImportMigrationPages(t *testing.T) {
	var keys []provisioning.Key
	for i := range 25 {
		keys = append(keys, testKey(t, "Batch", "user"+string(rune('a'+i))))
	}
	pages, err := provisioning.EncodeMigration(keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	dir := t.TempDir()
	img := writeFile(t, dir, "two-pages.png", twoQRPNG(t, pages[0], pages[1]))

	v := mustOpen(t, memOpts(t.TempDir(), &MemKeyring{}, ""))
	res, err := v.Import(context.Background(), []string{img, pages[2]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 25 || len(res.Failed) != 0 {
		t.Fatalf("Import = %d added, failures %v", len(res.Added), res.Err())
	}
	stored := mustAccounts(t, v)
	for i, k := range keys {
		found := false
		for _, a := range stored {
			found = found || sameKey(a.Key, k)
		}
		if !found {
			t.Errorf("key %d (%s) not imported", i, k.Label())
		}
	}

	v2 := mustOpen(t, memOpts(t.TempDir(), &MemKeyring{}, ""))
	res, err = v2.Import(context.Background(), []string{pages[0], pages[2]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 15 || len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Error(), "page 2 was not among the sources") {
		t.Errorf("Import without page 2 = %d added, failures: %v", len(res.Added), res.Err())
	}
	if strings.Contains(res.Failed[0].Source, "data=") && !strings.Contains(res.Failed[0].Source, "REDACTED") {
		t.Errorf("the failure names the page with its data: %s", res.Failed[0].Source)
	}
}
