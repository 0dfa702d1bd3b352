package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// screenImage draws a `tmux capture-pane -e -p` capture as a dark-themed terminal
// shows it: every cell cellW×2·cellW pixels, a half-block glyph's halves in the
// foreground colour, the rest in the background colour. Colours come from the SGR
// sequences in the capture (256-colour and true colour); the terminal's own default
// is light text on black, the hard case for a QR code. Only shades of grey matter to
// a scanner, so each colour is its luminance.
func screenImage(t *testing.T, capture string, cellW int) *image.Gray {
	t.Helper()
	lines := strings.Split(strings.TrimRight(capture, "\n"), "\n")
	cols := 0
	for _, l := range lines {
		cols = max(cols, utf8.RuneCountInString(sgr.ReplaceAllString(l, "")))
	}
	const defaultFg, defaultBg = 0xdd, 0x00
	img := image.NewGray(image.Rect(0, 0, cols*cellW, len(lines)*2*cellW))
	for row, line := range lines {
		fg, bg := uint8(defaultFg), uint8(defaultBg)
		col := 0
		for len(line) > 0 {
			if loc := sgr.FindStringSubmatchIndex(line); loc != nil && loc[0] == 0 {
				fg, bg = applySGR(t, line[loc[2]:loc[3]], fg, bg, defaultFg, defaultBg)
				line = line[loc[1]:]
				continue
			}
			r, size := utf8.DecodeRuneInString(line)
			line = line[size:]
			top, bottom := bg, bg
			switch r {
			case '█':
				top, bottom = fg, fg
			case '▀':
				top = fg
			case '▄':
				bottom = fg
			case ' ':
			default:
				// Text: a cell of foreground ink on the background, roughly.
				top = uint8((int(fg) + 3*int(bg)) / 4)
				bottom = top
			}
			for half, v := range []uint8{top, bottom} {
				for dy := range cellW {
					for dx := range cellW {
						img.SetGray(col*cellW+dx, (row*2+half)*cellW+dy, color.Gray{Y: v})
					}
				}
			}
			col++
		}
	}
	return img
}

var sgr = regexp.MustCompile("\x1b\\[([0-9;:]*)m")

// applySGR applies one SGR sequence's colour changes.
func applySGR(t *testing.T, params string, fg, bg, defFg, defBg uint8) (uint8, uint8) {
	t.Helper()
	ps := strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' })
	if len(ps) == 0 {
		return defFg, defBg
	}
	num := func(i int) int {
		if i >= len(ps) {
			return 0
		}
		n, _ := strconv.Atoi(ps[i])
		return n
	}
	for i := 0; i < len(ps); i++ {
		switch n := num(i); {
		case n == 0:
			fg, bg = defFg, defBg
		case n == 39:
			fg = defFg
		case n == 49:
			bg = defBg
		case (n == 38 || n == 48) && num(i+1) == 5:
			v := xterm256Grey(num(i + 2))
			if n == 38 {
				fg = v
			} else {
				bg = v
			}
			i += 2
		case (n == 38 || n == 48) && num(i+1) == 2:
			v := uint8((299*num(i+2) + 587*num(i+3) + 114*num(i+4)) / 1000)
			if n == 38 {
				fg = v
			} else {
				bg = v
			}
			i += 4
		case n >= 30 && n <= 37, n >= 90 && n <= 97:
			fg = 0xaa
		case n >= 40 && n <= 47, n >= 100 && n <= 107:
			bg = 0x55
		}
	}
	return fg, bg
}

// xterm256Grey is the luminance of colour n of the xterm 256-colour palette.
func xterm256Grey(n int) uint8 {
	switch {
	case n < 16:
		if n == 0 || n == 8 {
			return 0x40 * uint8(n/8)
		}
		return 0xc0
	case n < 232:
		n -= 16
		level := func(c int) int {
			if c == 0 {
				return 0
			}
			return 55 + 40*c
		}
		r, g, b := level(n/36), level(n/6%6), level(n%6)
		return uint8((299*r + 587*g + 114*b) / 1000)
	}
	return uint8(8 + 10*(n-232))
}

// writePNG saves img in the test's temporary folder and returns the path.
func writePNG(t *testing.T, img image.Image, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

// screenColors is the pane's screen with its colours (capture-pane -e).
func (s *tmuxSession) screenColors() string {
	s.t.Helper()
	return s.run("capture-pane", "-e", "-p", "-t", s.name)
}
