// Package api is the JSON API under /api/v1 for a thin WeChat mini-program shell: the
// same use cases as the student pages (login with a wx.login code, schools, tasks,
// 关联, orders, upload, check, standardize, submit, status). Requests carry a bearer
// session token; errors are {"code", "message"} with a Chinese message and the status
// from the one table in internal/web. docs/openapi.yaml documents it.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/web"
)

// MiniLogin exchanges a wx.login code for the WeChat identity.
type MiniLogin interface {
	Code2Session(ctx context.Context, code string) (core.LoginInput, error)
}

// Options configure the API handler.
type Options struct {
	Core     *core.Service
	Tokens   *web.SessionCodec
	Login    MiniLogin
	TokenTTL time.Duration
	Log      *slog.Logger
	Now      func() time.Time
}

// Handler serves /api/v1.
type Handler struct {
	o   Options
	mux *http.ServeMux
}

// New returns the API handler.
func New(o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 7 * 24 * time.Hour
	}
	h := &Handler{o: o, mux: http.NewServeMux()}
	h.routes()
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

// maxJSON bounds JSON request bodies; photos have their own limit.
const (
	maxJSON  = 64 << 10
	maxPhoto = 20 << 20
)

var errNoRoute = xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "接口不存在。")

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errNoRoute) }

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Error is the error body.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fail answers with the error's status and {"code","message"}; 5xx causes are logged.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.StatusOf(err)
	if status >= 500 {
		h.o.Log.Error("api request failed", slog.String("request_id", web.RequestIDFrom(r.Context())),
			slog.String("route", r.Pattern), slog.Any("error", err))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="xiaoxiang"`)
	}
	writeJSON(w, status, Error{Code: xiaoxiang.ErrorCode(err), Message: xiaoxiang.ErrorMessage(err)})
}

var (
	errNoToken   = xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "请先登录。")
	errBadToken  = xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "登录凭证无效，请重新登录。")
	errExpired   = xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "登录已过期，请重新登录。")
	errBadJSON   = xiaoxiang.Errorf(xiaoxiang.EINVALID, "请求格式错误。")
	errBadID     = xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "请求的资源不存在。")
	errNoPhoto   = xiaoxiang.Errorf(xiaoxiang.EINVALID, "没有收到照片，请重新拍摄或选择照片。")
	errTooLarge  = xiaoxiang.Errorf(xiaoxiang.EINVALID, "照片文件太大，请选择不超过20MB的照片。")
	errPhotoKind = xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "照片类型只能是 original 或 standardized。")
)

// authed wraps a handler that needs a logged-in account.
func (h *Handler) authed(fn func(w http.ResponseWriter, r *http.Request, accountID int64)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || tok == "" {
			h.fail(w, r, errNoToken)
			return
		}
		s, err := h.o.Tokens.Decode(strings.TrimSpace(tok), h.o.Now())
		switch {
		case errors.Is(err, web.ErrSessionExpired):
			h.fail(w, r, errExpired)
			return
		case err != nil:
			h.fail(w, r, errBadToken)
			return
		}
		if _, err := h.o.Core.Account(r.Context(), s.AccountID); err != nil {
			if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
				err = errBadToken
			}
			h.fail(w, r, err)
			return
		}
		fn(w, r, s.AccountID)
	}
}

func decode(r *http.Request, w http.ResponseWriter, v any) error {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请求须为 JSON（Content-Type: application/json）。")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadJSON
	}
	return nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadID
	}
	return id, nil
}

// readPhoto reads an uploaded photo of at most maxPhoto bytes.
func readPhoto(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPhoto+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, errNoPhoto
	}
	if len(b) > maxPhoto {
		return nil, errTooLarge
	}
	if len(b) == 0 {
		return nil, errNoPhoto
	}
	return b, nil
}
