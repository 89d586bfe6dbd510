// Package auth holds the staff authentication primitives used by the consoles:
// argon2id password hashes, random session tokens stored only as SHA-256,
// session-bound CSRF tokens, a login throttle, TOTP second factors and the
// role/scope model that enforces tenant isolation (Principal.Can).
//
// Limits (all documented on their declarations):
//   - passwords: 10–128 characters (PasswordMinLen, PasswordMaxLen); hashes use
//     argon2id t=1, m=46 MiB, p=2 (DefaultParams, ≈50–70 ms on a 2-core
//     server); at most MaxConcurrentHashes hash computations run at once, so
//     password hashing never holds more than 4×46 MiB.
//   - sessions: 256-bit tokens; SessionIdleTimeout 30 min, SessionMaxAge 12 h.
//   - login throttle: see DefaultThrottleConfig (5 failures per account, 20
//     per IP, then 1 min lockout doubling per failure up to 1 h).
//   - TOTP: RFC 6238, SHA-1, 6 digits, 30 s, ±1 step, 160-bit secrets.
package auth
