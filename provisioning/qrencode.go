package provisioning

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// How EncodeQR draws a code.
const (
	// QRQuietZone is the light border, in modules, on every side: the 4 the QR standard
	// asks for. Scanners find the finder patterns by the contrast against it.
	QRQuietZone = 4
	// QRCompactQuietZone is the border of RenderQRTerminalCompact: 2 modules, which
	// phone scanners and zbarimg read off a screen, where nothing printed crowds the code.
	QRCompactQuietZone = 2
	// QRModulePixels is the side of one module in EncodeQR's image: 8 px makes a typical
	// otpauth URI (version 5 to 8) a 360 to 456 px image, easy to scan off a screen.
	QRModulePixels = 8
)

// ErrTextTooLong is returned when the text does not fit in the largest QR code
// (version 40, error-correction level L).
var ErrTextTooLong = errors.New("text too long for a QR code")

// qrMatrix is an encoded QR symbol without its quiet zone: size×size modules, true for
// dark.
type qrMatrix struct {
	size int
	dark []bool
}

func (m qrMatrix) at(x, y int) bool {
	if x < 0 || y < 0 || x >= m.size || y >= m.size {
		return false // the quiet zone and anything beyond it is light
	}
	return m.dark[y*m.size+x]
}

// encodeMatrix encodes text at error-correction level M (15 %: survives a glare spot or
// a dirty screen while keeping codes small), falling back to L for texts too long for
// M, such as a Google Authenticator export page of ten long labels.
func encodeMatrix(text string) (qrMatrix, error) {
	return encodeMatrixAt(text, decoder.ErrorCorrectionLevel_M, decoder.ErrorCorrectionLevel_L)
}

// encodeMatrixAt encodes text at the first of levels it fits in.
func encodeMatrixAt(text string, levels ...decoder.ErrorCorrectionLevel) (qrMatrix, error) {
	hints := map[gozxing.EncodeHintType]interface{}{}
	if !isASCII(text) {
		// gozxing writes ISO-8859-1 by default, and decoders guess at 8-bit bytes without
		// an ECI; otpauth URIs are ASCII (percent-encoded), but a raw label may not be.
		hints[gozxing.EncodeHintType_CHARACTER_SET] = "UTF-8"
	}
	var code *encoder.QRCode
	var err error
	for _, level := range levels {
		code, err = encodeAt(text, level, hints)
		if err == nil {
			break
		}
	}
	if err != nil {
		return qrMatrix{}, fmt.Errorf("encode qr: %w (%d bytes)", ErrTextTooLong, len(text))
	}
	bm := code.GetMatrix()
	m := qrMatrix{size: bm.GetWidth(), dark: make([]bool, bm.GetWidth()*bm.GetHeight())}
	for y := 0; y < bm.GetHeight(); y++ {
		for x := 0; x < bm.GetWidth(); x++ {
			m.dark[y*m.size+x] = bm.Get(x, y) == 1
		}
	}
	return m, nil
}

// encodeAt is one gozxing encode, with a panic treated as a failure.
func encodeAt(text string, level decoder.ErrorCorrectionLevel, hints map[gozxing.EncodeHintType]interface{}) (code *encoder.QRCode, err error) {
	defer func() {
		if r := recover(); r != nil {
			code, err = nil, fmt.Errorf("encoder failed: %v", r)
		}
	}()
	code, werr := encoder.Encoder_encode(text, level, hints)
	if werr != nil {
		return nil, werr
	}
	return code, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// EncodeQR draws text as a QR code: black modules of QRModulePixels on white, with a
// QRQuietZone-module margin. The image is an *image.Gray.
func EncodeQR(text string) (image.Image, error) {
	m, err := encodeMatrix(text)
	if err != nil {
		return nil, err
	}
	side := (m.size + 2*QRQuietZone) * QRModulePixels
	img := image.NewGray(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+side]
		my := y/QRModulePixels - QRQuietZone
		for x := range row {
			if m.at(x/QRModulePixels-QRQuietZone, my) {
				row[x] = 0
			} else {
				row[x] = 0xff
			}
		}
	}
	return img, nil
}

// WriteQRPNG writes text as a QR code PNG (EncodeQR's image) to w. The PNG is a
// two-colour palette image, one bit a pixel: an eighth of the data a grey image has to
// deflate, which makes it several times faster to write and smaller (a verifier draws
// one at every sign-up).
func WriteQRPNG(w io.Writer, text string) error {
	img, err := EncodeQR(text)
	if err != nil {
		return err
	}
	gray := img.(*image.Gray)
	bw := image.NewPaletted(gray.Rect, color.Palette{color.Black, color.White})
	for i, v := range gray.Pix {
		if v != 0 {
			bw.Pix[i] = 1
		}
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(w, bw); err != nil {
		return fmt.Errorf("write qr png: %w", err)
	}
	return nil
}
