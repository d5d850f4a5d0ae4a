//go:build !linux

package main

import "time"

// threadCPU has no thread's CPU time to read here (Go's syscall package
// has no clock_gettime on macOS, nor GetThreadTimes on Windows): the
// yardstick takes no samples, and --interval's lines and the report leave
// it out rather than print a figure.
func threadCPU() (time.Duration, bool) { return 0, false }
