package tui

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/otpair/otpair/provisioning"
)

// benchApp is an app with n accounts at 120x40, opened and ticked once.
func benchApp(b *testing.B, n int) App {
	b.Helper()
	keys := make([]provisioning.Key, n)
	for i := range keys {
		k := testKey(fmt.Sprintf("Issuer %03d", i), fmt.Sprintf("user%03d@example.com", i))
		k.Secret = []byte(fmt.Sprintf("secret-number-%06d", i))
		keys[i] = k
	}
	return testApp(b, newFakeStore(keys...), &fakeVerifier{}, 120, 40)
}

// BenchmarkView200 draws the whole screen with 200 accounts (budget: 1 ms).
func BenchmarkView200(b *testing.B) {
	a := benchApp(b, 200)
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		_ = a.View()
	}
}

// BenchmarkTick200 is one ordinary tick's Update with 200 accounts (budget: 0.5 ms):
// the clock moves a second, so codes come from the cache and only the countdowns move.
func BenchmarkTick200(b *testing.B) { benchTicks(b, benchApp(b, 200)) }

// benchTicks times ordinary ticks of a.
func benchTicks(b *testing.B, a App) {
	t := fixedNow
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		t = t.Add(time.Second)
		if t.Unix()%30 == 0 { // stay inside one step: the step change has its own benchmark
			t = t.Add(time.Second)
		}
		var m tea.Model
		m, _ = a.Update(tickMsg{id: a.auth.id, tag: a.auth.tag, t: t})
		a = m.(App)
	}
}

// BenchmarkTick200StepChange is the tick at a period boundary, when every account's
// code rolls over; the ordinary ticks before it (untimed) have worked the next codes
// out, as they do in a running program.
func BenchmarkTick200StepChange(b *testing.B) {
	a := benchApp(b, 200)
	tick := func(t time.Time) {
		m, _ := a.Update(tickMsg{id: a.auth.id, tag: a.auth.tag, t: t})
		a = m.(App)
	}
	t := fixedNow
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for range 200/nextPerTick + 1 {
			t = t.Add(time.Second)
			tick(t)
		}
		t = t.Add(30*time.Second - time.Duration(t.Unix()%30)*time.Second) // the next step's first second
		b.StartTimer()
		tick(t)
	}
}

// benchAppSorted is benchApp as a user of the new list sees it: colours on (true
// colour, so every issuer's hue is drawn), the list sorted by issuer and every tenth
// account pinned, issuers varied so the palette is used whole.
func benchAppSorted(b *testing.B, n int) App {
	b.Helper()
	keys := make([]provisioning.Key, n)
	for i := range keys {
		k := testKey(fmt.Sprintf("Issuer %03d", (i*37)%n), fmt.Sprintf("user%03d@example.com", i))
		k.Secret = []byte(fmt.Sprintf("secret-number-%06d", i))
		keys[i] = k
	}
	store := newFakeStore(keys...)
	for i := range store.accounts {
		store.accounts[i].Pinned = i%10 == 0
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	c := testCommon()
	c.Styles = DefaultStyles(r)
	a := New(c, Options{
		Auth:   AuthDeps{Open: openAs(store, "OS keyring"), Clipboard: fakeClipboard(), QR: fakeQR},
		Verify: VerifyDeps{Open: func(context.Context, BackendConfig) (Verifier, error) { return &fakeVerifier{}, nil }, QR: fakeQR},
	})
	a, _ = appUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	a = settle(b, a, a.Init(), appUpdate)
	a, _ = appUpdate(a, tickMsg{id: a.auth.id, tag: a.auth.tag, t: fixedNow})
	return press(b, a, "o") // by issuer
}

// BenchmarkView200Sorted is BenchmarkView200 with colours, sorting and pins on (budget:
// 1 ms, as for View200).
func BenchmarkView200Sorted(b *testing.B) {
	a := benchAppSorted(b, 200)
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		_ = a.View()
	}
}

// BenchmarkTick200Sorted is BenchmarkTick200 with colours, sorting and pins on (budget:
// 0.5 ms): a tick never sorts, so it should cost what Tick200 does.
func BenchmarkTick200Sorted(b *testing.B) { benchTicks(b, benchAppSorted(b, 200)) }
