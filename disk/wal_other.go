//go:build !linux

package disk

import (
	"io"
	"os"
)

func syncData(f *os.File) error { return f.Sync() }

// lockDir, where flock is not wired up, only creates the lock file: running
// two nodes on one directory is then the operator's mistake to avoid.
func lockDir(path string) (io.Closer, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}
