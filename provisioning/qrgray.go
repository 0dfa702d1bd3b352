package provisioning

import (
	"context"
	"image"
	"image/color"
)

// grayImage is an 8-bit luminance plane, row-major with no padding: the one input every
// QR attempt reads. gozxing v0.1.1 builds its luminance with img.At for every pixel
// (about 230 ms for a 12 MP photo, research §4.3); reading the pixel buffers directly
// costs a few milliseconds, and a JPEG's Y plane is used as it is.
type grayImage struct {
	pix  []byte
	w, h int
}

// toGray returns the luminance of img with transparent pixels composited over white,
// so a QR code saved with a transparent background still has a light one. Every pixel
// type the decoders produce has a loop of its own that reads the pixel buffer (img.At
// allocates for each pixel: a 16-bit 50 MP PNG took seconds and a gigabyte that way);
// the generic loop that remains checks ctx every few rows.
func toGray(ctx context.Context, img image.Image) (grayImage, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	g := grayImage{w: w, h: h}
	switch m := img.(type) {
	case *image.YCbCr:
		// JPEG (JFIF) luma is full-range: Y is the luminance already.
		if m.YStride == w && len(m.Y) >= w*h && m.YOffset(b.Min.X, b.Min.Y) == 0 {
			g.pix = m.Y[:w*h]
			return g, nil
		}
		g.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			i := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(g.pix[y*w:(y+1)*w], m.Y[i:i+w])
		}
	case *image.Gray:
		if m.Stride == w && m.PixOffset(b.Min.X, b.Min.Y) == 0 {
			g.pix = m.Pix[:w*h]
			return g, nil
		}
		g.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(g.pix[y*w:(y+1)*w], m.Pix[i:i+w])
		}
	case *image.Gray16:
		g.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			out := g.pix[y*w : (y+1)*w]
			for x := range out {
				out[x] = row[2*x] // the high byte
			}
		}
	case *image.RGBA:
		g.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			out := g.pix[y*w : (y+1)*w]
			for x := range out {
				p := row[4*x : 4*x+4 : 4*x+4]
				// Premultiplied: over white adds the missing coverage as white.
				out[x] = byte((luma(p[0], p[1], p[2]) + 255*255 - uint32(p[3])*255) / 255)
			}
		}
	case *image.NRGBA:
		g.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			out := g.pix[y*w : (y+1)*w]
			for x := range out {
				p := row[4*x : 4*x+4 : 4*x+4]
				a := uint32(p[3])
				out[x] = byte((luma(p[0], p[1], p[2])*a + 255*255*(255-a)) / (255 * 255))
			}
		}
	case *image.RGBA64:
		g.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			out := g.pix[y*w : (y+1)*w]
			for x := range out {
				p := row[8*x : 8*x+8 : 8*x+8] // big-endian 16-bit, premultiplied: the high bytes do
				out[x] = byte((luma(p[0], p[2], p[4]) + 255*255 - uint32(p[6])*255) / 255)
			}
		}
	case *image.NRGBA64:
		g.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			out := g.pix[y*w : (y+1)*w]
			for x := range out {
				p := row[8*x : 8*x+8 : 8*x+8]
				a := uint32(p[6])
				out[x] = byte((luma(p[0], p[2], p[4])*a + 255*255*(255-a)) / (255 * 255))
			}
		}
	case *image.Paletted:
		var lut [256]byte
		for i, c := range m.Palette {
			lut[i] = grayOverWhite(c)
		}
		g.pix = make([]byte, w*h)
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			out := g.pix[y*w : (y+1)*w]
			for x := range out {
				out[x] = lut[row[x]]
			}
		}
	default:
		// CMYK JPEGs, WebP with alpha, TIFF variants: RGBA64At reads a pixel without
		// allocating where the type has it.
		g.pix = make([]byte, w*h)
		fast, _ := img.(image.RGBA64Image)
		for y := 0; y < h; y++ {
			if y%64 == 0 {
				if err := ctx.Err(); err != nil {
					return grayImage{}, err
				}
			}
			out := g.pix[y*w : (y+1)*w]
			for x := range out {
				if fast != nil {
					c := fast.RGBA64At(b.Min.X+x, b.Min.Y+y)
					out[x] = grayOver16(uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A))
				} else {
					out[x] = grayOverWhite(img.At(b.Min.X+x, b.Min.Y+y))
				}
			}
		}
	}
	return g, ctx.Err()
}

// aliases reports whether g reads img's own pixel buffer (a JPEG's Y plane, a grey
// image), so img stays alive as long as g does.
func (g grayImage) aliases(img image.Image) bool {
	var buf []byte
	switch m := img.(type) {
	case *image.YCbCr:
		buf = m.Y
	case *image.Gray:
		buf = m.Pix
	}
	return len(buf) > 0 && len(g.pix) > 0 && &buf[0] == &g.pix[0]
}

// luma is ITU-R BT.601 luminance scaled by 255 (so 0..255*255), in integers.
func luma(r, g, b byte) uint32 {
	return (uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471) * 255 >> 16
}

// grayOverWhite is the luminance of c composited over a white background.
func grayOverWhite(c color.Color) byte {
	r, g, b, a := c.RGBA() // premultiplied, 16 bit
	return grayOver16(r, g, b, a)
}

// grayOver16 is the luminance of a premultiplied 16-bit colour over white.
func grayOver16(r, g, b, a uint32) byte {
	y := (r*19595 + g*38470 + b*7471) >> 16
	return byte((y + 0xffff - a) >> 8)
}

// shrink averages factor×factor blocks (a box filter). Downscaling both speeds up a
// large photo and smooths its noise: heavy sensor noise defeats every attempt at full
// size but not at about 1000 px (research §4.3).
func (g grayImage) shrink(factor int) grayImage {
	if factor <= 1 {
		return g
	}
	w, h := g.w/factor, g.h/factor
	out := grayImage{pix: make([]byte, w*h), w: w, h: h}
	sums := make([]uint32, w)
	area := uint32(factor * factor)
	for y := 0; y < h; y++ {
		clear(sums)
		for dy := 0; dy < factor; dy++ {
			row := g.pix[(y*factor+dy)*g.w : (y*factor+dy)*g.w+w*factor]
			addRow(sums, row, factor)
		}
		dst := out.pix[y*w : (y+1)*w]
		for x, s := range sums {
			dst[x] = byte((s + area/2) / area)
		}
	}
	return out
}

// addRow adds each factor-wide run of row to its sum. Factors 2 to 5 (what phone
// photos get) are unrolled: this loop is most of the time DecodeQR spends on a 12 MP
// photo after JPEG decoding.
func addRow(sums []uint32, row []byte, factor int) {
	switch factor {
	case 2:
		for x := range sums {
			p := row[2*x : 2*x+2 : 2*x+2]
			sums[x] += uint32(p[0]) + uint32(p[1])
		}
	case 3:
		for x := range sums {
			p := row[3*x : 3*x+3 : 3*x+3]
			sums[x] += uint32(p[0]) + uint32(p[1]) + uint32(p[2])
		}
	case 4:
		for x := range sums {
			p := row[4*x : 4*x+4 : 4*x+4]
			sums[x] += uint32(p[0]) + uint32(p[1]) + uint32(p[2]) + uint32(p[3])
		}
	case 5:
		for x := range sums {
			p := row[5*x : 5*x+5 : 5*x+5]
			sums[x] += uint32(p[0]) + uint32(p[1]) + uint32(p[2]) + uint32(p[3]) + uint32(p[4])
		}
	default:
		for x := range sums {
			var s uint32
			for _, v := range row[x*factor : x*factor+factor] {
				s += uint32(v)
			}
			sums[x] += s
		}
	}
}

// enlarge repeats every pixel factor×factor times. Codes drawn with one or two pixels
// per module are too fine for gozxing's finder-pattern search; nearest-neighbour
// enlargement keeps their edges sharp.
func (g grayImage) enlarge(factor int) grayImage {
	if factor <= 1 {
		return g
	}
	w, h := g.w*factor, g.h*factor
	out := grayImage{pix: make([]byte, w*h), w: w, h: h}
	for y := 0; y < g.h; y++ {
		src := g.pix[y*g.w : (y+1)*g.w]
		dst := out.pix[y*factor*w : (y*factor+1)*w]
		for x, v := range src {
			for i := 0; i < factor; i++ {
				dst[x*factor+i] = v
			}
		}
		for i := 1; i < factor; i++ {
			copy(out.pix[(y*factor+i)*w:(y*factor+i+1)*w], dst)
		}
	}
	return out
}
