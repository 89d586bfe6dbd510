// Package blob stores photos and export packages as objects addressed by
// slash-separated keys ("originals/2026/11/29/123.jpg"), never by file paths.
// Bucket is the boundary: Disk is the embedded default, an S3 implementation
// joins later; both must pass the conformance suite in blobtest.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped) by Get, Stat and Delete for a missing key.
var ErrNotFound = errors.New("blob: not found")

// ErrInvalidKey is returned (wrapped) for a key that is empty, absolute, has
// empty, "." or ".." segments, a backslash, a control character or is longer
// than MaxKeyLen.
var ErrInvalidKey = errors.New("blob: invalid key")

// MaxKeyLen is the longest key accepted, in bytes.
const MaxKeyLen = 512

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Bucket is an object store. Put is atomic and durable: when it returns nil
// the whole object is on stable storage under key (a crash never leaves a
// partial object visible), and a failed Put leaves any previous object intact.
// Implementations are safe for concurrent use.
type Bucket interface {
	// Put stores everything read from r under key, replacing any object there.
	Put(ctx context.Context, key string, r io.Reader) error
	// Get opens the object; the caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat returns the object's size and modification time.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the object; a missing key gives ErrNotFound.
	Delete(ctx context.Context, key string) error
	// List returns the objects whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Info, error)
}

// ValidateKey reports whether key is a clean relative slash path.
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: length %d", ErrInvalidKey, len(key))
	}
	if strings.HasPrefix(key, "/") {
		return fmt.Errorf("%w: absolute", ErrInvalidKey)
	}
	for _, c := range key {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return fmt.Errorf("%w: bad character %q", ErrInvalidKey, c)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "", ".", "..":
			return fmt.Errorf("%w: bad segment %q", ErrInvalidKey, seg)
		}
		if strings.HasPrefix(seg, ".tmp-") {
			return fmt.Errorf("%w: reserved segment", ErrInvalidKey)
		}
	}
	return nil
}

// validatePrefix accepts "" (everything) or a prefix that is a valid key
// or a valid key followed by "/".
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return ValidateKey(strings.TrimSuffix(prefix, "/"))
}
