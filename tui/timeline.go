package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/golang-jwt/jwt/v5"

	"github.com/otpair/otpair/internal/safetext"
)

// verifyOp is a kind of verifier request.
type verifyOp int

const (
	opConnect verifyOp = iota
	opSignUp
	opSignIn
	opUpdate
	opDeleteSeed
	opRefresh
	opMe
	opLogout
	opUsers
	opFlow
)

// String implements fmt.Stringer.
func (o verifyOp) String() string {
	return [...]string{"connect", "sign-up", "sign-in", "update", "delete seed", "refresh", "me", "logout", "users", "flow"}[o]
}

// entry is one line of the request timeline.
type entry struct {
	at      time.Time
	op      verifyOp
	loginID string
	ok      bool
	summary string // what happened, in words
	code    string // API error code, if any
	expires time.Time
}

// describeFailure turns a verifier error into words and its API error code, with the
// lock's end time for a lockout.
func describeFailure(err error) (words, code string) {
	var re *RequestError
	if !errors.As(err, &re) {
		return err.Error(), ""
	}
	words = re.Reason.String()
	switch re.Reason {
	case ReasonLocked:
		if !re.LockedUntil.IsZero() {
			words = "locked until " + re.LockedUntil.Format("15:04:05")
		}
		words += ": too many failed attempts"
	case ReasonCodeUsed:
		// The verifier names the rule that refused it and what the attempt cost.
		if re.Message != "" {
			words += ": " + re.Message
		} else {
			words += ": each code works once"
		}
	case ReasonExpired:
		words += ": it is outside the accepted window"
	case ReasonWrongCode:
		switch {
		case !re.LockedUntil.IsZero():
			words += ": now locked until " + re.LockedUntil.Format("15:04:05")
		case re.Message != "" && !strings.EqualFold(re.Message, "wrong code"):
			words += " (" + re.Message + ")"
		}
	default:
		if re.Message != "" {
			words += ": " + re.Message
		}
	}
	return words, re.Code
}

// skewNote explains a refused code that ctrl+f took from an authenticator whose clock
// is shifted: how far, and whether that is outside the verifier's window. It is empty
// when the code was typed, the clock is not shifted, or the refusal was not about the
// code's time.
func (m VerifyPane) skewNote(err error) string {
	f := m.signingIn
	var re *RequestError
	if f == nil || f.shift == 0 || !errors.As(err, &re) || (re.Reason != ReasonWrongCode && re.Reason != ReasonExpired) {
		return ""
	}
	period := f.period
	if period <= 0 {
		period = 30 * time.Second
	}
	steps := int(f.shift / period)
	note := fmt.Sprintf(" · the authenticator's clock is shifted %s (%+ds)", periods(steps), int(f.shift.Seconds()))
	back, ahead, ok := 0, 0, false
	if m.backend != nil {
		back, ahead, ok = m.backend.Window()
	}
	switch {
	case !ok:
		note += "; this verifier does not say its window (otpair accepts 1 period either way by default)"
	case steps > ahead || -steps > back:
		note += fmt.Sprintf(", outside the verifier's window of %d back and %d ahead", back, ahead)
	default:
		return "" // inside the window: the shift is not why
	}
	return note + "; 0 in the authenticator resets its clock"
}

// periods is a count of periods in words, with its sign: "+2 periods", "-1 period".
func periods(n int) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%+d period", n)
	}
	return fmt.Sprintf("%+d periods", n)
}

// stepWords says which step a sign-in's code was accepted for and how far that was
// from the verifier's clock.
func stepWords(step uint64, drift int) string {
	switch {
	case drift == 0:
		return fmt.Sprintf("accepted step %d, the verifier's current one", step)
	case drift > 0:
		return fmt.Sprintf("accepted step %d, %s ahead of the verifier's clock (drift %+d)", step, strings.TrimPrefix(periods(drift), "+"), drift)
	}
	return fmt.Sprintf("accepted step %d, %s behind the verifier's clock (drift %+d)", step, strings.TrimPrefix(periods(drift), "-"), drift)
}

// SessionFromTokens fills a Session's claims from its JWTs without verifying them:
// the backend has already checked them, and the TUI only displays sub, amr and exp.
func SessionFromTokens(sessionJWT, refreshJWT string) Session {
	s := Session{SessionJWT: sessionJWT, RefreshJWT: refreshJWT}
	tok := sessionJWT
	if tok == "" {
		tok = refreshJWT
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		return s
	}
	s.Subject, _ = claims.GetSubject()
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		s.Expires = exp.Time
	}
	if amr, ok := claims["amr"].([]any); ok {
		for _, a := range amr {
			if v, ok := a.(string); ok {
				s.AMR = append(s.AMR, v)
			}
		}
	}
	return s
}

// countdown formats how long until t, as m:ss, or "expired".
func countdown(t, now time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return "expired"
	}
	d = d.Round(time.Second)
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	sec := int(d.Seconds()) % 60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// renderEntry draws one timeline entry: a head line with the time, the request and the
// API error code on the right, then the explanation wrapped under it.
func renderEntry(s *Styles, e entry, now time.Time, w int) string {
	mark := s.Success.Render("✓")
	if !e.ok {
		mark = s.Failure.Render("✗")
	}
	head := s.Time.Render(e.at.Format("15:04:05")) + " " + mark + " " + s.FormLabel.Render(e.op.String())
	if e.loginID != "" {
		head += " " + s.Muted.Render(safetext.Line(e.loginID))
	}
	right := ""
	if e.code != "" {
		right = s.Failure.Render(safetext.Line(e.code))
	}
	// The summary quotes what the backend said (a user's name, an error message from
	// a remote server): it keeps its lines, and nothing a terminal would act on.
	detail := safetext.Block(e.summary)
	if !e.expires.IsZero() {
		detail += " · exp " + countdown(e.expires, now)
	}
	style := s.Muted
	if !e.ok {
		style = s.ErrorBody
	}
	// The head line: cut nothing; what does not fit goes on to the next lines.
	var lines []string
	if lipgloss.Width(head)+1+lipgloss.Width(right) <= w {
		lines = []string{spread(head, right, w)}
	} else {
		lines = strings.Split(ansi.Wrap(head, max(4, w-2), " "), "\n")
		for i := 1; i < len(lines); i++ {
			lines[i] = "  " + lines[i] // under the time, as the details are
		}
		if right != "" {
			lines = append(lines, "  "+right)
		}
	}
	for _, l := range strings.Split(wrap(detail, w-2), "\n") {
		lines = append(lines, "  "+style.Render(l))
	}
	return strings.Join(lines, "\n")
}
