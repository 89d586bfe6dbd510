package photo

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sort"
	"time"

	"xiaoxiang/internal/vision"
)

// Options configure a Pipeline.
type Options struct {
	// ModelsDir holds the vision models (ignored when Analyzer is set).
	ModelsDir string
	// Analyzer lets callers share one loaded vision engine.
	Analyzer *vision.Analyzer
	// Workers bounds how many photos are processed at the same time (memory bound);
	// ≤ 0 means 2.
	Workers int
}

// Pipeline runs quality checks and standardization. It is safe for concurrent use; at most
// Options.Workers photos are in flight, further calls wait (or give up with their context).
type Pipeline struct {
	an  *vision.Analyzer
	sem chan struct{}
}

// New loads the vision models (unless an Analyzer is given).
func New(o Options) (*Pipeline, error) {
	an := o.Analyzer
	if an == nil {
		var err error
		an, err = vision.New(vision.Options{ModelsDir: o.ModelsDir, Concurrency: max(1, o.Workers)})
		if err != nil {
			return nil, fmt.Errorf("photo: load vision models: %w", err)
		}
	}
	w := o.Workers
	if w <= 0 {
		w = 2
	}
	return &Pipeline{an: an, sem: make(chan struct{}, w)}, nil
}

// Source describes the input file.
type Source struct {
	Format      string `json:"format"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Orientation int    `json:"orientation"`
	Shrink      int    `json:"shrink"`
	Bytes       int    `json:"bytes"`
}

// Report is the result of the quality check of one photo against one profile.
type Report struct {
	Profile  string   `json:"profile"`
	Verdict  Verdict  `json:"verdict"`
	Checks   []Check  `json:"checks"`
	Measures Measures `json:"measures"`
	Source   Source   `json:"source"`
	// Timings in milliseconds (analysis, checks).
	Timings map[string]float64 `json:"timings_ms"`

	analysis *vision.Analysis
	img      *Image
}

// Analysis returns the vision analysis behind the report (for drawing and debugging).
func (r *Report) Analysis() *vision.Analysis { return r.analysis }

func (p *Pipeline) acquire(ctx context.Context) error {
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("photo: wait for a worker: %w", ctx.Err())
	}
}

func (p *Pipeline) release() { <-p.sem }

// Check analyses img and runs every quality check of profile prof.
func (p *Pipeline) Check(ctx context.Context, img *Image, prof Profile) (*Report, error) {
	if err := p.acquire(ctx); err != nil {
		return nil, err
	}
	defer p.release()
	return p.check(ctx, img, &prof)
}

func (p *Pipeline) check(ctx context.Context, img *Image, prof *Profile) (*Report, error) {
	if img == nil || img.RGBA == nil {
		return nil, errors.New("photo: check: nil image")
	}
	if err := prof.Validate(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	a, err := p.an.Analyze(ctx, img.RGBA, vision.AnalyzeOptions{Mask: true, PoseFallback: true})
	if err != nil {
		return nil, fmt.Errorf("photo: analyze: %w", err)
	}
	t1 := time.Now()
	m := measure(img.RGBA, a, prof, max(1, img.Shrink))
	checks := evaluate(m, prof)
	rep := &Report{
		Profile: prof.ID, Checks: checks, Verdict: Overall(checks), Measures: m,
		Source:   Source{Format: img.Format, Width: img.Width, Height: img.Height, Orientation: img.Orientation, Shrink: img.Shrink, Bytes: img.Bytes},
		Timings:  map[string]float64{"analysis": ms(t1.Sub(t0)), "checks": ms(time.Since(t1))},
		analysis: a, img: img,
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// OutputMeasures are the spec numbers measured on the standardized file itself.
type OutputMeasures struct {
	W            int     `json:"width"`
	H            int     `json:"height"`
	Bytes        int     `json:"bytes"`
	Quality      int     `json:"quality"` // estimated from the quantisation table
	DPI          int     `json:"dpi"`
	Baseline     bool    `json:"baseline"`
	EXIF         bool    `json:"exif"`
	HeadTop      float64 `json:"head_top"`
	EyeLine      float64 `json:"eye_line"`
	FaceWidth    float64 `json:"face_width"`
	CentreOffset float64 `json:"centre_offset"` // face centre minus image centre, px
	BgDeltaE     float64 `json:"bg_delta_e"`    // mean ΔE of background samples vs spec colour
	BgDeltaE95   float64 `json:"bg_delta_e_95"` // 95th percentile
}

// Result is a standardized photo.
type Result struct {
	// JPEG is the output file; nil when the photo cannot meet the profile.
	JPEG []byte `json:"-"`
	// Quality is the JPEG quality used.
	Quality int `json:"quality"`
	// Verdict is the worst of the input checks and the output verification.
	Verdict Verdict `json:"verdict"`
	// Report is the input quality check.
	Report *Report `json:"report"`
	// Output holds the numbers measured on the output; Verify the checks of those numbers.
	Output OutputMeasures `json:"output"`
	Verify []Check        `json:"verify"`
	// Timings in milliseconds (analysis, checks, matte, encode, verify).
	Timings map[string]float64 `json:"timings_ms"`

	image    *image.RGBA
	verifyAn *vision.Analysis
}

// Image returns the standardized pixels (nil when no file was made).
func (r *Result) Image() *image.RGBA { return r.image }

// errNoOutput explains why no file was produced.
var errNoOutput = errors.New("photo cannot meet the profile")

// Standardize checks img, and when the profile's geometry can be met, crops and scales it,
// replaces the background, encodes the JPEG and verifies the file by analysing it again.
// Input check failures other than framing are advisory: the file is still made and the
// Result's Verdict says fail. When geometry cannot be met, or the output does not verify,
// Result.JPEG is nil and Verdict is fail (the error is nil: the photo, not the call, failed).
func (p *Pipeline) Standardize(ctx context.Context, img *Image, prof Profile) (*Result, error) {
	if err := p.acquire(ctx); err != nil {
		return nil, err
	}
	defer p.release()
	rep, err := p.check(ctx, img, &prof)
	if err != nil {
		return nil, err
	}
	return p.standardize(ctx, rep, img, &prof)
}

// StandardizeReport standardizes the photo behind a report from Check in the same process
// (the student looked at the check result, then pressed 去制作), reusing its analysis. The
// profile must be the one the report was made for.
func (p *Pipeline) StandardizeReport(ctx context.Context, rep *Report, prof Profile) (*Result, error) {
	if rep == nil || rep.analysis == nil || rep.img == nil {
		return nil, errors.New("photo: standardize: report has no analysis (not from Check in this process)")
	}
	if rep.Profile != prof.ID {
		return nil, fmt.Errorf("photo: standardize: report is for profile %q, not %q", rep.Profile, prof.ID)
	}
	if err := prof.Validate(); err != nil {
		return nil, err
	}
	if err := p.acquire(ctx); err != nil {
		return nil, err
	}
	defer p.release()
	return p.standardize(ctx, rep, rep.img, &prof)
}

func (p *Pipeline) standardize(ctx context.Context, rep *Report, img *Image, profp *Profile) (*Result, error) {
	prof := *profp
	res := &Result{Report: rep, Verdict: rep.Verdict, Timings: map[string]float64{}}
	for k, v := range rep.Timings {
		res.Timings[k] = v
	}
	if !standardizable(rep) {
		res.Verdict = Fail
		return res, nil
	}
	pl := rep.Measures.Plan
	t0 := time.Now()
	a := rep.analysis
	res.image = renderStandard(img, a, pl, &prof)
	t1 := time.Now()
	fit, err := FitJPEG(res.image, prof.MinQuality, 100, prof.MinBytes, prof.MaxBytes, prof.DPI)
	t2 := time.Now()
	res.Timings["matte"] = ms(t1.Sub(t0))
	res.Timings["encode"] = ms(t2.Sub(t1))
	if err != nil {
		res.Verdict = Fail
		res.Verify = append(res.Verify, Check{ID: CheckOutBytes, Name: "文件大小", Unit: "KB", Verdict: Fail,
			Range:   fmt.Sprintf("%d–%d KB，质量 ≥ %d", prof.MinBytes>>10, prof.MaxBytes>>10, prof.MinQuality),
			Message: "照片细节过多或过少，无法在规定文件大小内保证画质，请换一张背景简单、对焦清晰的照片"})
		if fit != nil {
			res.Verify[0].Value = math.Round(float64(len(fit.Data))/1024*10) / 10
		}
		res.image = nil
		return res, nil
	}
	res.Quality = fit.Quality
	if err := p.verify(ctx, res, fit.Data, &prof); err != nil {
		return nil, err
	}
	res.Timings["verify"] = ms(time.Since(t2))
	res.Verdict = worst(rep.Verdict, Overall(res.Verify))
	if Overall(res.Verify) == Fail {
		res.image = nil
		return res, nil
	}
	res.JPEG = fit.Data
	return res, nil
}

// standardizable: a face, a complete head and a reachable geometry.
func standardizable(r *Report) bool {
	for _, c := range r.Checks {
		switch c.ID {
		case CheckSingleFace, CheckHeadComplete, CheckFaceComplete, CheckFraming:
			if c.Verdict == Fail && !(c.ID == CheckSingleFace && r.Measures.Faces > 1) {
				return false
			}
		}
	}
	return r.Measures.FaceFound && r.Measures.Plan.Feasible && r.analysis.Mask != nil
}

// verify decodes the output file, analyses it and measures every spec number.
func (p *Pipeline) verify(ctx context.Context, res *Result, data []byte, prof *Profile) error {
	om := &res.Output
	info, err := ParseJPEG(data)
	if err != nil {
		return fmt.Errorf("photo: verify: %w", err)
	}
	om.W, om.H, om.Bytes, om.Quality = info.Width, info.Height, len(data), info.Quality
	if info.JFIF && info.JFIFUnits == 1 && info.XDensity == info.YDensity {
		om.DPI = info.XDensity
	}
	om.Baseline, om.EXIF = info.Baseline, info.EXIF
	img, err := DecodeBytes(data, Limits{MaxBytes: int64(len(data)), MaxPixels: int64(prof.Width * prof.Height)})
	if err != nil {
		return fmt.Errorf("photo: verify: decode own output: %w", err)
	}
	// The output holds one centred face on a plain background, where the plan put it: the
	// input's mesh mapped through the crop and scale tells the vision engine where to run
	// the face mesh (no detector pass, one mesh pass); everything is measured on the file.
	opts := vision.AnalyzeOptions{Mask: true, FastFaces: true}
	if rep := res.Report; rep != nil && rep.analysis != nil && rep.analysis.Main != nil {
		pl := rep.Measures.Plan
		hint := make([]vision.Point3, len(rep.analysis.Main.Mesh))
		for i, q := range rep.analysis.Main.Mesh {
			hint[i] = vision.Point3{X: (q.X - pl.CropX) * pl.Scale, Y: (q.Y - pl.CropY) * pl.Scale, Z: q.Z * pl.Scale}
		}
		opts.FaceHint = hint
	}
	a, err := p.an.Analyze(ctx, img.RGBA, opts)
	if err != nil {
		return fmt.Errorf("photo: verify: analyze: %w", err)
	}
	res.verifyAn = a
	var vs []Check
	add := func(c Check) { vs = append(vs, c) }
	W := float64(prof.Width)
	add(Check{ID: CheckOutSize, Name: "尺寸", Value: float64(om.W), Unit: "px",
		Range: fmt.Sprintf("%d×%d", prof.Width, prof.Height), Verdict: okIf(om.W == prof.Width && om.H == prof.Height)})
	kb := float64(om.Bytes) / 1024
	add(Check{ID: CheckOutBytes, Name: "文件大小", Value: math.Round(kb*10) / 10, Unit: "KB",
		Range:   fmt.Sprintf("%s–%s KB", f0(float64(prof.MinBytes)/1024), f0(float64(prof.MaxBytes)/1024)),
		Verdict: okIf(om.Bytes >= prof.MinBytes && om.Bytes <= prof.MaxBytes)})
	add(Check{ID: CheckOutQuality, Name: "压缩质量", Value: float64(om.Quality),
		Range: fmt.Sprintf("≥ %d", prof.MinQuality), Verdict: okIf(om.Quality >= prof.MinQuality)})
	add(Check{ID: CheckOutFormat, Name: "文件格式", Value: float64(om.DPI), Unit: "dpi",
		Range:   fmt.Sprintf("JPEG 基线，JFIF %d dpi，无 EXIF", prof.DPI),
		Verdict: okIf(om.DPI == prof.DPI && om.Baseline && !om.EXIF && info.JFIF && info.Components == 3 && len(info.OtherAPP) == 0)})
	d := a.Main
	if d == nil || len(d.Mesh) < 468 || !a.HeadTopFound {
		add(Check{ID: CheckOutFace, Name: "制作结果人脸", Range: "可检测到人脸和头顶", Verdict: Fail,
			Message: "制作后的照片无法通过复核，请换一张照片"})
	} else {
		om.HeadTop = math.Round(a.HeadTop.Y*10) / 10
		om.EyeLine = math.Round(d.EyeLine*10) / 10
		om.FaceWidth = math.Round(d.FaceWidth*10) / 10
		om.CentreOffset = math.Round(((d.Mesh[454].X+d.Mesh[234].X)/2-W/2)*10) / 10
		rangeCheck := func(id, name string, v float64, r Range) {
			add(Check{ID: id, Name: name, Value: v, Unit: "px", Range: fmt.Sprintf("%s–%s px", f0(r.Min), f0(r.Max)), Verdict: okIf(r.Contains(v))})
		}
		rangeCheck(CheckOutHeadTop, "头顶距上边", om.HeadTop, prof.HeadTop)
		rangeCheck(CheckOutEyeLine, "眼睛距上边", om.EyeLine, prof.EyeLine)
		rangeCheck(CheckOutFaceWidth, "脸宽", om.FaceWidth, prof.FaceWidth)
		add(Check{ID: CheckOutCentre, Name: "水平居中", Value: om.CentreOffset, Unit: "px",
			Range: fmt.Sprintf("偏移 ≤ %s px", f0(W*0.03)), Verdict: okIf(math.Abs(om.CentreOffset) <= W*0.03)})
	}
	om.BgDeltaE, om.BgDeltaE95 = outputBackground(img.RGBA, a, prof)
	add(Check{ID: CheckOutBackground, Name: "背景颜色", Value: math.Round(om.BgDeltaE*10) / 10, Unit: "ΔE",
		Range:   fmt.Sprintf("与 RGB(%d,%d,%d) 色差 ≤ %s", prof.Background[0], prof.Background[1], prof.Background[2], f0(prof.Thresholds.OutBgDeltaEMax)),
		Verdict: okIf(om.BgDeltaE <= prof.Thresholds.OutBgDeltaEMax && om.BgDeltaE95 <= 2*prof.Thresholds.OutBgDeltaEMax)})
	for i := range vs {
		if vs[i].Verdict == Fail && vs[i].Message == "" {
			vs[i].Message = "制作结果未达到规格要求，请换一张照片重新制作"
		}
	}
	res.Verify = vs
	return nil
}

func okIf(b bool) Verdict {
	if b {
		return Pass
	}
	return Fail
}

// outputBackground returns the mean and 95th-percentile ΔE between background pixels of the
// output (mask < 0.02 and at least 8 px from the person) and the spec colour.
func outputBackground(img *image.RGBA, a *vision.Analysis, prof *Profile) (mean, p95 float64) {
	W, H := img.Rect.Dx(), img.Rect.Dy()
	target := rgbToLab(prof.Background[0], prof.Background[1], prof.Background[2])
	far := make([]float32, W*H)
	if a.Mask != nil && a.Mask.W == W && a.Mask.H == H {
		for i, v := range a.Mask.Pix {
			far[i] = float32(v) / 255
		}
		boxBlur(far, make([]float32, W*H), W, H, 1, 8)
	}
	var des []float64
	for y := 0; y < H; y += 2 {
		for x := 0; x < W; x += 2 {
			if far[y*W+x] > 0.002 {
				continue
			}
			q := img.Pix[y*img.Stride+4*x:]
			des = append(des, deltaE76(rgbToLab(q[0], q[1], q[2]), target))
		}
	}
	if len(des) == 0 {
		return 99, 99
	}
	var s float64
	for _, v := range des {
		s += v
	}
	sort.Float64s(des)
	return s / float64(len(des)), des[len(des)*95/100]
}
