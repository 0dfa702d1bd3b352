package provisioning

import (
	"fmt"
	"strings"

	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// TerminalStyle says how RenderQRTerminal makes dark and light modules on a terminal.
type TerminalStyle int

// Terminal styles. A phone camera needs dark modules on a light background (inverted
// codes defeat many scanners), but a terminal's default background may be dark or light
// and otpair cannot reliably ask which, so the default paints both colours itself.
const (
	// TerminalColor sets the colours explicitly: black modules on a white background,
	// quiet zone included, with the 256-colour palette's fixed black (16) and white
	// (231). Those two are not themed the way the first 16 colours are (a theme's
	// "white" may be grey, its "black" navy), so the code has full contrast on a dark
	// or a light terminal. A cell whose two modules are alike is a space in that
	// background colour rather than a glyph, so fonts whose blocks do not fill the line
	// height leave no light seams across dark areas. Every line ends with a reset, so
	// nothing bleeds when the terminal scrolls.
	TerminalColor TerminalStyle = iota
	// TerminalDarkBackground uses no escape codes and draws the light modules as glyphs,
	// for a terminal with light text on a dark background (or where colour is off).
	TerminalDarkBackground
	// TerminalLightBackground uses no escape codes and draws the dark modules as glyphs,
	// for a terminal with dark text on a light background.
	TerminalLightBackground
)

// ANSI sequences for TerminalColor, from the 256-colour palette: black (16) foreground,
// and a white (231) or black background.
const (
	ansiStart   = "\x1b[38;5;16;48;5;231m" // black on white: where every line starts
	ansiLightBg = "\x1b[48;5;231m"
	ansiDarkBg  = "\x1b[48;5;16m"
	ansiReset   = "\x1b[0m"
)

// String names the style as the --style flag spells it.
func (s TerminalStyle) String() string {
	switch s {
	case TerminalColor:
		return "color"
	case TerminalDarkBackground:
		return "dark"
	case TerminalLightBackground:
		return "light"
	}
	return fmt.Sprintf("TerminalStyle(%d)", int(s))
}

// ParseTerminalStyle reads "color", "dark" or "light".
func ParseTerminalStyle(s string) (TerminalStyle, error) {
	for _, st := range []TerminalStyle{TerminalColor, TerminalDarkBackground, TerminalLightBackground} {
		if s == st.String() {
			return st, nil
		}
	}
	return 0, fmt.Errorf("unknown terminal style %q (want color, dark or light)", s)
}

// RenderQRTerminal draws text as a QR code for a terminal, one module per column and
// two per row with the half blocks ▀ ▄ █ (square modules in a usual 1:2 cell), with a
// QRQuietZone-module quiet zone, each line ending in a newline.
func RenderQRTerminal(text string, style TerminalStyle) (string, error) {
	m, err := encodeMatrix(text)
	if err != nil {
		return "", err
	}
	return renderTerminal(m, style, QRQuietZone)
}

// RenderQRTerminalCompact is RenderQRTerminal for a screen with little room, such as a
// full-screen view in an 80x24 terminal: error-correction level L (7 %: a code shown
// on a screen has no dirt, folds or glare spots to survive; M made a typical
// provisioning URI a version larger) and a quiet zone of QRCompactQuietZone modules.
// A typical sign-up URI (about 95 characters) is then 41 columns and 21 lines.
func RenderQRTerminalCompact(text string, style TerminalStyle) (string, error) {
	m, err := encodeMatrixAt(text, decoder.ErrorCorrectionLevel_L)
	if err != nil {
		return "", err
	}
	return renderTerminal(m, style, QRCompactQuietZone)
}

// renderTerminal draws m with a quiet zone of quiet modules (see RenderQRTerminal).
func renderTerminal(m qrMatrix, style TerminalStyle, quiet int) (string, error) {
	switch style {
	case TerminalColor, TerminalDarkBackground, TerminalLightBackground:
	default:
		return "", fmt.Errorf("render qr: unknown terminal style %d", int(style))
	}
	// glyph reports whether a module is drawn in the foreground colour (as a glyph half)
	// rather than left as background: dark modules, except for a dark background.
	glyph := func(x, y int) bool {
		dark := m.at(x, y)
		if style == TerminalDarkBackground {
			return !dark
		}
		return dark
	}
	side := m.size + 2*quiet
	var b strings.Builder
	b.Grow((side/2 + 1) * (side*4 + len(ansiStart) + len(ansiReset) + 1))
	for row := 0; row < side; row += 2 {
		darkBg := false
		if style == TerminalColor {
			b.WriteString(ansiStart)
		}
		y := row - quiet
		for col := 0; col < side; col++ {
			x := col - quiet
			// Below the last row (side is odd) is more quiet zone.
			top, bottom := glyph(x, y), glyph(x, y+1)
			if row+1 >= side {
				bottom = style == TerminalDarkBackground
			}
			if style == TerminalColor {
				// Both modules dark: a space on a black background, no glyph.
				if want := top && bottom; want != darkBg {
					darkBg = want
					if darkBg {
						b.WriteString(ansiDarkBg)
					} else {
						b.WriteString(ansiLightBg)
					}
				}
				if darkBg {
					b.WriteByte(' ')
					continue
				}
			}
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		if style == TerminalColor {
			b.WriteString(ansiReset)
		}
		b.WriteByte('\n')
	}
	return b.String(), nil
}
