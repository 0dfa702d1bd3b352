package provisioning

// Test images for the QR decoder, generated at test time: codes drawn by qrencode (a
// different encoder from ours), then rotated, inverted, put side by side, or turned
// into a 12 MP "phone photo". Nothing big is checked in.

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/otpair/otpair/internal/external"
)

// Example URIs for the images (secrets from public documentation examples).
const (
	qrURI1 = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
	qrURI2 = "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
)

// qrencodeImage draws text with the qrencode tool at the given module size (pixels per
// module) and a 4-module margin.
func qrencodeImage(t testing.TB, text string, moduleSize int) *image.Gray {
	t.Helper()
	tool := external.Tool(t, "qrencode", "qrencode")
	out, err := exec.Command(tool, "-t", "PNG", "-o", "-", "-s", strconv.Itoa(moduleSize), "-m", "4", text).Output()
	if err != nil {
		t.Fatalf("qrencode: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode qrencode png: %v", err)
	}
	return toGrayImage(img)
}

// toGrayImage copies any image into an *image.Gray at the origin.
func toGrayImage(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return g
}

// invertGray makes light-on-dark from dark-on-light.
func invertGray(src *image.Gray) *image.Gray {
	out := image.NewGray(src.Rect)
	for i, v := range src.Pix {
		out.Pix[i] = 255 - v
	}
	return out
}

// rotateGray turns src by deg degrees counter-clockwise about its centre, with bilinear
// sampling, onto a canvas big enough to hold it, filled with bg.
func rotateGray(src *image.Gray, deg float64, bg uint8) *image.Gray {
	sw, sh := float64(src.Rect.Dx()), float64(src.Rect.Dy())
	rad := deg * math.Pi / 180
	sin, cos := math.Sin(rad), math.Cos(rad)
	w := int(math.Ceil(math.Abs(sw*cos) + math.Abs(sh*sin)))
	h := int(math.Ceil(math.Abs(sw*sin) + math.Abs(sh*cos)))
	out := image.NewGray(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)/2
	scx, scy := sw/2, sh/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			// Inverse rotation: where in the source does this pixel come from?
			sx := cos*dx - sin*dy + scx - 0.5
			sy := sin*dx + cos*dy + scy - 0.5
			out.Pix[y*out.Stride+x] = sampleGray(src, sx, sy, bg)
		}
	}
	return out
}

// sampleGray is a bilinear sample of src at (x, y), bg outside it.
func sampleGray(src *image.Gray, x, y float64, bg uint8) uint8 {
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(px, py int) float64 {
		if px < 0 || py < 0 || px >= src.Rect.Dx() || py >= src.Rect.Dy() {
			return float64(bg)
		}
		return float64(src.Pix[py*src.Stride+px])
	}
	v := at(x0, y0)*(1-fx)*(1-fy) + at(x0+1, y0)*fx*(1-fy) + at(x0, y0+1)*(1-fx)*fy + at(x0+1, y0+1)*fx*fy
	return uint8(math.Round(v))
}

// sideBySide puts images next to each other on a white canvas with a gap.
func sideBySide(imgs ...*image.Gray) *image.Gray {
	const gap = 40
	w, h := gap, 0
	for _, img := range imgs {
		w += img.Rect.Dx() + gap
		h = max(h, img.Rect.Dy())
	}
	h += 2 * gap
	out := image.NewGray(image.Rect(0, 0, w, h))
	for i := range out.Pix {
		out.Pix[i] = 0xff
	}
	x := gap
	for _, img := range imgs {
		for y := 0; y < img.Rect.Dy(); y++ {
			copy(out.Pix[(gap+y)*out.Stride+x:], img.Pix[y*img.Stride:y*img.Stride+img.Rect.Dx()])
		}
		x += img.Rect.Dx() + gap
	}
	return out
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeTemp writes data to a file in the test's temp dir and returns its path.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// zbarimg decodes a file with zbarimg (QR only), the independent oracle. ok is false
// when zbarimg found nothing (its exit status 4).
func zbarimg(t testing.TB, path string) (texts []string, ok bool) {
	t.Helper()
	tool := external.Tool(t, "zbarimg", "zbar-tools")
	cmd := exec.Command(tool, "--nodbus", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 4 {
		return nil, false
	}
	if err != nil {
		t.Fatalf("zbarimg %s: %v: %s", path, err, stderr.String())
	}
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line != "" {
			texts = append(texts, line)
		}
	}
	return texts, len(texts) > 0
}

// photoOptions shapes a generated "phone photo of a QR code".
type photoOptions struct {
	width, height int
	codeFraction  float64 // the code's side (with quiet zone) as a fraction of the height
	angle         float64 // degrees
	keystone      float64 // perspective: how much narrower the far edge is (0..0.2)
	blurRadius    int     // box blur radius in pixels, applied twice
	noiseBefore   float64 // Gaussian sigma added before the blur (sensor grain)
	noiseAfter    float64 // Gaussian sigma added after the blur
	invert        bool    // light modules on a dark screen
	seed          uint64
}

// realPhoto is research §4.2's "real" noise level at 12 MP.
var realPhoto = photoOptions{
	width: 4000, height: 3000, codeFraction: 0.35, angle: 4, keystone: 0.06,
	blurRadius: 2, noiseBefore: 10, noiseAfter: 4, seed: 1,
}

// The generator functions are marked go:norace: they touch 12 million pixels several
// times and share nothing between goroutines, and under -race they would take most of
// the package's test time.

// photoLike renders code (a dark-on-light QR image with its quiet zone) as a phone
// photo: placed under a perspective on a paper-coloured page lit by a gradient, blurred,
// grained and with a warm colour cast, returned as the YCbCr a JPEG holds.
//
//go:norace
func photoLike(code *image.Gray, o photoOptions) *image.YCbCr {
	rng := rand.New(rand.NewPCG(o.seed, 0x9e3779b97f4a7c15))
	w, h := o.width, o.height
	side := o.codeFraction * float64(h)
	cx, cy := float64(w)*0.55, float64(h)*0.48
	// The code's corners, clockwise from top-left, before rotation: a square with its
	// bottom edge wider than its top (the phone tilted back).
	hw, hh := side*float64(code.Rect.Dx())/float64(code.Rect.Dy())/2, side/2
	k := o.keystone * hw
	corners := [4][2]float64{{-hw + k, -hh}, {hw - k, -hh}, {hw, hh}, {-hw, hh}}
	rad := o.angle * math.Pi / 180
	for i, c := range corners {
		corners[i] = [2]float64{
			cx + c[0]*math.Cos(rad) - c[1]*math.Sin(rad),
			cy + c[0]*math.Sin(rad) + c[1]*math.Cos(rad),
		}
	}
	toCode := quadToSquare(corners)
	cw, ch := float64(code.Rect.Dx()), float64(code.Rect.Dy())

	// Only pixels inside the code's bounding box need the projective map.
	minX, minY, maxX, maxY := float64(w), float64(h), 0.0, 0.0
	for _, c := range corners {
		minX, maxX = math.Min(minX, c[0]), math.Max(maxX, c[0])
		minY, maxY = math.Min(minY, c[1]), math.Max(maxY, c[1])
	}
	noise := newNoise(rng)
	lum := make([]float32, w*h)
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		inY := float64(y) >= minY-1 && float64(y) <= maxY+1
		row := lum[y*w : (y+1)*w]
		for x := range row {
			// Lighting: brighter top-left, darker bottom-right, plus a soft vignette.
			fx := float64(x) / float64(w)
			light := 0.95 - 0.25*fx*fy - 0.15*((fx-0.5)*(fx-0.5)+(fy-0.5)*(fy-0.5))
			v := 225.0
			if inY && float64(x) >= minX-1 && float64(x) <= maxX+1 {
				u, s := toCode.apply(float64(x)+0.5, float64(y)+0.5)
				if u >= 0 && u < 1 && s >= 0 && s < 1 {
					c := code.Pix[int(s*ch)*code.Stride+int(u*cw)]
					if o.invert {
						c = 255 - c
					}
					v = 35 + float64(c)*(215-35)/255
				}
			}
			row[x] = float32(v*light + noise.next()*o.noiseBefore)
		}
	}
	for range 2 {
		boxBlur(lum, w, h, o.blurRadius)
	}
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i, v := range lum {
		img.Y[i] = clamp8(float64(v) + noise.next()*o.noiseAfter)
	}
	// A warm cast: a little less blue, a little more red.
	for i := range img.Cb {
		img.Cb[i] = clamp8(122 + noise.next()*1.5)
		img.Cr[i] = clamp8(134 + noise.next()*1.5)
	}
	return img
}

// gaussNoise hands out standard normal samples cheaply: a table of them, indexed by a
// fast generator (12 million NormFloat64 calls per photo would dominate the test).
type gaussNoise struct {
	table []float64
	rng   *rand.Rand
	bits  uint64
	left  int
}

func newNoise(rng *rand.Rand) *gaussNoise {
	n := &gaussNoise{table: make([]float64, 1<<16), rng: rng}
	for i := range n.table {
		n.table[i] = rng.NormFloat64()
	}
	return n
}

//go:norace
func (n *gaussNoise) next() float64 {
	if n.left == 0 {
		n.bits, n.left = n.rng.Uint64(), 4
	}
	v := n.table[n.bits&0xffff]
	n.bits >>= 16
	n.left--
	return v
}

//go:norace
func clamp8(v float64) uint8 {
	return uint8(math.Max(0, math.Min(255, math.Round(v))))
}

// boxBlur blurs in place with a (2r+1)-wide box, horizontally then vertically (the
// vertical pass keeps running sums for all columns, row by row, to stay in cache).
//
//go:norace
func boxBlur(p []float32, w, h, r int) {
	if r <= 0 {
		return
	}
	norm := 1 / float32(2*r+1)
	tmp := make([]float32, w)
	for y := 0; y < h; y++ {
		row := p[y*w : (y+1)*w]
		var sum float32
		for i := -r; i <= r; i++ {
			sum += row[min(max(i, 0), w-1)]
		}
		for x := 0; x < w; x++ {
			tmp[x] = sum * norm
			sum += row[min(x+r+1, w-1)] - row[max(x-r, 0)]
		}
		copy(row, tmp)
	}
	src := slices.Clone(p)
	sums := make([]float32, w)
	for i := -r; i <= r; i++ {
		row := src[min(max(i, 0), h-1)*w:]
		for x := range sums {
			sums[x] += row[x]
		}
	}
	for y := 0; y < h; y++ {
		out := p[y*w : (y+1)*w]
		add := src[min(y+r+1, h-1)*w:]
		sub := src[max(y-r, 0)*w:]
		for x := range out {
			out[x] = sums[x] * norm
			sums[x] += add[x] - sub[x]
		}
	}
}

// quadToSquare returns the projective map taking the quadrilateral q (clockwise from
// the top-left) to the unit square: the inverse of Heckbert's square-to-quad.
func quadToSquare(q [4][2]float64) homography {
	x0, y0 := q[0][0], q[0][1]
	x1, y1 := q[1][0], q[1][1]
	x2, y2 := q[2][0], q[2][1]
	x3, y3 := q[3][0], q[3][1]
	dx3, dy3 := x0-x1+x2-x3, y0-y1+y2-y3
	var a, b, c, d, e, f, g, hh float64
	if dx3 == 0 && dy3 == 0 {
		a, b, c = x1-x0, x2-x1, x0
		d, e, f = y1-y0, y2-y1, y0
	} else {
		dx1, dx2 := x1-x2, x3-x2
		dy1, dy2 := y1-y2, y3-y2
		den := dx1*dy2 - dx2*dy1
		g = (dx3*dy2 - dx2*dy3) / den
		hh = (dx1*dy3 - dx3*dy1) / den
		a, b, c = x1-x0+g*x1, x3-x0+hh*x3, x0
		d, e, f = y1-y0+g*y1, y3-y0+hh*y3, y0
	}
	// Square to quad is [x y w] = [u v 1] * M with M = [[a d g] [b e h] [c f 1]]; invert
	// it with the adjoint (the scale does not matter in homogeneous coordinates).
	A, B, C := e-f*hh, f*g-d, d*hh-e*g
	D, E, F := c*hh-b, a-c*g, b*g-a*hh
	G, H, I := b*f-c*e, c*d-a*f, a*e-b*d
	return homography{A, B, C, D, E, F, G, H, I}
}

// homography is a projective map, as the adjoint matrix quadToSquare computes.
type homography struct{ a, b, c, d, e, f, g, h, i float64 }

//go:norace
func (m homography) apply(x, y float64) (u, v float64) {
	w := x*m.c + y*m.f + m.i
	return (x*m.a + y*m.d + m.g) / w, (x*m.b + y*m.e + m.h) / w
}
