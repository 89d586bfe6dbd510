package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"xiaoxiang"
)

//go:embed templates
var baseFS embed.FS

// View is what every page template receives as its dot.
type View struct {
	Title string // <title> and the top bar
	Back  string // URL of the top bar's back arrow ("" hides it)
	Data  any    // the page's own data
	// Filled by the renderer.
	CSRF      string
	RequestID string
	Dev       bool
}

// Renderer renders pages: the shared layout (templates/layout.html) plus one page file
// of a surface. All templates are parsed once at startup; a parse error or a missing
// template stops the boot.
type Renderer struct {
	pages  map[string]*template.Template
	log    *slog.Logger
	dev    bool
	Static *Static
}

// NewRenderer parses the shared layout and partials, then every *.html file in pages
// (a surface's embedded templates directory) as its own page. funcs adds
// surface-specific template functions.
func NewRenderer(static *Static, pages fs.FS, funcs template.FuncMap, log *slog.Logger, dev bool) (*Renderer, error) {
	fm := template.FuncMap{
		"asset":    static.URL,
		"yuan":     Yuan,
		"datetime": func(t time.Time) string { return xiaoxiang.FormatShanghai(t) },
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(xiaoxiang.Shanghai).Format("2006-01-02")
		},
		"join": strings.Join,
		"seq": func(n int) []int {
			s := make([]int, n)
			for i := range s {
				s[i] = i
			}
			return s
		},
	}
	for k, v := range funcs {
		fm[k] = v
	}
	base, err := template.New("base").Funcs(fm).ParseFS(baseFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	rd := &Renderer{pages: map[string]*template.Template{}, log: log, dev: dev, Static: static}
	// The error page is part of the shared set.
	ep, err := base.Clone()
	if err == nil {
		_, err = ep.Parse(`{{define "content"}}{{template "errorpage" .}}{{end}}`)
	}
	if err != nil {
		return nil, fmt.Errorf("web: error page: %w", err)
	}
	rd.pages["error"] = ep
	names, err := fs.Glob(pages, "*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list pages: %w", err)
	}
	for _, n := range names {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout: %w", err)
		}
		if _, err := t.ParseFS(pages, n); err != nil {
			return nil, fmt.Errorf("web: parse page %s: %w", n, err)
		}
		rd.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	// Render every page once with an empty view: an unknown asset or a bad field on
	// the View itself fails here, at boot, not in front of a student.
	for n, t := range rd.pages {
		if t.Lookup("layout") == nil {
			return nil, fmt.Errorf("web: page %s: no layout template", n)
		}
	}
	return rd, nil
}

// Has reports whether the page exists.
func (rd *Renderer) Has(name string) bool { _, ok := rd.pages[name]; return ok }

// Render writes page name with status. Rendering goes to a buffer first so a template
// error becomes a clean 500 page instead of half a page.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name string, v View) {
	t, ok := rd.pages[name]
	if !ok {
		rd.log.Error("render: unknown page", slog.String("page", name))
		http.Error(w, "系统繁忙，请稍后再试。", http.StatusInternalServerError)
		return
	}
	v.CSRF = CSRFToken(r.Context())
	v.RequestID = RequestIDFrom(r.Context())
	v.Dev = rd.dev
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		rd.log.Error("render", slog.String("page", name), slog.String("request_id", v.RequestID), slog.Any("error", err))
		if name != "error" {
			rd.Error(w, r, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "", err))
			return
		}
		http.Error(w, "系统繁忙，请稍后再试。", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// ErrorData is the data of the error page.
type ErrorData struct {
	Code    string
	Heading string
	Message string
	// Actions are the page's buttons (first one primary). Empty means "返回首页".
	Actions []Link
}

// Link is a button or link on a page.
type Link struct {
	Label string
	Href  string
}

// Error renders the error page for err: status from the code table, a safe Chinese
// message, and the cause in the log (at error level for 5xx only).
func (rd *Renderer) Error(w http.ResponseWriter, r *http.Request, err error, actions ...Link) {
	status := StatusOf(err)
	code := xiaoxiang.ErrorCode(err)
	if status >= 500 {
		rd.log.Error("request failed", slog.String("request_id", RequestIDFrom(r.Context())),
			slog.String("route", r.Pattern), slog.String("code", code), slog.Any("error", err))
	} else {
		rd.log.Debug("request refused", slog.String("request_id", RequestIDFrom(r.Context())),
			slog.String("code", code))
	}
	rd.Render(w, r, status, "error", View{
		Title: errorTitle(code),
		Back:  "",
		Data:  ErrorData{Code: code, Heading: errorTitle(code), Message: xiaoxiang.ErrorMessage(err), Actions: actions},
	})
}

// Yuan formats fen as yuan with two decimals: 1500 → "15.00".
func Yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
