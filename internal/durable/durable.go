// Package durable makes a new name in a directory survive a power cut:
// after a file is created, linked or renamed into place, SyncDir flushes the
// directory that holds the name.
package durable

// SyncDir flushes the directory dir, so that the names created, linked or
// renamed in it so far survive a crash (syncDir, per platform).
func SyncDir(dir string) error { return syncDir(dir) }
