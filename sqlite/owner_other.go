//go:build !unix

package sqlite

// giveOwnerOf does nothing where files have no owner to give (Windows: a
// new file gets the access list of its directory).
func giveOwnerOf(path, like string) error { return nil }
