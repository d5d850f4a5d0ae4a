//go:build unix

package pgtest

import (
	"os"
	"syscall"
)

// credential is the user and group PostgreSQL runs as when we are root.
type credential = syscall.Credential

func credentialOf(uid, gid uint32) *credential {
	return &syscall.Credential{Uid: uid, Gid: gid, NoSetGroups: true}
}

// localClusters reports why this system cannot run a throwaway cluster:
// nil, Unix can.
func localClusters() error { return nil }

// procAttr runs initdb or postgres as cred (nil: as ourselves); the
// postmaster (server) in a process group of its own, which killGroup ends,
// and where the system has it (setDeathSignal), stopped at once should
// the test process die.
func procAttr(cred *credential, server bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Credential: cred}
	if server {
		a.Setpgid = true
		setDeathSignal(a)
	}
	return a
}

// killGroup kills the postmaster p and its backends (its process group).
func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
