package tui

import (
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// mouse handles a click: on a pane it gives that pane the keyboard, and on the
// authenticator's list it selects the account clicked, or copies the code clicked.
// Only left presses count; motion and wheel are left to the terminal's scrollback
// behaviour (Bubble Tea reports them, nothing here needs them).
func (a App) mouse(msg tea.MouseMsg) (tea.Model, tea.Cmd) {
	if msg.Action != tea.MouseActionPress || msg.Button != tea.MouseButtonLeft || a.fullScreen() != nil || a.typing() {
		return a, nil
	}
	f, x, y, ok := a.paneAt(msg.X, msg.Y)
	if !ok {
		return a, nil
	}
	a.focusOn(f)
	a.syncKeys()
	if f != focusAuth {
		return a, nil
	}
	cmd := a.auth.Click(x, y)
	return a, cmd
}

// paneAt finds the pane under screen cell (x, y) and the cell's place in the pane's
// inner area (inside its border and padding), from the same layout View draws.
func (a App) paneAt(x, y int) (f focus, px, py int, ok bool) {
	st := a.common.Styles.PaneBlurred
	top := 0
	if c := a.captionView(); c != "" {
		top = lipgloss.Height(c)
	}
	left, above := st.GetBorderLeftSize()+st.GetPaddingLeft(), st.GetBorderTopSize()
	authW, authH := a.auth.common.Width+st.GetHorizontalFrameSize(), a.auth.common.Height+st.GetVerticalFrameSize()
	verifyH := a.verify.common.Height + st.GetVerticalFrameSize()
	inside := func(f focus, x0, y0, w, h int) (focus, int, int, bool) {
		ix, iy := x-x0-left, y-y0-above
		inner := w - st.GetHorizontalFrameSize()
		innerH := h - st.GetVerticalFrameSize()
		if ix < 0 || iy < 0 || ix >= inner || iy >= innerH {
			return f, 0, 0, false
		}
		return f, ix, iy, true
	}
	switch {
	case a.stacked && y < top+authH:
		return inside(focusAuth, 0, top, authW, authH)
	case a.stacked && y < top+authH+verifyH:
		return inside(focusVerify, 0, top+authH, authW, verifyH)
	case !a.stacked && x < authW:
		return inside(focusAuth, 0, top, authW, authH)
	case !a.stacked:
		return inside(focusVerify, authW, top, a.common.Width-authW, verifyH)
	}
	return 0, 0, 0, false
}
