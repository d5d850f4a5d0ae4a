//go:build !unix

package sqlite

import "testing"

// runAsAnotherUser reports false: no process here is root (see the unix
// version).
func runAsAnotherUser(t *testing.T) bool { return false }
