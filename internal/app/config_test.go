package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad_Precedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	os.WriteFile(file, []byte(`{"addr": ":7000", "support_phone": "file-phone", "log_level": "debug", "session_ttl": "1h"}`), 0o600)
	secret := filepath.Join(dir, "pii")
	os.WriteFile(secret, []byte("  "+strings.Repeat("ab", 32)+"\n"), 0o600)
	env := envOf(map[string]string{
		"XIAOXIANG_CONFIG":        file,
		"XIAOXIANG_ADDR":          ":7001",
		"XIAOXIANG_PII_KEY_FILE":  secret,
		"XIAOXIANG_DEV":           "true",
		"XIAOXIANG_DATA_DIR":      dir,
		"XIAOXIANG_SESSION_KEY":   "s3cr3t-session-key-value",
		"XIAOXIANG_SUPPORT_HOURS": "env-hours",
	})
	c, err := Load([]string{"--addr", ":7002", "--demo"}, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"flag beats env and file", c.Addr, ":7002"},
		{"file value kept", c.SupportPhone, "file-phone"},
		{"env value", c.SupportHours, "env-hours"},
		{"secret from _FILE, trimmed", c.PIIKey, strings.Repeat("ab", 32)},
		{"derived database", c.DatabaseURL, "sqlite:" + filepath.Join(dir, "xiaoxiang.db")},
		{"derived blobs", c.BlobDir, filepath.Join(dir, "blobs")},
		{"log level from file", c.LogLevel, "debug"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if !c.Dev || !c.Demo || c.SessionTTL != time.Hour {
		t.Errorf("bools/durations: dev=%v demo=%v ttl=%v", c.Dev, c.Demo, c.SessionTTL)
	}
	dump := c.Dump()
	for _, leak := range []string{strings.Repeat("ab", 32), "s3cr3t-session-key-value"} {
		if strings.Contains(dump, leak) {
			t.Errorf("Dump leaks a secret:\n%s", dump)
		}
	}
	if !strings.Contains(dump, "XIAOXIANG_PII_KEY=***") || !strings.Contains(dump, "XIAOXIANG_ADDR=:7002") {
		t.Errorf("Dump:\n%s", dump)
	}
}

func TestLoad_Errors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"no_such_setting": 1}`), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--nope"}, nil, "flag provided but not defined"},
		{"extra argument", []string{"extra"}, nil, "unexpected argument"},
		{"unknown file setting", []string{"--config", bad}, nil, "unknown setting"},
		{"missing file", []string{"--config", filepath.Join(dir, "none.json")}, nil, "read"},
		{"bad bool", nil, map[string]string{"XIAOXIANG_DEV": "maybe"}, "XIAOXIANG_DEV"},
		{"bad duration", nil, map[string]string{"XIAOXIANG_SESSION_TTL": "forever"}, "XIAOXIANG_SESSION_TTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, envOf(tt.env), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidate_ProductionNeedsSecrets(t *testing.T) {
	c := Defaults()
	err := c.Validate()
	for _, want := range []string{"XIAOXIANG_PII_KEY", "XIAOXIANG_SESSION_KEY", "XIAOXIANG_BASE_URL", "XIAOXIANG_WECHAT_MP_APPID"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
	c.Dev = true
	if err := c.Validate(); err != nil {
		t.Errorf("dev config: %v", err)
	}
	c.LogFormat = "xml"
	if err := c.Validate(); err == nil {
		t.Error("bad log format accepted")
	}
}

func TestLoadDevKeys_Persist(t *testing.T) {
	c := Defaults()
	c.Dev, c.DataDir = true, t.TempDir()
	if err := c.LoadDevKeys(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(c.DataDir, "dev-keys.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("dev keys file: %v %v", err, info)
	}
	again := Defaults()
	again.Dev, again.DataDir = true, c.DataDir
	if err := again.LoadDevKeys(); err != nil {
		t.Fatal(err)
	}
	if again.PIIKey != c.PIIKey || again.SessionKey != c.SessionKey || !again.simMerchantKey.Equal(c.simMerchantKey) {
		t.Fatal("a restart must reuse the same keys")
	}
	// Configured secrets win over the generated ones.
	set := Defaults()
	set.Dev, set.DataDir, set.PIIKey = true, c.DataDir, strings.Repeat("cd", 32)
	set.LoadDevKeys()
	if set.PIIKey != strings.Repeat("cd", 32) {
		t.Fatal("configured key replaced")
	}
}

// TestREADME_ListsEverySetting keeps the README's configuration table complete.
func TestREADME_ListsEverySetting(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range Table() {
		if !strings.Contains(string(b), "`"+row[0]+"`") {
			t.Errorf("README.md lacks %s", row[0])
		}
	}
}
