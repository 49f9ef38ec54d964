package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// childNode is a `dynamo node` process started by `cluster` or `bench`.
type childNode struct {
	id   int
	cmd  *exec.Cmd
	args []string
	http string
	done chan struct{} // closed once the process has exited
	err  error         // its exit, read after done
}

// startChild starts bin with args, its output lines going to out.
func startChild(bin string, id int, args []string, httpAddr string, out io.Writer) (*childNode, error) {
	c := &childNode{id: id, args: args, http: httpAddr, done: make(chan struct{})}
	c.cmd = exec.Command(bin, args...)
	// A process group of its own: Ctrl-C reaches only the supervisor,
	// which stops the nodes in order.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.cmd.Stdout, c.cmd.Stderr = out, out
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node %d: %w", id, err)
	}
	live.add(c)
	go func() {
		c.err = c.cmd.Wait()
		live.remove(c)
		close(c.done)
	}()
	return c, nil
}

// live is every child still running, so that a command interrupted in the
// middle of its work can stop them: they run in process groups of their own,
// out of reach of the terminal's Ctrl-C.
var live liveChildren

type liveChildren struct {
	mu    sync.Mutex
	nodes map[*childNode]bool
}

func (l *liveChildren) add(c *childNode) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nodes == nil {
		l.nodes = make(map[*childNode]bool)
	}
	l.nodes[c] = true
}

func (l *liveChildren) remove(c *childNode) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.nodes, c)
}

// stopAll stops every live child (see stopNodes).
func (l *liveChildren) stopAll(timeout time.Duration) {
	l.mu.Lock()
	var nodes []*childNode
	for c := range l.nodes {
		nodes = append(nodes, c)
	}
	l.mu.Unlock()
	stopNodes(nodes, timeout)
}

// stopNodes sends SIGTERM to every node and waits for them, killing those
// still running after timeout.
func stopNodes(nodes []*childNode, timeout time.Duration) {
	for _, c := range nodes {
		c.cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.After(timeout)
	for _, c := range nodes {
		select {
		case <-c.done:
		case <-deadline:
			c.cmd.Process.Kill()
			<-c.done
		}
	}
}

func exitText(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// prefixWriter writes whole lines to w, each prefixed, under mu so that the
// lines of several processes interleave whole.
type prefixWriter struct {
	prefix string
	w      io.Writer
	mu     *sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

// waitReady polls every node's /status until it answers.
func waitReady(children []*childNode, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for _, c := range children {
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.http+"/status", nil)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-c.done:
				return fmt.Errorf("node %d exited before it was ready: %v", c.id, exitText(c.err))
			case <-ctx.Done():
				return fmt.Errorf("node %d did not answer on http://%s/status within %v", c.id, c.http, within)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}
