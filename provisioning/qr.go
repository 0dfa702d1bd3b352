package provisioning

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"runtime"
	"slices"
	"strings"

	// Image formats DecodeQRBytes reads: the standard library's and x/image's.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// Errors DecodeQR, DecodeQRBytes and DecodeQRFile wrap, for callers that treat "this is
// not an image" differently from "this image has no code".
var (
	// ErrNoQRCode: the image decoded, but no attempt found a readable QR code in it.
	ErrNoQRCode = errors.New("no QR code found")
	// ErrImageFormat: the bytes are not an image format otpair reads.
	ErrImageFormat = errors.New("unknown image format")
	// ErrBadImage: the file claims a known format but is corrupt, truncated or empty.
	ErrBadImage = errors.New("corrupt or truncated image")
	// ErrImageTooLarge: the file is larger than MaxImageFileBytes, or its header asks
	// for more pixels than MaxImagePixels or more memory than MaxDecodedBytes.
	ErrImageTooLarge = errors.New("image too large")
)

// noQRHint is what a user can do about ErrNoQRCode (advice from Aegis#1185).
const noQRHint = "crop the image to the code and keep a light margin around it"

// DecodeQRFile reads an image file and returns the text of every QR code in it, as
// DecodeQRBytes does.
func DecodeQRFile(ctx context.Context, path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeQRBytes(ctx, data)
}

// DecodeQRBytes decodes an image file's bytes (PNG, JPEG, GIF, BMP, TIFF or WebP) and
// returns the text of every QR code in it, as DecodeQR does. Whatever the bytes, it
// returns an error naming the problem rather than panicking, and a file larger than
// MaxImageFileBytes, an image larger than MaxImagePixels, or one whose decoded pixels
// would take more than MaxDecodedBytes, is refused before any pixel is decoded. When
// ctx is done, decoding stops within a fraction of a second and the error wraps
// ctx.Err().
func DecodeQRBytes(ctx context.Context, data []byte) ([]string, error) {
	img, size, err := decodeImage(ctx, data)
	if err != nil {
		return nil, err
	}
	full, err := toGray(ctx, img)
	if err != nil {
		return nil, fmt.Errorf("decode qr: %w", err)
	}
	if size > releaseAfterDecode && !full.aliases(img) {
		// The decoded image is garbage now that its luminance is taken. Collecting it
		// here lets the attempts reuse its memory instead of growing the heap towards
		// twice its size before the collector runs: 30 MB less peak RSS for a 16 MP
		// 16-bit PNG.
		runtime.GC()
	}
	return decodeGray(ctx, full)
}

// releaseAfterDecode is the decoded size above which DecodeQRBytes collects the
// decoded image as soon as its luminance is taken.
const releaseAfterDecode = 32 << 20

// DecodeQR returns the text of every QR code it finds in img, each once, in reading
// order (top to bottom, then left to right). It tries, in order, the attempts research
// §4.4 measured: TRY_HARDER, PURE_BARCODE and the multi-code reader, on the image and
// on its inverse (light modules on a dark background). Large images are tried shrunk
// to about 1600 px first (fast, and it smooths noise), then to about 1000 px (heavy
// noise), then at full size (small codes, at most maxFullPixels); tiny images are also
// tried enlarged. It stops at the first size that yields a code, so a second code too
// small to read at that size is missed. If nothing is found the error wraps
// ErrNoQRCode. The work is bounded whatever the image (a size with more finder-pattern
// candidates than real codes show is not searched; see qrmulti.go), and when ctx is
// done DecodeQR stops within a fraction of a second with an error wrapping ctx.Err().
func DecodeQR(ctx context.Context, img image.Image) ([]string, error) {
	if img == nil {
		return nil, fmt.Errorf("decode qr: %w: no image", ErrBadImage)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("decode qr: %w: the image is empty", ErrBadImage)
	}
	if px := int64(b.Dx()) * int64(b.Dy()); px > MaxImagePixels {
		return nil, fmt.Errorf("decode qr: %w: %dx%d pixels, the limit is %d megapixels (scale it down)",
			ErrImageTooLarge, b.Dx(), b.Dy(), MaxImagePixels/1_000_000)
	}
	full, err := toGray(ctx, img)
	if err != nil {
		return nil, fmt.Errorf("decode qr: %w", err)
	}
	return decodeGray(ctx, full)
}

// decodeGray runs the pipeline on the image's luminance, checking ctx between sizes.
func decodeGray(ctx context.Context, full grayImage) ([]string, error) {
	for _, sc := range scalesFor(full.w, full.h) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("decode qr: %w", err)
		}
		level := full
		switch {
		case sc.shrink > 1:
			level = full.shrink(sc.shrink)
		case sc.enlarge > 1:
			level = full.enlarge(sc.enlarge)
		}
		found := decodeLevel(ctx, level)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("decode qr: %w", err)
		}
		if len(found) > 0 {
			return orderFound(found), nil
		}
	}
	return nil, fmt.Errorf("%w in the %dx%d image (%s)", ErrNoQRCode, full.w, full.h, noQRHint)
}

// scale is one size to try an image at: shrunk by an integer factor, enlarged by one,
// or as it is (both zero or one).
type scale struct{ shrink, enlarge int }

// Sizes the pipeline aims for, in pixels along the longest side.
const (
	fastSide   = 1600 // big enough for a code filling a tenth of a phone photo
	smoothSide = 1000 // small enough to average away heavy noise (research §4.3)
	tinySide   = 400  // below this, also try the image enlarged

	maxFullPixels = 24_000_000 // the largest level tried: twice a usual phone photo
)

// scalesFor lists the sizes to try for a w×h image, cheapest likely success first:
// shrunk ones before full size for a large image (a 12 MP level costs ~0.5 s of
// binarising and detecting; a 1600 px one ~15 ms), and enlarged last for a tiny one.
func scalesFor(w, h int) []scale {
	long := max(w, h)
	factorFor := func(target int) int { return (long + target - 1) / target }
	fast, smooth := factorFor(fastSide), factorFor(smoothSide)
	var out []scale
	if fast > 1 {
		out = append(out, scale{shrink: fast})
	}
	if smooth > fast && min(w, h)/smooth >= 21 { // 21: the smallest QR code, in pixels
		out = append(out, scale{shrink: smooth})
	}
	// "Full size" is capped at maxFullPixels: a 100 MP image would take seconds and
	// hundreds of megabytes per attempt, and no code needs that many pixels.
	full := 1
	for w/full*(h/full) > maxFullPixels {
		full++
	}
	if full > 1 {
		if full < smooth {
			out = append(out, scale{shrink: full})
		}
	} else {
		out = append(out, scale{})
	}
	if long < tinySide {
		out = append(out, scale{enlarge: 3})
	}
	return out
}

// found is one decoded code and where it is, in the coordinates of its level.
type found struct {
	text    string
	x, y    float64 // the centre of its finder patterns
	size    float64 // the longest distance between its finder patterns
	located bool    // false for PURE_BARCODE and structured-append results, which have no points
}

// orderFound de-duplicates by text and sorts in reading order. Codes without a position
// go last, by text, so the order never depends on which attempt found a code first.
func orderFound(all []found) []string {
	byText := map[string]found{}
	for _, f := range all {
		if prev, ok := byText[f.text]; !ok || (!prev.located && f.located) {
			byText[f.text] = f
		}
	}
	list := make([]found, 0, len(byText))
	for _, f := range byText {
		list = append(list, f)
	}
	// A total order first (position, then text), so the map's random order never shows.
	slices.SortFunc(list, func(a, b found) int {
		switch {
		case a.located != b.located:
			if a.located {
				return -1
			}
			return 1
		case a.y != b.y:
			return cmp.Compare(a.y, b.y)
		case a.x != b.x:
			return cmp.Compare(a.x, b.x)
		}
		return strings.Compare(a.text, b.text)
	})
	// Then reading order: a code whose centre is less than half a code's height below
	// the first code of a row belongs to that row (a tilted photo of codes side by side
	// is still one row), and a row reads left to right.
	for start := 0; start < len(list) && list[start].located; {
		end := start + 1
		for end < len(list) && list[end].located &&
			list[end].y-list[start].y < max(list[start].size, list[end].size)/2 {
			end++
		}
		slices.SortStableFunc(list[start:end], func(a, b found) int { return cmp.Compare(a.x, b.x) })
		start = end
	}
	texts := make([]string, len(list))
	for i, f := range list {
		texts[i] = f.text
	}
	return texts
}
