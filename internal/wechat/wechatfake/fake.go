// Package wechatfake is a protocol-faithful simulator of the WeChat APIs
// xiaoxiang calls: mini-program login (jscode2session), 公众号 OAuth2 (with a
// consent page), stable_token, subscription messages, and WeChat Pay API v3
// (JSAPI prepay, query, close, refunds) with real request-signature checks,
// signed responses and signed, AES-256-GCM encrypted notifications.
//
// It is one http.Handler that works behind http.StripPrefix: mount it at
// e.g. /_sim/wechat and give Options.BaseURL the full public URL of that
// prefix. Simulator-only pages live under /sim/.
package wechatfake

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/wechat"
)

// Options configure the simulator. Zero values get working defaults.
type Options struct {
	// BaseURL is the public URL of the simulator root, including any mount
	// prefix (e.g. "http://localhost:8080/_sim/wechat"). Required for pages
	// and for the client configs; tests set it after httptest.NewServer via
	// SetBaseURL.
	BaseURL string

	MiniAppID, MiniSecret string // mini-program credentials
	MPAppID, MPSecret     string // 公众号 credentials (H5 OAuth, H5 payment)
	MchID                 string
	MerchantSerial        string
	APIv3Key              string // 32 bytes
	PublicKeyID           string // "PUB_KEY_ID_…"

	// PlatformKey signs responses and notifications (WeChat Pay's key);
	// MerchantKey is the merchant's API key whose public half the simulator
	// uses to verify request signatures and paySign. Nil: generated.
	PlatformKey *rsa.PrivateKey
	MerchantKey *rsa.PrivateKey

	TokenTTL    time.Duration // access_token lifetime, default 7200 s
	RefundDelay time.Duration // PROCESSING → final; default 2 s; < 0: only SettleRefund
	Notify      NotifyMode    // default notification behaviour
	// TradeManaged is what is_trade_managed answers (发货信息管理).
	TradeManaged bool
	HTTPClient   *http.Client // for notifications; default 5 s timeout
	Now          func() time.Time
	Log          *slog.Logger
}

// Sim is the simulator. Create it with New; stop its goroutines with Close.
type Sim struct {
	opts    Options
	mux     *http.ServeMux
	now     func() time.Time
	log     *slog.Logger
	hc      *http.Client
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	baseMu  sync.RWMutex
	baseURL string

	mu         sync.Mutex
	codes      map[string]*loginCode
	userTokens map[string]*userToken // 网页授权 access tokens by value
	tokens     map[string]*token     // by token value
	current    map[string]*token     // by appid
	credits    map[string]int        // openid|template → remaining
	sent       []SentMessage
	failures   map[string][]int // api → errcodes to answer next
	orders     map[string]*order
	prepays    map[string]string // prepay_id → out_trade_no
	prepayAt   map[string]time.Time
	refunds    map[string]*refund
	deliveries []Delivery
	shipments  []Shipment
	notify     NotifyMode
	seq        int
	legacy     atomic.Bool // sign with the platform certificate instead of the public key id

	certPEM    string
	certSerial string
}

// New builds a simulator. Generating missing RSA keys takes a moment.
func New(opts Options) (*Sim, error) {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&opts.MiniAppID, "wx5a3e9c1f00000001")
	def(&opts.MiniSecret, "sim-mini-secret-0000000000000001")
	def(&opts.MPAppID, "wx5a3e9c1f00000002")
	def(&opts.MPSecret, "sim-mp-secret-00000000000000002")
	def(&opts.MchID, "1900000109")
	def(&opts.MerchantSerial, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
	def(&opts.APIv3Key, "simAPIv3Key0123456789abcdefABCDE")
	def(&opts.PublicKeyID, "PUB_KEY_ID_0119000001092026000000000000000001")
	if len(opts.APIv3Key) != 32 {
		return nil, fmt.Errorf("wechatfake: APIv3Key must be 32 bytes")
	}
	var err error
	if opts.PlatformKey == nil {
		if opts.PlatformKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, fmt.Errorf("wechatfake: generate platform key: %w", err)
		}
	}
	if opts.MerchantKey == nil {
		if opts.MerchantKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, fmt.Errorf("wechatfake: generate merchant key: %w", err)
		}
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 7200 * time.Second
	}
	if opts.RefundDelay == 0 {
		opts.RefundDelay = 2 * time.Second
	}
	s := &Sim{
		opts:    opts,
		now:     opts.Now,
		log:     opts.Log,
		hc:      opts.HTTPClient,
		baseURL: strings.TrimRight(opts.BaseURL, "/"),
		codes:   map[string]*loginCode{}, userTokens: map[string]*userToken{},
		tokens:   map[string]*token{},
		current:  map[string]*token{},
		credits:  map[string]int{},
		failures: map[string][]int{},
		orders:   map[string]*order{},
		prepays:  map[string]string{},
		prepayAt: map[string]time.Time{},
		refunds:  map[string]*refund{},
		notify:   opts.Notify,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 5 * time.Second}
	}
	if err := s.makeCertificate(); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes()
	return s, nil
}

// Close stops pending notifications and refund timers and waits for them.
func (s *Sim) Close() {
	s.cancel()
	s.wg.Wait()
}

// ServeHTTP implements http.Handler.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SetBaseURL sets the public URL of the simulator root (with mount prefix).
func (s *Sim) SetBaseURL(u string) {
	s.baseMu.Lock()
	s.baseURL = strings.TrimRight(u, "/")
	s.baseMu.Unlock()
}

// BaseURL returns the public URL of the simulator root.
func (s *Sim) BaseURL() string {
	s.baseMu.RLock()
	defer s.baseMu.RUnlock()
	return s.baseURL
}

// Options returns the effective options (with generated keys).
func (s *Sim) Options() Options { return s.opts }

// PlatformPublicKeyPEM is the "微信支付公钥" clients must trust; its id is
// Options().PublicKeyID.
func (s *Sim) PlatformPublicKeyPEM() string {
	return payment.EncodePublicKey(&s.opts.PlatformKey.PublicKey)
}

// makeCertificate issues a self-signed "平台证书" for the platform key, used
// when the simulator plays a merchant that is migrating from certificates.
func (s *Sim) makeCertificate() error {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Tenpay.com Root CA (simulated)", Organization: []string{"Tenpay.com"}},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &s.opts.PlatformKey.PublicKey, s.opts.PlatformKey)
	if err != nil {
		return fmt.Errorf("wechatfake: platform certificate: %w", err)
	}
	s.certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	s.certSerial = fmt.Sprintf("%X", serial.Bytes()) // as WeChat Pay and the SDK spell it: whole bytes
	return nil
}

// PlatformCertificatePEM is the simulated 平台证书 (for payment.Config.PlatformCertsPEM).
func (s *Sim) PlatformCertificatePEM() string { return s.certPEM }

// SetCertificateSigning makes answers and notifications carry the platform
// certificate's serial instead of the public key id, like WeChat Pay during
// a merchant's migration period.
func (s *Sim) SetCertificateSigning(on bool) { s.legacy.Store(on) }

// signingSerial may be called with s.mu held.
func (s *Sim) signingSerial() string {
	if s.legacy.Load() {
		return s.certSerial
	}
	return s.opts.PublicKeyID
}

// PayConfig returns a payment.Config that reaches this simulator, with the
// merchant key the simulator trusts. notifyURL is where it will POST
// notifications (our handler).
func (s *Sim) PayConfig(notifyURL string) payment.Config {
	return payment.Config{
		MchID:          s.opts.MchID,
		MerchantSerial: s.opts.MerchantSerial,
		PrivateKeyPEM:  payment.EncodePrivateKey(s.opts.MerchantKey),
		PublicKeyID:    s.opts.PublicKeyID,
		PublicKeyPEM:   s.PlatformPublicKeyPEM(),
		APIv3Key:       s.opts.APIv3Key,
		NotifyURL:      notifyURL,
		BaseURL:        s.BaseURL(),
	}
}

// WechatConfig returns a wechat.Config that reaches this simulator.
func (s *Sim) WechatConfig() wechat.Config {
	return wechat.Config{
		MiniAppID: s.opts.MiniAppID, MiniSecret: s.opts.MiniSecret,
		MPAppID: s.opts.MPAppID, MPSecret: s.opts.MPSecret,
		APIBaseURL: s.BaseURL(), OAuthBaseURL: s.BaseURL(),
		MiniprogramState: "developer",
	}
}

// OpenID is the openid the simulator gives user under appid (stable,
// different per appid, like WeChat).
func (s *Sim) OpenID(appid, user string) string {
	h := sha256.Sum256([]byte("openid|" + appid + "|" + user))
	return "o" + base64.RawURLEncoding.EncodeToString(h[:])[:27]
}

// UnionID is the unionid of user (the same for every appid of the account).
func (s *Sim) UnionID(user string) string {
	h := sha256.Sum256([]byte("unionid|" + user))
	return "oU" + base64.RawURLEncoding.EncodeToString(h[:])[:26]
}

// FailNext makes the next len(codes) calls of api answer with these errcodes.
// api is one of "jscode2session", "oauth2/access_token", "stable_token",
// "subscribe/send".
func (s *Sim) FailNext(api string, codes ...int) {
	s.mu.Lock()
	s.failures[api] = append(s.failures[api], codes...)
	s.mu.Unlock()
}

func (s *Sim) takeFailure(api string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.failures[api]
	if len(q) == 0 {
		return 0, false
	}
	s.failures[api] = q[1:]
	return q[0], true
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randAlnum(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

func (s *Sim) nextSeq() int {
	s.seq++
	return s.seq
}
