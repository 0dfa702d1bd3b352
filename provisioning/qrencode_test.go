package provisioning

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"
)

// encodeTexts are what otpair puts in QR codes: short and long otpauth URIs, a Google
// Authenticator export page, and a label that is not ASCII.
var encodeTexts = []string{
	qrURI1,
	qrURI2,
	"otpauth://hotp/Bank:me?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=42&digits=8&algorithm=SHA512",
	"otpauth-migration://offline?data=" + strings.Repeat("CjEKCkhlbGxvId6tvu8SGHRlc3RAZXhhbXBsZS5jb20aBUFDTUUgIAEoATACEAEYASAA", 12),
	"otpauth://totp/Zürich%20Bank:jörg?secret=JBSWY3DPEHPK3PXP&issuer=Zürich+Bank",
	"otpauth://totp/Ünïcödé 银行:用户?secret=JBSWY3DPEHPK3PXP",
}

// TestEncodeQRRoundTripZbarimg: zbarimg, a decoder someone else wrote, reads back every
// PNG WriteQRPNG writes, and so does DecodeQR.
func TestEncodeQRRoundTripZbarimg(t *testing.T) {
	for i, text := range encodeTexts {
		var buf bytes.Buffer
		if err := WriteQRPNG(&buf, text); err != nil {
			t.Fatalf("WriteQRPNG(%q): %v", text, err)
		}
		zb, ok := zbarimg(t, writeTemp(t, "enc"+string(rune('a'+i))+".png", buf.Bytes()))
		if !ok || !slices.Equal(zb, []string{text}) {
			t.Errorf("zbarimg read %q (found: %v), want %q", zb, ok, text)
		}
		got, err := DecodeQRBytes(t.Context(), buf.Bytes())
		if err != nil || !slices.Equal(got, []string{text}) {
			t.Errorf("DecodeQRBytes = %q, %v; want %q", got, err, text)
		}
	}
}

// TestEncodeQRShape: a gray image, whole modules of QRModulePixels, a white quiet zone
// of QRQuietZone modules, and black finder patterns right inside it.
func TestEncodeQRShape(t *testing.T) {
	img, err := EncodeQR(qrURI1)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("EncodeQR returned %T, want *image.Gray", img)
	}
	side := g.Rect.Dx()
	if g.Rect.Dy() != side || side%QRModulePixels != 0 {
		t.Fatalf("image is %v, want a square of whole %d px modules", g.Rect, QRModulePixels)
	}
	modules := side/QRModulePixels - 2*QRQuietZone
	if modules < 21 || (modules-21)%4 != 0 {
		t.Fatalf("%d modules across is not a QR version", modules)
	}
	quiet := QRQuietZone * QRModulePixels
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			inQuiet := x < quiet || y < quiet || x >= side-quiet || y >= side-quiet
			if v := g.GrayAt(x, y).Y; inQuiet && v != 0xff {
				t.Fatalf("quiet-zone pixel (%d,%d) = %d, want white", x, y, v)
			}
		}
	}
	// The top-left finder pattern's outer ring starts at the first module inside the zone.
	if g.GrayAt(quiet, quiet).Y != 0 || g.GrayAt(quiet+7*QRModulePixels-1, quiet).Y != 0 {
		t.Error("no finder pattern at the top-left corner inside the quiet zone")
	}
	var buf bytes.Buffer
	if err := WriteQRPNG(&buf, qrURI1); err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(&buf); err != nil || cfg.Width != side {
		t.Errorf("WriteQRPNG wrote %+v, %v; want a %d px PNG", cfg, err, side)
	}
}

// TestEncodeQRLevels: a text too long for level M still fits at L, and one too long for
// any QR code is refused with ErrTextTooLong.
func TestEncodeQRLevels(t *testing.T) {
	// Version 40-M holds 2331 bytes, 40-L 2953.
	long := strings.Repeat("a", 2600)
	img, err := EncodeQR(long)
	if err != nil {
		t.Fatalf("EncodeQR(2600 bytes): %v", err)
	}
	if got, err := DecodeQR(t.Context(), img); err != nil || !slices.Equal(got, []string{long}) {
		t.Errorf("round trip of 2600 bytes failed: %v", err)
	}
	_, err = EncodeQR(strings.Repeat("a", 3000))
	if !errors.Is(err, ErrTextTooLong) {
		t.Errorf("EncodeQR(3000 bytes) error = %v, want ErrTextTooLong", err)
	}
	if _, err := RenderQRTerminal(strings.Repeat("a", 3000), TerminalColor); !errors.Is(err, ErrTextTooLong) {
		t.Errorf("RenderQRTerminal(3000 bytes) error = %v, want ErrTextTooLong", err)
	}
	var buf bytes.Buffer
	if err := WriteQRPNG(&buf, strings.Repeat("a", 3000)); !errors.Is(err, ErrTextTooLong) || buf.Len() != 0 {
		t.Errorf("WriteQRPNG(3000 bytes) = %v and %d bytes, want ErrTextTooLong and nothing", err, buf.Len())
	}
}
