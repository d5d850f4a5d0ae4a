// Package memtest holds what tests use to measure the memory code keeps.
package memtest

import "runtime"

// HeapInUse returns the heap's bytes in use after a collection: what the
// live objects take.
func HeapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
