//go:build purego

package main

// puregoTag reports whether the tests run with -tags purego (the pure-Go
// SQLite driver even where cgo is on); the binary under test is then built
// with the tag too. Without cgo (CGO_ENABLED=0) the binary's build inherits
// that from the environment.
const puregoTag = true
