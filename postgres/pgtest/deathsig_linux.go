package pgtest

import "syscall"

// setDeathSignal has Linux send the postmaster SIGQUIT (PostgreSQL's
// immediate shutdown) should the test process die.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGQUIT }
