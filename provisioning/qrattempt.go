package provisioning

import (
	"context"
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Hint sets for the attempts. gozxing reads but never writes them, so they are shared.
var (
	hintsTryHarder = map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	hintsPure      = map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true}
)

// decodeLevel runs every attempt on one size of the image, normal and inverted, and
// returns everything found. All attempts run even after one succeeds, because the
// single-code readers stop at one code and the multi-code reader misses some codes the
// others read (research §4.3: a 10-account export only PURE_BARCODE and multi read).
// The three attempts share one binarisation per polarity, which is most of the cost;
// the inverted polarity runs on a second goroutine (the pixels are only read).
func decodeLevel(ctx context.Context, g grayImage) []found {
	inverted := make(chan []found, 1)
	go func() { inverted <- decodePolarity(ctx, g, true) }()
	normal := decodePolarity(ctx, g, false)
	return append(normal, <-inverted...)
}

// decodePolarity runs the attempts on g, or on its inverse. The finder-pattern search
// runs first, bounded (qrmulti.go): a level with too many candidates gets only the
// PURE_BARCODE attempt, whose work is bounded by the pixels. ctx is checked between
// attempts and inside the search; one gozxing attempt on a level of at most
// maxFullPixels takes well under a second.
func decodePolarity(ctx context.Context, g grayImage, inverted bool) []found {
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.pix, g.w, g.h, 0, 0, g.w, g.h, false)
	if err != nil {
		return nil
	}
	if inverted {
		src = gozxing.NewInvertedLuminanceSource(src)
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return nil
	}
	matrix, err := bmp.GetBlackMatrix() // binarised once; the attempts share it
	if err != nil || ctx.Err() != nil {
		return nil
	}
	finder, ok, err := findCandidates(ctx, matrix)
	if err != nil {
		return nil
	}
	stats := finderStats{candidates: len(finder.GetPossibleCenters()), tooMany: !ok}
	var all []found
	if ok {
		all = append(all, attemptSingle(bmp, hintsTryHarder)...)
	}
	if ctx.Err() == nil {
		all = append(all, attemptSingle(bmp, hintsPure)...)
	}
	if ok && ctx.Err() == nil {
		if triples, err := selectTriples(ctx, finder.GetPossibleCenters()); err == nil {
			stats.triples = len(triples)
			all = append(all, decodeTriples(ctx, matrix, triples)...)
		}
	}
	if testHookFinder != nil {
		testHookFinder(stats)
	}
	return all
}

// attemptSingle runs the one-code reader. A panic inside gozxing (its detector indexes
// arrays with coordinates computed from the image) counts as a failed attempt.
func attemptSingle(bmp *gozxing.BinaryBitmap, hints map[gozxing.DecodeHintType]interface{}) (out []found) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil || res == nil {
		return nil
	}
	return []found{foundFrom(res)}
}

// foundFrom takes the text and the centre of a result's finder patterns.
func foundFrom(res *gozxing.Result) found {
	f := found{text: res.GetText()}
	var n float64
	for _, p := range res.GetResultPoints() {
		if p == nil {
			continue
		}
		f.x += p.GetX()
		f.y += p.GetY()
		n++
	}
	if n > 0 {
		f.x /= n
		f.y /= n
		f.located = true
	}
	pts := res.GetResultPoints()
	for i, p := range pts {
		for _, q := range pts[i+1:] {
			if p != nil && q != nil {
				f.size = max(f.size, math.Hypot(p.GetX()-q.GetX(), p.GetY()-q.GetY()))
			}
		}
	}
	return f
}
