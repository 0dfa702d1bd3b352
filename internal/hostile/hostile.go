// Package hostile builds hostile inputs for tests: small files that would cost a
// decoder time or memory out of all proportion to their size. They are built from
// code, so nothing large is checked in.
package hostile

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
)

// FinderGrid is a size×size white image tiled with QR finder patterns (7×7 modules of
// module pixels each, gap modules apart). Every pattern is a candidate for a QR
// detector, and every right-angled triple of them a possible code: gozxing's
// multi-code reader tried them all (issue 11: 195 s and 4.7 GB for 800×800, module 3,
// gap 1, a 2.9 KB PNG).
func FinderGrid(size, module, gap int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	tile := (7 + gap) * module
	for ty := 0; ty+7*module <= size; ty += tile {
		for tx := 0; tx+7*module <= size; tx += tile {
			for y := range 7 * module {
				for x := range 7 * module {
					mx, my := x/module, y/module
					ring := mx == 0 || mx == 6 || my == 0 || my == 6
					centre := mx >= 2 && mx <= 4 && my >= 2 && my <= 4
					if ring || centre {
						img.Pix[(ty+y)*size+tx+x] = 0
					}
				}
			}
		}
	}
	return img
}

// PNG encodes img as a PNG.
func PNG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // an in-memory image always encodes
	}
	return buf.Bytes()
}

// PNG colour types, for BlackPNG.
const (
	Gray = 0
	RGB  = 2
	RGBA = 6
)

// BlackPNG is a complete, valid w×h PNG of all-zero samples (black, or transparent
// black) at the given bit depth and colour type, a few KB however large: the
// decompression bomb of image files. A 16-bit 10000×10000 one asks a decoder for
// 200 MB (grey) to 800 MB (RGB) of pixels. It is built without compressing the
// gigabytes it stands for: the zlib stream repeats one deflate piece that writes a MiB
// of zeros.
func BlackPNG(w, h, depth, colorType int) []byte {
	channels := map[int]int{Gray: 1, RGB: 3, RGBA: 4}[colorType]
	raw := int64(h) * (1 + int64(w)*int64(channels*depth/8)) // a filter byte (0, none) a row
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = byte(depth), byte(colorType)
	writeChunk(&out, "IHDR", ihdr)
	writeChunk(&out, "IDAT", zeroZlib(raw))
	writeChunk(&out, "IEND", nil)
	return out.Bytes()
}

// zeroZlib is a zlib stream of n zero bytes.
func zeroZlib(n int64) []byte {
	const piece = 1 << 20
	var z bytes.Buffer
	z.Write([]byte{0x78, 0x01}) // deflate, 32 KB window, no dictionary
	full := deflatedZeros(piece)
	for left := n; left > 0; left -= piece {
		if left >= piece {
			z.Write(full)
		} else {
			z.Write(deflatedZeros(int(left)))
		}
	}
	z.Write([]byte{0x03, 0x00}) // an empty final block
	// Adler-32 of n zeros: a stays 1, b adds a (1) for each byte.
	return binary.BigEndian.AppendUint32(z.Bytes(), uint32(n%65521)<<16|1)
}

// deflatedZeros is non-final deflate blocks for n zeros, ending byte-aligned (a sync
// flush), so copies of it can follow one another in one stream: every back-reference
// points at zeros, whatever came before.
func deflatedZeros(n int) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write(make([]byte, n))
	fw.Flush()
	return b.Bytes()
}

func writeChunk(out *bytes.Buffer, typ string, data []byte) {
	binary.Write(out, binary.BigEndian, uint32(len(data)))
	chunk := append([]byte(typ), data...)
	out.Write(chunk)
	binary.Write(out, binary.BigEndian, crc32.ChecksumIEEE(chunk))
}
