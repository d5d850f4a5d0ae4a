package main

import (
	"io/fs"
	"os"
	"runtime"
)

// exposedFiles returns those of paths that exist and that users other than
// their owner may read or write (a group or others bit in their mode). The
// files serve checks are secrets: whoever reads the development key mints a
// token for anyone, and the database holds every profile. serve makes them
// 0600, but one made by hand, copied with another umask or made before
// serve did so keeps its mode. Windows has no mode bits (Go reports 0666 or
// 0444 from the read-only attribute), so there nothing is reported.
func exposedFiles(paths ...string) []string {
	if runtime.GOOS == "windows" {
		return nil
	}
	var exposed []string
	for _, path := range paths {
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if fi.Mode().Perm()&(fs.ModePerm&^0o700) != 0 {
			exposed = append(exposed, path)
		}
	}
	return exposed
}
