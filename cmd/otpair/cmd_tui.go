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
	"github.com/spf13/cobra"

	"github.com/otpair/otpair/tui"
)

func init() {
	registerCmd(groupOther, newTUICmd)
	registerCmd(groupOther, newDemoCmd)
}

// tuiFlags are the flags of tui.
type tuiFlags struct {
	backend   string
	projectID string
	mgmtKey   string
	keyFile   string
	db        string
	flows     string // a folder of the user's flow files, beside the built-ins
}

func newTUICmd(e *env) *cobra.Command {
	var f tuiFlags
	c := &cobra.Command{
		Use: tuiCommand, Short: "the terminal UI: authenticator and verifier, paired (the default)",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runTUI(c.Context(), e, f) },
	}
	backendFlag(c, &f.backend, backendLocal)
	c.Flags().StringVar(&f.projectID, "project-id", "", "project `ID` for a remote backend (default: $"+envProjectID+")")
	addManagementKeyFlags(c.Flags(), &f.mgmtKey, &f.keyFile, "for a remote backend's delete-seed and user calls (default: $"+envManagementKey+")")
	c.Flags().StringVar(&f.db, "db", "", "local backend `DATABASE`: a SQLite path, :memory: or postgres://… (default: $OTPAIR_DB, else "+verifierDBName+" in the otpair home)")
	flowDirFlag(c, &f.flows, "also offer the flow files of this `DIR` in the verifier pane's flows (f); a remote backend runs the server's own")
	completeBackendFlags(c)
	return c
}

func runTUI(ctx context.Context, e *env, f tuiFlags) error {
	cfg, err := tuiBackendConfig(e, f)
	if err != nil {
		return err
	}
	// The flow files are checked before the screen is taken: a bad one stops the start
	// with its file:line:column, as serve --flows does.
	flows, _, err := flowRegistry(f.flows)
	if err != nil {
		return fileErrors(e, err)
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
	w.flows = flows
	defer w.close()
	opts := tui.Options{
		Auth:   tui.AuthDeps{Open: w.openVault, Clipboard: tuiClipboard(e), QR: w.qr},
		Verify: tui.VerifyDeps{Open: w.openBackend, Config: cfg, QR: w.qr},
	}
	return runProgram(ctx, e, opts)
}

func newDemoCmd(e *env) *cobra.Command {
	var auto bool
	var delay time.Duration
	c := &cobra.Command{
		Use: "demo", Short: "play a whole TOTP lifecycle in the TUI on throwaway state",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if delay <= 0 {
				return usageError("--delay must be positive, got %v", delay)
			}
			return runDemo(c.Context(), e, auto, delay)
		},
	}
	c.Flags().BoolVar(&auto, "auto", false, "advance through the steps by itself")
	c.Flags().DurationVar(&delay, "delay", 3*time.Second, "pause between steps with --auto")
	return c
}

func runDemo(ctx context.Context, e *env, auto bool, delay time.Duration) error {
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
		Demo:   &tui.DemoOptions{Auto: auto, Delay: delay, SkipTime: w.skipTime},
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
		cfg.ProjectID = e.getenv(envProjectID)
	}
	if cfg.ManagementKey == "" {
		cfg.ManagementKey = e.getenv(envManagementKey)
	}
	return cfg, nil
}

// checkBaseURL accepts an http:// or https:// base URL, what --backend takes besides
// a backend name.
func checkBaseURL(s string) error {
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
