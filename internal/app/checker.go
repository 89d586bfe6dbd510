package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"strings"
	"sync"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/photo"
)

// photoChecker adapts the photo pipeline to core.Checker. The vision models load on
// first use (or when Warm is called at start), so a process that never sees a photo
// never pays for them.
type photoChecker struct {
	dir  string
	once sync.Once
	p    *photo.Pipeline
	err  error

	// recent keeps the last few check reports (decoded working image and analysis
	// included) so that 去制作, which normally follows the check of the same photo
	// within a minute, skips decoding and analysing it again.
	mu     sync.Mutex
	recent []recentReport
	hits   int // reports reused (for tests)
}

// recentReport is a check report kept for reuse, keyed by the SHA-256 of the original
// file and of the profile it was checked against.
type recentReport struct {
	key [32]byte
	rep *photo.Report
	at  time.Time
}

// Reuse bounds: a 2 MP working image with its mask is ≈ 10 MB, a pre-shrunk 12 MP one ≈ 7 MB.
const (
	recentReports   = 8
	recentReportTTL = 10 * time.Minute
)

func reportKey(original []byte, prof photo.Profile) [32]byte {
	pj, _ := json.Marshal(prof)
	h := sha256.New()
	h.Write(original)
	h.Write([]byte{0})
	h.Write(pj)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *photoChecker) remember(k [32]byte, rep *photo.Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, r := range c.recent {
		if r.key == k {
			c.recent = append(c.recent[:i], c.recent[i+1:]...)
			break
		}
	}
	if len(c.recent) >= recentReports {
		c.recent = c.recent[1:]
	}
	c.recent = append(c.recent, recentReport{key: k, rep: rep, at: time.Now()})
}

// take removes and returns a fresh report for k (a report is used for one standardization).
func (c *photoChecker) take(k [32]byte) *photo.Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, r := range c.recent {
		if r.key == k {
			c.recent = append(c.recent[:i], c.recent[i+1:]...)
			if time.Since(r.at) > recentReportTTL {
				return nil
			}
			c.hits++
			return r.rep
		}
	}
	return nil
}

var _ core.Checker = (*photoChecker)(nil)

// NewPhotoChecker returns the photo pipeline as a core.Checker; models load on first use.
func NewPhotoChecker(modelsDir string) core.Checker { return &photoChecker{dir: modelsDir} }

func (c *photoChecker) pipeline() (*photo.Pipeline, error) {
	c.once.Do(func() { c.p, c.err = photo.New(photo.Options{ModelsDir: c.dir}) })
	if c.err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.EUNAVAILABLE, "照片检测服务暂时不可用，请稍后再试。", c.err)
	}
	return c.p, nil
}

// Warm loads the models in advance.
func (c *photoChecker) Warm() error { _, err := c.pipeline(); return err }

func profileOf(sp *xiaoxiang.SpecProfile) (photo.Profile, error) {
	if sp != nil && strings.TrimSpace(sp.Spec) != "" {
		if p, err := photo.ParseProfile([]byte(sp.Spec)); err == nil {
			return p, nil
		}
	}
	id := ""
	if sp != nil {
		id = sp.ID
	}
	p, err := photo.LookupProfile(id)
	if err != nil {
		return photo.Profile{}, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "", err)
	}
	return p, nil
}

func decode(original []byte) (*photo.Image, error) {
	img, err := photo.DecodeBytes(original, photo.DefaultLimits())
	if err != nil {
		var pe *photo.Error
		if errors.As(err, &pe) {
			return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, pe.Message, err)
		}
		return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, "无法识别的照片文件，请重新拍摄或选择JPG/PNG照片。", err)
	}
	return img, nil
}

func (c *photoChecker) Check(ctx context.Context, original []byte, sp *xiaoxiang.SpecProfile) (*core.CheckResult, error) {
	p, err := c.pipeline()
	if err != nil {
		return nil, err
	}
	prof, err := profileOf(sp)
	if err != nil {
		return nil, err
	}
	img, err := decode(original)
	if err != nil {
		return nil, err
	}
	rep, err := p.Check(ctx, img, prof)
	if err != nil {
		return nil, fmt.Errorf("app: photo check: %w", err)
	}
	c.remember(reportKey(original, prof), rep)
	raw, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("app: photo check: %w", err)
	}
	return &core.CheckResult{Width: img.Width, Height: img.Height, Verdict: string(rep.Verdict), Report: raw}, nil
}

func (c *photoChecker) Standardize(ctx context.Context, original []byte, sp *xiaoxiang.SpecProfile) (*core.StandardizeResult, error) {
	p, err := c.pipeline()
	if err != nil {
		return nil, err
	}
	prof, err := profileOf(sp)
	if err != nil {
		return nil, err
	}
	var res *photo.Result
	if rep := c.take(reportKey(original, prof)); rep != nil {
		res, err = p.StandardizeReport(ctx, rep, prof)
	} else {
		img, derr := decode(original)
		if derr != nil {
			return nil, derr
		}
		res, err = p.Standardize(ctx, img, prof)
	}
	if err != nil {
		return nil, fmt.Errorf("app: standardize: %w", err)
	}
	if res.JPEG == nil {
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "这张照片无法按规格制作标准照：%s本次不计入制作次数，请按提示重新拍摄。", failures(res))
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("app: standardize: %w", err)
	}
	return &core.StandardizeResult{JPEG: res.JPEG, Result: raw}, nil
}

// failures lists the messages of the failed checks, for the student.
func failures(res *photo.Result) string {
	var msgs []string
	seen := map[string]bool{}
	add := func(cs []photo.Check) {
		for _, c := range cs {
			if c.Verdict == photo.Fail && c.Message != "" && !seen[c.Message] {
				seen[c.Message] = true
				msgs = append(msgs, c.Message)
			}
		}
	}
	if res.Report != nil {
		add(res.Report.Checks)
	}
	add(res.Verify)
	if len(msgs) == 0 {
		return "人像位置或大小无法满足规格要求。"
	}
	if len(msgs) > 3 {
		msgs = msgs[:3]
	}
	return strings.Join(msgs, "；") + "。"
}

// annotate draws the planned crop of the standard photo on the original (the quality
// report's measures; the ten items are listed beside it in Chinese), as a JPEG.
func annotate(original []byte, reportJSON string) ([]byte, error) {
	img, err := photo.DecodeBytes(original, photo.DefaultLimits())
	if err != nil {
		return nil, fmt.Errorf("app: annotate: %w", err)
	}
	var rep photo.Report
	if err := json.Unmarshal([]byte(reportJSON), &rep); err != nil {
		return nil, fmt.Errorf("app: annotate: report: %w", err)
	}
	out := photo.Annotate(img, &photo.Report{Measures: rep.Measures})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85}); err != nil {
		return nil, fmt.Errorf("app: annotate: encode: %w", err)
	}
	return buf.Bytes(), nil
}
