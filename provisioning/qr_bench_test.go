package provisioning

import (
	"bytes"
	"image"
	"image/jpeg"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/otpair/otpair/internal/external"
)

// benchPhoto is the 12 MP JPEG the decode benchmarks share: realPhoto (4000x3000,
// perspective, lighting, blur, grain, colour cast, q85), made once. Set
// OTPAIR_QR_PHOTO_OUT=FILE to also save it, e.g. to time zbarimg and otpair decode with
// hyperfine (docs/benchmarks.md).
var benchPhoto = sync.OnceValues(func() ([]byte, error) {
	code, err := EncodeQR(qrURI1)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(toGrayImage(code), realPhoto), &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	if out := os.Getenv("OTPAIR_QR_PHOTO_OUT"); out != "" {
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
})

func benchPhotoFile(b *testing.B) (data []byte, path string) {
	b.Helper()
	data, err := benchPhoto()
	if err != nil {
		b.Fatal(err)
	}
	return data, writeTemp(b, "photo.jpg", data)
}

// BenchmarkDecodeQRPhoto12MP decodes one QR code in a 12 MP JPEG photo, side by side:
//   - file: DecodeQRBytes on the file's bytes (JPEG decode included): the figure to
//     compare with zbarimg, which also starts from the file;
//   - image: DecodeQR on the decoded image (the pipeline alone);
//   - gozxing-plain: the naive gozxing use (NewBinaryBitmapFromImage, TRY_HARDER) on
//     the decoded image, the baseline research §4.3 measured;
//   - zbarimg: the zbarimg process on the same file, QR only and no D-Bus (its
//     fastest setting), and zbarimg-default, every symbology, as a user runs it.
func BenchmarkDecodeQRPhoto12MP(b *testing.B) {
	data, path := benchPhotoFile(b)
	img, _, err := decodeImage(b.Context(), data)
	if err != nil {
		b.Fatal(err)
	}
	want := []string{qrURI1}
	b.Run("file", func(b *testing.B) {
		for b.Loop() {
			if got, err := DecodeQRBytes(b.Context(), data); err != nil || !slices.Equal(got, want) {
				b.Fatalf("DecodeQRBytes = %q, %v", got, err)
			}
		}
	})
	b.Run("image", func(b *testing.B) {
		for b.Loop() {
			if got, err := DecodeQR(b.Context(), img); err != nil || !slices.Equal(got, want) {
				b.Fatalf("DecodeQR = %q, %v", got, err)
			}
		}
	})
	b.Run("gozxing-plain", func(b *testing.B) {
		for b.Loop() {
			if got := naiveGozxing(img); got != qrURI1 {
				b.Fatalf("plain gozxing read %q", got)
			}
		}
	})
	// zbarimg twice: restricted to QR codes (its fastest setting, the fair comparison)
	// and as a user would run it (every symbology).
	for _, z := range []struct {
		name string
		args []string
	}{
		{"zbarimg", []string{"--nodbus", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", path}},
		{"zbarimg-default", []string{"--nodbus", "-q", "--raw", path}},
	} {
		b.Run(z.name, func(b *testing.B) {
			tool := external.Tool(b, "zbarimg", "zbar-tools")
			for b.Loop() {
				out, err := exec.Command(tool, z.args...).Output()
				if err != nil || string(out) != qrURI1+"\n" {
					b.Fatalf("zbarimg = %q, %v", out, err)
				}
			}
		})
	}
}

// BenchmarkDecodeQRSmall decodes a clean 456 px PNG (a screenshot-sized code), with
// zbarimg on the same file for scale.
func BenchmarkDecodeQRSmall(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteQRPNG(&buf, qrURI1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	path := writeTemp(b, "small.png", data)
	b.Run("file", func(b *testing.B) {
		for b.Loop() {
			if got, err := DecodeQRBytes(b.Context(), data); err != nil || len(got) != 1 {
				b.Fatalf("DecodeQRBytes = %q, %v", got, err)
			}
		}
	})
	b.Run("zbarimg", func(b *testing.B) {
		tool := external.Tool(b, "zbarimg", "zbar-tools")
		for b.Loop() {
			if err := exec.Command(tool, "--nodbus", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", path).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// naiveGozxing is gozxing as its README shows it, for comparison.
func naiveGozxing(img image.Image) string {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return ""
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hintsTryHarder)
	if err != nil {
		return ""
	}
	return res.GetText()
}

// BenchmarkWriteQRPNG is the PNG a verifier draws at every sign-up.
func BenchmarkWriteQRPNG(b *testing.B) {
	for b.Loop() {
		if err := WriteQRPNG(io.Discard, qrURI1); err != nil {
			b.Fatal(err)
		}
	}
}
