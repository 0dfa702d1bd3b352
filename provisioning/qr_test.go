package provisioning

import (
	"encoding/base64"
	"fmt"
	"image"
	"math/rand/v2"
	"net/url"
	"slices"
	"testing"
)

// checkDecode decodes data with DecodeQRBytes, requires want (in order), and checks
// that zbarimg, run on the same file, agrees wherever it finds anything. It returns
// whether zbarimg found the codes, for tests that say where zbarimg fails.
func checkDecode(t *testing.T, name string, data []byte, want ...string) (zbarOK bool) {
	t.Helper()
	got, err := DecodeQRBytes(t.Context(), data)
	if err != nil {
		t.Errorf("%s: DecodeQRBytes: %v", name, err)
	} else if !slices.Equal(got, want) {
		t.Errorf("%s: DecodeQRBytes = %q, want %q", name, got, want)
	}
	zb, ok := zbarimg(t, writeTemp(t, name, data))
	if !ok {
		t.Logf("%s: zbarimg found nothing", name)
	}
	if ok {
		if !sameSet(zb, got) {
			t.Errorf("%s: zbarimg found %q, DecodeQR %q", name, zb, got)
		}
		if !sameSet(zb, want) {
			t.Errorf("%s: zbarimg found %q, the image holds %q", name, zb, want)
		}
	}
	return ok
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestDecodeQRModuleSizes: qrencode's codes at 1 to 10 pixels per module, as PNG and
// as JPEG, decode to the URI, as zbarimg reads them.
func TestDecodeQRModuleSizes(t *testing.T) {
	for size := 1; size <= 10; size++ {
		img := qrencodeImage(t, qrURI1, size)
		checkDecode(t, fmt.Sprintf("s%d.png", size), encodePNG(t, img), qrURI1)
		checkDecode(t, fmt.Sprintf("s%d.jpg", size), encodeJPEG(t, img, 90), qrURI1)
	}
}

// TestDecodeQRRotated: right angles and arbitrary ones (the detector works from the
// finder patterns, so any angle should do).
func TestDecodeQRRotated(t *testing.T) {
	code := qrencodeImage(t, qrURI1, 4)
	for _, deg := range []float64{90, 180, 270, 15, 30, 45, 137} {
		img := rotateGray(code, deg, 0xff)
		checkDecode(t, fmt.Sprintf("rot%g.png", deg), encodePNG(t, img), qrURI1)
		checkDecode(t, fmt.Sprintf("rot%g.jpg", deg), encodeJPEG(t, img, 85), qrURI1)
	}
}

// TestDecodeQRInverted: light modules on a dark background (dark-mode screenshots). zbarimg
// misses these without its test-inverted option; DecodeQR must read them.
func TestDecodeQRInverted(t *testing.T) {
	code := qrencodeImage(t, qrURI1, 4)
	zbarMissed := 0
	for _, c := range []struct {
		name string
		img  *image.Gray
	}{
		{"inv.png", invertGray(code)},
		{"inv_rot30.png", invertGray(rotateGray(code, 30, 0xff))},
		{"inv_s1.png", invertGray(qrencodeImage(t, qrURI1, 1))},
	} {
		if !checkDecode(t, c.name, encodePNG(t, c.img), qrURI1) {
			zbarMissed++
		}
		jpg := c.name[:len(c.name)-4] + ".jpg"
		if !checkDecode(t, jpg, encodeJPEG(t, c.img, 90), qrURI1) {
			zbarMissed++
		}
	}
	t.Logf("zbarimg missed %d of 6 inverted images that DecodeQR read", zbarMissed)
}

// TestDecodeQRTwoCodes: every code in the image, in reading order.
func TestDecodeQRTwoCodes(t *testing.T) {
	a, b := qrencodeImage(t, qrURI1, 4), qrencodeImage(t, qrURI2, 5)
	pair := sideBySide(a, b)
	checkDecode(t, "pair.png", encodePNG(t, pair), qrURI1, qrURI2)
	checkDecode(t, "pair.jpg", encodeJPEG(t, pair, 85), qrURI1, qrURI2)
	swapped := sideBySide(b, a)
	checkDecode(t, "swapped.png", encodePNG(t, swapped), qrURI2, qrURI1)
	// Turned a quarter clockwise (270° counter-clockwise), a is above b.
	checkDecode(t, "stacked.png", encodePNG(t, rotateGray(pair, 270, 0xff)), qrURI1, qrURI2)
	checkDecode(t, "stacked_up.png", encodePNG(t, rotateGray(pair, 90, 0xff)), qrURI2, qrURI1)
	checkDecode(t, "pair_rot15.jpg", encodeJPEG(t, rotateGray(pair, 15, 0xff), 85), qrURI1, qrURI2)
	three := sideBySide(a, b, qrencodeImage(t, "not an otpauth uri", 6))
	checkDecode(t, "three.png", encodePNG(t, three), qrURI1, qrURI2, "not an otpauth uri")
}

// TestDecodeQRSameCodeTwice: one text shown twice is reported once.
func TestDecodeQRSameCodeTwice(t *testing.T) {
	a := qrencodeImage(t, qrURI1, 4)
	got, err := DecodeQR(t.Context(), sideBySide(a, a))
	if err != nil || !slices.Equal(got, []string{qrURI1}) {
		t.Fatalf("DecodeQR(twice the same code) = %q, %v; want it once", got, err)
	}
}

// TestDecodeQROrderIsDeterministic: the same image gives the same order every time,
// though attempts collect results through a map.
func TestDecodeQROrderIsDeterministic(t *testing.T) {
	img := sideBySide(qrencodeImage(t, qrURI1, 3), qrencodeImage(t, qrURI2, 3), qrencodeImage(t, "third", 3))
	first, err := DecodeQR(t.Context(), img)
	if err != nil || len(first) != 3 {
		t.Fatalf("DecodeQR = %q, %v; want three codes", first, err)
	}
	for range 10 {
		if got, _ := DecodeQR(t.Context(), img); !slices.Equal(got, first) {
			t.Fatalf("DecodeQR order changed: %q then %q", first, got)
		}
	}
}

// TestDecodeQRPhoto: 4000x3000 phone-photo-like JPEGs (perspective, lighting gradient,
// blur, grain, colour cast): a typical one, a small code, an inverted screen, heavy
// noise, and two codes in one photo. Each takes a second or more to render and encode,
// so they run in parallel.
func TestDecodeQRPhoto(t *testing.T) {
	code := qrencodeImage(t, qrURI1, 8)
	pair := sideBySide(code, qrencodeImage(t, qrURI2, 10))
	small, inverted, heavy, two := realPhoto, realPhoto, realPhoto, realPhoto
	small.codeFraction, small.angle, small.seed = 0.12, -7, 2
	inverted.invert, inverted.seed = true, 3
	heavy.noiseBefore, heavy.noiseAfter, heavy.blurRadius, heavy.seed = 0, 18, 3, 4
	two.codeFraction, two.seed = 0.3, 5
	for _, c := range []struct {
		name string
		code *image.Gray
		opts photoOptions
		want []string
	}{
		{"photo.jpg", code, realPhoto, []string{qrURI1}},
		{"photo_small.jpg", code, small, []string{qrURI1}},
		{"photo_inverted.jpg", code, inverted, []string{qrURI1}},
		{"photo_heavy.jpg", code, heavy, []string{qrURI1}},
		{"photo_two.jpg", pair, two, []string{qrURI1, qrURI2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			checkDecode(t, c.name, encodeJPEG(t, photoLike(c.code, c.opts), 85), c.want...)
		})
	}
}

// TestScalesFor: the sizes tried, cheapest likely success first.
func TestScalesFor(t *testing.T) {
	for _, c := range []struct {
		w, h int
		want []scale
	}{
		{4000, 3000, []scale{{shrink: 3}, {shrink: 4}, {}}},
		{4032, 3024, []scale{{shrink: 3}, {shrink: 5}, {}}},
		{1600, 1200, []scale{{shrink: 2}, {}}},
		{1000, 800, []scale{{}}},
		{330, 330, []scale{{}, {enlarge: 3}}},
		{8000, 100, []scale{{shrink: 5}, {}}}, // a strip: shrinking by 8 would leave 12 px
		{10000, 10000, []scale{{shrink: 7}, {shrink: 10}, {shrink: 3}}},
		{6000, 5000, []scale{{shrink: 4}, {shrink: 6}, {shrink: 2}}},
	} {
		if got := scalesFor(c.w, c.h); !slices.Equal(got, c.want) {
			t.Errorf("scalesFor(%d, %d) = %v, want %v", c.w, c.h, got, c.want)
		}
	}
}

// TestDecodeQRMigrationSweep: Google Authenticator export-sized payloads (1 to 20
// accounts of random bytes, base64 and percent-encoded as the app writes them) at
// module sizes 2 to 8. research §4.3 found one such payload that gozxing's plain reader
// misses at every size; DecodeQR's PURE_BARCODE and multi attempts must read them all.
func TestDecodeQRMigrationSweep(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for accounts := 1; accounts <= 20; accounts += 3 {
		payload := make([]byte, 48*accounts)
		for i := range payload {
			payload[i] = byte(rng.Uint32())
		}
		uri := "otpauth-migration://offline?data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(payload))
		for size := 2; size <= 8; size += 2 {
			name := fmt.Sprintf("mig%d_s%d.png", accounts, size)
			checkDecode(t, name, encodePNG(t, qrencodeImage(t, uri, size)), uri)
		}
	}
}
