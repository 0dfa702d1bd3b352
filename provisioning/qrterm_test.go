package provisioning

import (
	"fmt"
	"image"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/otpair/otpair/internal/external"
)

var ansiEscape = regexp.MustCompile("\x1b\\[([0-9;]*)m")

// rasterizeTerminal turns RenderQRTerminal's text back into an image, as a screen shows
// it: every cell is cellPx wide and two cellPx-high halves. A glyph's halves take the
// foreground colour, the rest the cell's background. The colours start as a terminal
// of the given kind draws them (dark text on light, or light on dark) and change with
// the 256-colour escapes the colour style writes (16 black, 231 white).
func rasterizeTerminal(t *testing.T, text string, darkTerminal bool, cellPx int) *image.Gray {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	cols := len([]rune(ansiEscape.ReplaceAllString(lines[0], "")))
	img := image.NewGray(image.Rect(0, 0, cols*cellPx, len(lines)*2*cellPx))
	fgDark, bgDark := !darkTerminal, darkTerminal // the terminal's defaults
	for row, line := range lines {
		// Colours carry over to the next line, as on a terminal (tmux's capture-pane
		// relies on it; RenderQRTerminal resets at every line end).
		col := 0
		for len(line) > 0 {
			if loc := ansiEscape.FindStringSubmatchIndex(line); loc != nil && loc[0] == 0 {
				params := strings.Split(line[loc[2]:loc[3]], ";")
				for i := 0; i < len(params); i++ {
					switch {
					case params[i] == "0" || params[i] == "":
						fgDark, bgDark = !darkTerminal, darkTerminal
					case params[i] == "39":
						fgDark = !darkTerminal
					case params[i] == "49":
						bgDark = darkTerminal
					case (params[i] == "38" || params[i] == "48") && i+2 < len(params) && params[i+1] == "5":
						var dark bool
						switch params[i+2] {
						case "16":
							dark = true
						case "231":
						default:
							t.Fatalf("line %d: unexpected colour %s", row, params[i+2])
						}
						if params[i] == "38" {
							fgDark = dark
						} else {
							bgDark = dark
						}
						i += 2
					default:
						t.Fatalf("line %d: unexpected escape parameter %q", row, params[i])
					}
				}
				line = line[loc[1]:]
				continue
			}
			r, size := utf8.DecodeRuneInString(line)
			line = line[size:]
			var top, bottom bool // glyph in the top and bottom halves
			switch r {
			case '█':
				top, bottom = true, true
			case '▀':
				top = true
			case '▄':
				bottom = true
			case ' ':
			default:
				t.Fatalf("unexpected character %q at line %d column %d", r, row, col)
			}
			for half, glyph := range []bool{top, bottom} {
				dark := bgDark
				if glyph {
					dark = fgDark
				}
				var v uint8 = 0xff
				if dark {
					v = 0
				}
				for dy := 0; dy < cellPx; dy++ {
					for dx := 0; dx < cellPx; dx++ {
						img.Pix[((row*2+half)*cellPx+dy)*img.Stride+col*cellPx+dx] = v
					}
				}
			}
			col++
		}
		if col != cols && !(row == len(lines)-1 && col == 0) {
			t.Fatalf("line %d is %d columns, line 0 is %d", row, col, cols)
		}
	}
	return img
}

// TestRenderQRTerminalRoundTrip: the half-block text, drawn as a screen would draw it,
// is read back by DecodeQR and by zbarimg, in every style; and its modules are exactly
// the encoder's, quiet zone included.
func TestRenderQRTerminalRoundTrip(t *testing.T) {
	for _, style := range []TerminalStyle{TerminalColor, TerminalDarkBackground, TerminalLightBackground} {
		for i, text := range encodeTexts[:4] {
			out, err := RenderQRTerminal(text, style)
			if err != nil {
				t.Fatalf("%v: %v", style, err)
			}
			// The colour style must read the same on either kind of terminal.
			darkTerminal := style == TerminalDarkBackground
			if style == TerminalColor && i%2 == 1 {
				darkTerminal = true
			}
			img := rasterizeTerminal(t, out, darkTerminal, 4)
			name := fmt.Sprintf("term_%v_%d.png", style, i)
			if got, err := DecodeQR(t.Context(), img); err != nil || !slices.Equal(got, []string{text}) {
				t.Errorf("%s: DecodeQR = %q, %v; want %q", name, got, err, text)
			}
			if zb, ok := zbarimg(t, writeTemp(t, name, encodePNG(t, img))); !ok || !slices.Equal(zb, []string{text}) {
				t.Errorf("%s: zbarimg = %q (found %v), want %q", name, zb, ok, text)
			}
			checkModules(t, name, text, rasterizeTerminal(t, out, darkTerminal, 1))
		}
	}
}

// TestRenderQRTerminalCompact: the compact drawing of a typical sign-up URI fits a
// full screen of 80x24 with a title and a hint line (41x21), and DecodeQR and zbarimg
// read it drawn as a screen draws it, on a dark terminal whose background surrounds
// the two-module quiet zone.
func TestRenderQRTerminalCompact(t *testing.T) {
	k := Key{Type: TOTP, Issuer: "otpair", Account: "alice@example.com", Secret: make([]byte, 20),
		Algorithm: SHA1, Digits: 6, Period: 30}
	for i := range k.Secret {
		k.Secret[i] = byte(0x9d * (i + 1))
	}
	for _, text := range []string{k.CompactURI(), encodeTexts[0]} {
		out, err := RenderQRTerminalCompact(text, TerminalLightBackground)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if text == k.CompactURI() && (len([]rune(lines[0])) > 41 || len(lines) > 21) {
			t.Errorf("a %d-character sign-up URI is %dx%d, want at most 41x21", len(text), len([]rune(lines[0])), len(lines))
		}
		// A dark terminal draws the glyphs light: paint them black on white as the TUI
		// does, then put the terminal's dark background around.
		colored := ""
		for _, l := range lines {
			colored += "\x1b[38;5;16;48;5;231m" + l + "\x1b[0m\n"
		}
		img := rasterizeTerminal(t, colored, true, 4)
		framed := image.NewGray(image.Rect(0, 0, img.Rect.Dx()+64, img.Rect.Dy()+64))
		draw.Draw(framed, img.Rect.Add(image.Pt(32, 32)), img, image.Point{}, draw.Src)
		if got, err := DecodeQR(t.Context(), framed); err != nil || !slices.Equal(got, []string{text}) {
			t.Errorf("DecodeQR = %q, %v; want %q", got, err, text)
		}
		if zb, ok := zbarimg(t, writeTemp(t, "compact.png", encodePNG(t, framed))); !ok || !slices.Equal(zb, []string{text}) {
			t.Errorf("zbarimg = %q (found %v), want %q", zb, ok, text)
		}
	}
}

// checkModules compares a one-pixel-per-module image with the encoder's matrix plus a
// light quiet zone (and the light padding row that makes the height even).
func checkModules(t *testing.T, name, text string, img *image.Gray) {
	t.Helper()
	m, err := encodeMatrix(text)
	if err != nil {
		t.Fatal(err)
	}
	side := m.size + 2*QRQuietZone
	if img.Rect.Dx() != side || img.Rect.Dy() != side+1 {
		t.Fatalf("%s: %v modules, want %dx%d plus one padding row", name, img.Rect.Size(), side, side)
	}
	for y := 0; y < side+1; y++ {
		for x := 0; x < side; x++ {
			dark := img.Pix[y*img.Stride+x] == 0
			if want := m.at(x-QRQuietZone, y-QRQuietZone); dark != want {
				t.Fatalf("%s: module (%d,%d) dark=%v, want %v", name, x, y, dark, want)
			}
		}
	}
}

// TestRenderQRTerminalColors: the colour style sets black on white on every line, before
// any character, and resets at the end of the line, so the quiet zone is white on a dark
// terminal too and nothing bleeds into the next prompt.
func TestRenderQRTerminalColors(t *testing.T) {
	out, err := RenderQRTerminal(qrURI2, TerminalColor)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, ansiStart) || !strings.HasSuffix(line, ansiReset) ||
			strings.Count(line, ansiReset) != 1 {
			t.Fatalf("line %d = %q, want it to start black-on-white and reset only at its end", i, line)
		}
	}
	// On a light terminal and a dark one the colour style draws the same picture.
	if !slices.Equal(rasterizeTerminal(t, out, false, 1).Pix, rasterizeTerminal(t, out, true, 1).Pix) {
		t.Error("the colour style depends on the terminal's own colours")
	}
	// Cells with two dark modules are background, not glyphs: no █ at all.
	if strings.Contains(out, "█") {
		t.Error("the colour style draws full blocks, which leave seams in some fonts")
	}
	for _, style := range []TerminalStyle{TerminalDarkBackground, TerminalLightBackground} {
		plain, _ := RenderQRTerminal(qrURI2, style)
		if strings.Contains(plain, "\x1b") {
			t.Errorf("%v style has escape codes", style)
		}
	}
	if _, err := RenderQRTerminal(qrURI2, TerminalStyle(9)); err == nil {
		t.Error("RenderQRTerminal accepted an unknown style")
	}
}

func TestParseTerminalStyle(t *testing.T) {
	for _, s := range []TerminalStyle{TerminalColor, TerminalDarkBackground, TerminalLightBackground} {
		if got, err := ParseTerminalStyle(s.String()); err != nil || got != s {
			t.Errorf("ParseTerminalStyle(%q) = %v, %v", s.String(), got, err)
		}
	}
	if _, err := ParseTerminalStyle("blue"); err == nil || !strings.Contains(err.Error(), `"blue"`) {
		t.Errorf("ParseTerminalStyle(blue) error = %v, want one naming it", err)
	}
}

// TestRenderQRTerminalInTmux: a real terminal (tmux) shows the rendering, and its screen,
// captured with colours and rasterised, decodes with DecodeQR and zbarimg.
func TestRenderQRTerminalInTmux(t *testing.T) {
	tmux := external.Tool(t, "tmux", "tmux")
	dir := t.TempDir()
	for _, style := range []TerminalStyle{TerminalColor, TerminalDarkBackground} {
		out, err := RenderQRTerminal(qrURI1, style)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, style.String()+".txt")
		if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(out, "\n")
		socket := filepath.Join(dir, style.String()+".sock")
		run := func(args ...string) string {
			t.Helper()
			b, err := exec.Command(tmux, append([]string{"-S", socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("tmux %v: %v: %s", args, err, b)
			}
			return string(b)
		}
		// The pane is one line taller than the drawing, so cat's output does not scroll.
		run("new-session", "-d", "-s", "qr", "-x", "120", "-y", strconv.Itoa(lines+2),
			"sh", "-c", "cat "+file+"; touch "+file+".done; exec sleep 60")
		t.Cleanup(func() { _ = exec.Command(tmux, "-S", socket, "kill-server").Run() })
		for i := 0; ; i++ {
			if _, err := os.Stat(file + ".done"); err == nil {
				break
			}
			if i > 200 {
				t.Fatal("tmux never finished drawing")
			}
			time.Sleep(10 * time.Millisecond) // waiting for another process; no clock to inject
		}
		screen := run("capture-pane", "-p", "-e", "-N", "-t", "qr", "-S", "0", "-E", strconv.Itoa(lines-1))
		img := rasterizeTerminal(t, screen, style == TerminalDarkBackground, 4)
		if got, err := DecodeQR(t.Context(), img); err != nil || !slices.Equal(got, []string{qrURI1}) {
			t.Errorf("%v in tmux: DecodeQR = %q, %v", style, got, err)
		}
		if zb, ok := zbarimg(t, writeTemp(t, "tmux_"+style.String()+".png", encodePNG(t, img))); !ok || !slices.Equal(zb, []string{qrURI1}) {
			t.Errorf("%v in tmux: zbarimg = %q (found %v)", style, zb, ok)
		}
	}
}
