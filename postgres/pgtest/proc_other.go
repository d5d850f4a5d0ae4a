//go:build !unix

package pgtest

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// credential is unused here: a throwaway cluster needs Unix.
type credential struct{ Uid, Gid uint32 }

func credentialOf(uid, gid uint32) *credential { return &credential{uid, gid} }

// localClusters refuses (ErrNoServer, which says how to name a server) a throwaway cluster: Stop and Crash are PostgreSQL's
// fast and immediate shutdowns, SIGINT and SIGQUIT, which this system cannot
// send to another process.
func localClusters() error {
	return fmt.Errorf("pgtest: a throwaway cluster needs Unix signals, which %s has not, so only %s will do: %w", runtime.GOOS, EnvURL, ErrNoServer)
}

func procAttr(*credential, bool) *syscall.SysProcAttr { return nil }

func killGroup(p *os.Process) { _ = p.Kill() }
