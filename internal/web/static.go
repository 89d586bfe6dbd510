package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one static file and its content hash.
type asset struct {
	name  string
	data  []byte
	hash  string // first 12 hex chars of sha256
	ctype string
}

// Static serves embedded assets under content-hash URLs (/static/app.3f2a9c1d4e5b.css)
// with a one-year immutable cache; a changed file gets a new URL, so browsers never
// see stale CSS or JS.
type Static struct {
	prefix string
	assets map[string]*asset // by logical name, e.g. "app.css"
}

// NewStatic loads the assets embedded in this package (static/*) plus extra named
// files (e.g. "docnum.js" from internal/identity), served under prefix ("/static/").
func NewStatic(prefix string, extra map[string][]byte) (*Static, error) {
	s := &Static{prefix: prefix, assets: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		s.add(strings.TrimPrefix(p, "static/"), b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load static assets: %w", err)
	}
	for name, b := range extra {
		s.add(name, b)
	}
	return s, nil
}

func (s *Static) add(name string, b []byte) {
	sum := sha256.Sum256(b)
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	s.assets[name] = &asset{name: name, data: b, hash: hex.EncodeToString(sum[:6]), ctype: ct}
}

// URL returns the content-hash URL of a logical asset name. An unknown name is a
// programming error: templates are parsed and checked at startup, so it panics there.
func (s *Static) URL(name string) (string, error) {
	a, ok := s.assets[name]
	if !ok {
		return "", fmt.Errorf("web: unknown static asset %q", name)
	}
	ext := path.Ext(name)
	return s.prefix + strings.TrimSuffix(name, ext) + "." + a.hash + ext, nil
}

// ServeHTTP serves /static/{base}.{hash}{ext}. A URL with an outdated hash still
// gets the current file, but without the long cache.
func (s *Static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, s.prefix)
	ext := path.Ext(rest)
	base := strings.TrimSuffix(rest, ext)
	hash := ""
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base, hash = base[:i], base[i+1:]
	}
	a, ok := s.assets[base+ext]
	if !ok {
		http.Error(w, "文件不存在。", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	if hash == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.data))
}
