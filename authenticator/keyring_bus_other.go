//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package authenticator

// busPrecheck has nothing to check where the keyring is not reached over D-Bus.
func busPrecheck(func(string) string) error { return nil }

// busProblem has no D-Bus failures to recognise here.
func busProblem(error) (KeyringProblem, bool) { return 0, false }

// wouldPrompt cannot tell ahead of a call whether Keychain or Credential Manager will
// ask the user: Credential Manager never does, and Keychain asks only for an item
// another program made.
func wouldPrompt() error { return nil }
