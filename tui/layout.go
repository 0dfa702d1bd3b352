package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/otpair/otpair/internal/safetext"
)

// fit makes s exactly w cells wide and h lines high: long lines are cut with an
// ellipsis, short ones padded, missing lines added. Panes pass their content through it
// so their boxes never change size with what they show.
func fit(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		// One width measurement per line: this runs over the whole screen each frame.
		switch n := ansi.StringWidth(l); {
		case n > w:
			lines[i] = padRight(ansi.Truncate(l, w, "…"), w)
		case n < w:
			lines[i] = l + strings.Repeat(" ", w-n)
		}
	}
	return strings.Join(lines, "\n")
}

// fitHeight makes s exactly h lines without measuring widths, for output whose lines
// are already the right width.
func fitHeight(s string, h int) string {
	n := strings.Count(s, "\n") + 1
	switch {
	case n > h:
		lines := strings.SplitN(s, "\n", h+1)
		return strings.Join(lines[:h], "\n")
	case n < h:
		return s + strings.Repeat("\n", h-n)
	}
	return s
}

// padRight pads s with spaces to w cells.
func padRight(s string, w int) string {
	if n := lipgloss.Width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// spread puts left and right on one line of width w, cutting left first when they do
// not both fit.
func spread(left, right string, w int) string {
	rw := lipgloss.Width(right)
	if rw >= w {
		return ansi.Truncate(right, w, "…")
	}
	left = ansi.Truncate(left, w-rw-1, "…")
	gap := w - rw - lipgloss.Width(left)
	return left + strings.Repeat(" ", gap) + right
}

// wrap breaks plain text to width w for bodies such as error messages. A line can end
// in the space it broke at, one cell past w, which a style then pads every line to and
// fit cuts with an ellipsis: the spaces go.
func wrap(s string, w int) string {
	if w <= 0 {
		return s
	}
	lines := strings.Split(ansi.Wrap(s, w, " "), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// errLine is an error's text for a one-line field. Errors quote what came from outside
// (a file name, a URI, a server's message), so the text goes through safetext.Line.
func errLine(err error) string {
	if err == nil {
		return ""
	}
	return safetext.Line(err.Error())
}

// errBlock is an error's text for a body of several lines (safetext.Block).
func errBlock(err error) string {
	if err == nil {
		return ""
	}
	return safetext.Block(err.Error())
}

// frame draws the box of style st (its border glyphs and horizontal padding, the
// border in edge's colour) around content whose lines all have one width, as every
// pane's View guarantees. It does what st.Render would without measuring every line
// again, which was a third of a frame's time with 200 accounts.
func frame(st, edge lipgloss.Style, content string) string {
	lines := strings.Split(content, "\n")
	w := ansi.StringWidth(lines[0])
	b := st.GetBorderStyle()
	pl, pr := strings.Repeat(" ", st.GetPaddingLeft()), strings.Repeat(" ", st.GetPaddingRight())
	inner := w + len(pl) + len(pr)
	left, right := edge.Render(b.Left)+pl, pr+edge.Render(b.Right)
	var sb strings.Builder
	sb.Grow(len(content) + len(lines)*(len(left)+len(right)+1) + 2*(inner*3+16))
	sb.WriteString(edge.Render(b.TopLeft + strings.Repeat(b.Top, inner) + b.TopRight))
	for _, l := range lines {
		sb.WriteByte('\n')
		sb.WriteString(left)
		sb.WriteString(l)
		sb.WriteString(right)
	}
	sb.WriteByte('\n')
	sb.WriteString(edge.Render(b.BottomLeft + strings.Repeat(b.Bottom, inner) + b.BottomRight))
	return sb.String()
}

// joinSide puts two boxes of equal height side by side, line by line; boxes of
// different heights (a terminal too small to lay out) go through lipgloss.
func joinSide(l, r string) string {
	ll, rl := strings.Split(l, "\n"), strings.Split(r, "\n")
	if len(ll) != len(rl) {
		return lipgloss.JoinHorizontal(lipgloss.Top, l, r)
	}
	var sb strings.Builder
	sb.Grow(len(l) + len(r))
	for i := range ll {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(ll[i])
		sb.WriteString(rl[i])
	}
	return sb.String()
}
