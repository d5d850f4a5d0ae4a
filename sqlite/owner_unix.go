//go:build unix

package sqlite

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// giveOwnerOf gives the file at path the owner and group of the file at
// like, when that exists: a copy put in its place (a restore) stays the
// file of the user the server runs as, whoever made it. Only root may give
// a file away; anyone else's copy is theirs already (as the file was, if
// they may replace it), so a refusal there is no error.
func giveOwnerOf(path, like string) error {
	info, err := os.Stat(like)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if err := os.Chown(path, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return nil
}
