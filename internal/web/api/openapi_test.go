package api_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"xiaoxiang/internal/apptest"
)

// TestOpenAPI_CoversRoutes checks that docs/openapi.yaml documents every route of routes.go.
func TestOpenAPI_CoversRoutes(t *testing.T) {
	routes, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(apptest.RepoRoot(), "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Split the spec into path blocks: "  /api/v1/…:" followed by its methods.
	blocks := map[string]string{}
	var cur string
	for _, line := range strings.Split(string(spec), "\n") {
		if strings.HasPrefix(line, "  /api/v1/") && strings.HasSuffix(line, ":") {
			cur = strings.TrimSuffix(strings.TrimSpace(line), ":")
			continue
		}
		if cur != "" && strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "     ") {
			blocks[cur] += strings.TrimSpace(line) + "\n"
		}
		if !strings.HasPrefix(line, "  ") {
			cur = ""
		}
	}
	re := regexp.MustCompile(`"(GET|POST|DELETE|PUT|PATCH) (/api/v1/[^"]+)"`)
	n := 0
	for _, m := range re.FindAllStringSubmatch(string(routes), -1) {
		n++
		b, ok := blocks[m[2]]
		if !ok {
			t.Errorf("docs/openapi.yaml lacks path %s", m[2])
			continue
		}
		if !strings.Contains(b, strings.ToLower(m[1])+":") {
			t.Errorf("docs/openapi.yaml lacks %s %s", m[1], m[2])
		}
	}
	if n < 20 {
		t.Fatalf("found only %d routes in routes.go", n)
	}
}
