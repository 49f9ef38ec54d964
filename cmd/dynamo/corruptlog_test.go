package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dynamo-replay/dynamo/core"
	"github.com/dynamo-replay/dynamo/disk"
	"github.com/stretchr/testify/require"
)

// frameHeaderBytes is the log's frame header: length, payload CRC, header CRC
// (disk/record.go).
const frameHeaderBytes = 12

// oneNodeWithKeys starts a one-node process cluster (N=R=W=1), writes n keys
// through its HTTP API, stops it with SIGTERM and returns the cluster and the
// path of its largest log segment.
func oneNodeWithKeys(t *testing.T, n int) (*procCluster, string) {
	c := startProcCluster(t, 1, "--n", "1", "--r", "1", "--w", "1", "--quiet")
	for i := range n {
		req, err := http.NewRequest(http.MethodPut, "http://"+c.http[1]+"/kv/"+corruptKey(i), strings.NewReader(corruptValue(i)))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusNoContent, resp.StatusCode, "put %s", corruptKey(i))
	}
	c.stop(1)
	return c, largestSegment(t, c.dirs[1])
}

func corruptKey(i int) string   { return fmt.Sprintf("key-%03d", i) }
func corruptValue(i int) string { return fmt.Sprintf("value-%03d-%s", i, strings.Repeat("x", 40)) }

func largestSegment(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var best string
	var size int64 = -1
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		fi, err := e.Info()
		require.NoError(t, err)
		if fi.Size() > size {
			best, size = filepath.Join(dir, e.Name()), fi.Size()
		}
	}
	require.NotEmpty(t, best, "no .log segment in %s", dir)
	return best
}

// frameStarts walks a log's frames and returns the offset of each.
func frameStarts(t *testing.T, log []byte) []int {
	t.Helper()
	var out []int
	for off := 0; off < len(log); {
		require.GreaterOrEqual(t, len(log)-off, frameHeaderBytes, "a torn header at %d in a log that should be whole", off)
		out = append(out, off)
		off += frameHeaderBytes + int(binary.LittleEndian.Uint32(log[off:]))
		require.LessOrEqual(t, off, len(log), "a torn frame in a log that should be whole")
	}
	return out
}

// dirFiles is every file of a directory and its bytes.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = b
	}
	return out
}

// A record damaged in the middle of the log cannot be a torn write: the node
// must refuse to start, say which file and which offset, and leave every
// byte stored where it was (recovery never "repairs" by deleting data).
func TestNodeRefusesALogCorruptedInTheMiddle(t *testing.T) {
	c, seg := oneNodeWithKeys(t, 200)
	log, err := os.ReadFile(seg)
	require.NoError(t, err)
	starts := frameStarts(t, log)
	require.Greater(t, len(starts), 100, "200 puts leave at least as many records")

	// The frame holding the middle of the file: far from the last one.
	k := len(starts) - 1
	for k > 0 && starts[k] > len(log)/2 {
		k--
	}
	require.Less(t, k, len(starts)-10)
	off := starts[k]
	size := starts[k+1] - off - frameHeaderBytes
	require.Greater(t, size, 4)
	p := off + frameHeaderBytes + size/2
	log[p] ^= 0xff
	log[p+1] ^= 0x55
	require.NoError(t, os.WriteFile(seg, log, 0o644))
	before := dirFiles(t, c.dirs[1])

	cmd := exec.Command(c.bin, c.args[1]...)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("the node started on a corrupt log; stderr:\n%s", stderr.String())
	}
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the node must fail: %v; stderr:\n%s", err, stderr.String())
	require.Equal(t, exitFailed, exit.ExitCode(), stderr.String())
	want := (&disk.CorruptionError{File: seg, Offset: off, Reason: "checksum mismatch"}).Error()
	require.Contains(t, stderr.String(), want, "the error names the file and the damaged record's offset")

	require.Equal(t, before, dirFiles(t, c.dirs[1]), "a failed recovery must leave the log directory as it was")
}

// A log whose last record was cut short is what a crash mid-append leaves:
// the node drops the torn record and starts, with every key whose record is
// whole.
func TestNodeStartsAfterATornTail(t *testing.T) {
	const keys = 200
	c, seg := oneNodeWithKeys(t, keys)
	log, err := os.ReadFile(seg)
	require.NoError(t, err)
	starts := frameStarts(t, log)
	last := starts[len(starts)-1]
	cut := 5
	require.Greater(t, len(log)-last, cut, "the last frame is longer than the cut")
	log = log[:len(log)-cut]
	require.NoError(t, os.Truncate(seg, int64(len(log))))

	// The keys whose records are whole, read from the truncated log.
	rec, err := disk.Recover(log)
	require.NoError(t, err)
	require.Equal(t, len(log)-last, rec.TornBytes, "exactly the last frame is torn")
	whole := map[string]bool{}
	for _, r := range rec.Records {
		if r.Kind == core.RecordVersions {
			whole[r.Key] = true
		}
	}
	require.GreaterOrEqual(t, len(whole), keys-1, "at most the last put lost its frame")

	c.start(1)
	c.waitReady(1)
	for i := range keys {
		key := corruptKey(i)
		resp, err := http.Get("http://" + c.http[1] + "/kv/" + key)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		if !whole[key] {
			require.Contains(t, []int{http.StatusOK, http.StatusNotFound}, resp.StatusCode, "torn key %s", key)
			continue
		}
		require.Equal(t, http.StatusOK, resp.StatusCode, "key %s: %s", key, body)
		require.Equal(t, corruptValue(i), string(body), "key %s", key)
	}
	c.stop(1)
}
