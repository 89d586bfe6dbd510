// Package app wires the whole platform together: configuration, database, photo
// storage, the photo pipeline, WeChat login and WeChat Pay (real endpoints or the
// in-process simulator in dev mode), the use cases, and the HTTP surfaces. It is the
// only package that imports every other internal package; cmd/xiaoxiang and
// internal/apptest use it.
package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/blob"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/ctid"
	"xiaoxiang/internal/ctid/ctidfake"
	"xiaoxiang/internal/demo"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/queue"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/web"
	"xiaoxiang/internal/web/api"
	"xiaoxiang/internal/web/console"
	"xiaoxiang/internal/web/ops"
	"xiaoxiang/internal/web/review"
	"xiaoxiang/internal/web/school"
	"xiaoxiang/internal/web/student"
	"xiaoxiang/internal/wechat"
	"xiaoxiang/internal/wechat/wechatfake"
)

// App is the running platform.
type App struct {
	Config  Config
	Log     *slog.Logger
	DB      *sqldb.DB
	Bucket  blob.Bucket
	Keys    *identity.Keyring
	Core    *core.Service
	Console *core.Console   // staff use cases (review, school, ops)
	Sim     *wechatfake.Sim // dev mode only
	CTIDSim *ctidfake.Sim   // dev mode only
	WeChat  *wechat.Client
	Pay     *payment.Client // nil when no merchant is configured
	Demo    *demo.Result    // set when New seeded the demo data
	Queue   *queue.Client   // background jobs: blob deletion, identity verification, notifications, packages
	BaseURL string

	now      func() time.Time
	handler  http.Handler
	checker  core.Checker
	ln       net.Listener
	srv      *http.Server
	cancel   context.CancelFunc // stops background loops
	wg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
	closers  []func()
}

// Options are the parts of the wiring that are not configuration.
type Options struct {
	Log *slog.Logger
	Now func() time.Time
	// Listener, if set, is used instead of listening on Config.Addr.
	Listener net.Listener
	// Checker replaces the photo pipeline (tests share one loaded pipeline or inject
	// failures).
	Checker core.Checker
	// DB, if set, is used instead of opening Config.DatabaseURL; it must be migrated
	// and is not closed by Stop.
	DB *sqldb.DB
}

// New builds the app: it listens (so the public URL is known even for port 0),
// opens and migrates the database, seeds demo data if asked, and builds the handlers.
// Start serves; Stop shuts down.
func New(ctx context.Context, cfg Config, opts ...Options) (a *App, err error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	cfg.fillDerived()
	if cfg.Dev {
		if err := cfg.LoadDevKeys(); err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a = &App{Config: cfg, Log: o.Log, now: o.Now}
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()

	a.ln = o.Listener
	if a.ln == nil {
		if a.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("app: listen %s: %w", cfg.Addr, err)
		}
	}
	a.closers = append(a.closers, func() { a.ln.Close() })
	a.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if a.BaseURL == "" {
		a.BaseURL = "http://" + publicHostPort(a.ln.Addr())
	}

	if o.DB != nil {
		a.DB = o.DB
	} else {
		if a.DB, err = sqldb.Open(ctx, cfg.DatabaseURL, sqldb.Options{Now: o.Now}); err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		a.closers = append(a.closers, func() { a.DB.Close() })
		if _, err := a.DB.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
	}
	disk, err := blob.NewDisk(cfg.BlobDir)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	a.Bucket = disk

	master, err := identity.DecodeMasterKey(cfg.PIIKey)
	if err != nil {
		return nil, fmt.Errorf("app: XIAOXIANG_PII_KEY: %w", err)
	}
	if a.Keys, err = identity.NewKeyring(1, map[uint32][]byte{1: master}); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	sessKey, err := decodeKey(cfg.SessionKey)
	if err != nil {
		return nil, fmt.Errorf("app: XIAOXIANG_SESSION_KEY: %w", err)
	}

	// WeChat and WeChat Pay: the simulator in dev, the real endpoints otherwise.
	wcfg := wechat.Config{MiniAppID: cfg.MiniAppID, MiniSecret: cfg.MiniSecret, MPAppID: cfg.MPAppID, MPSecret: cfg.MPSecret}
	var pcfg *payment.Config
	var paySheet func(p *payment.PayParams, ret string) string
	notifyURL := a.BaseURL + "/pay/notify"
	if cfg.Dev {
		a.Sim, err = wechatfake.New(wechatfake.Options{BaseURL: a.BaseURL + simPrefix, MerchantKey: cfg.simMerchantKey,
			PlatformKey: cfg.simPlatformKey, Log: o.Log.With("component", "wechatfake"), Now: o.Now})
		if err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		a.closers = append(a.closers, a.Sim.Close)
		wcfg = a.Sim.WechatConfig()
		pc := a.Sim.PayConfig(notifyURL)
		pcfg = &pc
		paySheet = func(p *payment.PayParams, ret string) string {
			q := url.Values{"appId": {p.AppID}, "timeStamp": {p.TimeStamp}, "nonceStr": {p.NonceStr}, "package": {p.Package},
				"signType": {p.SignType}, "paySign": {p.PaySign}, "return": {ret}}
			return simPrefix + "/sim/pay?" + q.Encode()
		}
	} else if cfg.MchID != "" {
		pcfg = &payment.Config{MchID: cfg.MchID, MerchantSerial: cfg.MerchantSerial, PrivateKeyPEM: cfg.MerchantKey,
			PublicKeyID: cfg.PayPublicKeyID, PublicKeyPEM: cfg.PayPublicKey, APIv3Key: cfg.APIv3Key, NotifyURL: notifyURL}
	}
	if a.WeChat, err = wechat.New(wcfg); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	copts := core.Options{Now: o.Now, Logger: o.Log.With("component", "core"), AppID: wcfg.MPAppID}
	// CTID: the simulator in dev, the configured channel otherwise; without one, tasks
	// that require CTID record "unavailable" and the reviewer decides (a human path always exists).
	switch {
	case cfg.Dev:
		a.CTIDSim = ctidfake.New(ctidfake.Options{Now: o.Now})
		cc := a.CTIDSim.Config(a.BaseURL + ctidSimPrefix)
		cc.MinScore = cfg.CTIDMinScore
		if copts.Identity, err = ctid.New(cc); err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
	case cfg.CTIDBaseURL != "":
		if copts.Identity, err = ctid.New(ctid.Config{BaseURL: cfg.CTIDBaseURL, AppID: cfg.CTIDAppID, AppSecret: cfg.CTIDSecret, MinScore: cfg.CTIDMinScore}); err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
	}
	if pcfg != nil {
		if a.Pay, err = payment.New(ctx, *pcfg); err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		copts.Payments, copts.MchID = a.Pay, pcfg.MchID
	}
	checker := o.Checker
	if checker == nil {
		checker = NewPhotoChecker(cfg.ModelsDir)
	}
	a.checker = checker
	a.Core = core.New(a.DB, a.Bucket, a.Keys, checker, copts)
	conOpts := core.ConsoleOptions{LinkKey: deriveKey(sessKey, "console-links")}
	if err := a.configureSubscriptions(&conOpts); err != nil {
		return nil, err
	}
	if a.Pay != nil {
		conOpts.Refunder = a.Pay // approved refunds go to WeChat Pay (the simulator in dev)
	}
	a.Console = core.NewConsole(a.Core, conOpts)
	a.Queue = queue.New(a.DB, queue.Config{Now: o.Now, Logger: o.Log.With("component", "queue"), JobTimeout: 30 * time.Minute})
	a.Queue.Handle(core.JobDeleteBlob, a.Core.HandleDeleteBlob)
	a.Queue.Handle(core.JobVerifySubmission, a.Core.HandleVerifySubmission)
	a.Queue.Handle(core.JobNotify, a.Console.NotifyJobHandler)
	a.Queue.Handle(core.JobPackage, a.Console.PackageJobHandler)

	if cfg.Demo && cfg.SupportPhone == "" && cfg.SupportQQ == "" {
		// Demo contacts, so the help page shows what a configured platform looks like.
		cfg.SupportPhone, cfg.SupportHours, cfg.SupportQQ = "400-000-0000", "工作日 8:30-17:30（演示数据）", "800000000"
		a.Config = cfg
	}
	if cfg.Demo {
		if a.Demo, err = demo.SeedIfEmpty(ctx, a.DB, a.Core, demo.Options{Now: o.Now}); err != nil {
			return nil, fmt.Errorf("app: demo: %w", err)
		}
	}

	// HTTP.
	static, err := web.NewStatic("/static/", map[string][]byte{"docnum.js": identity.DocNumJS})
	if err != nil {
		return nil, err
	}
	rd, err := web.NewRenderer(static, student.Templates(), nil, o.Log, cfg.Dev)
	if err != nil {
		return nil, err
	}
	cookies, err := web.NewSessionCodec(sessKey, "cookie")
	if err != nil {
		return nil, err
	}
	tokens, err := web.NewSessionCodec(sessKey, "api")
	if err != nil {
		return nil, err
	}
	secure := strings.HasPrefix(a.BaseURL, "https://")
	st := student.New(student.Options{
		Core: a.Core, Render: rd, Sessions: cookies, Login: oauthLogin{a.WeChat}, PaySheet: paySheet, BaseURL: a.BaseURL,
		SessionTTL: cfg.SessionTTL, Secure: secure, Log: o.Log, Now: o.Now, Annotate: annotate,
		Support: student.Support{Phone: cfg.SupportPhone, Hours: cfg.SupportHours, QQ: cfg.SupportQQ},
	})
	apiH := api.New(api.Options{Core: a.Core, Tokens: tokens, Login: miniLogin{a.WeChat}, TokenTTL: cfg.SessionTTL, Log: o.Log, Now: o.Now})

	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", a.healthz)
	root.Handle("GET /static/", static)
	root.Handle("/api/v1/", web.RecordRoute(apiH))
	if store := a.Core.OrderStore(); a.Pay != nil && store != nil {
		root.Handle("POST /pay/notify", a.Pay.NotifyHandler(store, o.Log.With("component", "payment")))
	}
	// Staff consoles (/staff login, /school, /review, /ops): their own sessions and CSRF.
	kit, err := console.New(console.Options{Console: a.Console, Log: o.Log.With("component", "console"), Secure: secure,
		CSRFKey: deriveKey(sessKey, "console-csrf"), TrustProxy: cfg.TrustProxy})
	if err != nil {
		return nil, fmt.Errorf("app: console: %w", err)
	}
	staff := http.NewServeMux()
	kit.Routes(staff)
	sh, err := school.New(kit)
	if err != nil {
		return nil, fmt.Errorf("app: school console: %w", err)
	}
	sh.Routes(staff)
	rh, err := review.New(kit)
	if err != nil {
		return nil, fmt.Errorf("app: review console: %w", err)
	}
	rh.Routes(staff)
	oh, err := ops.New(kit)
	if err != nil {
		return nil, fmt.Errorf("app: ops console: %w", err)
	}
	oh.Routes(staff)
	staffH := web.SecurityHeaders(web.RecordRoute(staff))
	for _, p := range []string{"/staff", "/staff/", "/school", "/school/", "/review", "/review/", "/ops", "/ops/", "/console/", "/dl/"} {
		root.Handle(p, staffH)
	}

	pages := web.Chain(web.RecordRoute(st), web.CSRF(secure, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(web.StatusOf(errCSRF))
			json.NewEncoder(w).Encode(map[string]string{"code": xiaoxiang.ErrorCode(errCSRF), "message": xiaoxiang.ErrorMessage(errCSRF)})
			return
		}
		rd.Error(w, r, errCSRF, web.Link{Label: "刷新页面重试", Href: "/"})
	}))
	root.Handle("/", web.SecurityHeaders(pages))
	var h http.Handler = web.RecordRoute(root)
	if a.Sim != nil {
		// The simulator's pages carry their own inline styles: keep them out of our CSP.
		outer := http.NewServeMux()
		outer.Handle(simPrefix+"/", http.StripPrefix(simPrefix, a.Sim))
		if a.CTIDSim != nil {
			outer.Handle(ctidSimPrefix+"/", http.StripPrefix(ctidSimPrefix, a.CTIDSim))
		}
		outer.Handle("/", root)
		h = web.RecordRoute(outer)
	}
	a.handler = web.Chain(h, web.RequestID, web.AccessLog(o.Log), web.Recover(o.Log, func(w http.ResponseWriter, r *http.Request) {
		rd.Error(w, r, errPanic)
	}))
	return a, nil
}

const simPrefix = "/_sim/wechat"

// ctidSimPrefix is where the CTID simulator is mounted in dev mode.
const ctidSimPrefix = "/_sim/ctid"

// publicHostPort turns a listen address into something a browser can reach.
func publicHostPort(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// deriveKey derives an independent 32-byte key for one purpose from the session key.
func deriveKey(master []byte, purpose string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("xiaoxiang/" + purpose))
	return m.Sum(nil)
}

// decodeKey accepts hex or base64 of at least 32 bytes.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) >= 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) >= 32 {
			return b, nil
		}
	}
	return nil, errors.New("want at least 32 bytes as hex or base64")
}

// Handler is the whole HTTP surface (for tests that use httptest).
func (a *App) Handler() http.Handler { return a.handler }

// Addr is the address the app listens on.
func (a *App) Addr() net.Addr { return a.ln.Addr() }

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := a.DB.SchemaVersion(ctx); err != nil {
		a.Log.Error("healthz", "error", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// Start serves HTTP on the listener and starts the background loops (the payment
// reconciler). It returns at once.
func (a *App) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.srv = &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server", "error", err)
		}
	}()
	if w, ok := a.checker.(interface{ Warm() error }); ok {
		// Load the vision models now so the first student does not wait for them.
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := w.Warm(); err != nil {
				a.Log.Warn("photo pipeline not available", "error", err)
			}
		}()
	}
	if err := a.Queue.Start(ctx); err != nil {
		a.Log.Error("queue", "error", err)
	}
	if store := a.Core.OrderStore(); a.Pay != nil && store != nil {
		rec := &payment.Reconciler{Client: a.Pay, Store: store, Log: a.Log.With("component", "reconciler")}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			rec.Run(ctx, time.Minute)
		}()
	}
	// Deadline reminders: students with unfinished tasks closing within 48 h (once each).
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.every(ctx, time.Hour, "deadline reminders", func(ctx context.Context) (int, error) {
			return a.Console.NotifyDeadlines(ctx, 48*time.Hour)
		})
	}()
	if a.Config.RawRetention > 0 {
		// Retention: retakes and the originals of approved photos are purged once a day.
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.purgeLoop(ctx, time.Hour)
		}()
	}
	a.Log.Info("serving", "url", a.BaseURL, "dev", a.Config.Dev)
}

// Stop drains in-flight requests and running jobs (up to ctx's deadline), stops the
// background loops and closes the database. It is safe to call more than once.
func (a *App) Stop(ctx context.Context) error {
	a.stopOnce.Do(func() {
		var errs []error
		if a.srv != nil {
			if err := a.srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("app: shutdown: %w", err))
				a.srv.Close()
			}
		}
		if a.Queue != nil {
			if err := a.Queue.Stop(ctx); err != nil {
				errs = append(errs, fmt.Errorf("app: %w", err))
			}
		}
		a.stopErr = errors.Join(errs...)
		if a.cancel != nil {
			a.cancel()
		}
		a.wg.Wait()
		a.closeAll()
	})
	return a.stopErr
}

func (a *App) closeAll() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// purgeLoop applies the raw-upload retention rule every interval until ctx ends.
func (a *App) purgeLoop(ctx context.Context, every time.Duration) {
	a.every(ctx, every, "retention purge", func(ctx context.Context) (int, error) {
		return a.Core.PurgeRawUploads(ctx, a.now().Add(-a.Config.RawRetention))
	})
}

// every runs job now and then every interval until ctx ends, logging failures and
// non-zero counts under name.
func (a *App) every(ctx context.Context, interval time.Duration, name string, job func(context.Context) (int, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := job(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			a.Log.Error(name, "error", err)
		case n > 0:
			a.Log.Info(name, "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// configureSubscriptions sets the WeChat subscription-message templates and sender of
// the console's notification jobs. Without templates notifications stay in-app only.
// In dev the templates default to the simulator's, and a student's in-app 允许微信通知
// also grants the simulator's credit (on a phone, wx.requestSubscribeMessage does that
// between the phone and WeChat, never through our server).
func (a *App) configureSubscriptions(o *core.ConsoleOptions) error {
	cfg := a.Config
	ids := map[string]string{core.NotifyReviewResult: cfg.TplReview, core.NotifyPaymentResult: cfg.TplPayment,
		core.NotifyDeadline: cfg.TplDeadline, core.NotifyManualEntry: cfg.TplManual}
	if cfg.Dev {
		for k, id := range ids {
			if id == "" {
				ids[k] = "sim-tpl-" + k
			}
		}
	}
	keys := strings.Split(cfg.TplKeys, ",")
	if cfg.TplKeys == "" {
		keys = []string{"thing1", "thing2", "time3"}
	}
	if len(keys) != 3 {
		return errors.New("app: XIAOXIANG_WECHAT_TPL_KEYS: want three comma-separated field names (title,body,time)")
	}
	o.Templates = map[string]core.SubscribeTemplate{}
	for kind, id := range ids {
		if id != "" {
			o.Templates[kind] = core.SubscribeTemplate{TemplateID: id, Page: "pages/index/index",
				TitleKey: strings.TrimSpace(keys[0]), BodyKey: strings.TrimSpace(keys[1]), TimeKey: strings.TrimSpace(keys[2])}
		}
	}
	if len(o.Templates) == 0 {
		return nil
	}
	o.Sender = a.Core.AccountSender(func(ctx context.Context, openID string, m core.SubscribeMessage) error {
		if a.Sim != nil {
			a.Sim.GrantSubscription(openID, m.TemplateID, 1)
		}
		err := a.WeChat.SendSubscribe(ctx, wechat.Message{ToUser: openID, TemplateID: m.TemplateID, Page: m.Page, Data: m.Data})
		if wechat.ErrCode(err) == wechat.CodeNoSubscription {
			return fmt.Errorf("%w: %w", err, core.ErrPermanent)
		}
		return err
	})
	return nil
}
