//go:build !unix

package keyfile

import "io/fs"

// exposed is false where files have no Unix modes (Windows uses ACLs, which the
// user's profile folder already restricts).
func exposed(fs.FileMode) bool { return false }
