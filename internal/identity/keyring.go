package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
)

// MasterKeySize is the size in bytes of a master secret.
const MasterKeySize = 32

// BlindIndexLen is the length in hex characters of a blind index.
const BlindIndexLen = 32

// sealPrefix starts every sealed value: format version 1.
const sealPrefix = "v1."

// HKDF info strings; changing them changes every derived key.
const (
	infoEncrypt = "xiaoxiang/identity/pii-encrypt/v1"
	infoIndex   = "xiaoxiang/identity/blind-index/v1"
)

// ErrOpen is returned (wrapped) when a sealed value cannot be opened: wrong
// format, unknown key id, tampering or associated-data mismatch.
var ErrOpen = errors.New("identity: cannot open sealed value")

type keyMaterial struct {
	aead  cipher.AEAD
	index []byte
}

// Keyring holds the PII keys derived from one or more 32-byte master secrets,
// each with a key id. Seal uses the current key; Open uses the key id stored in
// the sealed value, so values sealed under an older key still open after a
// rotation. A Keyring is safe for concurrent use. Its String, GoString and
// LogValue never print key material.
type Keyring struct {
	current uint32
	keys    map[uint32]*keyMaterial
}

// NewKeyring derives the keys for each master secret (keyed by key id) and
// makes current the key id used by Seal and BlindIndex. Every secret must be
// exactly MasterKeySize bytes and not all zero.
func NewKeyring(current uint32, masters map[uint32][]byte) (*Keyring, error) {
	if _, ok := masters[current]; !ok {
		return nil, fmt.Errorf("identity: new keyring: no master secret for current key id %d", current)
	}
	kr := &Keyring{current: current, keys: make(map[uint32]*keyMaterial, len(masters))}
	for id, m := range masters {
		if len(m) != MasterKeySize {
			return nil, fmt.Errorf("identity: new keyring: key id %d: master secret is %d bytes, want %d", id, len(m), MasterKeySize)
		}
		if allZero(m) {
			return nil, fmt.Errorf("identity: new keyring: key id %d: master secret is all zero", id)
		}
		enc, err := hkdf.Key(sha256.New, m, nil, infoEncrypt, 32)
		if err != nil {
			return nil, fmt.Errorf("identity: new keyring: derive encryption key: %w", err)
		}
		idx, err := hkdf.Key(sha256.New, m, nil, infoIndex, 32)
		if err != nil {
			return nil, fmt.Errorf("identity: new keyring: derive index key: %w", err)
		}
		block, err := aes.NewCipher(enc)
		if err != nil {
			return nil, fmt.Errorf("identity: new keyring: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("identity: new keyring: %w", err)
		}
		kr.keys[id] = &keyMaterial{aead: aead, index: idx}
	}
	return kr, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// DecodeMasterKey decodes a master secret given as 64 hex characters or as
// standard/URL base64 (padded or not) of 32 bytes, e.g. from an environment
// variable. The error never contains the input.
func DecodeMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*MasterKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == MasterKeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("identity: decode master key: want %d bytes as 64 hex characters or base64", MasterKeySize)
}

// CurrentKeyID returns the key id used by Seal and BlindIndex.
func (kr *Keyring) CurrentKeyID() uint32 { return kr.current }

// KeyIDs returns the key ids in the ring, sorted.
func (kr *Keyring) KeyIDs() []uint32 {
	ids := make([]uint32, 0, len(kr.keys))
	for id := range kr.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// header is the authenticated prefix "v1.<kid>.".
func header(id uint32) string { return sealPrefix + strconv.FormatUint(uint64(id), 10) + "." }

// aad binds the header and the caller's associated data (length-prefixed so
// that the split between them is unambiguous).
func aad(hdr string, ad []byte) []byte {
	b := make([]byte, 0, 4+len(hdr)+len(ad))
	b = append(b, byte(len(hdr)>>24), byte(len(hdr)>>16), byte(len(hdr)>>8), byte(len(hdr)))
	b = append(b, hdr...)
	return append(b, ad...)
}

// Seal encrypts plaintext with AES-256-GCM under the current key and a random
// 96-bit nonce. associatedData (e.g. "student:123/doc_number") is
// authenticated but not stored: Open must be given the same value. The result
// is "v1.<key id>.<base64url(nonce‖ciphertext‖tag)>", ASCII, safe for a TEXT
// column.
func (kr *Keyring) Seal(plaintext, associatedData []byte) (string, error) {
	km := kr.keys[kr.current]
	hdr := header(kr.current)
	nonce := make([]byte, km.aead.NonceSize(), km.aead.NonceSize()+len(plaintext)+km.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("identity: seal: nonce: %w", err)
	}
	out := km.aead.Seal(nonce, nonce, plaintext, aad(hdr, associatedData))
	return hdr + base64.RawURLEncoding.EncodeToString(out), nil
}

// SealString is Seal for string values.
func (kr *Keyring) SealString(plaintext, associatedData string) (string, error) {
	return kr.Seal([]byte(plaintext), []byte(associatedData))
}

// Open decrypts a value produced by Seal with any key id in the ring. All
// failures wrap ErrOpen.
func (kr *Keyring) Open(sealed string, associatedData []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: unknown format version", ErrOpen)
	}
	kidStr, body, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, fmt.Errorf("%w: missing key id", ErrOpen)
	}
	kid, err := strconv.ParseUint(kidStr, 10, 32)
	if err != nil || strconv.FormatUint(kid, 10) != kidStr {
		return nil, fmt.Errorf("%w: bad key id", ErrOpen)
	}
	km, ok := kr.keys[uint32(kid)]
	if !ok {
		return nil, fmt.Errorf("%w: key id %d not in keyring", ErrOpen, kid)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: bad encoding", ErrOpen)
	}
	if len(raw) < km.aead.NonceSize()+km.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrOpen)
	}
	ns := km.aead.NonceSize()
	pt, err := km.aead.Open(nil, raw[:ns], raw[ns:], aad(header(uint32(kid)), associatedData))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrOpen)
	}
	return pt, nil
}

// OpenString is Open for string values.
func (kr *Keyring) OpenString(sealed, associatedData string) (string, error) {
	b, err := kr.Open(sealed, []byte(associatedData))
	return string(b), err
}

// SealedKeyID returns the key id of a sealed value without opening it, so a
// rotation job can find values still sealed under an old key.
func SealedKeyID(sealed string) (uint32, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return 0, fmt.Errorf("%w: unknown format version", ErrOpen)
	}
	kidStr, _, ok := strings.Cut(rest, ".")
	kid, err := strconv.ParseUint(kidStr, 10, 32)
	if !ok || err != nil {
		return 0, fmt.Errorf("%w: bad key id", ErrOpen)
	}
	return uint32(kid), nil
}

// BlindIndex returns a keyed, deterministic lookup value for a document
// number under the current key: hex(HMAC-SHA256(indexKey, kind‖0‖Normalize(number)))
// truncated to BlindIndexLen characters (128 bits). The kind is part of the
// input so equal numbers of different kinds do not collide. Rotating the
// current key changes every blind index: during a migration, look up with
// BlindIndexes and rewrite rows.
func (kr *Keyring) BlindIndex(kind Kind, number string) string {
	return blindIndex(kr.keys[kr.current].index, kind, number)
}

// BlindIndexes returns the blind index of the value under every key in the
// ring, current key first (for lookups while a rotation is in progress).
func (kr *Keyring) BlindIndexes(kind Kind, number string) []string {
	out := []string{kr.BlindIndex(kind, number)}
	for _, id := range kr.KeyIDs() {
		if id != kr.current {
			out = append(out, blindIndex(kr.keys[id].index, kind, number))
		}
	}
	return out
}

func blindIndex(key []byte, kind Kind, number string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(Normalize(number)))
	return hex.EncodeToString(m.Sum(nil))[:BlindIndexLen]
}

// String describes the keyring without key material.
func (kr *Keyring) String() string {
	return fmt.Sprintf("identity.Keyring{current: %d, keys: %v}", kr.current, kr.KeyIDs())
}

// GoString is String, so %#v does not print key material either.
func (kr *Keyring) GoString() string { return kr.String() }

// LogValue implements slog.LogValuer without key material.
func (kr *Keyring) LogValue() slog.Value {
	return slog.GroupValue(slog.Uint64("current_key_id", uint64(kr.current)), slog.Int("keys", len(kr.keys)))
}

// Format implements fmt.Formatter so that every verb, including %+v and %x,
// prints only the description.
func (kr *Keyring) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(kr.String())) }
