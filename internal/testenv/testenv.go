// Package testenv locates what the tests and benchmarks need outside the package under
// test: the repository root, the vision models (fetched by scripts/fetch-models.sh), the
// registry fixtures (scripts/fetch-fixtures.sh) and the optional shared dev portraits.
// Only _test.go files and bench/ import it.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// Root is the module root: the nearest directory above the working directory (a test
// runs in its package's directory) that holds go.mod.
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("testenv: go.mod not found above the test directory")
		}
		dir = parent
	}
}

// ModelsDir is $XIAOXIANG_MODELS_DIR, or <root>/models.
func ModelsDir(tb testing.TB) string {
	if d := os.Getenv("XIAOXIANG_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join(Root(tb), "models")
}

// FixturesDir is <root>/.cache/fixtures (registry portraits, always present under make test).
func FixturesDir(tb testing.TB) string { return filepath.Join(Root(tb), ".cache", "fixtures") }

// PortraitsDir is the shared development portrait set (<root>/../shared/testdata/portraits),
// or "" when this checkout has none.
func PortraitsDir(tb testing.TB) string {
	d := filepath.Join(filepath.Dir(Root(tb)), "shared", "testdata", "portraits")
	if _, err := os.Stat(filepath.Join(d, "MANIFEST.tsv")); err != nil {
		return ""
	}
	return d
}
