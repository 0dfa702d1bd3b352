package provisioning

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/otpair/otpair/internal/hostile"
)

// recordFinder collects the finder searches' stats while f runs.
func recordFinder(f func()) []finderStats {
	var mu sync.Mutex
	var all []finderStats
	testHookFinder = func(s finderStats) {
		mu.Lock()
		all = append(all, s)
		mu.Unlock()
	}
	defer func() { testHookFinder = nil }()
	f()
	return all
}

// TestDecodeQRFinderGrid: images tiled with finder patterns (issue 11's 2.9 KB 800×800
// PNG took 195 s and 4.7 GB) give "no QR code" with the work bounded: no search keeps
// more than maxFinderCandidates candidates or decodes more than maxFinderTriples
// triples, and each image costs at most a few tens of MB. Before the bounds the first
// grid exceeded the allocation cap within a second.
func TestDecodeQRFinderGrid(t *testing.T) {
	for _, g := range []struct{ size, module, gap int }{
		{800, 3, 1}, // the image
		{800, 1, 1}, {800, 2, 1}, {800, 4, 1},
		{800, 12, 2}, // 49 patterns: under the candidate cap, so triples are selected and decoded
		{390, 5, 1},  // tiny: also tried enlarged
		{2000, 3, 1}, // large: tried at three sizes
	} {
		data := hostile.PNG(hostile.FinderGrid(g.size, g.module, g.gap))
		if g.size == 800 && g.module == 3 && len(data) > 4<<10 {
			t.Errorf("the issue's grid is %d bytes, want about 2.9 KB", len(data))
		}
		var err error
		var stats []finderStats
		n := hostile.AllocCap(t, 512<<20, func() {
			stats = recordFinder(func() { _, err = DecodeQRBytes(t.Context(), data) })
		})
		name := fmt.Sprintf("%dpx grid, module %d, gap %d", g.size, g.module, g.gap)
		if !errors.Is(err, ErrNoQRCode) {
			t.Errorf("%s: %v, want ErrNoQRCode", name, err)
		}
		if n > 64<<20 {
			t.Errorf("%s: allocated %d MB, want at most 64", name, n>>20)
		}
		triples := 0
		for _, s := range stats {
			if s.candidates > maxFinderCandidates+1 || s.triples > maxFinderTriples {
				t.Errorf("%s: a search kept %d candidates and %d triples", name, s.candidates, s.triples)
			}
			triples += s.triples
		}
		t.Logf("%s: %d bytes, %d searches, %d triples decoded, %d KB allocated", name, len(data), len(stats), triples, n>>10)
		if g.module == 12 && triples == 0 {
			t.Errorf("%s: no triple was decoded; the test no longer reaches the triple bound", name)
		}
	}
}

// TestDecodeQRSheetOfCodes: four codes of one size in a 2×2 sheet (twelve finder
// patterns, and many right-angled triples across codes) and a code beside a 3×3 grid
// of finder patterns all read within the bounds: they leave room for several codes and
// for noise.
func TestDecodeQRSheetOfCodes(t *testing.T) {
	texts := []string{qrURI1, qrURI1[:len(qrURI1)-1] + "5", qrURI1[:len(qrURI1)-1] + "4", qrURI1[:len(qrURI1)-1] + "3"}
	var codes []*image.Gray
	for _, text := range texts {
		codes = append(codes, qrencodeImage(t, text, 4))
	}
	stack := func(imgs ...*image.Gray) *image.Gray { // one above the other
		turned := make([]*image.Gray, len(imgs))
		for i, img := range imgs {
			turned[i] = rotateGray(img, 90, 0xff)
		}
		return rotateGray(sideBySide(turned...), 270, 0xff)
	}
	sheet := stack(sideBySide(codes[0], codes[1]), sideBySide(codes[2], codes[3]))
	beside := sideBySide(codes[0], hostile.FinderGrid(codes[0].Rect.Dy(), 4, 16))
	for _, c := range []struct {
		name string
		img  *image.Gray
		want []string
	}{{"sheet", sheet, texts}, {"beside a grid", beside, texts[:1]}} {
		var got []string
		var err error
		stats := recordFinder(func() { got, err = DecodeQR(t.Context(), c.img) })
		if err != nil || !sameSet(got, c.want) {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
		most := finderStats{}
		for _, s := range stats {
			if s.triples > most.triples {
				most = s
			}
		}
		t.Logf("%s: at most %d candidates and %d triples in a search", c.name, most.candidates, most.triples)
		if most.triples >= maxFinderTriples {
			t.Errorf("%s: a search reached the triple bound", c.name)
		}
	}
}

// TestDecodeQRImageTooLarge: images that would take more memory to decode than otpair
// allows are refused from their header, naming the size and the limit, at a cost of
// kilobytes. A 16-bit 10000×10000 PNG (600 KB here, all black) reached 1.6 GB before.
func TestDecodeQRImageTooLarge(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		says string
	}{
		{"16-bit rgb 10000x10000", hostile.BlackPNG(10000, 10000, 16, hostile.RGB), "10000x10000 pixels, the limit is 50 megapixels"},
		{"16-bit grey 10000x10000", hostile.BlackPNG(10000, 10000, 16, hostile.Gray), "10000x10000 pixels, the limit is 50 megapixels"},
		{"a 64 MP photo", hostile.BlackPNG(9248, 6936, 8, hostile.Gray), "9248x6936 pixels, the limit is 50 megapixels (scale it down"},
		{"16-bit rgb 4200x4200", hostile.BlackPNG(4200, 4200, 16, hostile.RGB), "4200x4200 pixels at 8 bytes a pixel need 135 MB to decode, the limit is 128 MB"},
		{"8-bit rgba 6000x6000", hostile.BlackPNG(6000, 6000, 8, hostile.RGBA), "6000x6000 pixels at 4 bytes a pixel need 138 MB"},
		{"file over the limit", append(hostile.BlackPNG(100, 100, 8, hostile.Gray), make([]byte, MaxImageFileBytes)...), "more than the 32 MB otpair decodes"},
	} {
		var err error
		n := hostile.AllocCap(t, 512<<20, func() { _, err = DecodeQRBytes(t.Context(), c.data) })
		if !errors.Is(err, ErrImageTooLarge) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v; want ErrImageTooLarge saying %q", c.name, err, c.says)
		}
		if n > 1<<20 {
			t.Errorf("%s: refusing it allocated %d KB", c.name, n>>10)
		}
	}
	// Just under the limits, the same images decode (and find nothing).
	for _, data := range [][]byte{
		hostile.BlackPNG(4000, 4000, 16, hostile.RGB), // 128 MB of RGBA64
		hostile.BlackPNG(8160, 6120, 8, hostile.Gray), // a 50 MP photo's size
	} {
		if _, err := DecodeQRBytes(t.Context(), data); !errors.Is(err, ErrNoQRCode) {
			t.Errorf("an image within the limits: %v, want ErrNoQRCode", err)
		}
	}
}

// TestDecodedBytes: the estimate follows the format and the colour model, and counts
// what the decoder holds beside the pixels.
func TestDecodedBytes(t *testing.T) {
	jpeg420 := encodeJPEG(t, image.NewRGBA(image.Rect(0, 0, 64, 64)), 90)
	jpegGray := encodeJPEG(t, image.NewGray(image.Rect(0, 0, 64, 64)), 90)
	sof := func(data []byte, progressive, full bool) []byte {
		out := append([]byte(nil), data...)
		for i := 2; i+1 < len(out); i++ {
			if out[i] == 0xff && out[i+1] == 0xc0 {
				if progressive {
					out[i+1] = 0xc2
				}
				if full {
					for c := range int(out[i+9]) {
						out[i+11+3*c] = 0x11
					}
				}
				return out
			}
		}
		t.Fatal("no SOF0 in a Go JPEG")
		return nil
	}
	interlaced := hostile.BlackPNG(64, 64, 8, hostile.RGBA)
	interlaced[28] = 1 // IHDR's interlace method, then its CRC again
	binary.BigEndian.PutUint32(interlaced[29:], crc32.ChecksumIEEE(interlaced[12:29]))
	for _, c := range []struct {
		name string
		data []byte
		want float64 // bytes a pixel
	}{
		{"png grey", hostile.BlackPNG(64, 64, 8, hostile.Gray), 1},
		{"png grey 16", hostile.BlackPNG(64, 64, 16, hostile.Gray), 2},
		{"png rgba", hostile.BlackPNG(64, 64, 8, hostile.RGBA), 4},
		{"png rgb 16", hostile.BlackPNG(64, 64, 16, hostile.RGB), 8},
		{"png rgba interlaced", interlaced, 8},
		{"jpeg 4:2:0", jpeg420, 1.5},
		{"jpeg grey", jpegGray, 1},
		{"jpeg 4:4:4", sof(jpeg420, false, true), 3},
		{"jpeg progressive 4:2:0", sof(jpeg420, true, false), 7.5},
	} {
		cfg, format, err := safeDecodeConfig(c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := float64(decodedBytes(format, cfg, c.data)) / (64 * 64); got != c.want {
			t.Errorf("%s: %g bytes a pixel, want %g", c.name, got, c.want)
		}
	}
}

// TestDecodeQRCancel: DecodeQRBytes stops with an error wrapping context.Canceled at
// whichever of its checks the context is found cancelled (image decoding, luminance,
// each row of the finder search, between attempts and sizes), and returns no codes.
// Ctrl-C, SIGTERM and the TUI's cancel all come through ctx. Before, DecodeQR took no
// context and ran to the end.
func TestDecodeQRCancel(t *testing.T) {
	data, err := benchPhoto()
	if err != nil {
		t.Fatal(err)
	}
	probe := hostile.NewCancelAfter(1 << 62)
	if got, err := DecodeQRBytes(probe, data); err != nil || len(got) != 1 {
		t.Fatalf("uncancelled: %q, %v", got, err)
	}
	checks := probe.Calls()
	t.Logf("%d context checks in one decode of the 12 MP photo", checks)
	if checks < 1000 {
		t.Fatalf("only %d context checks in a 12 MP decode; want one every few rows", checks)
	}
	for _, n := range []int64{1, 2, 3, checks / 100, checks / 10, checks / 3, checks / 2, checks - checks/10} {
		ctx := hostile.NewCancelAfter(n)
		got, err := DecodeQRBytes(ctx, data)
		if !errors.Is(err, context.Canceled) || got != nil {
			t.Errorf("cancelled at check %d of %d: %q, %v; want context.Canceled and nothing", n, checks, got, err)
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DecodeQR(cancelled, image.NewGray(image.Rect(0, 0, 100, 100))); !errors.Is(err, context.Canceled) {
		t.Errorf("DecodeQR with a cancelled context: %v", err)
	}
}

// TestToGrayCancel: the generic luminance loop (a type without a fast path) checks ctx.
func TestToGrayCancel(t *testing.T) {
	img := image.NewCMYK(image.Rect(0, 0, 300, 300))
	img.Set(0, 0, color.Black)
	ctx := hostile.NewCancelAfter(2)
	if _, err := toGray(ctx, img); !errors.Is(err, context.Canceled) {
		t.Errorf("toGray: %v", err)
	}
}

// BenchmarkDecodeQRFinderGrid is issue 11's 2.9 KB image: 800×800 tiled with finder
// patterns (module 3, gap 1). Before the bounds: 195 s and 4.7 GB in `otpair decode`.
func BenchmarkDecodeQRFinderGrid(b *testing.B) {
	data := hostile.PNG(hostile.FinderGrid(800, 3, 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeQRBytes(b.Context(), data); !errors.Is(err, ErrNoQRCode) {
			b.Fatal(err)
		}
	}
}

// TestWriteHostileImages writes, when OTPAIR_HOSTILE_OUT names a folder, the images
// scripts/bench-hostile.sh times otpair decode on: issue 11's hostile ones and the
// largest otpair accepts, the costliest kind each (noise where it costs the decoder
// most, up to MaxImageFileBytes). Skipped otherwise.
func TestWriteHostileImages(t *testing.T) {
	dir := os.Getenv("OTPAIR_HOSTILE_OUT")
	if dir == "" {
		t.Skip("OTPAIR_HOSTILE_OUT is unset")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	// noisy gives a sample a random value with probability p, else mid-grey.
	noisy := func(p float64) byte {
		if rng.Float64() < p {
			return byte(rng.Uint32())
		}
		return 0x80
	}
	grey := image.NewGray(image.Rect(0, 0, 8160, 6120))
	for i := range grey.Pix {
		grey.Pix[i] = noisy(0.20)
	}
	rgb16 := image.NewRGBA64(image.Rect(0, 0, 4000, 4000))
	for i := 0; i < len(rgb16.Pix); i += 8 {
		px := []byte{0x80, 0, 0x80, 0, 0x80, 0, 0xff, 0xff}
		if rng.Float64() < 0.16 {
			for c := range 6 {
				px[c] = byte(rng.Uint32())
			}
		}
		copy(rgb16.Pix[i:], px)
	}
	ycc := image.NewYCbCr(image.Rect(0, 0, 8160, 6120), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = noisy(0.07)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = noisy(0.07), noisy(0.07)
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, ycc, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"finder-grid.png":         hostile.PNG(hostile.FinderGrid(800, 3, 1)),
		"refused-rgb16-10000.png": hostile.BlackPNG(10000, 10000, 16, hostile.RGB),
		"black-rgb16-4000.png":    hostile.BlackPNG(4000, 4000, 16, hostile.RGB),
		"black-grey-50mp.png":     hostile.BlackPNG(8160, 6120, 8, hostile.Gray),
		"noise-grey-50mp.png":     hostile.PNG(grey),
		"noise-rgb16-4000.png":    hostile.PNG(rgb16),
		"noise-50mp.jpg":          jpg.Bytes(),
	} {
		if strings.HasPrefix(name, "noise") && len(data) > MaxImageFileBytes {
			t.Errorf("%s is %d bytes, over MaxImageFileBytes: otpair would refuse it", name, len(data))
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", name, len(data))
	}
}
