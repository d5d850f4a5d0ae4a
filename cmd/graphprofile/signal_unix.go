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
//
// As a PID namespace's first process (a container's), the kernel does
// not let a signal's default action kill it: the Go runtime, failing to
// die by the signal it raised, exits 2. There it exits with that status
// itself.
func endBySignal(sig syscall.Signal) {
	if os.Getpid() == 1 {
		os.Exit(128 + int(sig))
	}
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig)
	time.Sleep(100 * time.Millisecond) // the signal is delivered meanwhile, unless ignored
	os.Exit(128 + int(sig))
}

// failOnBrokenPipe makes a write to standard output whose reader has gone
// (`graphprofile export | head`) fail with EPIPE, as a write to any other
// file does, instead of killing the process by SIGPIPE: the command then
// ends as on any failed write, removing what it made meanwhile (export's
// copy of the database, in the temporary directory).
func failOnBrokenPipe() { signal.Ignore(syscall.SIGPIPE) }
