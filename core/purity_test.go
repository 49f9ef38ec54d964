package core

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bannedImports may not appear in core/: they reach the world outside Step.
var bannedImports = map[string]string{
	"os":           "does I/O",
	"net":          "does I/O",
	"net/http":     "does I/O",
	"sync":         "implies concurrency",
	"sync/atomic":  "implies concurrency",
	"math/rand":    "has a global source",
	"crypto/rand":  "is not seeded",
	"io/ioutil":    "does I/O",
	"unsafe":       "defeats the checks",
	"syscall":      "does I/O",
	"os/exec":      "does I/O",
	"hash/maphash": "is randomly seeded",
}

// bannedTime are functions of package time that read or wait on the real clock.
var bannedTime = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true,
}

// allowedRand are the parts of math/rand/v2 that do not touch its global source.
var allowedRand = map[string]bool{
	"Rand": true, "New": true, "NewPCG": true, "PCG": true, "Source": true,
	"NewChaCha8": true, "ChaCha8": true, "Zipf": true, "NewZipf": true,
}

// TestCoreIsPure scans every non-test Go file under core/ and fails on anything
// that could make a run depend on more than its seed: goroutines, select, the
// real clock, global randomness, I/O and concurrency imports, and range over a
// map (whose order Go randomises).
func TestCoreIsPure(t *testing.T) {
	pkgs := corePackages(t)
	require.NotEmpty(t, pkgs)
	var problems []string
	for _, dir := range pkgs {
		problems = append(problems, scanPackage(t, dir)...)
	}
	sort.Strings(problems)
	require.Empty(t, problems, "core/ must stay deterministic:\n%s", strings.Join(problems, "\n"))
}

// TestPurityScanCatchesViolations proves the scan is not vacuous: a file with
// every banned construct is reported once per construct.
func TestPurityScanCatchesViolations(t *testing.T) {
	dir := t.TempDir()
	src := `package bad

import (
	"math/rand/v2"
	"os"
	"time"
)

func f(m map[string]int, c chan int) {
	go func() {}()
	select {
	case <-c:
	default:
	}
	_ = time.Now()
	_ = rand.IntN(3)
	for k := range m {
		_ = k
	}
	_ = os.Args
}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.go"), []byte(src), 0o644))
	problems := scanFiles(t, "bad", dir, nil)
	joined := strings.Join(problems, "\n")
	for _, want := range []string{"go statement", "select statement", "time.Now", "rand.IntN", "range over a map", `import "os"`} {
		require.Contains(t, joined, want)
	}
}

func corePackages(t *testing.T) []string {
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() {
			matches, _ := filepath.Glob(filepath.Join(path, "*.go"))
			for _, m := range matches {
				if !strings.HasSuffix(m, "_test.go") {
					dirs = append(dirs, path)
					break
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	return dirs
}

func scanPackage(t *testing.T, dir string) []string {
	return scanFiles(t, "github.com/dynamo-replay/dynamo/core/"+dir, dir, exportData(t))
}

var exportCache map[string]string

// exportData maps import paths to compiled export data, so that the scan can
// type-check core/ (it needs types to tell a map from a slice in a range).
func exportData(t *testing.T) map[string]string {
	if exportCache != nil {
		return exportCache
	}
	cmd := exec.Command("go", "list", "-export", "-deps", "-json", "./...")
	out, err := cmd.Output()
	require.NoError(t, err, "go list -export")
	exportCache = map[string]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct{ ImportPath, Export string }
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		exportCache[p.ImportPath] = p.Export
	}
	return exportCache
}

func scanFiles(t *testing.T, path, dir string, exports map[string]string) []string {
	fset := token.NewFileSet()
	matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var files []*ast.File
	for _, m := range matches {
		if strings.HasSuffix(m, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, m, nil, 0)
		require.NoError(t, err)
		files = append(files, f)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "gc", func(p string) (io.ReadCloser, error) {
			if exports == nil {
				return nil, fmt.Errorf("no export data")
			}
			file, ok := exports[p]
			if !ok || file == "" {
				return nil, fmt.Errorf("no export data for %s", p)
			}
			return os.Open(file)
		}),
		Error: func(error) {}, // a fixture may not type-check fully; maps still resolve
	}
	if exports == nil {
		conf.Importer = importer.Default()
	}
	_, _ = conf.Check(path, fset, files, info)

	var problems []string
	report := func(n ast.Node, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), fmt.Sprintf(format, args...)))
	}
	for _, f := range files {
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if why, bad := bannedImports[p]; bad {
				report(imp, "import %q (%s)", p, why)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				report(n, "go statement")
			case *ast.SelectStmt:
				report(n, "select statement")
			case *ast.SelectorExpr:
				pkg, ok := n.X.(*ast.Ident)
				if !ok {
					break
				}
				pn, ok := info.Uses[pkg].(*types.PkgName)
				if !ok {
					break
				}
				switch pn.Imported().Path() {
				case "time":
					if bannedTime[n.Sel.Name] {
						report(n, "time.%s reads the real clock", n.Sel.Name)
					}
				case "math/rand/v2":
					if !allowedRand[n.Sel.Name] {
						report(n, "rand.%s uses the global source", n.Sel.Name)
					}
				}
			case *ast.RangeStmt:
				if tv, ok := info.Types[n.X]; ok && tv.Type != nil {
					if _, isMap := tv.Type.Underlying().(*types.Map); isMap {
						report(n, "range over a map (iteration order is random)")
					}
				}
			}
			return true
		})
	}
	return problems
}
