package cmd

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// boundHeap lets a command that allocates many short-lived objects collect
// garbage rarely (GOGC gcPercent) while its heap is small, and keeps the
// heap near floor, or twice the live data once that is larger, so that a
// large input does not make the heap grow gcPercent/100 times past what is
// live. It works through the soft memory limit, updated after every
// collection; a GOMEMLIMIT set by the user is left alone. The returned
// function restores the previous settings.
func boundHeap(gcPercent int, floor int64) (restore func()) {
	prevGC := debug.SetGCPercent(gcPercent)
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return func() { debug.SetGCPercent(prevGC) }
	}
	prevLimit := debug.SetMemoryLimit(floor)
	var stopped atomic.Bool
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		// A finalizer runs once the collection that found its object
		// unreachable is over: once per cycle, as each arms the next.
		type sentinel struct{ _ *byte }
		runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
			if stopped.Load() {
				return
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				debug.SetMemoryLimit(max(floor, 2*int64(sample[0].Value.Uint64())))
			}
			arm()
		})
	}
	arm()
	return func() {
		stopped.Store(true)
		debug.SetMemoryLimit(prevLimit)
		debug.SetGCPercent(prevGC)
	}
}
