package tui

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestSystemClipboardWritesOSC52AndTriesTools(t *testing.T) {
	var term bytes.Buffer
	var ran []string
	env := map[string]string{"DISPLAY": ":0"}
	cb := &SystemClipboard{
		Terminal: &term,
		Getenv:   func(k string) string { return env[k] },
		Run: func(_ context.Context, name string, _ []string, text string) (string, error) {
			ran = append(ran, name+"="+text)
			if name == "xclip" {
				return "", errors.New("exit status 1")
			}
			return "", nil
		},
	}
	rep, err := cb.Copy(context.Background(), "492039")
	if err != nil {
		t.Fatal(err)
	}
	if got := term.String(); got != "\x1b]52;c;NDkyMDM5\a" {
		t.Errorf("OSC 52 sequence = %q", got)
	}
	if rep.String() != "copied via xsel (and sent via OSC 52)" || strings.Join(ran, ",") != "xclip=492039,xsel=492039" {
		t.Errorf("report %q after running %v", rep, ran)
	}
}

// TestSystemClipboardIsHonest: OSC 52 alone says the terminal may ignore it; inside
// tmux whose set-clipboard drops OSC 52 and without a native tool, nothing reached the
// clipboard and the error says why and what to change; tmux with set-clipboard on lets
// it through.
func TestSystemClipboardIsHonest(t *testing.T) {
	for _, tc := range []struct {
		tmux, setting string
		wantErr       string
		wantReport    string
	}{
		{"", "", "", "sent via OSC 52; your terminal may ignore it"},
		{"/tmp/tmux-0/default,1,0", "external", "tmux drops it (set-clipboard external", ""},
		{"/tmp/tmux-0/default,1,0", "off", "tmux set -g set-clipboard on", ""},
		{"/tmp/tmux-0/default,1,0", "on", "", "sent via OSC 52; your terminal may ignore it"},
	} {
		var term bytes.Buffer
		cb := &SystemClipboard{
			Terminal: &term,
			Getenv:   func(k string) string { return map[string]string{"TMUX": tc.tmux}[k] },
			Run: func(_ context.Context, name string, args []string, _ string) (string, error) {
				if name == "tmux" && strings.Join(args, " ") == "show-options -gqv set-clipboard" {
					return tc.setting + "\n", nil
				}
				return "", errors.New("not here")
			},
		}
		rep, err := cb.Copy(context.Background(), "123456")
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "nothing reached the clipboard")):
			t.Errorf("tmux %q: err %v, want one saying %q", tc.setting, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || rep.String() != tc.wantReport):
			t.Errorf("tmux %q: %q, %v; want %q", tc.setting, rep, err, tc.wantReport)
		}
	}
}

// TestSystemClipboardClearsOnlyItsOwnCode: ClearIf reads the clipboard back and empties
// it only while it still holds the code; something copied since stays.
func TestSystemClipboardClearsOnlyItsOwnCode(t *testing.T) {
	clip := ""
	cb := &SystemClipboard{
		GOOS:   "linux",
		Getenv: func(k string) string { return map[string]string{"WAYLAND_DISPLAY": "wayland-0"}[k] },
		Run: func(_ context.Context, name string, args []string, text string) (string, error) {
			switch {
			case name == "wl-copy" && len(args) == 1 && args[0] == "--clear":
				clip = ""
			case name == "wl-copy":
				clip = text
			case name == "wl-paste":
				return clip, nil
			}
			return "", nil
		},
	}
	if _, err := cb.Copy(context.Background(), "654321"); err != nil || clip != "654321" {
		t.Fatalf("copy: %v, clipboard %q", err, clip)
	}
	clip = "something the user copied since"
	if ok, err := cb.ClearIf(context.Background(), "654321"); ok || err != nil || clip != "something the user copied since" {
		t.Fatalf("ClearIf over another text = %v, %v; clipboard %q", ok, err, clip)
	}
	clip = "654321"
	if ok, err := cb.ClearIf(context.Background(), "654321"); !ok || err != nil || clip != "" {
		t.Fatalf("ClearIf of the code = %v, %v; clipboard %q", ok, err, clip)
	}
}

func TestSystemClipboardWithNothingSaysWhatToInstall(t *testing.T) {
	cb := &SystemClipboard{Getenv: func(string) string { return "" }}
	if _, err := cb.Copy(context.Background(), "1"); err == nil || !strings.Contains(err.Error(), "xclip") {
		t.Fatalf("err = %v", err)
	}
}

// Each platform tries its own native tool: the one its desktop's clipboard answers to.
func TestSystemClipboardToolsPerPlatform(t *testing.T) {
	for _, tc := range []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"darwin", nil, "pbcopy"},
		{"windows", nil, "clip.exe"},
		{"linux", map[string]string{"WSL_DISTRO_NAME": "Debian"}, "clip.exe"},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "wl-copy,xclip,xsel"},
		{"freebsd", map[string]string{"DISPLAY": ":0"}, "xclip,xsel"},
		{"openbsd", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, "wl-copy"},
		{"linux", nil, ""},
	} {
		var ran []string
		cb := &SystemClipboard{
			GOOS:   tc.goos,
			Getenv: func(k string) string { return tc.env[k] },
			Run: func(_ context.Context, name string, _ []string, _ string) (string, error) {
				ran = append(ran, name)
				return "", errors.New("not here")
			},
		}
		_, _ = cb.Copy(context.Background(), "1")
		if got := strings.Join(ran, ","); got != tc.want {
			t.Errorf("%s %v: tried %q, want %q", tc.goos, tc.env, got, tc.want)
		}
	}
}

func TestCompletePath(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"qr-one.png", "qr-two.png", "other.txt", ".hidden"} {
		if err := writeFile(dir + "/" + n); err != nil {
			t.Fatal(err)
		}
	}
	got := completePath(dir + "/qr")
	if len(got) != 2 || got[0] != dir+"/qr-one.png" || got[1] != dir+"/qr-two.png" {
		t.Fatalf("completions %q", got)
	}
	if got := completePath(dir + "/"); len(got) != 3 {
		t.Fatalf("hidden files offered or files missing: %q", got)
	}
	if got := completePath("otpauth://totp/x"); got != nil {
		t.Fatalf("URIs completed as paths: %q", got)
	}
}

func writeFile(p string) error { return os.WriteFile(p, []byte("x"), 0o600) }

func TestImportFieldCompletesPathsWithTab(t *testing.T) {
	dir := t.TempDir()
	if err := writeFile(dir + "/export-qr.png"); err != nil {
		t.Fatal(err)
	}
	a := testApp(t, newFakeStore(), &fakeVerifier{}, 120, 40)
	a = press(t, a, "a")
	a = typeText(t, a, dir+"/exp")
	a = press(t, a, "tab")
	if got := a.auth.input.Value(); got != dir+"/export-qr.png" {
		t.Fatalf("after tab the field holds %q", got)
	}
	if a.focus != focusAuth {
		t.Fatal("tab in the import field switched panes")
	}
}
