package provisioning

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"runtime"
)

// Limits on the images DecodeQRBytes decodes, checked from the file's size and header
// before any pixel is allocated, so a few hostile bytes (a 16-bit PNG of 10000x10000
// compresses to a few KB) cannot claim gigabytes. With them any image otpair accepts
// decodes, or gives up, in about 3 s and 512 MB on a 2-core machine
// (docs/benchmarks.md): decoding costs time by the pixel and, for JPEG, by the byte.
const (
	// MaxImageFileBytes bounds the file: a 50 MP phone photo is 10 to 25 MB.
	MaxImageFileBytes = 32 << 20
	// MaxImagePixels bounds the pixels: a 48 or 50 MP phone photo (8160x6120) fits; a
	// 64, 108 or 200 MP one should be scaled down first (a code needs far fewer pixels,
	// and decoding time grows with them).
	MaxImagePixels = 50_000_000
	// MaxDecodedBytes bounds the memory the decoder needs for the pixels (decodedBytes
	// estimates it from the format and the colour model): 128 MB is more than a 50 MP
	// JPEG (75 MB) or 8-bit grey PNG takes, and holds a 32 MP 8-bit colour PNG, a 16 MP
	// 16-bit colour PNG or a 17 MP progressive JPEG.
	MaxDecodedBytes = 128 << 20
)

// decodeImage decodes an image, checking its size from the header first, and says how
// many bytes its pixels take (decodedBytes's estimate). When ctx is done the decoder's
// next read fails and the error wraps ctx.Err().
func decodeImage(ctx context.Context, data []byte) (img image.Image, size int64, err error) {
	switch {
	case len(data) == 0:
		return nil, 0, fmt.Errorf("decode image: %w: the file is empty", ErrBadImage)
	case len(data) > MaxImageFileBytes:
		return nil, 0, fmt.Errorf("decode image: %w: the file is %d bytes, more than the %d MB otpair decodes (scale it down, or crop it to the code)",
			ErrImageTooLarge, len(data), MaxImageFileBytes>>20)
	}
	cfg, format, err := safeDecodeConfig(data)
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, 0, fmt.Errorf("decode image: %w (want PNG, JPEG, GIF, BMP, TIFF or WebP)", ErrImageFormat)
		}
		return nil, 0, fmt.Errorf("decode %s image: %w: %v", format, ErrBadImage, describeDecodeError(err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, 0, fmt.Errorf("decode %s image: %w: it is %dx%d pixels", format, ErrBadImage, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > MaxImagePixels {
		return nil, 0, fmt.Errorf("decode %s image: %w: %dx%d pixels, the limit is %d megapixels (scale it down, or crop it to the code)",
			format, ErrImageTooLarge, cfg.Width, cfg.Height, MaxImagePixels/1_000_000)
	}
	size = decodedBytes(format, cfg, data)
	if size > MaxDecodedBytes {
		return nil, 0, fmt.Errorf("decode %s image: %w: %dx%d pixels at %.3g bytes a pixel need %d MB to decode, the limit is %d MB (save it as an 8-bit image, scale it down, or crop it to the code)",
			format, ErrImageTooLarge, cfg.Width, cfg.Height, float64(size)/float64(int64(cfg.Width)*int64(cfg.Height)),
			(size+1<<20-1)>>20, MaxDecodedBytes>>20)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("decode %s image: %w", format, err)
	}
	if size > releaseAfterDecode {
		// Collect what the process no longer uses (an import has just run scrypt over
		// 256 MB to open a passphrase vault) so that the pixels reuse that memory
		// rather than adding to it.
		runtime.GC()
	}
	defer func() {
		if r := recover(); r != nil {
			img, size, err = nil, 0, fmt.Errorf("decode %s image: %w: the decoder failed on it", format, ErrBadImage)
		}
	}()
	img, _, err = image.Decode(&ctxReader{ctx: ctx, r: bytes.NewReader(data)})
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, 0, fmt.Errorf("decode %s image: %w", format, ctxErr)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("decode %s image: %w: %v", format, ErrBadImage, describeDecodeError(err))
	}
	return img, size, nil
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

// ctxReader fails every read once ctx is done, so a decoder working through a large
// image stops at its next read (they read a few KB at a time). It is an io.ReaderAt
// too, which the TIFF decoder needs to avoid copying the whole file.
type ctxReader struct {
	ctx context.Context
	r   *bytes.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (c *ctxReader) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}

// decodedBytes estimates the memory Go's decoder for format needs for an image of cfg:
// the pixel buffer its colour model implies, plus what the decoder holds beside it (a
// progressive JPEG's coefficients, an interlaced PNG's passes, a TIFF strip, WebP's
// working frame). It errs high, never low.
func decodedBytes(format string, cfg image.Config, data []byte) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	if format == "jpeg" {
		if planes, progressive, ok := jpegLayout(data); ok {
			perPixel := planes
			if progressive {
				perPixel += 4 * planes // a block of 64 int32 coefficients per 8x8 samples
			}
			if cfg.ColorModel == color.CMYKModel || cfg.ColorModel == color.RGBAModel {
				perPixel += 4 // converted into an image.CMYK or image.RGBA after decoding
			}
			return int64(perPixel * float64(px))
		}
	}
	var bpp int64
	switch cfg.ColorModel {
	case color.GrayModel, color.AlphaModel:
		bpp = 1
	case color.Gray16Model, color.Alpha16Model:
		bpp = 2
	case color.YCbCrModel:
		bpp = 3 // 4:4:4 at worst
	case color.NYCbCrAModel, color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		bpp = 4
	default:
		if _, ok := cfg.ColorModel.(color.Palette); ok {
			bpp = 1
		} else {
			bpp = 8 // RGBA64, NRGBA64, or a model this code does not know
		}
	}
	switch format {
	case "png":
		if pngInterlaced(data) {
			bpp *= 2 // the seven passes are decoded beside the image
		}
	case "tiff", "webp":
		bpp *= 2 // a decompressed strip, or WebP's own frame, beside the image
	case "jpeg":
		bpp = 15 // no layout found: 4:4:4, progressive
	}
	return px * bpp
}

// jpegLayout reads a JPEG's frame header: the bytes a pixel of its sample planes take
// (1.5 for 4:2:0 colour, 3 for 4:4:4, 1 for grey) and whether it is progressive.
func jpegLayout(data []byte) (planes float64, progressive, ok bool) {
	i := 2 // after SOI
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return 0, false, false
		}
		marker := data[i+1]
		if marker == 0xff { // fill byte
			i++
			continue
		}
		if marker == 0x01 || marker >= 0xd0 && marker <= 0xd9 { // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		seg := data[i+4 : min(len(data), i+2+n)]
		switch marker {
		case 0xc0, 0xc1, 0xc2: // baseline, extended, progressive Huffman frames
			if len(seg) < 6 {
				return 0, false, false
			}
			comps := int(seg[5])
			if len(seg) < 6+3*comps || comps == 0 {
				return 0, false, false
			}
			hMax, vMax := 1, 1
			for c := range comps {
				s := seg[6+3*c+1]
				hMax, vMax = max(hMax, int(s>>4)), max(vMax, int(s&15))
			}
			for c := range comps {
				s := seg[6+3*c+1]
				planes += float64(int(s>>4)*int(s&15)) / float64(hMax*vMax)
			}
			return planes, marker == 0xc2, true
		}
		i += 2 + n
	}
	return 0, false, false
}

// pngInterlaced reports whether a PNG's header says Adam7 interlacing.
func pngInterlaced(data []byte) bool {
	// Signature (8), IHDR length and type (8), width, height (8), depth, colour type,
	// compression, filter, then interlace.
	return len(data) > 28 && data[28] == 1
}
