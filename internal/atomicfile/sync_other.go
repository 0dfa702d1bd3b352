//go:build !unix

package atomicfile

// syncDir is a no-op where directories cannot be synced.
func syncDir(string) error { return nil }
