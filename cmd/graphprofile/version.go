package main

// version is a release's version, stamped by scripts/release (make release)
// with -ldflags "-X main.version=$(git describe --tags --always --dirty)";
// other builds leave it empty. The linker sets it; nothing assigns it.
var version = ""
