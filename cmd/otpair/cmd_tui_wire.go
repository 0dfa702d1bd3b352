package main

import (
	"context"
	"errors"
	"time"

	"github.com/otpair/otpair/tui"
)

// tuiWiring is what cmd builds for the TUI: the concrete vault, backends and QR
// renderer behind the tui package's interfaces.
type tuiWiring struct {
	openVault   tui.VaultOpener
	openBackend tui.BackendOpener
	qr          tui.QRRenderer
	skipTime    func(time.Duration)
	closers     []func()
}

func (w *tuiWiring) close() {
	for i := len(w.closers) - 1; i >= 0; i-- {
		w.closers[i]()
	}
}

var errNotWired = errors.New("not available in this build yet")

// wireTUI builds the real dependencies for `otpair tui`.
func wireTUI(ctx context.Context, e *env, f tuiFlags) (*tuiWiring, error) {
	return &tuiWiring{
		openVault: func(context.Context, string) (tui.AccountStore, string, error) {
			return nil, "", errNotWired
		},
		openBackend: func(context.Context, tui.BackendConfig) (tui.Verifier, error) { return nil, errNotWired },
	}, nil
}

// wireDemo builds throwaway dependencies for `otpair demo`.
func wireDemo(ctx context.Context, e *env) (*tuiWiring, error) {
	return wireTUI(ctx, e, tuiFlags{})
}
