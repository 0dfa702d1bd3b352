//go:build !unix

package verifier

import "time"

// localBenchCPU is unknown here: the cpu-µs/op metric reads 0.
func localBenchCPU() time.Duration { return 0 }
