//go:build !unix

package bench

import "time"

// ProcessCPU is 0 where getrusage is missing: the cpu-us/op metric then reads 0.
func ProcessCPU() time.Duration { return 0 }
