package payment

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// Config holds the merchant credentials and endpoints. Fields marked secret
// are never printed: String and LogValue mask them.
type Config struct {
	MchID          string // 商户号
	MerchantSerial string // 商户API证书序列号 (serial_no in the Authorization header)
	PrivateKeyPEM  string // secret: 商户API私钥 (apiclient_key.pem, PKCS#8 or PKCS#1)
	PublicKeyID    string // 微信支付公钥ID, "PUB_KEY_ID_…"
	PublicKeyPEM   string // 微信支付公钥 (pub_key.pem)
	APIv3Key       string // secret: 32-byte APIv3 key, decrypts notifications
	// PlatformCertsPEM optionally holds the old 平台证书 (one or more PEM
	// certificates). Set it only while WeChat Pay migrates a merchant from
	// platform certificates to the public key: answers and notifications
	// signed with either are then accepted (the SDK's combined verifier).
	PlatformCertsPEM string
	NotifyURL        string // payment notification URL: absolute, no query; HTTPS in production
	// RefundNotifyURL receives REFUND.* notifications; empty means NotifyURL
	// (the notify handler serves both event kinds).
	RefundNotifyURL string
	// BaseURL replaces https://api.mch.weixin.qq.com (e.g. the simulator,
	// "http://127.0.0.1:8080/_sim/wechat"). Empty means production.
	BaseURL string
	// HTTPClient is the client to use (its Transport is wrapped when BaseURL is
	// set). Nil means a client with a 10 s timeout.
	HTTPClient *http.Client `json:"-"`
}

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "***"
}

// String prints the config with secrets masked.
func (c Config) String() string {
	return fmt.Sprintf("payment.Config{MchID:%q MerchantSerial:%q PrivateKeyPEM:%s PublicKeyID:%q APIv3Key:%s NotifyURL:%q RefundNotifyURL:%q BaseURL:%q}",
		c.MchID, c.MerchantSerial, mask(c.PrivateKeyPEM), c.PublicKeyID, mask(c.APIv3Key), c.NotifyURL, c.RefundNotifyURL, c.BaseURL)
}

// LogValue implements slog.LogValuer with secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("mchid", c.MchID),
		slog.String("merchant_serial", c.MerchantSerial),
		slog.String("private_key", mask(c.PrivateKeyPEM)),
		slog.String("public_key_id", c.PublicKeyID),
		slog.String("apiv3_key", mask(c.APIv3Key)),
		slog.String("notify_url", c.NotifyURL),
		slog.String("base_url", c.BaseURL),
	)
}

// GoString keeps %#v from printing secrets.
func (c Config) GoString() string { return c.String() }

// Validate checks that every required field is present and well-formed.
func (c Config) Validate() error {
	var errs []error
	if c.MchID == "" {
		errs = append(errs, errors.New("MchID is empty"))
	}
	if c.MerchantSerial == "" {
		errs = append(errs, errors.New("MerchantSerial is empty"))
	}
	if _, err := ParsePrivateKey(c.PrivateKeyPEM); err != nil {
		errs = append(errs, err)
	}
	if !strings.HasPrefix(c.PublicKeyID, "PUB_KEY_ID_") {
		errs = append(errs, errors.New("PublicKeyID must start with PUB_KEY_ID_"))
	}
	if _, err := ParsePublicKey(c.PublicKeyPEM); err != nil {
		errs = append(errs, err)
	}
	if c.PlatformCertsPEM != "" {
		if _, err := ParseCertificates(c.PlatformCertsPEM); err != nil {
			errs = append(errs, err)
		}
	}
	if len(c.APIv3Key) != 32 {
		errs = append(errs, fmt.Errorf("APIv3Key must be 32 bytes, got %d", len(c.APIv3Key)))
	}
	for _, u := range []struct{ name, v string }{{"NotifyURL", c.NotifyURL}, {"RefundNotifyURL", c.RefundNotifyURL}} {
		if u.v == "" && u.name == "RefundNotifyURL" {
			continue
		}
		if err := checkNotifyURL(u.v, c.BaseURL == ""); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", u.name, err))
		}
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("BaseURL %q is not an absolute http(s) URL", c.BaseURL))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("payment: config: %w", errors.Join(errs...))
	}
	return nil
}

func checkNotifyURL(s string, production bool) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not carry a query or fragment")
	}
	if production && u.Scheme != "https" {
		return errors.New("must be https in production")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
	return nil
}

// ParsePrivateKey parses an RSA private key in PKCS#8 ("PRIVATE KEY") or
// PKCS#1 ("RSA PRIVATE KEY") PEM form.
func ParsePrivateKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("private key: no PEM block")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("private key: not RSA")
		}
		return rk, nil
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("private key: neither PKCS#8 nor PKCS#1 RSA")
	}
	return k, nil
}

// ParsePublicKey parses an RSA public key in PKIX ("PUBLIC KEY") or PKCS#1
// ("RSA PUBLIC KEY") PEM form.
func ParsePublicKey(pemText string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("public key: no PEM block")
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("public key: not RSA")
		}
		return rk, nil
	}
	k, err := x509.ParsePKCS1PublicKey(block.Bytes)
	if err != nil {
		return nil, errors.New("public key: neither PKIX nor PKCS#1 RSA")
	}
	return k, nil
}

// ParseCertificates parses one or more PEM "CERTIFICATE" blocks.
func ParseCertificates(pemText string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := []byte(pemText)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("platform certificate: %w", err)
		}
		if _, ok := c.PublicKey.(*rsa.PublicKey); !ok {
			return nil, errors.New("platform certificate: not an RSA key")
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("platform certificate: no CERTIFICATE block")
	}
	return out, nil
}

// EncodePrivateKey returns the PKCS#8 PEM form of k.
func EncodePrivateKey(k *rsa.PrivateKey) string {
	der, _ := x509.MarshalPKCS8PrivateKey(k) // cannot fail for RSA keys
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// EncodePublicKey returns the PKIX PEM form of k.
func EncodePublicKey(k *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k) // cannot fail for RSA keys
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// RewriteTransport sends requests addressed to the WeChat Pay hosts
// (api.mch.weixin.qq.com, api2.mch.weixin.qq.com) to base instead, keeping
// the path (appended to base's path) and query. Other hosts pass through.
// The request signature is computed by the SDK before the transport runs, over
// the original path, which is what the simulator verifies.
type RewriteTransport struct {
	Base *url.URL
	Next http.RoundTripper // nil: http.DefaultTransport
}

// NewRewriteTransport parses base and returns the transport.
func NewRewriteTransport(base string, next http.RoundTripper) (*RewriteTransport, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("payment: rewrite transport: bad base URL %q", base)
	}
	return &RewriteTransport{Base: u, Next: next}, nil
}

// RoundTrip implements http.RoundTripper.
func (t *RewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	if r.URL.Host != "api.mch.weixin.qq.com" && r.URL.Host != "api2.mch.weixin.qq.com" {
		return next.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	u := *r.URL
	u.Scheme = t.Base.Scheme
	u.Host = t.Base.Host
	u.Path = t.Base.Path + r.URL.Path
	if r.URL.RawPath != "" {
		u.RawPath = t.Base.EscapedPath() + r.URL.RawPath
	}
	r2.URL = &u
	r2.Host = u.Host
	return next.RoundTrip(r2)
}
