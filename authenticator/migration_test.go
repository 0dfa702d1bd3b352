package authenticator

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/hostile"
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
	if len(res.Added) != 15 || len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Error(), "page 2 of 3 missing from this export") {
		t.Errorf("Import without page 2 = %d added, failures: %v", len(res.Added), res.Err())
	}
	if strings.Contains(res.Failed[0].Source, "data=") && !strings.Contains(res.Failed[0].Source, "REDACTED") {
		t.Errorf("the failure names the page with its data: %s", res.Failed[0].Source)
	}
}

// hostileMigration is issue 11's 91-character export page: one account and a batch of
// 2^31-1 pages. Importing it listed every missing page and ran out of memory.
const hostileMigration = "otpauth-migration://offline?data=ChoKCgEBAQEBAQEBAQESA2E6YhoBYSABKAEwAhABGP////8HIAAouWA%3D"

// TestImportHostileBatch: the page is refused at once, naming the batch size and the
// limit, at a cost of kilobytes, and adds nothing. Before the limit the import built a
// list of 2^31-1 missing pages (the allocation cap stops it within a second).
func TestImportHostileBatch(t *testing.T) {
	var keys []SourceKey
	var failed []SourceError
	n := hostile.AllocCap(t, 256<<20, func() {
		keys, failed = ReadSources(t.Context(), []string{hostileMigration}, nil)
	})
	if n > 1<<20 {
		t.Errorf("reading the page allocated %d KB", n>>10)
	}
	if len(keys) != 0 || len(failed) != 1 || !errors.Is(failed[0].Err, provisioning.ErrInvalidMigration) ||
		!strings.Contains(failed[0].Error(), "2147483647 pages, more than the 1000") {
		t.Fatalf("ReadSources = %d keys, failures %v; want none and one naming the batch size", len(keys), failed)
	}
}

// TestMissingPagesBounded: the missing pages of an export are named as ranges, in a
// message whose length does not grow with the batch (it listed every page number).
func TestMissingPagesBounded(t *testing.T) {
	var b batches
	for _, i := range []int{0, 500, 998} {
		b.see(provisioning.Migration{BatchSize: 1000, BatchIndex: i, BatchID: 7})
	}
	b.byID[7].first = "export.png"
	for i := range 6 {
		b.see(provisioning.Migration{BatchSize: 12, BatchIndex: []int{0, 1, 7, 9, 10, 11}[i], BatchID: 9})
	}
	b.byID[9].first = "two.png"
	got := b.missing()
	if len(got) != 2 {
		t.Fatalf("missing = %v, want two exports", got)
	}
	for i, want := range []string{
		"export.png: pages 2-500, 502-998, 1000 of 1000 missing from this export: import those pages too",
		"two.png: pages 3-7, 9 of 12 missing from this export",
	} {
		if msg := got[i].Error(); !strings.HasPrefix(msg, want) || len(msg) > 200 {
			t.Errorf("missing[%d] = %q (%d bytes), want it to start %q", i, msg, len(msg), want)
		}
	}
}
