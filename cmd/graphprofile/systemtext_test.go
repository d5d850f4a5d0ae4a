package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// The words of this system for two errors that tests expect in what the
// binary prints, taken from the system rather than written as Linux's:
// Windows says "connectex: No connection could be made because the target
// machine actively refused it." and "The system cannot find the file
// specified.".

// refusedText is the system call error of a connection refused:
// "connect: connection refused" on Linux.
func refusedText(t *testing.T) string {
	t.Helper()
	conn, err := net.Dial("tcp", freeAddr(t))
	if err == nil {
		conn.Close()
		t.Fatal("a connection to a closed port was accepted")
	}
	var sys *os.SyscallError
	if !errors.As(err, &sys) {
		t.Fatalf("dialing a closed port: %v, not a system call's error", err)
	}
	return sys.Error()
}

// missingFileText is what this system says of a file that does not exist:
// "no such file or directory" on Linux.
func missingFileText(t *testing.T) string {
	t.Helper()
	_, err := os.Stat(filepath.Join(t.TempDir(), "missing"))
	var pe *os.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("stat of a missing file: %v, not a path error", err)
	}
	return pe.Err.Error()
}
