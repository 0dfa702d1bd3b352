package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/lipgloss"
)

// Styles is every style the TUI draws with, built once from a renderer so that colours
// adapt to light and dark terminals and tests can pin the colour profile. Views only
// pick semantic fields from it; no colour literal appears outside this file.
type Styles struct {
	renderer *lipgloss.Renderer

	App         lipgloss.Style
	PaneFocused lipgloss.Style
	PaneBlurred lipgloss.Style
	PaneEdge    lipgloss.Style // the blurred pane's border glyphs
	PaneEdgeOn  lipgloss.Style // the focused pane's border glyphs
	PaneTitle   lipgloss.Style
	PaneTitleOn lipgloss.Style

	Issuer       lipgloss.Style
	Issuers      []lipgloss.Style // Issuer in each colour of issuerPalette
	Pin          lipgloss.Style   // the star of a pinned account
	Account      lipgloss.Style
	Selected     lipgloss.Style // marker in front of the selected row
	Code         lipgloss.Style
	CodeExpiring lipgloss.Style
	CodeNext     lipgloss.Style
	Countdown    lipgloss.Style
	CountdownLow lipgloss.Style
	Muted        lipgloss.Style
	Banner       lipgloss.Style

	FormTitle lipgloss.Style
	FormLabel lipgloss.Style
	FormHint  lipgloss.Style
	// FormSelected is a field's value while it is selected (typing replaces it).
	FormSelected lipgloss.Style
	Secret       lipgloss.Style // the sign-up key and URI, shown only on request

	ErrorTitle lipgloss.Style
	ErrorBody  lipgloss.Style
	Success    lipgloss.Style
	Failure    lipgloss.Style
	Pending    lipgloss.Style
	Time       lipgloss.Style

	StatusBar  lipgloss.Style
	StatusKey  lipgloss.Style
	StatusText lipgloss.Style
	Caption    lipgloss.Style

	HelpKey       lipgloss.Style
	HelpDesc      lipgloss.Style
	HelpSeparator lipgloss.Style

	// QRInk paints a QR code's lines black on white. It is not a lipgloss style: the
	// colours are the QR's modules, not decoration, so they are drawn with NO_COLOR and
	// on a terminal without colour detection too (otpair qr draws them the same way);
	// left to the terminal's background, a dark theme inverts the code.
	QRInk inline

	FlowCurrent  lipgloss.Style // the step a flow waits on, the flow picked
	FlowScreen   lipgloss.Style // a flow screen's title
	FlowButton   lipgloss.Style // a flow screen's submit button
	FlowButtonOn lipgloss.Style // the focused one

	barColor    string
	barLowColor string
}

// Palette: adaptive pairs, light terminal first.
var (
	colorAccent  = lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A48BFF"}
	colorText    = lipgloss.AdaptiveColor{Light: "#1F1F1F", Dark: "#E6E6E6"}
	colorMuted   = lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"}
	colorBorder  = lipgloss.AdaptiveColor{Light: "#B8B8B8", Dark: "#4A4A4A"}
	colorGood    = lipgloss.AdaptiveColor{Light: "#1E7B34", Dark: "#5FD787"}
	colorBad     = lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF6B6B"}
	colorWarn    = lipgloss.AdaptiveColor{Light: "#8A5A00", Dark: "#FFC857"}
	colorBarFill = lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#8C73FF"}
	colorStatus  = lipgloss.AdaptiveColor{Light: "#E4E0F5", Dark: "#2B2640"}
)

// issuerPalette colours issuer names, each issuer always the same one (issuerHue): a
// row is found by its colour before its name is read. The hues are spread round the
// wheel and kept readable on both backgrounds.
var issuerPalette = []lipgloss.AdaptiveColor{
	{Light: "#1F5FBF", Dark: "#6CB6FF"}, // blue
	{Light: "#1E7B34", Dark: "#6BD68A"}, // green
	{Light: "#A4361F", Dark: "#FF9B7A"}, // red-orange
	{Light: "#7A3FC0", Dark: "#C7A4FF"}, // violet
	{Light: "#00707A", Dark: "#5FD7D7"}, // teal
	{Light: "#8A5A00", Dark: "#F2C46D"}, // amber
	{Light: "#B0306E", Dark: "#FF8AC0"}, // pink
	{Light: "#4F6B00", Dark: "#B8D86B"}, // olive
}

// qrInk is black (16) on white (231) from the 256-colour palette, whose two ends are
// not themed the way the first 16 colours are (provisioning.TerminalColor uses them too).
var qrInk = inline{pre: "\x1b[38;5;16;48;5;231m", post: "\x1b[0m"}

// DefaultStyles builds the styles for one renderer (one terminal).
func DefaultStyles(r *lipgloss.Renderer) *Styles {
	s := &Styles{renderer: r}
	ns := r.NewStyle

	s.App = ns()
	s.PaneBlurred = ns().Border(lipgloss.RoundedBorder()).BorderForeground(colorBorder).Padding(0, 1)
	s.PaneFocused = s.PaneBlurred.BorderForeground(colorAccent)
	s.PaneEdge = ns().Foreground(colorBorder)
	s.PaneEdgeOn = s.PaneEdge.Foreground(colorAccent)
	s.PaneTitle = ns().Bold(true).Foreground(colorMuted)
	s.PaneTitleOn = s.PaneTitle.Foreground(colorAccent)

	s.Issuer = ns().Bold(true).Foreground(colorText)
	for _, c := range issuerPalette {
		s.Issuers = append(s.Issuers, s.Issuer.Foreground(c))
	}
	s.Pin = ns().Foreground(colorWarn)
	s.Account = ns().Foreground(colorMuted)
	s.Selected = ns().Foreground(colorAccent).Bold(true)
	s.Code = ns().Bold(true).Foreground(colorAccent)
	s.CodeExpiring = s.Code.Foreground(colorWarn)
	s.CodeNext = ns().Foreground(colorMuted)
	s.Countdown = ns().Foreground(colorMuted)
	s.CountdownLow = s.Countdown.Foreground(colorWarn).Bold(true)
	s.Muted = ns().Foreground(colorMuted)
	s.Banner = ns().Bold(true).Foreground(colorWarn)

	s.FormTitle = ns().Bold(true).Foreground(colorAccent)
	s.FormLabel = ns().Foreground(colorText)
	s.FormHint = ns().Foreground(colorMuted).Italic(true)
	s.FormSelected = ns().Reverse(true)
	s.Secret = ns().Foreground(colorWarn)

	s.ErrorTitle = ns().Bold(true).Foreground(colorBad)
	s.ErrorBody = ns().Foreground(colorText)
	s.Success = ns().Bold(true).Foreground(colorGood)
	s.Failure = ns().Bold(true).Foreground(colorBad)
	s.Pending = ns().Foreground(colorWarn)
	s.Time = ns().Foreground(colorMuted)

	s.StatusBar = ns().Foreground(colorText).Background(colorStatus)
	s.StatusKey = s.StatusBar.Bold(true).Foreground(colorAccent).Padding(0, 1)
	s.StatusText = s.StatusBar.Padding(0, 1)
	s.Caption = ns().Bold(true).Foreground(colorText).Border(lipgloss.NormalBorder(), false, false, false, true).BorderForeground(colorAccent).PaddingLeft(1)

	s.HelpKey = ns().Foreground(colorText).Bold(true)
	s.HelpDesc = ns().Foreground(colorMuted)
	s.HelpSeparator = ns().Foreground(colorBorder)

	// A QR code must stay black on white whatever the terminal's theme, or phones
	// cannot read it: the renderer draws dark modules as glyphs on this light ground.
	s.QRInk = qrInk

	s.FlowCurrent = ns().Bold(true).Foreground(colorAccent)
	s.FlowScreen = ns().Bold(true).Foreground(colorText)
	s.FlowButton = ns().Foreground(colorText)
	s.FlowButtonOn = s.FlowButton.Bold(true).Reverse(true)

	s.barColor = pick(r, colorBarFill)
	s.barLowColor = pick(r, colorWarn)
	return s
}

// pick resolves an adaptive colour for the renderer's background, for the bubbles
// components that take plain colour strings.
func pick(r *lipgloss.Renderer, c lipgloss.AdaptiveColor) string {
	if r.HasDarkBackground() {
		return c.Dark
	}
	return c.Light
}

// countdownBars returns the normal and the last-seconds progress bars, both drawn
// statically with ViewAs so nothing animates between ticks.
func (s *Styles) countdownBars(width int) (normal, low progress.Model) {
	opts := []progress.Option{progress.WithoutPercentage(), progress.WithWidth(width),
		progress.WithColorProfile(s.renderer.ColorProfile()), progress.WithFillCharacters('━', '─')}
	normal = progress.New(append(opts, progress.WithSolidFill(s.barColor))...)
	low = progress.New(append(opts, progress.WithSolidFill(s.barLowColor))...)
	low.EmptyColor = s.barColor
	normal.EmptyColor = pick(s.renderer, colorBorder)
	low.EmptyColor = normal.EmptyColor
	return normal, low
}

// inline is a one-line style reduced to the escape codes it puts around text. The
// account rows, drawn for every frame, use it to skip lipgloss's general Render (line
// splitting, width measuring, margins, borders), which styles without any of those do
// not need. TestInlineMatchesRender holds it to Render's output.
type inline struct{ pre, post string }

// newInline captures st's codes by rendering a marker through it. st must be colours
// and attributes only: no padding, margins, borders, widths or alignment.
func newInline(st lipgloss.Style) inline {
	const marker = "\x00"
	out := st.Render(marker)
	pre, post, ok := strings.Cut(out, marker)
	if !ok {
		return inline{}
	}
	return inline{pre: pre, post: post}
}

// paintQR draws every line of a QR code in the QR's ink.
func (s *Styles) paintQR(qr string) string {
	lines := strings.Split(qr, "\n")
	for i, l := range lines {
		lines[i] = s.QRInk.render(l)
	}
	return strings.Join(lines, "\n")
}

// render styles one line of text.
func (in inline) render(text string) string {
	if in.pre == "" && in.post == "" {
		return text
	}
	return in.pre + text + in.post
}
