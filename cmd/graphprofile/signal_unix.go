//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

// endBySignal ends the process as sig does by default: killed by it. When
// sig was ignored at the process's start (a non-interactive shell starts
// `serve &` with SIGINT ignored), its default is to be ignored, so the
// process exits with the status a shell gives a process killed by sig.
func endBySignal(sig syscall.Signal) {
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig)
	time.Sleep(100 * time.Millisecond) // the signal is delivered meanwhile, unless ignored
	os.Exit(128 + int(sig))
}
