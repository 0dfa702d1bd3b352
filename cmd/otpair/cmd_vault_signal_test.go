//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/otpair/otpair/authenticator"
)

// otpairChild starts the otpair binary with env (nothing else from the test's
// environment but PATH) and stdin; stderr is collected, and found receives the first
// match of wait in it.
func otpairChild(t *testing.T, bin string, env []string, stdin io.Reader, wait string, args ...string) (*exec.Cmd, *watchWriter) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdin = stdin
	stderr := newWatchWriter(wait)
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, stderr
}

// waitExit waits for cmd to end and returns its exit status, failing the test if it
// is still running at the deadline.
func waitExit(t *testing.T, cmd *exec.Cmd, d time.Duration) int {
	t.Helper()
	err := withDeadline(t, "otpair "+strings.Join(cmd.Args[1:], " "), d, cmd.Wait)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// TestVaultLockWaitEndsOnSignal: a real otpair process waiting for vault.lock, which
// another process holds, says so, and SIGTERM or SIGINT ends the wait at once: exit
// 143 or 130, with a message naming the lock and the signal, and nothing written.
func TestVaultLockWaitEndsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildVaultBinary(t)
	home := t.TempDir()
	vars := []string{"OTPAIR_HOME=" + home, "OTPAIR_PASSPHRASE=test passphrase", "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(home, "no-bus")}
	child, _ := otpairChild(t, bin, vars, nil, `$^`, "import", randKey(t, "First", "f", 0).URI())
	if code := waitExit(t, child, 60*time.Second); code != 0 {
		t.Fatalf("first import = %d", code)
	}
	vaultBefore, _ := os.ReadFile(filepath.Join(home, authenticator.VaultFileName))

	// This test process holds the lock, as another otpair would.
	lock, err := os.OpenFile(filepath.Join(home, authenticator.LockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			child, stderr := otpairChild(t, bin, vars, nil, "waiting for another otpair process", "import", randKey(t, "Blocked", "b", 0).URI())
			select {
			case <-stderr.found:
			case <-time.After(30 * time.Second):
				t.Fatalf("the child never said it waits for the lock:\n%s", stderr)
			}
			child.Process.Signal(sig)
			code := waitExit(t, child, 10*time.Second)
			all := stderr.String()
			name := map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[sig]
			if code != 128+int(sig) || !strings.Contains(all, "gave up waiting") || !strings.Contains(all, authenticator.LockFileName) || !strings.Contains(all, "interrupted by "+name) {
				t.Errorf("exit %d after %s, stderr:\n%s", code, name, all)
			}
			if now, _ := os.ReadFile(filepath.Join(home, authenticator.VaultFileName)); !bytes.Equal(now, vaultBefore) {
				t.Error("the vault changed")
			}
		})
	}
}

// TestVaultPromptWithoutTerminal: with stdin a pipe that never ends (not a terminal)
// and no variable, every prompt fails at once, naming the variable to set.
func TestVaultPromptWithoutTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildVaultBinary(t)
	home := t.TempDir()
	noBus := "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(home, "no-bus")
	base := []string{"OTPAIR_HOME=" + home, noBus}
	child, _ := otpairChild(t, bin, append(base, "OTPAIR_PASSPHRASE=test passphrase"), nil, `$^`, "import", randKey(t, "A", "a", 0).URI())
	if code := waitExit(t, child, 60*time.Second); code != 0 {
		t.Fatalf("import = %d", code)
	}
	for _, tc := range []struct {
		name, want string
		env        []string
		args       []string
	}{
		{"open", "OTPAIR_PASSPHRASE", base, []string{"list"}},
		{"new vault", "OTPAIR_PASSPHRASE", []string{"OTPAIR_HOME=" + t.TempDir(), noBus}, []string{"import", randKey(t, "B", "b", 0).URI()}},
		{"rekey", "OTPAIR_NEW_PASSPHRASE", append(base, "OTPAIR_PASSPHRASE=test passphrase"), []string{"vault", "rekey", "--passphrase"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close() // open until the end: a read of stdin would block
			child, stderr := otpairChild(t, bin, tc.env, r, `$^`, tc.args...)
			r.Close()
			code := waitExit(t, child, 20*time.Second)
			if all := stderr.String(); code != 1 || !strings.Contains(all, "set "+tc.want) {
				t.Errorf("exit %d, stderr:\n%s", code, all)
			}
		})
	}
}

// panePID is the pid of the process a tmux pane runs.
func panePID(t *testing.T, s *tmuxSession) int {
	t.Helper()
	var pid int
	fmt.Sscan(strings.TrimSpace(s.run("display-message", "-p", "-t", s.name, "#{pane_pid}")), &pid)
	return pid
}

// childPID is the one child of pid (Linux /proc).
func childPID(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		t.Skipf("no /proc children list: %v", err)
	}
	var child int
	fmt.Sscan(string(b), &child)
	return child
}

// TestVaultPromptEndsOnSignal: the passphrase prompt on a real terminal (tmux) ends
// on Ctrl-C and on SIGTERM, exit 130 and 143, and the terminal echoes again after it.
func TestVaultPromptEndsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildTUIBinary(t)
	env := e2eEnv(t)
	home := strings.TrimPrefix(env[0], "OTPAIR_HOME=")
	out, err := helperCmd(t, "run", map[string]string{"OTPAIR_HOME": home, "OTPAIR_PASSPHRASE": "test passphrase",
		"DBUS_SESSION_BUS_ADDRESS": "disabled:", "OTPAIR_VAULT_HELPER_SCRYPT": "4"}, "import", randKey(t, "A", "a", 0).URI()).CombinedOutput()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	var noPass []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "OTPAIR_PASSPHRASE=") {
			noPass = append(noPass, kv)
		}
	}
	for _, tc := range []struct {
		name string
		stop func(s *tmuxSession)
		code string
	}{
		{"ctrl-c", func(s *tmuxSession) { s.keys("C-c") }, "rc=130"},
		{"sigterm", func(s *tmuxSession) { syscall.Kill(childPID(t, panePID(t, s)), syscall.SIGTERM) }, "rc=143"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startTmux(t, 120, 40, noPass, "sh", "-c", `trap true INT; "$0" list; echo "rc=$?"; stty -a | tr ';' '\n' | tr -s ' ' '\n' | grep -x -e echo -e -echo | sed 's/^/mode=/'; sleep 600`, bin)
			s.waitFor("Passphrase for")
			tc.stop(s)
			scr := s.waitFor(tc.code, "mode=")
			if !strings.Contains(scr, "interrupted by") || !strings.Contains(scr, "mode=echo") {
				t.Errorf("after the prompt ended, the screen:\n%s", scr)
			}
		})
	}
}
