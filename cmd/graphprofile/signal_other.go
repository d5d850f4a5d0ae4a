//go:build !unix

package main

import (
	"os"
	"syscall"
)

// endBySignal ends the process at once after a second signal. Windows has
// no signals to send oneself (Ctrl-C reaches Go as os.Interrupt, closing
// the console window as syscall.SIGTERM), so the process exits with the
// status a Unix shell gives a process killed by sig (130 after Ctrl-C), as
// it does on Unix when sig was ignored at its start.
func endBySignal(sig syscall.Signal) {
	os.Exit(128 + int(sig))
}

// failOnBrokenPipe does nothing: without signals, a write to a pipe whose
// reader has gone fails as any other does.
func failOnBrokenPipe() {}
