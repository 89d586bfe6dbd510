package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length limits, in characters. The maximum bounds the work an
// attacker can make the server do per login attempt.
const (
	PasswordMinLen = 10
	PasswordMaxLen = 128
)

// MaxConcurrentHashes bounds simultaneous argon2id computations (each holds
// Params.Memory KiB) so a login burst cannot exhaust memory; further callers
// wait.
const MaxConcurrentHashes = 4

var hashSlots = make(chan struct{}, MaxConcurrentHashes)

// Params are argon2id parameters.
type Params struct {
	Time    uint32 // iterations
	Memory  uint32 // KiB
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams is sized for a 2-core server: about 50–70 ms and 46 MiB per
// hash (OWASP's argon2id recommendation m=46 MiB, t=1), two lanes.
var DefaultParams = Params{Time: 1, Memory: 46 * 1024, Threads: 2, SaltLen: 16, KeyLen: 32}

// Upper bounds accepted when parsing a stored hash, so a corrupted or hostile
// row cannot make Verify allocate gigabytes.
const (
	maxParseMemory  = 1 << 20 // 1 GiB in KiB
	maxParseTime    = 16
	maxParseThreads = 16
	maxParseKeyLen  = 128
	maxParseSaltLen = 64
)

// ErrBadHash reports a stored hash that is not a valid argon2id PHC string.
var ErrBadHash = errors.New("auth: malformed password hash")

// PolicyError is a password that does not meet the policy; Message is Chinese.
type PolicyError struct{ msg string }

func (e *PolicyError) Error() string   { return "auth: password does not meet policy" }
func (e *PolicyError) Message() string { return e.msg }

// CheckPasswordPolicy checks a new password: PasswordMinLen–PasswordMaxLen
// characters, valid UTF-8, and at least two of: letters, digits, other.
func CheckPasswordPolicy(pw string) error {
	if !utf8.ValidString(pw) {
		return &PolicyError{"密码包含无效字符"}
	}
	n := utf8.RuneCountInString(pw)
	if n < PasswordMinLen {
		return &PolicyError{fmt.Sprintf("密码至少需要%d个字符", PasswordMinLen)}
	}
	if n > PasswordMaxLen {
		return &PolicyError{fmt.Sprintf("密码不能超过%d个字符", PasswordMaxLen)}
	}
	var letter, digit, other bool
	for _, r := range pw {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
			letter = true
		default:
			other = true
		}
	}
	classes := 0
	for _, b := range []bool{letter, digit, other} {
		if b {
			classes++
		}
	}
	if classes < 2 {
		return &PolicyError{"密码需包含字母、数字、符号中的至少两类"}
	}
	return nil
}

// HashPassword hashes pw with DefaultParams and returns a PHC string
// "$argon2id$v=19$m=47104,t=1,p=2$<salt>$<hash>" (unpadded standard base64).
func HashPassword(pw string) (string, error) { return HashPasswordWith(pw, DefaultParams) }

// HashPasswordWith hashes pw with the given parameters.
func HashPasswordWith(pw string, p Params) (string, error) {
	if len(pw) > 4*PasswordMaxLen {
		return "", fmt.Errorf("auth: hash password: longer than %d characters", PasswordMaxLen)
	}
	if p.Time == 0 || p.Memory < 8*uint32(p.Threads) || p.Threads == 0 || p.SaltLen < 8 || p.KeyLen < 16 {
		return "", fmt.Errorf("auth: hash password: invalid parameters %+v", p)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: hash password: salt: %w", err)
	}
	key := idKey([]byte(pw), salt, p)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

func idKey(pw, salt []byte, p Params) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// parsed is a decoded PHC string.
type parsed struct {
	p    Params
	salt []byte
	key  []byte
}

func parseHash(encoded string) (parsed, error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return parsed{}, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return parsed{}, fmt.Errorf("%w: unsupported version", ErrBadHash)
	}
	var out parsed
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &out.p.Memory, &out.p.Time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", out.p.Memory, out.p.Time, threads) != parts[3] {
		return parsed{}, fmt.Errorf("%w: bad parameters", ErrBadHash)
	}
	if out.p.Time == 0 || out.p.Time > maxParseTime || threads == 0 || threads > maxParseThreads ||
		out.p.Memory < 8*threads || out.p.Memory > maxParseMemory {
		return parsed{}, fmt.Errorf("%w: parameters out of range", ErrBadHash)
	}
	out.p.Threads = uint8(threads)
	var err error
	if out.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(out.salt) < 8 || len(out.salt) > maxParseSaltLen {
		return parsed{}, fmt.Errorf("%w: bad salt", ErrBadHash)
	}
	if out.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(out.key) < 16 || len(out.key) > maxParseKeyLen {
		return parsed{}, fmt.Errorf("%w: bad hash", ErrBadHash)
	}
	out.p.SaltLen, out.p.KeyLen = uint32(len(out.salt)), uint32(len(out.key))
	return out, nil
}

// VerifyPassword reports whether pw matches the PHC string, comparing in
// constant time. A malformed hash returns false and an error wrapping
// ErrBadHash; a wrong password returns false, nil.
func VerifyPassword(pw, encoded string) (bool, error) {
	ph, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	if len(pw) > 4*PasswordMaxLen {
		return false, nil
	}
	key := idKey([]byte(pw), ph.salt, ph.p)
	return subtle.ConstantTimeCompare(key, ph.key) == 1, nil
}

// DummyVerify spends the same time as a VerifyPassword against a real hash.
// Call it when the account does not exist, so login timing does not reveal
// which usernames exist.
func DummyVerify(pw string) {
	_, _ = VerifyPassword(pw, dummyHash())
}

// dummyHash is computed on first use (not at init, which would slow every
// program importing the package).
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPasswordWith("dummy-password-for-timing", DefaultParams)
	if err != nil {
		return "" // unreachable with valid DefaultParams; VerifyPassword then fails fast
	}
	return h
})

// NeedsRehash reports whether a stored hash uses parameters other than
// DefaultParams (or is malformed) and should be replaced after the next
// successful login.
func NeedsRehash(encoded string) bool {
	ph, err := parseHash(encoded)
	if err != nil {
		return true
	}
	d := DefaultParams
	return ph.p.Time != d.Time || ph.p.Memory != d.Memory || ph.p.Threads != d.Threads ||
		ph.p.KeyLen != d.KeyLen || ph.p.SaltLen != d.SaltLen
}
