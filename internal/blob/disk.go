package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Disk is a Bucket in a local directory. Put writes a temporary file in the
// destination directory, fsyncs it, renames it over the key and fsyncs the
// directory, so an accepted object survives a crash or kill -9 and a partial
// write is never visible under its key.
type Disk struct {
	root string
}

var _ Bucket = (*Disk)(nil)

// NewDisk returns a Disk rooted at dir, creating dir if needed.
func NewDisk(dir string) (*Disk, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: new disk %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("blob: new disk %s: %w", dir, err)
	}
	return &Disk{root: abs}, nil
}

// Root returns the directory of the bucket.
func (d *Disk) Root() string { return d.root }

func (d *Disk) path(key string) string {
	return filepath.Join(d.root, filepath.FromSlash(key))
}

// Put implements Bucket.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader) (err error) {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("blob: put: %w", err)
	}
	dst := d.path(key)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = io.Copy(f, ctxReader{ctx, r}); err != nil {
		return fmt.Errorf("blob: put %s: write: %w", key, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: fsync: %w", key, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("blob: put %s: close: %w", key, err)
	}
	if err = os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("blob: put %s: rename: %w", key, err)
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("blob: put %s: fsync dir: %w", key, err)
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ctxReader stops a long copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Get implements Bucket.
func (d *Disk) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, fmt.Errorf("blob: get: %w", err)
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob: get %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("blob: get %s: %w", key, ErrNotFound)
	}
	return f, nil
}

// Stat implements Bucket.
func (d *Disk) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, fmt.Errorf("blob: stat: %w", err)
	}
	st, err := os.Stat(d.path(key))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && st.IsDir()) {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return Info{Key: key, Size: st.Size(), ModTime: st.ModTime().UTC()}, nil
}

// Delete implements Bucket. Empty parent directories are left in place.
func (d *Disk) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("blob: delete: %w", err)
	}
	p := d.path(key)
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return fmt.Errorf("blob: delete %s: %w", key, ErrNotFound)
	}
	err := os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("blob: delete %s: fsync dir: %w", key, err)
	}
	return nil
}

// List implements Bucket. Temporary files of writes in progress are skipped.
func (d *Disk) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("blob: list: %w", err)
	}
	// Walk the deepest directory that contains every match.
	start := d.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = d.path(prefix[:i])
	}
	var out []Info
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		st, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		out = append(out, Info{Key: key, Size: st.Size(), ModTime: st.ModTime().UTC()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blob: list %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
