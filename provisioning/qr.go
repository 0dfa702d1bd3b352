package provisioning

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
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
	// ErrImageTooLarge: the image header asks for more pixels than MaxImagePixels.
	ErrImageTooLarge = errors.New("image too large")
)

// MaxImagePixels bounds the images DecodeQRBytes will decode (100 MP: a 200 MP phone
// photo should be scaled down first). The header is checked before any pixel is
// allocated, so a few hostile bytes cannot claim gigabytes of memory.
const MaxImagePixels = 100_000_000

// noQRHint is what a user can do about ErrNoQRCode (advice from Aegis#1185).
const noQRHint = "crop the image to the code and keep a light margin around it"

// DecodeQRFile reads an image file and returns the text of every QR code in it, as
// DecodeQRBytes does.
func DecodeQRFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeQRBytes(data)
}

// DecodeQRBytes decodes an image file's bytes (PNG, JPEG, GIF, BMP, TIFF or WebP) and
// returns the text of every QR code in it, as DecodeQR does. Whatever the bytes, it
// returns an error naming the problem rather than panicking.
func DecodeQRBytes(data []byte) ([]string, error) {
	img, err := decodeImage(data)
	if err != nil {
		return nil, err
	}
	return DecodeQR(img)
}

// decodeImage decodes an image, checking its size from the header first.
func decodeImage(data []byte) (img image.Image, err error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("decode image: %w: the file is empty", ErrBadImage)
	}
	cfg, format, err := safeDecodeConfig(data)
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, fmt.Errorf("decode image: %w (want PNG, JPEG, GIF, BMP, TIFF or WebP)", ErrImageFormat)
		}
		return nil, fmt.Errorf("decode %s image: %w: %v", format, ErrBadImage, describeDecodeError(err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("decode %s image: %w: it is %dx%d pixels", format, ErrBadImage, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, fmt.Errorf("decode %s image: %w: %dx%d pixels, the limit is %d megapixels",
			format, ErrImageTooLarge, cfg.Width, cfg.Height, MaxImagePixels/1_000_000)
	}
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("decode %s image: %w: the decoder failed on it", format, ErrBadImage)
		}
	}()
	img, _, err = image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode %s image: %w: %v", format, ErrBadImage, describeDecodeError(err))
	}
	return img, nil
}

// safeDecodeConfig is image.DecodeConfig with a decoder panic turned into an error.
func safeDecodeConfig(data []byte) (cfg image.Config, format string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("the decoder failed on its header")
		}
	}()
	cfg, format, err = image.DecodeConfig(bytes.NewReader(data))
	if format == "" {
		format = "unknown"
	}
	return cfg, format, err
}

// describeDecodeError turns the decoders' EOF errors into words a user can act on.
func describeDecodeError(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "the file ends early (truncated?)"
	}
	return err.Error()
}

// DecodeQR returns the text of every QR code it finds in img, each once, in reading
// order (top to bottom, then left to right). It tries, in order, the attempts research
// §4.4 measured: TRY_HARDER, PURE_BARCODE and the multi-code reader, on the image and
// on its inverse (light modules on a dark background). Large images are tried shrunk
// to about 1600 px first (fast, and it smooths noise), then to about 1000 px (heavy
// noise), then at full size (small codes); tiny images are also tried enlarged. It
// stops at the first size that yields a code, so a second code too small to read at
// that size is missed. If nothing is found the error wraps ErrNoQRCode.
func DecodeQR(img image.Image) ([]string, error) {
	if img == nil {
		return nil, fmt.Errorf("decode qr: %w: no image", ErrBadImage)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("decode qr: %w: the image is empty", ErrBadImage)
	}
	full := toGray(img)
	for _, sc := range scalesFor(full.w, full.h) {
		level := full
		switch {
		case sc.shrink > 1:
			level = full.shrink(sc.shrink)
		case sc.enlarge > 1:
			level = full.enlarge(sc.enlarge)
		}
		if found := decodeLevel(level); len(found) > 0 {
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
