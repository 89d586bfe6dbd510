package auth

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }

func newTestThrottle(c *fakeClock) *Throttle {
	return NewThrottle(ThrottleConfig{Now: c.now})
}

func lockedFor(t *testing.T, th *Throttle, account, ip string) time.Duration {
	t.Helper()
	err := th.Check(account, ip)
	if err == nil {
		return 0
	}
	var le *LockedError
	if !errors.As(err, &le) || le.Message() == "" {
		t.Fatalf("unexpected error %v", err)
	}
	return le.RetryAfter
}

func TestThrottleAccountLockout(t *testing.T) {
	c := &fakeClock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := newTestThrottle(c)
	for i := 1; i <= 5; i++ {
		if d := lockedFor(t, th, "Alice", "1.1.1.1"); d != 0 {
			t.Fatalf("locked before failure %d", i)
		}
		th.Fail("alice", "1.1.1.1")
	}
	// 5 free failures used: not yet locked; the 6th locks 1 min, 7th 2 min, ...
	if d := lockedFor(t, th, "alice", "1.1.1.1"); d != 0 {
		t.Fatalf("locked after 5 failures: %v", d)
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}
	for _, w := range want {
		th.Fail(" ALICE ", "1.1.1.1")
		if d := lockedFor(t, th, "alice", "2.2.2.2"); d != w {
			t.Fatalf("lockout %v, want %v", d, w)
		}
		c.add(w) // wait it out
		if d := lockedFor(t, th, "alice", "2.2.2.2"); d != 0 {
			t.Fatalf("still locked after %v", w)
		}
	}
	for range 20 {
		th.Fail("alice", "")
		c.add(time.Hour)
	}
	th.Fail("alice", "")
	if d := lockedFor(t, th, "alice", ""); d != time.Hour {
		t.Fatalf("lockout not capped: %v", d)
	}
	// Other accounts are unaffected.
	if d := lockedFor(t, th, "bob", "3.3.3.3"); d != 0 {
		t.Fatal("bob locked")
	}
	// Success clears the account.
	c.add(time.Hour)
	th.Succeed("alice", "1.1.1.1")
	th.Fail("alice", "")
	if d := lockedFor(t, th, "alice", ""); d != 0 {
		t.Fatal("count not cleared by success")
	}
}

func TestThrottleForgets(t *testing.T) {
	c := &fakeClock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := newTestThrottle(c)
	for range 5 {
		th.Fail("carol", "")
	}
	c.add(24 * time.Hour)
	th.Fail("carol", "")
	if d := lockedFor(t, th, "carol", ""); d != 0 {
		t.Fatal("old failures not forgotten")
	}
}

func TestThrottleIP(t *testing.T) {
	c := &fakeClock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := newTestThrottle(c)
	// Spraying many accounts from one IP: 20 free, then locked by IP.
	for i := range 20 {
		th.Fail(fmt.Sprintf("user%d", i), "9.9.9.9")
	}
	if d := lockedFor(t, th, "new", "9.9.9.9"); d != 0 {
		t.Fatal("IP locked after 20")
	}
	th.Fail("user99", "9.9.9.9")
	err := th.Check("new", "9.9.9.9")
	var le *LockedError
	if !errors.As(err, &le) || !le.ByIP || le.RetryAfter != time.Minute {
		t.Fatalf("IP not locked: %v", err)
	}
	// A success on the attacker's own account does not reset the IP.
	th.Succeed("user99", "9.9.9.9")
	if d := lockedFor(t, th, "x", "9.9.9.9"); d == 0 {
		t.Fatal("success reset the IP lock")
	}
	if d := lockedFor(t, th, "x", "8.8.8.8"); d != 0 {
		t.Fatal("other IP locked")
	}
}

func TestThrottleBoundedMemory(t *testing.T) {
	c := &fakeClock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := NewThrottle(ThrottleConfig{Now: c.now, MaxEntries: 100})
	for i := range 1000 {
		th.Fail(fmt.Sprintf("u%d", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		c.add(time.Second)
	}
	a, ips := th.Len()
	if a > 100 || ips > 100 {
		t.Fatalf("tracked %d accounts, %d ips; cap 100", a, ips)
	}
}

func TestLockedErrorMessage(t *testing.T) {
	e := &LockedError{RetryAfter: 61 * time.Second}
	if e.Message() != "登录失败次数过多，请2分钟后再试" {
		t.Fatal(e.Message())
	}
	e = &LockedError{RetryAfter: time.Second}
	if e.Message() != "登录失败次数过多，请1分钟后再试" {
		t.Fatal(e.Message())
	}
}
