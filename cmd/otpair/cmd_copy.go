package main

import (
	"context"
	"fmt"

	"github.com/otpair/otpair/internal/safetext"
	"github.com/otpair/otpair/tui"
)

// codeClipboard is the clipboard `otpair code --copy` uses: the TUI's, with OSC 52
// going to whichever of stderr and stdout is a terminal (never into a pipe, where it
// would carry the code). Tests replace it.
var codeClipboard = func(e *env) tui.Clipboard {
	c := &tui.SystemClipboard{Getenv: e.getenv}
	switch {
	case isTerminal(e.stderr):
		c.Terminal = e.stderr
	case isTerminal(e.stdout):
		c.Terminal = e.stdout
	}
	return c
}

// copyCode puts out's code on the clipboard and says on stderr whose code went where,
// never the code.
func copyCode(ctx context.Context, e *env, out codeJSON) error {
	via, err := codeClipboard(e).Copy(ctx, out.Code)
	if err != nil {
		return fmt.Errorf("%w; without a clipboard, 'otpair code QUERY' prints the code", err)
	}
	what := fmt.Sprintf("%s's code", out.Label)
	switch {
	case out.Counter != nil:
		what += fmt.Sprintf(" (counter %d)", *out.Counter)
	case out.Remaining > 0:
		what += fmt.Sprintf(" (valid %d s more)", out.Remaining)
	}
	// via says what happened in words that claim no more than that (an OSC 52 sequence
	// may be ignored by the terminal).
	safetext.Fprintf(e.stderr, "otpair code: %s: %s\n", what, via)
	return nil
}
