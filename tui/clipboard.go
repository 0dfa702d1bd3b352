package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"

	osc52 "github.com/aymanbagabas/go-osc52/v2"
)

// Clipboard puts a code on the user's clipboard and says how ("OSC 52", "OSC 52 and
// xclip"). It is an interface so tests can capture copies.
type Clipboard interface {
	Copy(ctx context.Context, text string) (via string, err error)
}

// ClipboardFunc adapts a function to Clipboard (the test fakes use it).
type ClipboardFunc func(ctx context.Context, text string) (string, error)

// Copy implements Clipboard.
func (f ClipboardFunc) Copy(ctx context.Context, text string) (string, error) { return f(ctx, text) }

// SystemClipboard writes OSC 52 to the terminal, which works over SSH and in tmux with
// set-clipboard on but is write-only, and also runs the native clipboard tool when
// there is a local display (wl-copy, xclip, xsel) or on macOS (pbcopy).
type SystemClipboard struct {
	Terminal io.Writer // where OSC 52 goes: the program's output; nil skips it
	Getenv   func(string) string
	// Run runs a clipboard tool with text on its stdin; nil means exec.
	Run func(ctx context.Context, name string, args []string, text string) error
	// GOOS is the system whose tools are tried; empty means this one (tests set it).
	GOOS string
}

var _ Clipboard = (*SystemClipboard)(nil)

// Copy implements Clipboard.
func (c *SystemClipboard) Copy(ctx context.Context, text string) (string, error) {
	var via []string
	if c.Terminal != nil {
		if _, err := osc52.New(text).WriteTo(c.Terminal); err == nil {
			via = append(via, "OSC 52")
		}
	}
	var toolErr error
	for _, tool := range c.tools() {
		run := c.Run
		if run == nil {
			run = runTool
		}
		if err := run(ctx, tool[0], tool[1:], text); err != nil {
			toolErr = fmt.Errorf("%s: %w", tool[0], err)
			continue
		}
		via = append(via, tool[0])
		toolErr = nil
		break
	}
	if len(via) == 0 {
		if toolErr == nil {
			toolErr = errors.New("no terminal and no clipboard tool (install wl-clipboard, xclip or xsel)")
		}
		return "", fmt.Errorf("copy: %w", toolErr)
	}
	return strings.Join(via, " and "), nil
}

// tools lists the native clipboard commands worth trying here, best first.
func (c *SystemClipboard) tools() [][]string {
	getenv := c.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	goos := c.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	var out [][]string
	switch {
	case goos == "darwin":
		out = append(out, []string{"pbcopy"})
	case goos == "windows":
		out = append(out, []string{"clip.exe"})
	case getenv("WSL_DISTRO_NAME") != "" || getenv("WSL_INTEROP") != "":
		// WSL: the Windows clipboard is the one the user's terminal and browser share;
		// clip.exe reaches it from inside Linux.
		out = append(out, []string{"clip.exe"})
	}
	if goos == "windows" || goos == "darwin" {
		return out
	}
	// Linux and the BSDs: the desktop's own clipboard, Wayland first.
	if getenv("WAYLAND_DISPLAY") != "" {
		out = append(out, []string{"wl-copy"})
	}
	if getenv("DISPLAY") != "" {
		out = append(out, []string{"xclip", "-selection", "clipboard"}, []string{"xsel", "--clipboard", "--input"})
	}
	return out
}

func runTool(ctx context.Context, name string, args []string, text string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
