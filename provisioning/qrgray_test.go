package provisioning

import (
	"math/rand/v2"
	"testing"
)

// TestShrinkAndEnlarge: the unrolled box filter equals a plain average of each block
// (rounded), for every factor, and enlarge repeats pixels exactly.
func TestShrinkAndEnlarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := grayImage{w: 103, h: 61}
	g.pix = make([]byte, g.w*g.h)
	for i := range g.pix {
		g.pix[i] = byte(rng.IntN(256))
	}
	for factor := 1; factor <= 9; factor++ {
		s := g.shrink(factor)
		if s.w != g.w/factor || s.h != g.h/factor {
			t.Fatalf("shrink(%d) is %dx%d", factor, s.w, s.h)
		}
		for y := 0; y < s.h; y++ {
			for x := 0; x < s.w; x++ {
				sum := 0
				for dy := 0; dy < factor; dy++ {
					for dx := 0; dx < factor; dx++ {
						sum += int(g.pix[(y*factor+dy)*g.w+x*factor+dx])
					}
				}
				area := factor * factor
				if want := (sum + area/2) / area; int(s.pix[y*s.w+x]) != want {
					t.Fatalf("shrink(%d) pixel (%d,%d) = %d, want %d", factor, x, y, s.pix[y*s.w+x], want)
				}
			}
		}
	}
	e := g.enlarge(3)
	for y := 0; y < e.h; y++ {
		for x := 0; x < e.w; x++ {
			if e.pix[y*e.w+x] != g.pix[(y/3)*g.w+x/3] {
				t.Fatalf("enlarge(3) pixel (%d,%d) differs from its source", x, y)
			}
		}
	}
}
