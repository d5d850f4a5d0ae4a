// Command pgcheck exits with one message saying how to provide a
// PostgreSQL server when the PostgreSQL tests would find none (see
// pgtest.Available). make test runs it before the tests, so that a machine
// without PostgreSQL is told so once, rather than by every PostgreSQL test.
package main

import (
	"fmt"
	"os"

	"github.com/graphprofile/graphprofile/postgres/pgtest"
)

func main() {
	if err := pgtest.Available(); err != nil {
		fmt.Fprintf(os.Stderr, "make test: %v\n", err)
		os.Exit(1)
	}
}
