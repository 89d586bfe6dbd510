package auth

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// ThrottleConfig sets the login throttle limits. Zero fields take the values
// of DefaultThrottleConfig.
type ThrottleConfig struct {
	// AccountFree and IPFree are how many consecutive failures are allowed
	// before the first lockout, per account name and per client IP.
	AccountFree int
	IPFree      int
	// BaseLockout is the first lockout; each further failure while over the
	// limit doubles it, up to MaxLockout.
	BaseLockout time.Duration
	MaxLockout  time.Duration
	// Forget drops a key's failure count after this long without failures.
	Forget time.Duration
	// MaxEntries bounds memory per table (accounts, IPs). When full, expired
	// entries are swept, then the least recently failed entry is evicted.
	MaxEntries int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// DefaultThrottleConfig: 5 failures per account and 20 per IP are free; the
// next failure locks for 1 min, then 2, 4, 8 … up to 1 h per further failure;
// counts are forgotten after 24 h without failures; at most 100,000 accounts
// and 100,000 IPs are tracked (≈ 10 MB at most).
var DefaultThrottleConfig = ThrottleConfig{
	AccountFree: 5,
	IPFree:      20,
	BaseLockout: time.Minute,
	MaxLockout:  time.Hour,
	Forget:      24 * time.Hour,
	MaxEntries:  100_000,
}

// Throttle limits login attempts per account and per IP with exponential
// lockouts. It is in-memory (per process) and safe for concurrent use.
//
// Use: Check before verifying the password (and reject without verifying when
// locked); Fail after a wrong password or unknown account; Succeed after a
// successful login (clears the account's count; the IP's count is kept, so an
// attacker cannot reset it with an account of their own).
type Throttle struct {
	cfg      ThrottleConfig
	mu       sync.Mutex
	accounts map[string]*strike
	ips      map[string]*strike
}

type strike struct {
	fails    int
	last     time.Time // last failure
	lockedTo time.Time
}

// NewThrottle returns a throttle with cfg (zero fields → defaults).
func NewThrottle(cfg ThrottleConfig) *Throttle {
	d := DefaultThrottleConfig
	if cfg.AccountFree <= 0 {
		cfg.AccountFree = d.AccountFree
	}
	if cfg.IPFree <= 0 {
		cfg.IPFree = d.IPFree
	}
	if cfg.BaseLockout <= 0 {
		cfg.BaseLockout = d.BaseLockout
	}
	if cfg.MaxLockout <= 0 {
		cfg.MaxLockout = d.MaxLockout
	}
	if cfg.MaxLockout < cfg.BaseLockout {
		cfg.MaxLockout = cfg.BaseLockout
	}
	if cfg.Forget <= 0 {
		cfg.Forget = d.Forget
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = d.MaxEntries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Throttle{cfg: cfg, accounts: map[string]*strike{}, ips: map[string]*strike{}}
}

// LockedError says the login is locked until Until. Message is Chinese.
type LockedError struct {
	Until      time.Time
	RetryAfter time.Duration
	ByIP       bool // locked because of the client IP rather than the account
}

func (e *LockedError) Error() string {
	who := "account"
	if e.ByIP {
		who = "ip"
	}
	return fmt.Sprintf("auth: login locked (%s) for %s", who, e.RetryAfter.Round(time.Second))
}

// Message is the Chinese message for the login page.
func (e *LockedError) Message() string {
	m := int((e.RetryAfter + time.Minute - 1) / time.Minute)
	if m < 1 {
		m = 1
	}
	return fmt.Sprintf("登录失败次数过多，请%d分钟后再试", m)
}

func accountKey(account string) string { return strings.ToLower(strings.TrimSpace(account)) }

// Check returns a *LockedError when the account or the IP is locked now.
func (t *Throttle) Check(account, ip string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	var worst *LockedError
	for _, x := range []struct {
		m   map[string]*strike
		key string
		ip  bool
	}{{t.accounts, accountKey(account), false}, {t.ips, ip, true}} {
		if x.key == "" {
			continue
		}
		s := x.m[x.key]
		if s == nil || !now.Before(s.lockedTo) {
			continue
		}
		if worst == nil || s.lockedTo.After(worst.Until) {
			worst = &LockedError{Until: s.lockedTo, RetryAfter: s.lockedTo.Sub(now), ByIP: x.ip}
		}
	}
	if worst == nil {
		return nil
	}
	return worst
}

// Fail records a failed attempt for the account and the IP.
func (t *Throttle) Fail(account, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	if k := accountKey(account); k != "" {
		t.fail(t.accounts, k, t.cfg.AccountFree, now)
	}
	if ip != "" {
		t.fail(t.ips, ip, t.cfg.IPFree, now)
	}
}

func (t *Throttle) fail(m map[string]*strike, key string, free int, now time.Time) {
	s := m[key]
	if s != nil && now.Sub(s.last) >= t.cfg.Forget && !now.Before(s.lockedTo) {
		s.fails = 0
	}
	if s == nil {
		if len(m) >= t.cfg.MaxEntries {
			t.evict(m, now)
		}
		s = &strike{}
		m[key] = s
	}
	s.fails++
	s.last = now
	if over := s.fails - free; over > 0 {
		d := t.cfg.BaseLockout
		for i := 1; i < over && d < t.cfg.MaxLockout; i++ {
			d *= 2
		}
		d = min(d, t.cfg.MaxLockout)
		if until := now.Add(d); until.After(s.lockedTo) {
			s.lockedTo = until
		}
	}
}

// evict sweeps forgotten entries; if none, drops the least recently failed.
func (t *Throttle) evict(m map[string]*strike, now time.Time) {
	var oldestKey string
	var oldest time.Time
	removed := false
	for k, s := range m {
		if now.Sub(s.last) >= t.cfg.Forget && !now.Before(s.lockedTo) {
			delete(m, k)
			removed = true
			continue
		}
		if oldestKey == "" || s.last.Before(oldest) {
			oldestKey, oldest = k, s.last
		}
	}
	if !removed && oldestKey != "" {
		delete(m, oldestKey)
	}
}

// Succeed clears the account's failures after a successful login.
func (t *Throttle) Succeed(account, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.accounts, accountKey(account))
}

// Len returns the number of tracked accounts and IPs (for metrics).
func (t *Throttle) Len() (accounts, ips int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.accounts), len(t.ips)
}
