//go:build !windows

package durable

import "os"

// syncDir fsyncs the directory, as POSIX asks for a new name to be durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
