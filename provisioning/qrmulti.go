package provisioning

import (
	"context"
	"math"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// The finder-pattern search is where a hostile image costs the most: gozxing's
// multi-code reader keeps every triple of candidate patterns that could be a code and
// tries to decode each, so an 800x800 PNG tiled with finder patterns (2.9 KB) took
// 195 s and 4.7 GB. otpair runs the same search with its work bounded: a level with
// more candidates than maxFinderCandidates has no code worth the search (the
// finder-based attempts skip it; PURE_BARCODE still runs), and at most
// maxFinderTriples triples are decoded. A real image has three candidates a code, and a
// few more where noise happens to look like one.
const (
	maxFinderCandidates = 60
	maxFinderTriples    = 256
)

// Bounds from gozxing's multi finder (ZXing's MultiFinderPatternFinder): what makes
// three candidates a possible code.
const (
	maxModulesPerEdge = 180  // a version 40 code is 177 modules wide
	minModulesPerEdge = 9    // a version 1 code is 21
	diffModSizeRatio  = 0.05 // module sizes of one code differ by less than 5 %…
	diffModSizePixels = 0.5  // …or less than half a pixel
)

// finderStats is what one search found, for tests and the benchmark to see the bounds
// at work.
type finderStats struct {
	candidates int  // finder-pattern candidates, up to maxFinderCandidates+1
	tooMany    bool // more than maxFinderCandidates: the finder-based attempts skipped the level
	triples    int  // triples decoded
}

// testHookFinder, if set, sees every search's stats. Only tests set it.
var testHookFinder func(finderStats)

// findCandidates scans the binarised image for finder patterns the way gozxing's multi
// finder does with TRY_HARDER (every third row, each 1:1:3:1:1 run cross-checked), and
// returns the finder holding them. It stops as soon as there are more than
// maxFinderCandidates (ok is false) or ctx is done, checking ctx once a row.
func findCandidates(ctx context.Context, matrix *gozxing.BitMatrix) (f *detector.FinderPatternFinder, ok bool, err error) {
	f = detector.NewFinderPatternFinder(matrix, nil)
	maxI, maxJ := matrix.GetHeight(), matrix.GetWidth()
	state := make([]int, 5)
	tooMany := func() bool { return len(f.GetPossibleCenters()) > maxFinderCandidates }
	for i := detector.FinderPatternFinder_MIN_SKIP - 1; i < maxI; i += detector.FinderPatternFinder_MIN_SKIP {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		detector.FinderPatternFinder_ClearCounts(state)
		current := 0
		for j := 0; j < maxJ; j++ {
			if matrix.Get(j, i) {
				if current&1 == 1 { // counting white: a black pixel starts the next run
					current++
				}
				state[current]++
				continue
			}
			if current&1 == 1 { // white pixel while counting white
				state[current]++
				continue
			}
			if current < 4 { // a black run ends
				current++
				state[current]++
				continue
			}
			if detector.FinderPatternFinder_foundPatternCross(state) && f.HandlePossibleCenter(state, i, j) {
				if tooMany() {
					return f, false, nil
				}
				current = 0
				detector.FinderPatternFinder_ClearCounts(state)
			} else {
				detector.FinderPatternFinder_ShiftCounts2(state)
				current = 3
			}
		}
		if detector.FinderPatternFinder_foundPatternCross(state) {
			f.HandlePossibleCenter(state, i, maxJ)
			if tooMany() {
				return f, false, nil
			}
		}
	}
	return f, true, nil
}

// selectTriples picks the triples of candidates that could be a code, as gozxing's
// multi finder does (similar module sizes, a module count within the QR range, two
// legs of similar length at a right angle), in the same order, but at most
// maxFinderTriples of them, checking ctx once per first candidate.
func selectTriples(ctx context.Context, candidates []*detector.FinderPattern) ([]*detector.FinderPatternInfo, error) {
	n := len(candidates)
	if n < 3 {
		return nil, nil
	}
	if n == 3 {
		return []*detector.FinderPatternInfo{orderTriple(candidates[0], candidates[1], candidates[2])}, nil
	}
	sorted := append([]*detector.FinderPattern(nil), candidates...)
	// The order gozxing uses: largest estimated module size first.
	sort.Slice(sorted, func(i, j int) bool {
		return sorted[j].GetEstimatedModuleSize()-sorted[i].GetEstimatedModuleSize() < 0
	})
	similar := func(a, b *detector.FinderPattern) bool {
		ma, mb := a.GetEstimatedModuleSize(), b.GetEstimatedModuleSize()
		return math.Abs(ma-mb) <= diffModSizePixels || (ma-mb)/math.Min(ma, mb) < diffModSizeRatio
	}
	var out []*detector.FinderPatternInfo
	for i1 := 0; i1 < n-2; i1++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p1 := sorted[i1]
		for i2 := i1 + 1; i2 < n-1; i2++ {
			p2 := sorted[i2]
			if !similar(p1, p2) {
				break // sorted by module size: no later p2 is closer
			}
			for i3 := i2 + 1; i3 < n; i3++ {
				p3 := sorted[i3]
				if !similar(p2, p3) {
					break
				}
				info := orderTriple(p1, p2, p3)
				if !possibleCode(info, p1.GetEstimatedModuleSize()) {
					continue
				}
				out = append(out, info)
				if len(out) == maxFinderTriples {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

// orderTriple names three patterns bottom-left, top-left and top-right.
func orderTriple(a, b, c *detector.FinderPattern) *detector.FinderPatternInfo {
	bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(a, b, c)
	return detector.NewFinderPatternInfo(bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern))
}

// possibleCode is gozxing's geometric test: a plausible module count along the legs,
// legs of equal length within 10 %, and a diagonal within 10 % of a right angle's.
func possibleCode(info *detector.FinderPatternInfo, moduleSize float64) bool {
	dA := gozxing.ResultPoint_Distance(info.GetTopLeft(), info.GetBottomLeft())
	dC := gozxing.ResultPoint_Distance(info.GetTopRight(), info.GetBottomLeft())
	dB := gozxing.ResultPoint_Distance(info.GetTopLeft(), info.GetTopRight())
	modules := (dA + dB) / (moduleSize * 2)
	if modules > maxModulesPerEdge || modules < minModulesPerEdge {
		return false
	}
	if math.Abs((dA-dB)/math.Min(dA, dB)) >= 0.1 {
		return false
	}
	diagonal := math.Sqrt(dA*dA + dB*dB)
	return math.Abs((dC-diagonal)/math.Min(dC, diagonal)) < 0.1
}

// decodeTriples samples and decodes the code each triple frames, as gozxing's multi
// reader does, checking ctx before each. A triple that does not decode is skipped; a
// panic inside gozxing counts as one that does not.
func decodeTriples(ctx context.Context, matrix *gozxing.BitMatrix, triples []*detector.FinderPatternInfo) []found {
	det := detector.NewDetector(matrix)
	dec := decoder.NewDecoder()
	var out []found
	var appended []saPart
	for _, info := range triples {
		if ctx.Err() != nil {
			break
		}
		f, sa, ok := decodeTriple(det, dec, info)
		switch {
		case !ok:
		case sa != nil:
			appended = append(appended, *sa)
		default:
			out = append(out, f)
		}
	}
	return append(out, joinStructuredAppend(appended)...)
}

// saPart is one symbol of a structured-append sequence (a text split over codes).
type saPart struct {
	seq  int
	text string
}

// decodeTriple decodes one triple: the code's text and place, or its part of a
// structured-append sequence.
func decodeTriple(det *detector.Detector, dec *decoder.Decoder, info *detector.FinderPatternInfo) (f found, sa *saPart, ok bool) {
	defer func() {
		if recover() != nil {
			f, sa, ok = found{}, nil, false
		}
	}()
	dr, err := det.ProcessFinderPatternInfo(info)
	if err != nil {
		return found{}, nil, false
	}
	res, err := dec.Decode(dr.GetBits(), hintsTryHarder)
	if err != nil {
		return found{}, nil, false
	}
	if res.HasStructuredAppend() {
		return found{}, &saPart{seq: res.GetStructuredAppendSequenceNumber(), text: res.GetText()}, true
	}
	points := dr.GetPoints()
	if meta, ok := res.GetOther().(*decoder.QRCodeDecoderMetaData); ok {
		meta.ApplyMirroredCorrection(points)
	}
	return foundFrom(gozxing.NewResult(res.GetText(), res.GetRawBytes(), points, gozxing.BarcodeFormat_QR_CODE)), nil, true
}

// joinStructuredAppend joins the parts of a structured-append sequence in order into
// one text without a position, as ZXing does.
func joinStructuredAppend(parts []saPart) []found {
	if len(parts) == 0 {
		return nil
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].seq < parts[j].seq })
	var text []byte
	for _, p := range parts {
		text = append(text, p.text...)
	}
	return []found{{text: string(text)}}
}
