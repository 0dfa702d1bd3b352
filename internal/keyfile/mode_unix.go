//go:build unix

package keyfile

import "io/fs"

// exposed reports whether perm gives the group or others any access.
func exposed(perm fs.FileMode) bool { return perm&0o077 != 0 }
