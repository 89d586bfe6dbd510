// Package blobtest is the conformance suite every blob.Bucket (Disk, and
// later S3) must pass.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"xiaoxiang/internal/blob"
)

// failingReader yields some bytes and then an error, like a dropped upload.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("blobtest: connection reset")
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

func get(t *testing.T, b blob.Bucket, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q) read: %v", key, err)
	}
	return data
}

// RunBucketTests runs the Bucket contract against buckets made by
// newBucket (called once per subtest; each must start empty).
func RunBucketTests(t *testing.T, newBucket func(t *testing.T) blob.Bucket) {
	ctx := context.Background()

	t.Run("PutGetStat", func(t *testing.T) {
		b := newBucket(t)
		data := bytes.Repeat([]byte("肖像"), 50000)
		if err := b.Put(ctx, "originals/1/2/photo.jpg", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if got := get(t, b, "originals/1/2/photo.jpg"); !bytes.Equal(got, data) {
			t.Fatalf("Get returned %d bytes, want %d", len(got), len(data))
		}
		info, err := b.Stat(ctx, "originals/1/2/photo.jpg")
		if err != nil || info.Size != int64(len(data)) || info.Key != "originals/1/2/photo.jpg" || info.ModTime.IsZero() {
			t.Fatalf("Stat = %+v, %v", info, err)
		}
		// Overwrite replaces the whole object.
		if err := b.Put(ctx, "originals/1/2/photo.jpg", strings.NewReader("short")); err != nil {
			t.Fatal(err)
		}
		if got := get(t, b, "originals/1/2/photo.jpg"); string(got) != "short" {
			t.Fatalf("after overwrite Get = %q", got)
		}
		// Empty objects are objects.
		if err := b.Put(ctx, "empty", strings.NewReader("")); err != nil {
			t.Fatal(err)
		}
		if info, err := b.Stat(ctx, "empty"); err != nil || info.Size != 0 {
			t.Fatalf("Stat(empty) = %+v, %v", info, err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		b := newBucket(t)
		if _, err := b.Get(ctx, "nope"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get missing: %v", err)
		}
		if _, err := b.Stat(ctx, "nope"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Stat missing: %v", err)
		}
		if err := b.Delete(ctx, "nope"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Delete missing: %v", err)
		}
		// A "directory" is not an object.
		if err := b.Put(ctx, "dir/file", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, "dir"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get(dir): %v", err)
		}
		if err := b.Delete(ctx, "dir/file"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, "dir/file"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get after Delete: %v", err)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		b := newBucket(t)
		for _, key := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", `a\b`, "a\x00b", "a/.tmp-x", strings.Repeat("k", blob.MaxKeyLen+1)} {
			if err := b.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
			}
			if _, err := b.Get(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Get(%q) = %v, want ErrInvalidKey", key, err)
			}
			if _, err := b.Stat(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Stat(%q) = %v, want ErrInvalidKey", key, err)
			}
			if err := b.Delete(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
			}
		}
		if _, err := b.List(ctx, "../"); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("List(../) = %v, want ErrInvalidKey", err)
		}
	})

	t.Run("List", func(t *testing.T) {
		b := newBucket(t)
		for _, k := range []string{"p/b/2.jpg", "p/a/1.jpg", "p/ab.jpg", "q/1.jpg", "p/a/0.jpg"} {
			if err := b.Put(ctx, k, strings.NewReader(k)); err != nil {
				t.Fatal(err)
			}
		}
		keys := func(prefix string) string {
			infos, err := b.List(ctx, prefix)
			if err != nil {
				t.Fatalf("List(%q): %v", prefix, err)
			}
			var ks []string
			for _, i := range infos {
				ks = append(ks, fmt.Sprintf("%s:%d", i.Key, i.Size))
			}
			return strings.Join(ks, " ")
		}
		for _, tc := range []struct{ prefix, want string }{
			{"", "p/a/0.jpg:9 p/a/1.jpg:9 p/ab.jpg:8 p/b/2.jpg:9 q/1.jpg:7"},
			{"p/a/", "p/a/0.jpg:9 p/a/1.jpg:9"},
			{"p/a", "p/a/0.jpg:9 p/a/1.jpg:9 p/ab.jpg:8"},
			{"q", "q/1.jpg:7"},
			{"z/", ""},
		} {
			if got := keys(tc.prefix); got != tc.want {
				t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
		}
	})

	t.Run("FailedPutKeepsPrevious", func(t *testing.T) {
		b := newBucket(t)
		if err := b.Put(ctx, "k", strings.NewReader("old")); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, "k", &failingReader{n: 100000}); err == nil {
			t.Fatal("Put from a failing reader succeeded")
		}
		if got := get(t, b, "k"); string(got) != "old" {
			t.Fatalf("after a failed Put Get = %q, want old", got)
		}
		if err := b.Put(ctx, "new", &failingReader{n: 10}); err == nil {
			t.Fatal("Put from a failing reader succeeded")
		}
		if _, err := b.Stat(ctx, "new"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("a failed Put left an object: %v", err)
		}
		if infos, _ := b.List(ctx, ""); len(infos) != 1 {
			t.Fatalf("List after failed Puts = %+v, want only k", infos)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := b.Put(cctx, "cancelled", strings.NewReader("x")); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		b := newBucket(t)
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				data := bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
				if err := b.Put(ctx, "same", bytes.NewReader(data)); err != nil {
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		got := get(t, b, "same")
		if len(got) != 64<<10 || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
			t.Fatalf("concurrent Puts interleaved: %d bytes", len(got))
		}
	})
}
