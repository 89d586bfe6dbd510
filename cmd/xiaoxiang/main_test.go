package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a goroutine-safe buffer for the server's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe runs the whole program (`serve --dev --demo` on 127.0.0.1:0 with a temp
// SQLite database), waits for /healthz, checks the pages and the printed demo logins,
// then stops it with the context (like SIGTERM) and checks it shut down cleanly.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		switch k {
		case "XIAOXIANG_DATA_DIR":
			return dir
		case "XIAOXIANG_MODELS_DIR":
			return filepath.Join("..", "..", "models")
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--dev", "--demo", "--addr", "127.0.0.1:0"}, env, &stdout, &stderr)
	}()
	urlRE := regexp.MustCompile(`running at (http://\S+)`)
	var base string
	deadline := time.Now().Add(30 * time.Second)
	for base == "" {
		if m := urlRE.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\nstderr:\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start in time\nstderr:\n%s", stderr.String())
		}
	}
	get := func(path string) (int, string) {
		t.Helper()
		c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get("/healthz"); st != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz = %d %q", st, body)
	}
	if st, body := get("/login"); st != http.StatusOK || !strings.Contains(body, "微信授权登录") {
		t.Fatalf("/login = %d", st)
	}
	if st, body := get("/staff/login"); st != http.StatusOK || !strings.Contains(body, "登录") {
		t.Fatalf("/staff/login = %d", st)
	}
	for _, p := range []string{"/school", "/review", "/ops"} {
		if st, _ := get(p); st < 300 || st >= 400 {
			t.Errorf("%s without a staff session = %d, want a redirect to the staff login", p, st)
		}
	}
	if st, _ := get("/"); st != http.StatusSeeOther {
		t.Fatalf("/ without a session = %d, want 303 to the login page", st)
	}
	out := stdout.String()
	for _, want := range []string{"operator / demo-operator-2026", "hunnu-admin / demo-school-2026", "reviewer / demo-review-2026", "身份证号 ", "湖南师范大学"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve output lacks %q:\n%s", want, out)
		}
	}
	// Logs must not contain the demo ID number printed for the developer.
	if m := regexp.MustCompile(`身份证号 (\d{17}[\dX])`).FindStringSubmatch(out); m != nil && strings.Contains(stderr.String(), m[1]) {
		t.Error("an ID number appears in the logs")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no shutdown log:\n%s", stderr.String())
	}
	// The dev keys persist so a restart can still decrypt the data.
	if _, err := os.Stat(filepath.Join(dir, "dev-keys.json")); err != nil {
		t.Errorf("dev keys not persisted: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), "level=ERROR") {
			t.Errorf("error logged: %s", sc.Text())
		}
	}
}

// TestMigrateAndDemo runs `migrate` twice and `demo` on a fresh database.
func TestMigrateAndDemo(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "XIAOXIANG_DATA_DIR" {
			return dir
		}
		return ""
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, env, &out, &errb); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "applied migrations") {
		t.Fatalf("migrate output: %s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate"}, env, &out, &errb); err != nil || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("second migrate: %v: %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"demo", "--dev"}, env, &out, &errb); err != nil {
		t.Fatalf("demo: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "demo data ready: 3 schools") {
		t.Fatalf("demo output: %s", out.String())
	}
	if err := run(context.Background(), []string{"serve", "--no-such-flag"}, env, &out, &errb); err == nil {
		t.Fatal("serve accepted an unknown flag")
	}
}
