package main

import (
	"flag"
	"fmt"
	"io"
)

// parseOneArgument parses flags that may stand before or after a command's
// one positional argument (dynamo check FILE --viz X, dynamo experiment NAME
// --out DIR). It returns the argument, or the exit status when parsing ends
// the command: exitOK for -h, exitBadArgs for bad flags, a second argument or
// none (after printing the usage).
func parseOneArgument(fs *flag.FlagSet, args []string, what string, stderr io.Writer) (string, int, bool) {
	var arg string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if err == flag.ErrHelp {
				return "", exitOK, false
			}
			return "", exitBadArgs, false
		}
		if fs.NArg() == 0 {
			break
		}
		if arg != "" {
			fmt.Fprintf(stderr, "%s: more than one %s (%q and %q)\n", fs.Name(), what, arg, fs.Arg(0))
			return "", exitBadArgs, false
		}
		arg, rest = fs.Arg(0), fs.Args()[1:]
	}
	if arg == "" {
		fs.Usage()
		return "", exitBadArgs, false
	}
	return arg, 0, true
}
