//go:build unix && !linux

package pgtest

import "syscall"

// setDeathSignal does nothing: only Linux has a parent-death signal. A test
// process that dies without Close (a crash, kill -9) leaves its cluster
// running here; stop it with kill -QUIT on the pid in postmaster.pid of
// $TMPDIR/graphprofile-pg-*/data.
func setDeathSignal(*syscall.SysProcAttr) {}
