package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"time"

	osc52 "github.com/aymanbagabas/go-osc52/v2"
)

// Clipboard puts a code on the user's clipboard and says honestly how, and takes it off
// again. It is an interface so tests can capture copies.
type Clipboard interface {
	// Copy puts text on the clipboard: a native tool where there is one, OSC 52 to the
	// terminal as well. The report says which reached what; an error means nothing did.
	Copy(ctx context.Context, text string) (CopyReport, error)
	// ClearIf empties the native clipboard if it still holds text, and reports whether
	// it did: a code copied a while ago goes, anything copied since stays. A clipboard
	// that cannot be read back is left alone.
	ClearIf(ctx context.Context, text string) (bool, error)
}

// CopyReport is how a copy went.
type CopyReport struct {
	Native string // the native tool that took the text ("wl-copy", "pbcopy"), "" for none
	OSC52  bool   // an OSC 52 sequence went to the terminal
	// Dropped says why the OSC 52 sequence will not reach a clipboard, when that is
	// known (tmux with set-clipboard off or external drops it).
	Dropped string
}

// String is the report in words, never claiming more than happened: OSC 52 is
// write-only, so whether the terminal honoured it cannot be known.
func (r CopyReport) String() string {
	switch {
	case r.Native != "" && r.OSC52 && r.Dropped == "":
		return "copied via " + r.Native + " (and sent via OSC 52)"
	case r.Native != "":
		return "copied via " + r.Native
	case r.OSC52 && r.Dropped == "":
		return "sent via OSC 52; your terminal may ignore it"
	}
	return "not copied"
}

// ClipboardFuncs adapts functions to Clipboard (the test fakes use it); a nil ClearFn
// clears nothing.
type ClipboardFuncs struct {
	CopyFn  func(ctx context.Context, text string) (CopyReport, error)
	ClearFn func(ctx context.Context, text string) (bool, error)
}

// Copy implements Clipboard.
func (f ClipboardFuncs) Copy(ctx context.Context, text string) (CopyReport, error) {
	return f.CopyFn(ctx, text)
}

// ClearIf implements Clipboard.
func (f ClipboardFuncs) ClearIf(ctx context.Context, text string) (bool, error) {
	if f.ClearFn == nil {
		return false, nil
	}
	return f.ClearFn(ctx, text)
}

// SystemClipboard writes OSC 52 to the terminal, which works over SSH and in tmux with
// set-clipboard on but is write-only, and also runs the native clipboard tool when
// there is a local display (wl-copy, xclip, xsel), on macOS (pbcopy) and on Windows
// and WSL (clip.exe).
type SystemClipboard struct {
	Terminal io.Writer // where OSC 52 goes: the program's output; nil skips it
	Getenv   func(string) string
	// Run runs a tool with text on its stdin and returns what it printed; nil means exec.
	Run func(ctx context.Context, name string, args []string, text string) (string, error)
	// GOOS is the system whose tools are tried; empty means this one (tests set it).
	GOOS string
}

var _ Clipboard = (*SystemClipboard)(nil)

// Copy implements Clipboard.
func (c *SystemClipboard) Copy(ctx context.Context, text string) (CopyReport, error) {
	var rep CopyReport
	if c.Terminal != nil {
		if _, err := osc52.New(text).WriteTo(c.Terminal); err == nil {
			rep.OSC52 = true
			rep.Dropped = c.oscDropped(ctx)
		}
	}
	var toolErr error
	for _, tool := range c.tools() {
		if _, err := c.run(ctx, tool.copy[0], tool.copy[1:], text); err != nil {
			toolErr = fmt.Errorf("%s: %w", tool.copy[0], err)
			continue
		}
		rep.Native, toolErr = tool.copy[0], nil
		break
	}
	if rep.Native == "" && (!rep.OSC52 || rep.Dropped != "") {
		var why []string
		if toolErr != nil {
			why = append(why, toolErr.Error())
		} else {
			why = append(why, "no clipboard tool here (install wl-clipboard, xclip or xsel where there is a display)")
		}
		if rep.Dropped != "" {
			why = append(why, "OSC 52 was sent, but "+rep.Dropped)
		} else if !rep.OSC52 {
			why = append(why, "no terminal to send OSC 52 to")
		}
		return rep, fmt.Errorf("nothing reached the clipboard: %s", strings.Join(why, "; "))
	}
	return rep, nil
}

// ClearIf implements Clipboard with the first native tool that can read the clipboard
// back: one that cannot (clip.exe) leaves the code where it is.
func (c *SystemClipboard) ClearIf(ctx context.Context, text string) (bool, error) {
	for _, tool := range c.tools() {
		if tool.paste == nil {
			continue
		}
		now, err := c.run(ctx, tool.paste[0], tool.paste[1:], "")
		if err != nil {
			continue
		}
		if strings.TrimRight(now, "\r\n") != text {
			return false, nil // the user copied something else since: keep it
		}
		clearCmd := tool.clear
		if clearCmd == nil {
			clearCmd = tool.copy
		}
		if _, err := c.run(ctx, clearCmd[0], clearCmd[1:], ""); err != nil {
			return false, fmt.Errorf("clear the clipboard: %s: %w", clearCmd[0], err)
		}
		return true, nil
	}
	return false, nil
}

// oscDropped says why OSC 52 from a program will not reach a clipboard, where that can
// be known without asking the terminal: tmux passes it on only with set-clipboard on
// (its default, external, keeps it from programs).
func (c *SystemClipboard) oscDropped(ctx context.Context) string {
	if c.getenv()("TMUX") == "" {
		return ""
	}
	out, err := c.run(ctx, "tmux", []string{"show-options", "-gqv", "set-clipboard"}, "")
	if err != nil {
		return ""
	}
	switch v := strings.TrimSpace(out); v {
	case "off", "external":
		return "tmux drops it (set-clipboard " + v + "; tmux set -g set-clipboard on lets it through)"
	}
	return ""
}

func (c *SystemClipboard) getenv() func(string) string {
	if c.Getenv == nil {
		return func(string) string { return "" }
	}
	return c.Getenv
}

func (c *SystemClipboard) run(ctx context.Context, name string, args []string, text string) (string, error) {
	if c.Run != nil {
		return c.Run(ctx, name, args, text)
	}
	return runTool(ctx, name, args, text)
}

// clipTool is a native clipboard's commands: copy (text on stdin), paste (prints the
// clipboard; nil when it cannot) and clear (nil: copy an empty text).
type clipTool struct{ copy, paste, clear []string }

// tools lists the native clipboard tools worth trying here, best first.
func (c *SystemClipboard) tools() []clipTool {
	getenv := c.getenv()
	goos := c.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	var out []clipTool
	switch {
	case goos == "darwin":
		out = append(out, clipTool{copy: []string{"pbcopy"}, paste: []string{"pbpaste"}})
	case goos == "windows":
		out = append(out, clipTool{copy: []string{"clip.exe"}, paste: winPaste})
	case getenv("WSL_DISTRO_NAME") != "" || getenv("WSL_INTEROP") != "":
		// WSL: the Windows clipboard is the one the user's terminal and browser share;
		// clip.exe reaches it from inside Linux.
		out = append(out, clipTool{copy: []string{"clip.exe"}, paste: winPaste})
	}
	if goos == "windows" || goos == "darwin" {
		return out
	}
	// Linux and the BSDs: the desktop's own clipboard, Wayland first.
	if getenv("WAYLAND_DISPLAY") != "" {
		out = append(out, clipTool{copy: []string{"wl-copy"}, paste: []string{"wl-paste", "--no-newline"}, clear: []string{"wl-copy", "--clear"}})
	}
	if getenv("DISPLAY") != "" {
		out = append(out,
			clipTool{copy: []string{"xclip", "-selection", "clipboard"}, paste: []string{"xclip", "-selection", "clipboard", "-o"}},
			clipTool{copy: []string{"xsel", "--clipboard", "--input"}, paste: []string{"xsel", "--clipboard", "--output"}})
	}
	return out
}

// winPaste reads the Windows clipboard (from Windows or WSL).
var winPaste = []string{"powershell.exe", "-NoProfile", "-Command", "Get-Clipboard"}

// toolWait is how long a clipboard tool's output is waited for after it exits: xclip
// and wl-copy leave a child behind to serve the clipboard, which holds the output pipe
// open until another copy replaces it.
const toolWait = 200 * time.Millisecond

// runTool runs a tool with text on its stdin and returns its standard output. Its
// output is always captured, never the terminal's: a tool's (or its children's)
// warnings must not land on the TUI's screen.
func runTool(ctx context.Context, name string, args []string, text string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(text)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = toolWait
	err = cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil // exited well; a child kept the pipes
	}
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
