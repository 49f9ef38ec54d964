package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dynamo-replay/dynamo/net/client"
)

// stdin is where 'dynamo put KEY -' reads the value; tests replace it.
var stdin io.Reader = os.Stdin

// defaultNodeAddr is where a node listens for clients unless told
// otherwise; DYNAMO_ADDR overrides it so that a shell session can point
// every command at one cluster.
const defaultNodeAddr = "127.0.0.1:8001"

const kvExitStatus = `exit status: 0 on success, 1 when the cluster failed the request (the
node's reason is printed) or, for get, the key was not found, 2 when the
command line was wrong.
`

// kvCommand is what get, put and delete share: flags, the positional
// arguments and the client they build.
type kvCommand struct {
	fs           *flag.FlagSet
	names        []string // the positional arguments, as the usage names them
	addr         *string
	clientDriven *bool
	timeout      *time.Duration
	stderr       io.Writer
}

// newKVCommand builds a command named name taking the positional arguments
// names, shown in the usage as synopsis.
func newKVCommand(name string, names []string, synopsis, about string, stderr io.Writer) *kvCommand {
	fs := flag.NewFlagSet("dynamo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := defaultNodeAddr
	if env := os.Getenv("DYNAMO_ADDR"); env != "" {
		addr = env
	}
	k := &kvCommand{fs: fs, names: names, stderr: stderr}
	k.addr = fs.String("addr", addr, "a node's HTTP address HOST:PORT, or several separated by commas to fail over; $DYNAMO_ADDR sets the default")
	k.clientDriven = fs.Bool("client-driven", false, "fetch the ring and send the request straight to the key's first replica (section 6.4)")
	k.timeout = fs.Duration("timeout", 10*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: dynamo %s [flags] %s\n\n%s\n\n%s\nflags:\n", name, synopsis, about, kvExitStatus)
		fs.PrintDefaults()
	}
	return k
}

// parse parses flags that may come before, between or after the positional
// arguments, and returns exactly as many of those as the usage names. After
// "--" everything is positional, so that a key or value may start with '-'.
func (k *kvCommand) parse(args []string) ([]string, int, bool) {
	var pos []string
	rest := args
	for {
		if err := k.fs.Parse(rest); err != nil {
			if err == flag.ErrHelp {
				return nil, exitOK, false
			}
			return nil, exitBadArgs, false
		}
		if used := len(rest) - k.fs.NArg(); used > 0 && rest[used-1] == "--" {
			pos = append(pos, k.fs.Args()...)
			break
		}
		if k.fs.NArg() == 0 {
			break
		}
		pos, rest = append(pos, k.fs.Arg(0)), k.fs.Args()[1:]
	}
	switch {
	case len(pos) < len(k.names):
		return nil, k.fail("missing %s", k.names[len(pos)]), false
	case len(pos) > len(k.names):
		return nil, k.fail("unexpected argument %q after %s", pos[len(k.names)], k.names[len(k.names)-1]), false
	case pos[0] == "":
		return nil, k.fail("KEY is empty"), false
	case len(pos[0]) > client.MaxKeyBytes:
		return nil, k.fail("KEY is %d bytes, more than the %d a key may have", len(pos[0]), client.MaxKeyBytes), false
	case *k.timeout <= 0:
		return nil, k.fail("--timeout %s: want a positive duration", *k.timeout), false
	}
	return pos, 0, true
}

// fail reports a command-line error and returns exitBadArgs.
func (k *kvCommand) fail(format string, args ...any) int {
	fmt.Fprintf(k.stderr, "%s: %s (see '%s -h')\n", k.fs.Name(), fmt.Sprintf(format, args...), k.fs.Name())
	return exitBadArgs
}

// quorum checks --r or --w.
func (k *kvCommand) quorum(name string, v int) bool {
	if v < 0 {
		k.fail("--%s %d: want 1..N, or 0 for the node's default", name, v)
		return false
	}
	return true
}

// context decodes --context.
func (k *kvCommand) context(s string) ([]byte, bool) {
	if s == "" {
		return nil, true
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		k.fail("--context %q: not standard base64 as 'dynamo get' prints it: %v", s, err)
		return nil, false
	}
	return b, true
}

func (k *kvCommand) client() (*client.Client, int, bool) {
	opts := client.Options{Mode: client.ServerDriven}
	if *k.clientDriven {
		opts.Mode = client.ClientDriven
	}
	for _, a := range strings.Split(*k.addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			opts.Addrs = append(opts.Addrs, a)
		}
	}
	if len(opts.Addrs) == 0 {
		return nil, k.fail("--addr is empty"), false
	}
	c, err := client.New(opts)
	if err != nil {
		return nil, k.fail("--addr %q: %v", *k.addr, err), false
	}
	return c, 0, true
}

// call opens a client on --addr and runs do within --timeout; an error of
// do is reported by failed.
func (k *kvCommand) call(do func(ctx context.Context, c *client.Client) error) int {
	c, code, ok := k.client()
	if !ok {
		return code
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *k.timeout)
	defer cancel()
	if err := do(ctx, c); err != nil {
		return k.failed(err)
	}
	return exitOK
}

// failed reports the cluster's (or the network's) error and returns
// exitFailed.
func (k *kvCommand) failed(err error) int {
	fmt.Fprintf(k.stderr, "%s: %v\n", k.fs.Name(), err)
	if errors.Is(err, client.ErrUnavailable) {
		fmt.Fprintf(k.stderr, "%s: the request may be retried (a put that failed so may still take effect)\n", k.fs.Name())
	}
	return exitFailed
}

func printContext(w io.Writer, vctx []byte) {
	if len(vctx) > 0 {
		fmt.Fprintf(w, "context: %s\n", base64.StdEncoding.EncodeToString(vctx))
	}
}

func runGet(args []string, stdout, stderr io.Writer) int {
	k := newKVCommand("get", []string{"KEY"}, "KEY", `Prints KEY's value on standard output, as raw bytes, and the context on
standard error as a line 'context: <base64>', to pass to put or delete with
--context so that the write supersedes what was read. Concurrent versions
(siblings) are printed one after another, each followed by a newline and
announced on standard error by a line 'sibling I of N:'. A key never written,
or deleted, prints 'not found: KEY' on standard error (and the context, if
the key was deleted) and exits 1.`, stderr)
	r := k.fs.Int("r", 0, "replicas to wait for, 1..N (0: the node's default)")
	pos, code, ok := k.parse(args)
	if !ok {
		return code
	}
	if !k.quorum("r", *r) {
		return exitBadArgs
	}
	var res client.GetResult
	if code := k.call(func(ctx context.Context, c *client.Client) (err error) {
		res, err = c.Get(ctx, pos[0], client.WithR(*r))
		return err
	}); code != exitOK {
		return code
	}
	if !res.Found {
		fmt.Fprintf(stderr, "not found: %s\n", pos[0])
		printContext(stderr, res.Context)
		return exitFailed
	}
	for i, v := range res.Values {
		if len(res.Values) > 1 {
			fmt.Fprintf(stderr, "sibling %d of %d:\n", i+1, len(res.Values))
		}
		if _, err := stdout.Write(v); err != nil {
			return k.failed(fmt.Errorf("writing the value: %w", err))
		}
		if len(res.Values) > 1 {
			if _, err := io.WriteString(stdout, "\n"); err != nil {
				return k.failed(fmt.Errorf("writing the value: %w", err))
			}
		}
	}
	if res.Deleted > 0 {
		fmt.Fprintf(stderr, "and %d concurrent delete(s) among the siblings\n", res.Deleted)
	}
	printContext(stderr, res.Context)
	return exitOK
}

// parseWrite parses a put's or delete's flags (--w, --context) and
// arguments.
func (k *kvCommand) parseWrite(args []string) (pos []string, vctx []byte, w, code int, ok bool) {
	wFlag := k.fs.Int("w", 0, "replicas to wait for, 1..N (0: the node's default)")
	vctxFlag := k.fs.String("context", "", "the context 'dynamo get' printed, in base64")
	if pos, code, ok = k.parse(args); !ok {
		return nil, nil, 0, code, false
	}
	if vctx, ok = k.context(*vctxFlag); !ok || !k.quorum("w", *wFlag) {
		return nil, nil, 0, exitBadArgs, false
	}
	return pos, vctx, *wFlag, 0, true
}

func runPut(args []string, stdout, stderr io.Writer) int {
	k := newKVCommand("put", []string{"KEY", "VALUE"}, "KEY VALUE|-", `Writes VALUE under KEY; with '-' the value is read from standard input.
Without --context the write is blind and becomes a sibling of whatever KEY
holds; give the context 'dynamo get' printed to supersede what it read.
Put '--' before a VALUE that starts with '-'.`, stderr)
	pos, vctx, w, code, ok := k.parseWrite(args)
	if !ok {
		return code
	}
	value := []byte(pos[1])
	if pos[1] == "-" {
		var err error
		if value, err = io.ReadAll(io.LimitReader(stdin, client.MaxValueBytes+1)); err != nil {
			return k.failed(fmt.Errorf("reading the value from standard input: %w", err))
		}
	}
	if len(value) > client.MaxValueBytes {
		return k.fail("VALUE is more than the %d bytes a value may have", client.MaxValueBytes)
	}
	return k.call(func(ctx context.Context, c *client.Client) error {
		return c.Put(ctx, pos[0], value, vctx, client.WithW(w))
	})
}

func runDelete(args []string, stdout, stderr io.Writer) int {
	k := newKVCommand("delete", []string{"KEY"}, "KEY", `Deletes KEY. Without --context the delete is blind: a tombstone beside
whatever KEY holds, which hides nothing; give the context 'dynamo get'
printed to delete what it read.`, stderr)
	pos, vctx, w, code, ok := k.parseWrite(args)
	if !ok {
		return code
	}
	return k.call(func(ctx context.Context, c *client.Client) error {
		return c.Delete(ctx, pos[0], vctx, client.WithW(w))
	})
}
