package app

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"xiaoxiang/internal/payment"
)

// Config is every setting of the server. Values come from, in increasing priority:
// defaults, an optional JSON file (--config or XIAOXIANG_CONFIG), environment variables
// XIAOXIANG_<NAME> (secrets also as XIAOXIANG_<NAME>_FILE), and command-line flags.
// Fields tagged secret are masked by Dump.
type Config struct {
	Addr        string        `env:"ADDR" help:"listen address"`
	BaseURL     string        `env:"BASE_URL" help:"public URL of the app (default http://localhost:<port>)"`
	DataDir     string        `env:"DATA_DIR" help:"directory for the SQLite database, photos and dev keys"`
	DatabaseURL string        `env:"DATABASE_URL" secret:"url" help:"sqlite:PATH or postgres://… (default sqlite:<data>/xiaoxiang.db)"`
	BlobDir     string        `env:"BLOB_DIR" help:"photo storage directory (default <data>/blobs)"`
	ModelsDir   string        `env:"MODELS_DIR" help:"directory of the vision models"`
	Dev         bool          `env:"DEV" help:"development mode: in-process WeChat/WeChat Pay simulator, generated keys"`
	Demo        bool          `env:"DEMO" help:"seed the demo data when the database is empty"`
	LogLevel    string        `env:"LOG_LEVEL" help:"debug, info, warn or error"`
	LogFormat   string        `env:"LOG_FORMAT" help:"text or json"`
	Shutdown    time.Duration `env:"SHUTDOWN_TIMEOUT" help:"how long shutdown waits for requests and jobs"`
	SessionTTL  time.Duration `env:"SESSION_TTL" help:"student session lifetime"`

	// Secrets. In dev mode missing ones are generated once and kept in <data>/dev-keys.json.
	PIIKey     string `env:"PII_KEY" secret:"true" help:"32-byte master key for ID-number encryption (hex or base64)"`
	SessionKey string `env:"SESSION_KEY" secret:"true" help:"32+ byte key that signs sessions (hex or base64)"`

	// WeChat (公众号 for H5 login; mini-program for the API).
	MPAppID    string `env:"WECHAT_MP_APPID" help:"公众号 appid (H5 OAuth login)"`
	MPSecret   string `env:"WECHAT_MP_SECRET" secret:"true" help:"公众号 AppSecret"`
	MiniAppID  string `env:"WECHAT_MINI_APPID" help:"mini-program appid"`
	MiniSecret string `env:"WECHAT_MINI_SECRET" secret:"true" help:"mini-program AppSecret"`

	// WeChat Pay v3.
	MchID          string `env:"PAY_MCHID" help:"WeChat Pay merchant id (商户号)"`
	MerchantSerial string `env:"PAY_MERCHANT_SERIAL" help:"merchant API certificate serial"`
	MerchantKey    string `env:"PAY_MERCHANT_KEY" secret:"true" help:"merchant API private key (PEM)"`
	PayPublicKeyID string `env:"PAY_PUBLIC_KEY_ID" help:"WeChat Pay public key id (PUB_KEY_ID_…)"`
	PayPublicKey   string `env:"PAY_PUBLIC_KEY" help:"WeChat Pay public key (PEM)"`
	APIv3Key       string `env:"PAY_APIV3_KEY" secret:"true" help:"32-byte APIv3 key"`

	// WeChat subscription-message templates (mini-program 订阅消息), one per notification kind.
	// Each template's fields are named by TplKeys: title, body and time (e.g. thing1,thing2,time3).
	TplReview   string `env:"WECHAT_TPL_REVIEW" help:"subscription template id for review results (empty: in-app only)"`
	TplPayment  string `env:"WECHAT_TPL_PAYMENT" help:"subscription template id for payment results"`
	TplDeadline string `env:"WECHAT_TPL_DEADLINE" help:"subscription template id for deadline reminders"`
	TplManual   string `env:"WECHAT_TPL_MANUAL" help:"subscription template id for manual-entry decisions"`
	TplKeys     string `env:"WECHAT_TPL_KEYS" help:"template field names for title,body,time (default thing1,thing2,time3)"`
	TrustProxy  bool   `env:"TRUST_PROXY" help:"take client IPs from X-Forwarded-For (only behind your own reverse proxy)"`

	// CTID identity verification (an authorised channel); in dev the in-process simulator.
	CTIDBaseURL  string `env:"CTID_BASE_URL" help:"CTID channel API root (empty: tasks requiring CTID fall back to manual review)"`
	CTIDAppID    string `env:"CTID_APPID" help:"CTID channel appId"`
	CTIDSecret   string `env:"CTID_SECRET" secret:"true" help:"CTID channel secret"`
	CTIDMinScore int    `env:"CTID_MIN_SCORE" help:"face similarity 0-100 below which a CTID pass counts as a face mismatch (0: trust the channel)"`

	// RawRetention is how long retakes and the originals of approved photos are kept.
	RawRetention time.Duration `env:"RAW_RETENTION" help:"how long raw uploads are kept after approval or replacement (e.g. 720h)"`

	// Support contacts shown on the help page (schools can add their own).
	SupportPhone string `env:"SUPPORT_PHONE" help:"platform support phone"`
	SupportHours string `env:"SUPPORT_HOURS" help:"platform support hours"`
	SupportQQ    string `env:"SUPPORT_QQ" help:"platform support QQ"`

	// Filled by LoadDevKeys in dev mode: the simulator's RSA keys.
	simMerchantKey *rsa.PrivateKey
	simPlatformKey *rsa.PrivateKey
}

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		Addr: ":8080", DataDir: "var", ModelsDir: "models", LogLevel: "info", LogFormat: "text",
		Shutdown: 20 * time.Second, SessionTTL: 7 * 24 * time.Hour, RawRetention: 30 * 24 * time.Hour,
	}
}

// Load builds the configuration from defaults, the optional file, env and args (the
// flags of `serve`). Unknown flags are an error; -h prints the table of settings.
func Load(args []string, env func(string) string, stderr io.Writer) (Config, error) {
	c := Defaults()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", env("XIAOXIANG_CONFIG"), "optional JSON config file")
	var (
		addr, models, data, db, base string
		dev, demo                    bool
	)
	fs.StringVar(&addr, "addr", "", "listen address (XIAOXIANG_ADDR)")
	fs.StringVar(&models, "models", "", "models directory (XIAOXIANG_MODELS_DIR)")
	fs.StringVar(&data, "data", "", "data directory (XIAOXIANG_DATA_DIR)")
	fs.StringVar(&db, "db", "", "database URL (XIAOXIANG_DATABASE_URL)")
	fs.StringVar(&base, "base-url", "", "public URL (XIAOXIANG_BASE_URL)")
	fs.BoolVar(&dev, "dev", false, "development mode (XIAOXIANG_DEV)")
	fs.BoolVar(&demo, "demo", false, "seed demo data into an empty database (XIAOXIANG_DEMO)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: xiaoxiang serve [flags]\n\nflags:")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nenvironment (secrets also accept XIAOXIANG_<NAME>_FILE):")
		for _, row := range Table() {
			fmt.Fprintf(stderr, "  %-32s %s\n", row[0], row[2])
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return c, fmt.Errorf("config: read %s: %w", *file, err)
		}
		if err := c.applyFile(b); err != nil {
			return c, fmt.Errorf("config: %s: %w", *file, err)
		}
	}
	if err := c.applyEnv(env); err != nil {
		return c, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["addr"] {
		c.Addr = addr
	}
	if set["models"] {
		c.ModelsDir = models
	}
	if set["data"] {
		c.DataDir = data
	}
	if set["db"] {
		c.DatabaseURL = db
	}
	if set["base-url"] {
		c.BaseURL = base
	}
	if set["dev"] {
		c.Dev = dev
	}
	if set["demo"] {
		c.Demo = demo
	}
	c.fillDerived()
	return c, nil
}

func (c *Config) fillDerived() {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "xiaoxiang.db")
	}
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(c.DataDir, "blobs")
	}
}

// fields walks the tagged fields of c.
func (c *Config) fields(fn func(f reflect.StructField, v reflect.Value) error) error {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if f.Tag.Get("env") == "" {
			continue
		}
		if err := fn(f, rv.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func setField(v reflect.Value, s, name string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("config: %s: want true or false", name)
		}
		v.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("config: %s: want a whole number", name)
		}
		v.SetInt(int64(n))
	case reflect.Int64: // time.Duration
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("config: %s: want a duration like 30s or 168h", name)
		}
		v.SetInt(int64(d))
	}
	return nil
}

func (c *Config) applyEnv(env func(string) string) error {
	return c.fields(func(f reflect.StructField, v reflect.Value) error {
		name := "XIAOXIANG_" + f.Tag.Get("env")
		s := env(name)
		if s == "" && f.Tag.Get("secret") == "true" {
			if p := env(name + "_FILE"); p != "" {
				b, err := os.ReadFile(p)
				if err != nil {
					return fmt.Errorf("config: %s_FILE: %w", name, err)
				}
				s = strings.TrimSpace(string(b))
			}
		}
		if s == "" {
			return nil
		}
		return setField(v, s, name)
	})
}

// applyFile reads a JSON object whose keys are the env names without the prefix, in
// lower case (e.g. {"addr": ":9090", "support_phone": "…"}).
func (c *Config) applyFile(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	known := map[string]bool{}
	err := c.fields(func(f reflect.StructField, v reflect.Value) error {
		key := strings.ToLower(f.Tag.Get("env"))
		known[key] = true
		raw, ok := m[key]
		if !ok {
			return nil
		}
		return setField(v, fmt.Sprint(raw), key)
	})
	if err != nil {
		return err
	}
	for k := range m {
		if !known[k] {
			return fmt.Errorf("unknown setting %q", k)
		}
	}
	return nil
}

// Dump returns the settings as "NAME=value" lines, secrets masked, for logs and
// `serve -h`. A database URL keeps its scheme and host but loses any password.
func (c Config) Dump() string {
	var lines []string
	c.fields(func(f reflect.StructField, v reflect.Value) error {
		val := fmt.Sprint(v.Interface())
		switch f.Tag.Get("secret") {
		case "true":
			if val != "" {
				val = "***"
			}
		case "url":
			val = maskURL(val)
		}
		lines = append(lines, "XIAOXIANG_"+f.Tag.Get("env")+"="+val)
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func maskURL(s string) string {
	at := strings.LastIndex(s, "@")
	scheme := strings.Index(s, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return s
	}
	cred := s[scheme+3 : at]
	if user, _, ok := strings.Cut(cred, ":"); ok {
		return s[:scheme+3] + user + ":***" + s[at:]
	}
	return s
}

// Table returns [env name, default, help] rows for the README and -h.
func Table() [][3]string {
	d := Defaults()
	var rows [][3]string
	d.fields(func(f reflect.StructField, v reflect.Value) error {
		def := fmt.Sprint(v.Interface())
		if f.Tag.Get("secret") == "true" || def == "0s" || def == "false" {
			def = ""
		}
		rows = append(rows, [3]string{"XIAOXIANG_" + f.Tag.Get("env"), def, f.Tag.Get("help")})
		return nil
	})
	return rows
}

// Validate checks what production needs; dev mode generates what is missing.
func (c *Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("XIAOXIANG_ADDR is empty"))
	}
	if !c.Dev {
		if c.PIIKey == "" {
			errs = append(errs, errors.New("XIAOXIANG_PII_KEY is required outside dev mode"))
		}
		if c.SessionKey == "" {
			errs = append(errs, errors.New("XIAOXIANG_SESSION_KEY is required outside dev mode"))
		}
		if c.BaseURL == "" {
			errs = append(errs, errors.New("XIAOXIANG_BASE_URL is required outside dev mode"))
		}
		if c.MPAppID == "" || c.MPSecret == "" {
			errs = append(errs, errors.New("XIAOXIANG_WECHAT_MP_APPID and XIAOXIANG_WECHAT_MP_SECRET are required outside dev mode"))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("XIAOXIANG_LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("XIAOXIANG_LOG_FORMAT %q: want text or json", c.LogFormat))
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// devKeys are the throwaway keys of a development install, persisted so a restart can
// still decrypt the data it wrote.
type devKeys struct {
	PIIKey      string `json:"pii_key"`
	SessionKey  string `json:"session_key"`
	MerchantKey string `json:"sim_merchant_key"`
	PlatformKey string `json:"sim_platform_key"`
}

// LoadDevKeys fills missing secrets from <data>/dev-keys.json, generating and saving
// the file (mode 0600) the first time. Only for dev mode.
func (c *Config) LoadDevKeys() error {
	path := filepath.Join(c.DataDir, "dev-keys.json")
	var k devKeys
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &k); err != nil {
			return fmt.Errorf("config: dev keys %s: %w", path, err)
		}
	case errors.Is(err, os.ErrNotExist):
	default:
		return fmt.Errorf("config: dev keys: %w", err)
	}
	changed := false
	gen := func(p *string) {
		if *p == "" {
			b := make([]byte, 32)
			rand.Read(b)
			*p = hex.EncodeToString(b)
			changed = true
		}
	}
	gen(&k.PIIKey)
	gen(&k.SessionKey)
	for _, p := range []*string{&k.MerchantKey, &k.PlatformKey} {
		if *p == "" {
			rk, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return fmt.Errorf("config: generate dev RSA key: %w", err)
			}
			*p = payment.EncodePrivateKey(rk)
			changed = true
		}
	}
	if changed {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return fmt.Errorf("config: dev keys: %w", err)
		}
		out, _ := json.MarshalIndent(k, "", "  ")
		if err := os.WriteFile(path, out, 0o600); err != nil {
			return fmt.Errorf("config: save dev keys: %w", err)
		}
	}
	if c.PIIKey == "" {
		c.PIIKey = k.PIIKey
	}
	if c.SessionKey == "" {
		c.SessionKey = k.SessionKey
	}
	if c.simMerchantKey, err = payment.ParsePrivateKey(k.MerchantKey); err != nil {
		return fmt.Errorf("config: dev keys: merchant key: %w", err)
	}
	if c.simPlatformKey, err = payment.ParsePrivateKey(k.PlatformKey); err != nil {
		return fmt.Errorf("config: dev keys: platform key: %w", err)
	}
	return nil
}
