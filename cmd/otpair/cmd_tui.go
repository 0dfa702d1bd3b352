package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/otpair/otpair/tui"
)

func init() {
	register(command{name: tuiCommand, summary: "the terminal UI: authenticator and verifier, paired (the default)", run: runTUI})
	register(command{name: "demo", summary: "play a whole TOTP lifecycle in the TUI on throwaway state", run: runDemo})
}

// tuiFlags are the flags shared by tui and demo.
type tuiFlags struct {
	backend   string
	projectID string
	mgmtKey   string
	keyFile   string
	db        string
}

func runTUI(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, tuiCommand, "[--backend local|URL] [--project-id ID] [--management-key-file FILE] [--db PATH]")
	var f tuiFlags
	fs.StringVar(&f.backend, "backend", "local", "verifier backend: local (in-process) or the base URL of an otpair serve or Descope-compatible server")
	fs.StringVar(&f.projectID, "project-id", "", "project id for a remote backend (default: $OTPAIR_PROJECT_ID)")
	addManagementKeyFlags(fs, &f.mgmtKey, &f.keyFile, "for a remote backend's delete-seed and user calls (default: $"+envManagementKey+")")
	fs.StringVar(&f.db, "db", "", "local backend database: a SQLite path, :memory: or postgres://… (default: $OTPAIR_DB, else verifier.db in the otpair home)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("unexpected argument %q", rest[0])
	}
	cfg, err := tuiBackendConfig(e, f)
	if err != nil {
		return err
	}
	if err := requireTerminal(e, "the TUI"); err != nil {
		return err
	}
	ctx, stop := hangupContext(ctx)
	defer stop()
	w, err := wireTUI(ctx, e, f)
	if err != nil {
		return err
	}
	defer w.close()
	opts := tui.Options{
		Auth:   tui.AuthDeps{Open: w.openVault, Clipboard: tuiClipboard(e), QR: w.qr},
		Verify: tui.VerifyDeps{Open: w.openBackend, Config: cfg, QR: w.qr},
	}
	return runProgram(ctx, e, opts)
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "demo", "[--auto] [--delay D]")
	auto := fs.Bool("auto", false, "advance through the steps by itself")
	delay := fs.Duration("delay", 3*time.Second, "pause between steps with --auto")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("unexpected argument %q", rest[0])
	}
	if *delay <= 0 {
		return usageError("--delay must be positive, got %v", *delay)
	}
	if err := requireTerminal(e, "otpair demo"); err != nil {
		return err
	}
	ctx, stop := hangupContext(ctx)
	defer stop()
	w, err := wireDemo(ctx, e)
	if err != nil {
		return err
	}
	defer w.close()
	opts := tui.Options{
		Auth:   tui.AuthDeps{Open: w.openVault, Clipboard: tuiClipboard(e), QR: w.qr},
		Verify: tui.VerifyDeps{Open: w.openBackend, Config: tui.BackendConfig{}, QR: w.qr},
		Demo:   &tui.DemoOptions{Auto: *auto, Delay: *delay, SkipTime: w.skipTime},
	}
	return runProgram(ctx, e, opts)
}

// hangupContext is ctx, also cancelled when the terminal goes away (SIGHUP: the window
// closed, the SSH session or tmux server ended), so the TUI still closes its database
// and the demo still removes its throwaway vault.
func hangupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, syscall.SIGHUP)
}

// tuiBackendConfig turns the flags (and their environment defaults) into the verifier
// pane's starting backend.
func tuiBackendConfig(e *env, f tuiFlags) (tui.BackendConfig, error) {
	if f.backend == "" || f.backend == "local" {
		return tui.BackendConfig{}, nil
	}
	key, _, err := managementKeyFlags(e, tuiCommand, f.mgmtKey, f.keyFile)
	if err != nil {
		return tui.BackendConfig{}, err
	}
	cfg := tui.BackendConfig{Remote: true, BaseURL: f.backend, ProjectID: f.projectID, ManagementKey: key}
	if cfg.ProjectID == "" {
		cfg.ProjectID = e.getenv("OTPAIR_PROJECT_ID")
	}
	if cfg.ManagementKey == "" {
		cfg.ManagementKey = e.getenv("OTPAIR_MANAGEMENT_KEY")
	}
	if err := tuiCheckBaseURL(cfg.BaseURL); err != nil {
		return cfg, usageError("--backend: %v", err)
	}
	return cfg, nil
}

func tuiCheckBaseURL(s string) error {
	if len(s) > 7 && (s[:7] == "http://" || len(s) > 8 && s[:8] == "https://") {
		return nil
	}
	return fmt.Errorf("want local or an http:// or https:// base URL, got %q", s)
}

// tuiClipboard is OSC 52 on the terminal plus the native tool where there is a display.
func tuiClipboard(e *env) tui.Clipboard {
	return &tui.SystemClipboard{Terminal: e.stdout, Getenv: e.getenv}
}

// runProgram runs the TUI full screen on the command's streams. With DEBUG set it
// logs to debug.log in the otpair home (never to the screen).
func runProgram(ctx context.Context, e *env, opts tui.Options) error {
	if e.getenv("DEBUG") != "" {
		path := filepath.Join(tuiHome(e), "debug.log")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("debug log: %w", err)
		}
		f, err := tea.LogToFile(path, "otpair")
		if err != nil {
			return fmt.Errorf("debug log: %w", err)
		}
		defer f.Close()
	}
	r := lipgloss.NewRenderer(e.stdout)
	// Ask the terminal for its background once, before the program reads the keyboard.
	// Bubble Tea's init has already asked on os.Stdout (lipgloss's default renderer);
	// on the same terminal that answer is reused, which saves a round trip before the
	// first frame.
	if f, ok := e.stdout.(*os.File); ok && f == os.Stdout {
		r.SetHasDarkBackground(lipgloss.HasDarkBackground())
	} else {
		lipgloss.SetHasDarkBackground(r.HasDarkBackground())
	}
	common := tui.Common{Styles: tui.DefaultStyles(r), KeyMap: tui.DefaultKeyMap(), Now: e.now}
	// 120 frames a second at most: a frame goes out within about 8 ms of a change
	// (the first one included), and nothing is drawn while nothing changes.
	// Clicks select accounts and copy codes (the terminal's own selection then needs
	// shift held, as in most TUIs that use the mouse).
	return runTea(ctx, e, tui.New(common, opts), tea.WithAltScreen(), tea.WithFPS(120), tea.WithMouseCellMotion())
}

// tuiHome is the folder all state lives in: $OTPAIR_HOME, else the user's data
// folder.
func tuiHome(e *env) string {
	if h := e.getenv("OTPAIR_HOME"); h != "" {
		return h
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "otpair")
	}
	return ".otpair"
}
