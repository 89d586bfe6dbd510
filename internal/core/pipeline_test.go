package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
	"xiaoxiang/internal/testenv"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/photo"
)

// realChecker adapts the real photo pipeline (internal/photo) to
// core.Checker for this test, the way internal/app does in production.
type realChecker struct{ p *photo.Pipeline }

func (c realChecker) profile(sp *xiaoxiang.SpecProfile) (photo.Profile, error) {
	if sp.Spec != "" {
		return photo.ParseProfile([]byte(sp.Spec))
	}
	return photo.LookupProfile(sp.ID)
}

func (c realChecker) decode(data []byte) (*photo.Image, error) {
	img, err := photo.DecodeBytes(data, photo.DefaultLimits())
	if err != nil {
		var pe *photo.Error
		if errors.As(err, &pe) {
			return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, pe.Message, err)
		}
		return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, "无法识别的照片文件。", err)
	}
	return img, nil
}

func (c realChecker) Check(ctx context.Context, data []byte, sp *xiaoxiang.SpecProfile) (*core.CheckResult, error) {
	prof, err := c.profile(sp)
	if err != nil {
		return nil, err
	}
	img, err := c.decode(data)
	if err != nil {
		return nil, err
	}
	rep, err := c.p.Check(ctx, img, prof)
	if err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(rep)
	return &core.CheckResult{Width: img.Width, Height: img.Height, Verdict: string(rep.Verdict), Report: raw}, nil
}

func (c realChecker) Standardize(ctx context.Context, data []byte, sp *xiaoxiang.SpecProfile) (*core.StandardizeResult, error) {
	prof, err := c.profile(sp)
	if err != nil {
		return nil, err
	}
	img, err := c.decode(data)
	if err != nil {
		return nil, err
	}
	res, err := c.p.Standardize(ctx, img, prof)
	if err != nil {
		return nil, err
	}
	if res.JPEG == nil {
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "这张照片无法按规格制作标准照，本次不计入制作次数。")
	}
	raw, _ := json.Marshal(res)
	return &core.StandardizeResult{JPEG: res.JPEG, Result: raw}, nil
}

// TestRealPipeline runs upload → check → standardize → submit with the real
// photo pipeline when the models (make models) and a portrait are present
// (the shared development set, else the pigo fixture from make fixtures,
// which the pipeline may refuse to standardize: then the quota must be
// given back).
func TestRealPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("real pipeline: skipped in -short")
	}
	models := filepath.Join("..", "..", "models")
	if _, err := os.Stat(filepath.Join(models, "face_detection_short_range.tflite")); err != nil {
		t.Skip("real pipeline: models missing (make models)")
	}
	var fixture []byte
	for _, p := range []string{filepath.Join(testenv.PortraitsDir(t), "hivision_test3.jpg"), filepath.Join(testenv.FixturesDir(t), "pigo_sample.jpg")} {
		if b, err := os.ReadFile(p); err == nil {
			fixture = b
			break
		}
	}
	if fixture == nil {
		t.Skip("real pipeline: pigo_sample.jpg missing (make fixtures)")
	}
	p, err := photo.New(photo.Options{ModelsDir: models})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.svc = core.New(e.db, e.bucket, e.keys, realChecker{p}, e.opts)
	a, b := e.linked("o-ding", "丁白云", idDing)

	t0 := time.Now()
	v, err := e.svc.Upload(e.ctx, a.ID, b.ID, core.UploadInput{Data: bytes.NewReader(fixture), Source: "album"})
	if err != nil {
		t.Fatal(err)
	}
	checkTook := time.Since(t0)
	var rep struct {
		Verdict string            `json:"verdict"`
		Checks  []json.RawMessage `json:"checks"`
	}
	if err := json.Unmarshal([]byte(v.Attempt.ReportJSON), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	if v.Attempt.Verdict == "" || len(rep.Checks) < 10 {
		t.Fatalf("attempt = %+v", v.Attempt)
	}
	t0 = time.Now()
	v, err = e.svc.Standardize(e.ctx, a.ID, v.Attempt.ID)
	stdTook := time.Since(t0)
	if err != nil {
		// The pipeline may refuse this photo (that is a check result, and the
		// quota unit must come back).
		wantCode(t, "Standardize", err, xiaoxiang.EINVALID)
		if q := must(e.svc.QuotaToday(e.ctx, a.ID, b.ID))(t); q.Remaining != 3 {
			t.Fatalf("a refused standardization used quota: %+v", q)
		}
		t.Logf("real pipeline refused the fixture: %s", xiaoxiang.ErrorMessage(err))
		return
	}
	rc := must(e.svc.OpenPhoto(e.ctx, a.ID, v.Attempt.ID, core.PhotoStandardized))(t)
	out, _ := io.ReadAll(rc)
	rc.Close()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
	if err != nil || cfg.Width != 480 || cfg.Height != 640 {
		t.Fatalf("standardized photo: %v %dx%d", err, cfg.Width, cfg.Height)
	}
	if len(out) < 20<<10 || len(out) > 40<<10 {
		t.Errorf("standardized photo is %d bytes, want 20–40 KB", len(out))
	}
	sub := must(e.svc.Submit(e.ctx, a.ID, v.Attempt.ID))(t)
	if sub.Status != xiaoxiang.SubmissionPending {
		t.Fatalf("submission %s", sub.Status)
	}
	t.Logf("real pipeline: check %v (verdict %s, %d checks), standardize %v, %s", checkTook.Round(time.Millisecond), rep.Verdict, len(rep.Checks),
		stdTook.Round(time.Millisecond), fmt.Sprintf("%d bytes", len(out)))
}
