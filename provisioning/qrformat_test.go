package provisioning

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/otpair/otpair/internal/external"
)

// TestDecodeQRBytesFormats: every format the package registers, including WebP made
// by ImageMagick (Go has no WebP encoder).
func TestDecodeQRBytesFormats(t *testing.T) {
	code := qrencodeImage(t, qrURI2, 4)
	var gifBuf, bmpBuf, tiffBuf bytes.Buffer
	pal := image.NewPaletted(code.Rect, palette.Plan9)
	draw.Draw(pal, pal.Rect, code, image.Point{}, draw.Src)
	if err := gif.Encode(&gifBuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	if err := bmp.Encode(&bmpBuf, code); err != nil {
		t.Fatal(err)
	}
	if err := tiff.Encode(&tiffBuf, code, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"png": encodePNG(t, code), "jpeg": encodeJPEG(t, code, 90),
		"gif": gifBuf.Bytes(), "bmp": bmpBuf.Bytes(), "tiff": tiffBuf.Bytes(),
	}
	convert := external.Tool(t, "convert", "imagemagick")
	pngPath := writeTemp(t, "code.png", files["png"])
	webpPath := filepath.Join(filepath.Dir(pngPath), "code.webp")
	if out, err := exec.Command(convert, pngPath, "-quality", "90", webpPath).CombinedOutput(); err != nil {
		t.Fatalf("convert to webp: %v: %s", err, out)
	}
	webp, err := os.ReadFile(webpPath)
	if err != nil {
		t.Fatal(err)
	}
	files["webp"] = webp
	for format, data := range files {
		got, err := DecodeQRBytes(t.Context(), data)
		if err != nil || !slices.Equal(got, []string{qrURI2}) {
			t.Errorf("%s: DecodeQRBytes = %q, %v", format, got, err)
		}
	}
	// DecodeQRFile reads the same way, and names a missing file.
	if got, err := DecodeQRFile(t.Context(), webpPath); err != nil || !slices.Equal(got, []string{qrURI2}) {
		t.Errorf("DecodeQRFile(webp) = %q, %v", got, err)
	}
	if _, err := DecodeQRFile(t.Context(), filepath.Join(t.TempDir(), "missing.png")); !errors.Is(err, os.ErrNotExist) ||
		!strings.Contains(err.Error(), "missing.png") {
		t.Errorf("DecodeQRFile(missing) error = %v, want not-exist naming the file", err)
	}
}

// TestDecodeQRImageTypes: the luminance fast paths (Gray, Gray16, RGBA, NRGBA, RGBA64,
// NRGBA64, Paletted, YCbCr, sub-images with an offset origin) agree with the generic
// path, and a code on a transparent background reads as dark on light.
func TestDecodeQRImageTypes(t *testing.T) {
	code := qrencodeImage(t, qrURI1, 3)
	b := code.Rect
	rgba := image.NewRGBA(b)
	nrgba := image.NewNRGBA(b)
	transparent := image.NewNRGBA(b) // black modules, fully transparent background
	ycc := image.NewYCbCr(b, image.YCbCrSubsampleRatio444)
	gray16 := image.NewGray16(b)
	rgba64 := image.NewRGBA64(b)
	nrgba64 := image.NewNRGBA64(b) // half transparent
	cmyk := image.NewCMYK(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := code.GrayAt(x, y).Y
			rgba.Set(x, y, color.RGBA{v, v, v, 0xff})
			nrgba.Set(x, y, color.NRGBA{v, v / 2, v, 0xff})
			if v < 128 {
				transparent.Set(x, y, color.NRGBA{0, 0, 0, 0xff})
			}
			ycc.Y[ycc.YOffset(x, y)] = v
			ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = 128, 128
			gray16.Set(x, y, color.Gray{v})
			rgba64.Set(x, y, color.RGBA64{uint16(v) * 257, uint16(v) * 250, uint16(v) * 257, 0xffff})
			nrgba64.Set(x, y, color.NRGBA64{uint16(v) * 257, uint16(v) * 257, uint16(v) * 257, 0xc000})
			cmyk.Set(x, y, color.Gray{v})
		}
	}
	pal := image.NewPaletted(b, color.Palette{color.Transparent, color.Black, color.White})
	draw.Draw(pal, b, transparent, b.Min, draw.Src)
	crop := image.Rect(5, 7, b.Dx()-3, b.Dy()-2) // keeps the quiet zone partly: offset origin
	images := map[string]image.Image{
		"gray": code, "rgba": rgba, "nrgba": nrgba, "transparent": transparent,
		"paletted": pal, "ycbcr": ycc, "gray16": gray16, "cmyk": cmyk,
		"gray-sub": code.SubImage(crop), "rgba-sub": rgba.SubImage(crop),
		"nrgba-sub": nrgba.SubImage(crop), "ycbcr-sub": ycc.SubImage(crop),
		"paletted-sub": pal.SubImage(crop), "gray16-sub": gray16.SubImage(crop),
		"rgba64": rgba64, "rgba64-sub": rgba64.SubImage(crop),
		"nrgba64": nrgba64, "nrgba64-sub": nrgba64.SubImage(crop),
	}
	for name, img := range images {
		g, err := toGray(t.Context(), img)
		if err != nil {
			t.Fatal(err)
		}
		bb := img.Bounds()
		if g.w != bb.Dx() || g.h != bb.Dy() || len(g.pix) < g.w*g.h {
			t.Fatalf("%s: toGray gave %dx%d (%d bytes) for %v", name, g.w, g.h, len(g.pix), bb)
		}
		for y := 0; y < g.h; y++ {
			for x := 0; x < g.w; x++ {
				want := int(grayOverWhite(img.At(bb.Min.X+x, bb.Min.Y+y)))
				if d := int(g.pix[y*g.w+x]) - want; d < -1 || d > 1 {
					t.Fatalf("%s: pixel (%d,%d) = %d, generic path says %d", name, x, y, g.pix[y*g.w+x], want)
				}
			}
		}
		if got, err := DecodeQR(t.Context(), img); err != nil || !slices.Equal(got, []string{qrURI1}) {
			t.Errorf("%s: DecodeQR = %q, %v", name, got, err)
		}
	}
}

// pngWithSize is a PNG header (signature and IHDR with a valid CRC) claiming w×h pixels,
// with no image data: what a decompression bomb or a truncated download looks like.
func pngWithSize(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grayscale
	chunk := append([]byte("IHDR"), ihdr...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

// TestDecodeQRBytesBadInput: each kind of bad input gets its sentinel and a message
// saying what is wrong, never a panic.
func TestDecodeQRBytesBadInput(t *testing.T) {
	code := qrencodeImage(t, qrURI1, 2)
	pngData, jpegData := encodePNG(t, code), encodeJPEG(t, code, 90)
	var gifBuf bytes.Buffer
	pal := image.NewPaletted(code.Rect, palette.Plan9)
	draw.Draw(pal, pal.Rect, code, image.Point{}, draw.Src)
	if err := gif.Encode(&gifBuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	white := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range white.Pix {
		white.Pix[i] = 0xff
	}
	for _, c := range []struct {
		name     string
		data     []byte
		sentinel error
		words    string
	}{
		{"empty", nil, ErrBadImage, "empty"},
		{"text", []byte("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"), ErrImageFormat, "unknown image format"},
		{"garbage", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 64), ErrImageFormat, "want PNG, JPEG, GIF"},
		{"png signature only", pngData[:8], ErrBadImage, "decode png image: corrupt or truncated image"},
		{"png truncated", pngData[:len(pngData)/2], ErrBadImage, "truncated"},
		{"png header only", pngWithSize(100, 100), ErrBadImage, "png"},
		{"png bomb", pngWithSize(200_000, 200_000), ErrImageTooLarge, "200000x200000 pixels, the limit is 50 megapixels"},
		{"png zero size", pngWithSize(0, 10), ErrBadImage, "png"},
		{"jpeg truncated", jpegData[:len(jpegData)/2], ErrBadImage, "decode jpeg image"},
		{"jpeg header only", jpegData[:20], ErrBadImage, "jpeg"},
		{"gif truncated", gifBuf.Bytes()[:gifBuf.Len()/2], ErrBadImage, "decode gif image"},
		{"no code", encodePNG(t, white), ErrNoQRCode, "no QR code found in the 300x200 image (crop"},
	} {
		got, err := DecodeQRBytes(t.Context(), c.data)
		if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%s: DecodeQRBytes = %q, %v; want %v containing %q", c.name, got, err, c.sentinel, c.words)
		}
	}
	if _, err := DecodeQR(t.Context(), nil); !errors.Is(err, ErrBadImage) {
		t.Errorf("DecodeQR(nil) error = %v, want ErrBadImage", err)
	}
	if _, err := DecodeQR(t.Context(), image.NewGray(image.Rect(0, 0, 0, 0))); !errors.Is(err, ErrBadImage) {
		t.Errorf("DecodeQR(empty image) error = %v, want ErrBadImage", err)
	}
	if _, err := DecodeQR(t.Context(), image.NewGray(image.Rect(0, 0, 1, 1))); !errors.Is(err, ErrNoQRCode) {
		t.Errorf("DecodeQR(1x1) error = %v, want ErrNoQRCode", err)
	}
}
