package provisioning

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// FuzzDecodeQR feeds arbitrary bytes to DecodeQRBytes as an image file. It must never
// panic, and every failure must be one of the documented sentinels (so callers can
// always tell "not an image" from "no code"). Seeds in testdata/fuzz/FuzzDecodeQR are
// small PNG, JPEG and GIF codes, inverted and truncated ones, a header-only PNG, the
// finder-pattern grid of issue 11 and the header of a 16-bit 10000x10000 PNG.
func FuzzDecodeQR(f *testing.F) {
	var buf bytes.Buffer
	if err := WriteQRPNG(&buf, qrURI2); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		texts, err := DecodeQRBytes(t.Context(), data)
		if err != nil {
			if texts != nil {
				t.Fatalf("error %v came with results %q", err, texts)
			}
			if !errors.Is(err, ErrNoQRCode) && !errors.Is(err, ErrImageFormat) &&
				!errors.Is(err, ErrBadImage) && !errors.Is(err, ErrImageTooLarge) {
				t.Fatalf("error %v wraps none of the sentinels", err)
			}
			return
		}
		if len(texts) == 0 {
			t.Fatal("no error and no codes")
		}
		sorted := slices.Clone(texts)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(texts) {
			t.Fatalf("duplicates in %q", texts)
		}
	})
}
