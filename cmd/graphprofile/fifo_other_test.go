//go:build !unix

package main

import "errors"

// mkfifo fails: Windows has no named pipes in the file system (its pipes
// live under \\.\pipe\, not in a directory).
func mkfifo(string) error { return errors.ErrUnsupported }
