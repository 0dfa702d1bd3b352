//go:build unix

package tui

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time the process has used (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op to a benchmark: the CPU time per operation, GC included.
// On a busy machine wall time also counts the time the benchmark waited for a core;
// CPU time does not, so the two together tell cost from contention.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if n := b.N; n > 0 {
			b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(n), "cpu-ns/op")
		}
	}
}
