package tui

import (
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/list"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/provisioning"
)

// nextPerTick is how many next codes one tick works out ahead. Spreading them over the
// ticks after a step change keeps every tick cheap with hundreds of accounts: 200
// accounts have all their next codes four seconds into a period.
const nextPerTick = 50

// Timing of the expiry cues, in seconds before a code rolls over.
const (
	lowSeconds  = 5  // the countdown bar changes style
	nextSeconds = 10 // the next code appears
)

// accountItem is one row of the list with everything its two lines show, computed when
// a tick arrives so that rendering only formats stored values.
type accountItem struct {
	acct Account

	// The names as the screen shows them (safetext.Line), made once when the accounts
	// arrive: they come from QR codes, URIs and backup files, and a terminal acts on
	// some characters instead of showing them. acct keeps them as they are.
	issuer, account, label string
	// What the list sorts by: the store's order and the names folded to lower case;
	// and the issuer's colour, the same for an issuer wherever and whenever it shows.
	order                 int
	issuerKey, accountKey string
	hue                   int

	step      uint64 // the step code and next belong to; valid only when computed
	computed  bool
	code      string
	next      string
	remaining int     // whole seconds left, rounded up
	fraction  float64 // remaining / period, for the bar
	err       error

	hotpCode    string // the last code asked for (HOTP)
	hotpCounter uint64
}

// newAccountItem is the row of a; the HOTP counter starts at the stored one.
func newAccountItem(a Account) *accountItem {
	issuer, account := a.Key.Issuer, a.Key.Account
	if issuer == "" {
		issuer, account = account, ""
	}
	return &accountItem{acct: a, hotpCounter: a.Key.Counter,
		issuer: safetext.Line(issuer), account: safetext.Line(account), label: safetext.Line(a.Key.Label()),
		issuerKey: strings.ToLower(issuer), accountKey: strings.ToLower(account), hue: issuerHue(issuer)}
}

// issuerHue picks an issuer's colour from the palette by a hash of its name (FNV-1a,
// case folded): stable across runs and machines, so GitHub keeps its colour.
func issuerHue(issuer string) int {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(strings.TrimSpace(issuer))))
	return int(h.Sum32() % uint32(len(issuerPalette)))
}

// FilterValue implements list.Item.
func (i *accountItem) FilterValue() string { return i.acct.Key.Issuer + " " + i.acct.Key.Account }

// update recomputes the item for time t. The HMAC runs only when the step changes,
// and the next code is worked out ahead only when mayPrecompute allows (see
// nextPerTick), so a tick over many accounts costs little more than the arithmetic. It
// reports whether it computed a next code.
func (i *accountItem) update(t time.Time, mayPrecompute bool) (precomputed bool) {
	k := i.acct.Key
	if k.Type == provisioning.HOTP || k.Period <= 0 {
		return false
	}
	step := k.Step(t)
	if !i.computed || step != i.step {
		// Rolling into the next step reuses the next code already computed, so a
		// boundary costs no HMAC at all for an account whose next code is ready.
		if i.computed && i.err == nil && step == i.step+1 && i.next != "" {
			i.code = i.next
		} else {
			i.code, i.err = k.StepCode(step)
		}
		i.step, i.computed, i.next = step, true, ""
	}
	rem := k.Remaining(t)
	i.remaining = int(math.Ceil(rem.Seconds()))
	i.fraction = rem.Seconds() / float64(k.Period)
	if i.err == nil && i.next == "" && (mayPrecompute || i.remaining <= nextSeconds) {
		// The next code is shown near expiry: it must be there by then, budget or not.
		i.next, i.err = k.StepCode(step + 1)
		return true
	}
	return false
}

// currentCode is the code a copy or a fill uses: the TOTP code of the last tick, or
// the last HOTP code asked for.
func (i *accountItem) currentCode() string {
	if i.acct.Key.Type == provisioning.HOTP {
		return i.hotpCode
	}
	if i.err != nil {
		return ""
	}
	return i.code
}

// groupDigits splits a code into two groups for reading aloud: 123 456, 1234 5678.
func groupDigits(code string) string {
	switch n := len(code); {
	case n == 7:
		return code[:3] + " " + code[3:]
	case n >= 6:
		return code[:n/2] + " " + code[n/2:]
	default:
		return code
	}
}

// accountDelegate draws an account as two lines: issuer and code, then account name,
// next code, countdown bar and seconds left. Every part has a fixed slot so nothing
// moves while the codes roll.
type accountDelegate struct {
	st       rowStyles
	bar, low progress.Model
	barWidth int
}

// rowStyles are the account row's styles, reduced to their escape codes.
type rowStyles struct {
	selected, failure, muted, code, codeExpiring, codeNext inline
	countdown, countdownLow, account, pin                  inline
	issuers                                                []inline // by hue
}

func newAccountDelegate(s *Styles, width int) accountDelegate {
	bw := max(4, min(12, width/6))
	bar, low := s.countdownBars(bw)
	row := rowStyles{
		selected: newInline(s.Selected), failure: newInline(s.Failure), muted: newInline(s.Muted),
		code: newInline(s.Code), codeExpiring: newInline(s.CodeExpiring), codeNext: newInline(s.CodeNext),
		countdown: newInline(s.Countdown), countdownLow: newInline(s.CountdownLow),
		account: newInline(s.Account), pin: newInline(s.Pin),
	}
	for _, st := range s.Issuers {
		row.issuers = append(row.issuers, newInline(st))
	}
	return accountDelegate{st: row, bar: bar, low: low, barWidth: bw}
}

// Height implements list.ItemDelegate.
func (d accountDelegate) Height() int { return 2 }

// Spacing implements list.ItemDelegate.
func (d accountDelegate) Spacing() int { return 1 }

// Update implements list.ItemDelegate.
func (d accountDelegate) Update(tea.Msg, *list.Model) tea.Cmd { return nil }

// Render implements list.ItemDelegate.
func (d accountDelegate) Render(w io.Writer, m list.Model, index int, item list.Item) {
	it, ok := item.(*accountItem)
	if !ok {
		return
	}
	s := d.st
	width := m.Width()
	marker := "  "
	if index == m.Index() {
		marker = s.selected.render("▌ ")
	}
	inner := width - 2
	k := it.acct.Key

	var code, right2 string
	switch {
	case it.err != nil:
		code = s.failure.render("invalid key")
	case k.Type == provisioning.HOTP:
		if it.hotpCode == "" {
			code = s.muted.render("n: next code")
		} else {
			code = s.code.render(groupDigits(it.hotpCode))
		}
		right2 = s.countdown.render(fmt.Sprintf("counter %d", it.hotpCounter))
	default:
		low := it.remaining <= lowSeconds
		codeStyle, bar, secStyle := s.code, d.bar, s.countdown
		if low {
			codeStyle, bar, secStyle = s.codeExpiring, d.low, s.countdownLow
		}
		code = codeStyle.render(groupDigits(it.code))
		next := strings.Repeat(" ", len(groupDigits(it.code))+2) // the slot, kept when empty
		if it.remaining <= nextSeconds && it.next != "" {
			next = s.codeNext.render("› " + groupDigits(it.next))
		}
		right2 = next + " " + bar.ViewAs(it.fraction) + " " + secStyle.render(fmt.Sprintf("%2ds", it.remaining))
	}
	name := s.issuers[it.hue%len(s.issuers)].render(it.issuer)
	if it.acct.Pinned {
		name = s.pin.render("★ ") + name
	}
	line1 := marker + spread(name, code, inner)
	line2 := "  " + spread(s.account.render(it.account), right2, inner)
	fmt.Fprint(w, line1+"\n"+line2)
}
