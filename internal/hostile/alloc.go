package hostile

import (
	"fmt"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// AllocCap runs f and returns the bytes the process allocated meanwhile. If they pass
// limit before f returns, a watchdog goroutine panics, failing the whole test binary at
// once: an unbounded parser then fails the test in a second instead of exhausting the
// machine, which is how the tests of issue 11 show that the old code was unbounded.
// Other goroutines' allocations count too, so limit should leave room for them.
func AllocCap(t testing.TB, limit uint64, f func()) uint64 {
	t.Helper()
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	start := read()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if n := read() - start; n > limit {
					panic(fmt.Sprintf("%s: allocated %d MB, more than the %d MB this input may cost: the work is unbounded",
						t.Name(), n>>20, limit>>20))
				}
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	return read() - start
}
