package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return -1
}

// TestPhotoCLI runs `xiaoxiang photo` as a user would: the table and JSON of a check, exit
// status 2 for a failing photo, a standardized file, a rejected file, usage errors.
func TestPhotoCLI(t *testing.T) {
	models := modelsForTest(t)
	pigo := repoFile(".cache", "fixtures", "pigo_sample.jpg")
	group := repoFile(".cache", "fixtures", "faceapi_sample3.jpg")
	if _, err := os.Stat(group); err != nil {
		t.Fatal("fixtures missing: run scripts/fetch-fixtures.sh")
	}
	ctx := context.Background()
	env := func(string) string { return "" }
	cli := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"photo"}, args...), env, &out, &errb)
		return out.String(), errb.String(), exitCode(err)
	}

	// pigo_sample is cut at the neck: the framing check fails, exit 2; the table is in Chinese
	// and its columns line up in terminal cells.
	out, _, code := cli("check", pigo, "--models", models)
	if code != 2 || !strings.Contains(out, "人脸方向") || !strings.Contains(out, "结果: 不通过") {
		t.Fatalf("check table (exit %d):\n%s", code, out)
	}
	lines := strings.Split(out, "\n")
	col := -1
	for _, l := range lines[1:] {
		if l == "" || strings.HasPrefix(l, "结果") {
			continue
		}
		// The second column starts at the same cell on every row.
		name := strings.Fields(l)[0]
		c := cells(l[:strings.Index(l, name)+len(name)])
		rest := l[strings.Index(l, name)+len(name):]
		c += cells(rest) - cells(strings.TrimLeft(rest, " "))
		if col >= 0 && c != col {
			t.Fatalf("columns drift (%d vs %d):\n%s", c, col, out)
		}
		col = c
	}

	out, _, code = cli("check", "--json", "--models", models, pigo)
	var rep struct {
		Verdict string
		Checks  []struct{ ID, Name, Verdict, Message string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 2 || rep.Verdict != "fail" || len(rep.Checks) < 14 {
		t.Fatalf("check --json (exit %d, %v): %.300s", code, err, out)
	}
	for _, c := range rep.Checks {
		if c.Verdict == "fail" && c.Message == "" {
			t.Errorf("failed check %s has no advice", c.ID)
		}
	}

	// A group-photo fixture still gives a verified file (advisory checks fail: exit 2).
	dst := filepath.Join(t.TempDir(), "std.jpg")
	out, _, code = cli("standardize", group, "-o", dst, "--models", models, "--json")
	var res struct {
		Quality int
		Output  struct{ Width, Height, Bytes, DPI int }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || (code != 0 && code != 2) {
		t.Fatalf("standardize --json (exit %d, %v): %.300s", code, err, out)
	}
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatalf("no output file: %v", err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 480 || cfg.Height != 640 || len(data) != res.Output.Bytes || len(data) < 20<<10 || len(data) > 40<<10 || res.Output.DPI != 300 || res.Quality < 60 {
		t.Fatalf("output %dx%d %d bytes (%v), reported %+v q%d", cfg.Width, cfg.Height, len(data), err, res.Output, res.Quality)
	}

	// A file that is not a photo is rejected with a Chinese message, exit 2.
	bad := filepath.Join(t.TempDir(), "bad.jpg")
	os.WriteFile(bad, []byte("\xff\xd8\xff\xe0 this is not a jpeg"), 0o644)
	out, _, code = cli("check", bad, "--models", models)
	if code != 2 || !strings.Contains(out, "不通过") {
		t.Fatalf("bad file (exit %d): %s", code, out)
	}

	// Usage errors exit 1.
	if _, _, code = cli("check", pigo, "--profile", "no-such-profile", "--models", models); code != 1 {
		t.Errorf("unknown profile: exit %d", code)
	}
	if _, _, code = cli("standardize", pigo, "--models", models); code != 1 {
		t.Errorf("standardize without -o: exit %d", code)
	}
	if _, _, code = cli("check"); code != 1 {
		t.Errorf("check without a photo: exit %d", code)
	}
	out, _, code = cli("profiles")
	if code != 0 || !strings.Contains(out, "chsi-blue") || !strings.Contains(out, "480×640") {
		t.Errorf("profiles (exit %d): %s", code, out)
	}
}

// cells counts terminal cells the simple way, independently of cellWidth: in these tables
// every character from U+3000 up (CJK, fullwidth punctuation) is wide, everything else narrow.
func cells(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x3000 {
			n++
		}
	}
	return n
}
