package photo

import (
	"context"
	"image"
	"image/color"
	"math"
	"sync"
	"testing"

	"xiaoxiang/internal/vision"
)

var (
	pipeOnce sync.Once
	pipe     *Pipeline
	pipeErr  error
)

// testPipeline loads the models once per test binary.
func testPipeline(t *testing.T) *Pipeline {
	t.Helper()
	pipeOnce.Do(func() { pipe, pipeErr = New(Options{ModelsDir: modelsDir(t), Workers: 2}) })
	if pipeErr != nil {
		t.Fatalf("load models (run scripts/fetch-models.sh): %v", pipeErr)
	}
	return pipe
}

func fromRGBA(m *image.RGBA) *Image {
	return &Image{RGBA: m, Format: "test", Width: m.Rect.Dx(), Height: m.Rect.Dy(), Orientation: 1, Shrink: 1}
}

func checkByID(cs []Check, id string) Check {
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	return Check{ID: id, Verdict: "missing"}
}

func chsiBlue() Profile { p, _ := LookupProfile("chsi-blue"); return p }

// Derived images with known truth: each alteration of a good photo must trip its check.
func TestChecksOnDerivedImages(t *testing.T) {
	pl := testPipeline(t)
	base := mustDecode(t, fixture(t, "pigo_sample.jpg")).RGBA
	ctx := context.Background()
	prof := chsiBlue()
	ref, err := pl.Check(ctx, fromRGBA(base), prof)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{CheckSingleFace, CheckFacePose, CheckHeadComplete, CheckFaceComplete, CheckBlur, CheckBrightness, CheckEyes, CheckMouth} {
		if c := checkByID(ref.Checks, id); c.Verdict != Pass {
			t.Fatalf("reference photo: %s is %s (%v %s)", id, c.Verdict, c.Value, c.Message)
		}
	}
	cases := []struct {
		name  string
		img   *image.RGBA
		id    string
		want  []Verdict
		value func(m Measures) bool
	}{
		{"blurred", blurRGBA(base, 4), CheckBlur, []Verdict{Warn, Fail}, func(m Measures) bool { return m.Sharpness < ref.Measures.Sharpness/2 }},
		{"darkened", scaleRGBA(base, 0.22), CheckBrightness, []Verdict{Fail}, nil},
		{"overexposed", liftRGBA(base, 4), CheckBrightness, []Verdict{Warn, Fail}, nil},
		{"rotated 20°", rotateRGBA(base, 20), CheckFacePose, []Verdict{Fail}, func(m Measures) bool { return math.Abs(math.Abs(m.Roll)-20) < 6 }},
		{"cropped above the eyebrows", cropRGBA(base, image.Rect(0, 110, 320, 400)), CheckHeadComplete, []Verdict{Fail}, nil},
		{"eyes covered by a dark band", coverEyes(base, ref.Analysis()), CheckEyes, []Verdict{Fail}, nil},
		{"shrunk into a large frame", shrinkInto(base, 3), CheckFaceSize, []Verdict{Fail, Warn}, func(m Measures) bool { return m.FaceWidthPx < 100 }},
		{"two people", sideBySide(base), CheckSingleFace, []Verdict{Fail}, func(m Measures) bool { return m.Faces == 2 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := pl.Check(ctx, fromRGBA(c.img), prof)
			if err != nil {
				t.Fatal(err)
			}
			got := checkByID(rep.Checks, c.id)
			ok := false
			for _, v := range c.want {
				ok = ok || got.Verdict == v
			}
			if !ok {
				t.Errorf("%s: verdict %s (value %v), want one of %v", c.id, got.Verdict, got.Value, c.want)
			}
			if got.Verdict != Pass && got.Message == "" {
				t.Errorf("%s: no advice message", c.id)
			}
			if rep.Verdict == Pass {
				t.Errorf("overall verdict pass for a defective photo")
			}
			if c.value != nil && !c.value(rep.Measures) {
				t.Errorf("measures not as expected: %+v", rep.Measures)
			}
		})
	}
}

// Golden: a head-and-shoulders dev portrait standardizes to exactly the file and geometry the
// spec asks for.
func TestStandardizeGolden(t *testing.T) {
	pl := testPipeline(t)
	img := mustDecode(t, devPhoto(t, "u2net_man.jpg"))
	prof := chsiBlue()
	res, err := pl.Standardize(context.Background(), img, prof)
	if err != nil {
		t.Fatal(err)
	}
	if res.JPEG == nil || res.Verdict != Pass {
		t.Fatalf("verdict %s, output %v; checks %+v verify %+v", res.Verdict, res.JPEG != nil, res.Report.Checks, res.Verify)
	}
	assertMeetsProfile(t, res, prof)
	// Background far from the person is the spec colour (top corners, upper sides).
	out := mustDecode(t, res.JPEG).RGBA
	for _, p := range []image.Point{{5, 5}, {474, 5}, {5, 200}, {474, 200}} {
		c := out.RGBAAt(p.X, p.Y)
		if absd(c.R, 100) > 4 || absd(c.G, 197) > 4 || absd(c.B, 255) > 4 {
			t.Errorf("background at %v is %v, want ≈ (100,197,255)", p, c)
		}
	}
	// The person is neither mirrored nor rotated: roll and the yaw sign are kept.
	in, o := res.Report.Measures, res.verifyAn.Main
	if o == nil || math.Abs(o.Pose.Roll-in.Roll) > 3 || math.Abs(o.Pose.Yaw-in.Yaw) > 4 {
		t.Errorf("output pose differs from the input pose")
	}
	// Geometry lands near the middle of each range and the face is centred.
	g := res.Output
	for _, c := range []struct {
		v float64
		r Range
	}{{g.HeadTop, prof.HeadTop}, {g.EyeLine, prof.EyeLine}, {g.FaceWidth, prof.FaceWidth}} {
		if math.Abs(c.v-c.r.Mid()) > 0.6*c.r.Half() {
			t.Errorf("%.1f far from the middle of %v", c.v, c.r)
		}
	}
	if math.Abs(g.CentreOffset) > 5 {
		t.Errorf("centre offset %.1f", g.CentreOffset)
	}
}

// The registry portrait is a close crop (neck, top of the shirt): the spec's 640-px frame
// would need body below the photo's bottom edge, so no file and a framing failure that says
// to step back.
func TestStandardizeRefusesCloseCrop(t *testing.T) {
	pl := testPipeline(t)
	res, err := pl.Standardize(context.Background(), mustDecode(t, fixture(t, "pigo_sample.jpg")), chsiBlue())
	if err != nil {
		t.Fatal(err)
	}
	if res.JPEG != nil || res.Verdict != Fail {
		t.Fatalf("made a file (verdict %s)", res.Verdict)
	}
	if c := checkByID(res.Report.Checks, CheckFraming); c.Verdict != Fail || res.Report.Measures.Plan.Problem != "bottom" {
		t.Errorf("framing %+v, problem %q", c, res.Report.Measures.Plan.Problem)
	}
	// The small profile needs less body below the chin relative to the face: it can be made.
	res, err = pl.Standardize(context.Background(), mustDecode(t, fixture(t, "pigo_sample.jpg")), mustProfile(t, "zikao-degree"))
	if err != nil {
		t.Fatal(err)
	}
	if res.JPEG != nil {
		assertMeetsProfile(t, res, mustProfile(t, "zikao-degree"))
	}
}

func mustProfile(t testing.TB, id string) Profile {
	p, err := LookupProfile(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func absd(a, b uint8) int {
	d := int(a) - int(b)
	if d < 0 {
		return -d
	}
	return d
}

// assertMeetsProfile re-checks an output independently of the pipeline's own verification.
func assertMeetsProfile(t *testing.T, res *Result, prof Profile) {
	t.Helper()
	info, err := ParseJPEG(res.JPEG)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != prof.Width || info.Height != prof.Height {
		t.Errorf("%s: size %dx%d", prof.ID, info.Width, info.Height)
	}
	if n := len(res.JPEG); n < prof.MinBytes || n > prof.MaxBytes {
		t.Errorf("%s: %d bytes outside %d–%d", prof.ID, n, prof.MinBytes, prof.MaxBytes)
	}
	if info.Quality < prof.MinQuality || info.Quality != res.Quality {
		t.Errorf("%s: quality %d (used %d), min %d", prof.ID, info.Quality, res.Quality, prof.MinQuality)
	}
	if !info.JFIF || info.JFIFUnits != 1 || info.XDensity != prof.DPI || info.YDensity != prof.DPI {
		t.Errorf("%s: JFIF density %d/%dx%d", prof.ID, info.JFIFUnits, info.XDensity, info.YDensity)
	}
	if info.EXIF || len(info.OtherAPP) > 0 || !info.Baseline || info.Components != 3 {
		t.Errorf("%s: exif %v other %v baseline %v", prof.ID, info.EXIF, info.OtherAPP, info.Baseline)
	}
	o := res.Output
	if !prof.HeadTop.Contains(o.HeadTop) || !prof.EyeLine.Contains(o.EyeLine) || !prof.FaceWidth.Contains(o.FaceWidth) {
		t.Errorf("%s: geometry head %.1f eye %.1f face %.1f outside %v %v %v", prof.ID, o.HeadTop, o.EyeLine, o.FaceWidth, prof.HeadTop, prof.EyeLine, prof.FaceWidth)
	}
	for _, c := range res.Verify {
		if c.Verdict != Pass {
			t.Errorf("%s: verification %s = %v %s", prof.ID, c.ID, c.Value, c.Verdict)
		}
	}
}

// Property: every output the pipeline accepts meets its profile, for every built-in profile;
// a photo that cannot meet it yields no file.
func TestStandardizeEveryProfile(t *testing.T) {
	pl := testPipeline(t)
	photos := []string{"u2net_man.jpg", "hivision_test3.jpg"}
	made := 0
	for i, name := range photos {
		img := mustDecode(t, devPhoto(t, name))
		ids := ProfileIDs()
		if i > 0 {
			ids = []string{"chsi-white", "zikao-degree"} // keep the test fast
		}
		for _, id := range ids {
			prof := mustProfile(t, id)
			res, err := pl.Standardize(context.Background(), img, prof)
			if err != nil {
				t.Fatal(err)
			}
			if res.JPEG == nil {
				if res.Verdict != Fail {
					t.Errorf("%s/%s: no file but verdict %s", name, id, res.Verdict)
				}
				continue
			}
			made++
			assertMeetsProfile(t, res, prof)
		}
	}
	if made < len(ProfileIDs()) {
		t.Errorf("only %d outputs made", made)
	}
}

// No face at all: no file, a failed check.
func TestStandardizeBlank(t *testing.T) {
	pl := testPipeline(t)
	blank := image.NewRGBA(image.Rect(0, 0, 400, 500))
	for i := range blank.Pix {
		blank.Pix[i] = 200
	}
	res, err := pl.Standardize(context.Background(), fromRGBA(blank), chsiBlue())
	if err != nil {
		t.Fatal(err)
	}
	if res.JPEG != nil || res.Verdict != Fail || checkByID(res.Report.Checks, CheckSingleFace).Verdict != Fail {
		t.Errorf("blank image: jpeg %v verdict %s", res.JPEG != nil, res.Verdict)
	}
}

// A close-up cut at the chin cannot meet the geometry: failed framing check, no file.
func TestStandardizeRefusesUnreachableGeometry(t *testing.T) {
	pl := testPipeline(t)
	base := mustDecode(t, fixture(t, "pigo_sample.jpg")).RGBA
	closeUp := cropRGBA(base, image.Rect(0, 0, 320, 290)) // cut just below the chin
	res, err := pl.Standardize(context.Background(), fromRGBA(closeUp), chsiBlue())
	if err != nil {
		t.Fatal(err)
	}
	if res.JPEG != nil || res.Verdict != Fail {
		t.Fatalf("made a file from an unreachable geometry (verdict %s)", res.Verdict)
	}
	if c := checkByID(res.Report.Checks, CheckFraming); c.Verdict != Fail || c.Message == "" {
		t.Errorf("framing check %+v", c)
	}
}

// --- image alterations ---

func rgbaPlanes(m *image.RGBA) ([]float32, int, int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	p := make([]float32, 3*w*h)
	for y := range h {
		for x := range w {
			o := m.PixOffset(x, y)
			i := 3 * (y*w + x)
			p[i], p[i+1], p[i+2] = float32(m.Pix[o]), float32(m.Pix[o+1]), float32(m.Pix[o+2])
		}
	}
	return p, w, h
}

func planesRGBA(p []float32, w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = clamp8f(p[3*i]), clamp8f(p[3*i+1]), clamp8f(p[3*i+2]), 255
	}
	return m
}

func blurRGBA(m *image.RGBA, r int) *image.RGBA {
	p, w, h := rgbaPlanes(m)
	tmp := make([]float32, len(p))
	for range 3 {
		boxBlur(p, tmp, w, h, 3, r)
	}
	return planesRGBA(p, w, h)
}

func scaleRGBA(m *image.RGBA, k float32) *image.RGBA {
	p, w, h := rgbaPlanes(m)
	for i := range p {
		p[i] *= k
	}
	return planesRGBA(p, w, h)
}

func liftRGBA(m *image.RGBA, k float32) *image.RGBA {
	p, w, h := rgbaPlanes(m)
	for i := range p {
		p[i] = 255 - (255-p[i])/k
	}
	return planesRGBA(p, w, h)
}

func cropRGBA(m *image.RGBA, r image.Rectangle) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		copy(out.Pix[y*out.Stride:], m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):m.PixOffset(r.Max.X, r.Min.Y+y)])
	}
	return out
}

// rotateRGBA rotates by deg degrees clockwise about the centre (bilinear), filling with the
// top-left corner colour.
func rotateRGBA(m *image.RGBA, deg float64) *image.RGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewRGBA(m.Rect)
	bg := m.RGBAAt(0, 0)
	s, c := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(w)/2, float64(h)/2
	for y := range h {
		for x := range w {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			sx, sy := c*dx+s*dy+cx-0.5, -s*dx+c*dy+cy-0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			if x0 < 0 || y0 < 0 || x0+1 >= w || y0+1 >= h {
				out.SetRGBA(x, y, bg)
				continue
			}
			fx, fy := sx-float64(x0), sy-float64(y0)
			var px [3]float64
			for ch := range 3 {
				v00 := float64(m.Pix[m.PixOffset(x0, y0)+ch])
				v10 := float64(m.Pix[m.PixOffset(x0+1, y0)+ch])
				v01 := float64(m.Pix[m.PixOffset(x0, y0+1)+ch])
				v11 := float64(m.Pix[m.PixOffset(x0+1, y0+1)+ch])
				px[ch] = (v00*(1-fx)+v10*fx)*(1-fy) + (v01*(1-fx)+v11*fx)*fy
			}
			out.SetRGBA(x, y, color.RGBA{uint8(px[0] + 0.5), uint8(px[1] + 0.5), uint8(px[2] + 0.5), 255})
		}
	}
	return out
}

// coverEyes paints a dark band (like tinted glasses) across both eyes using the analysis.
func coverEyes(m *image.RGBA, a *vision.Analysis) *image.RGBA {
	out := cropRGBA(m, m.Rect)
	d := a.Main
	x0 := math.Min(d.Mesh[33].X, d.Mesh[263].X) - 0.08*d.FaceWidth
	x1 := math.Max(d.Mesh[33].X, d.Mesh[263].X) + 0.08*d.FaceWidth
	y0, y1 := d.EyeLine-0.13*d.FaceWidth, d.EyeLine+0.1*d.FaceWidth
	for y := int(y0); y <= int(y1); y++ {
		for x := int(x0); x <= int(x1); x++ {
			out.SetRGBA(x, y, color.RGBA{22, 22, 28, 255})
		}
	}
	return out
}

func shrinkInto(m *image.RGBA, k int) *image.RGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	small := Thumbnail(m, w/k, h/k)
	out := image.NewRGBA(m.Rect)
	bg := m.RGBAAt(2, 2)
	for y := range h {
		for x := range w {
			out.SetRGBA(x, y, bg)
		}
	}
	ox, oy := (w-w/k)/2, (h-h/k)/2
	for y := 0; y < h/k; y++ {
		copy(out.Pix[out.PixOffset(ox, oy+y):], small.Pix[y*small.Stride:y*small.Stride+4*(w/k)])
	}
	return out
}

func sideBySide(m *image.RGBA) *image.RGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := image.NewRGBA(image.Rect(0, 0, 2*w, h))
	for y := range h {
		copy(out.Pix[y*out.Stride:], m.Pix[y*m.Stride:y*m.Stride+4*w])
		copy(out.Pix[y*out.Stride+4*w:], m.Pix[y*m.Stride:y*m.Stride+4*w])
	}
	return out
}

// Concurrent checks of the same photo give identical reports (no shared mutable state).
func TestCheckConcurrent(t *testing.T) {
	pl := testPipeline(t)
	img := mustDecode(t, fixture(t, "pigo_sample.jpg"))
	var wg sync.WaitGroup
	reps := make([]*Report, 4)
	errs := make([]error, 4)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = pl.Check(context.Background(), img, chsiBlue())
		}()
	}
	wg.Wait()
	for i := range reps {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if reps[i].Verdict != reps[0].Verdict || reps[i].Measures.Sharpness != reps[0].Measures.Sharpness || reps[i].Measures.Plan != reps[0].Measures.Plan {
			t.Errorf("report %d differs from report 0", i)
		}
	}
	// A cancelled context is honoured while waiting for a worker.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	full := &Pipeline{an: pl.an, sem: make(chan struct{}, 1)}
	full.sem <- struct{}{}
	if _, err := full.Check(ctx, img, chsiBlue()); err == nil {
		t.Error("check with a cancelled context and no free worker succeeded")
	}
}

// withTorso extends the registry portrait (a close crop ending at the neck) downwards with a
// painted dark jacket: real head, synthetic shoulders. The spec frame then fits.
func withTorso(m *image.RGBA) *image.RGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	H := h + 200
	out := image.NewRGBA(image.Rect(0, 0, w, H))
	bg := m.RGBAAt(3, 3)
	for y := range H {
		for x := range w {
			if y < h {
				out.SetRGBA(x, y, m.RGBAAt(x, y))
			} else {
				out.SetRGBA(x, y, bg)
			}
		}
	}
	cx := float64(w) / 2
	top := float64(h) - 20
	for y := int(top); y < H; y++ {
		t := math.Min(1, (float64(y)-top)/90)
		half := 55 + t*(float64(w)/2+20-55)
		for x := range w {
			if math.Abs(float64(x)-cx) <= half {
				v := uint8(52 + (x*7+y*13)%9)
				out.SetRGBA(x, y, color.RGBA{v, v, v + 10, 255})
			}
		}
	}
	return out
}

// Always runs (registry fixture only): the standardized file meets the profile.
func TestStandardizeRegistryWithTorso(t *testing.T) {
	pl := testPipeline(t)
	img := fromRGBA(withTorso(mustDecode(t, fixture(t, "pigo_sample.jpg")).RGBA))
	for _, id := range []string{"chsi-blue", "zikao-degree"} {
		prof := mustProfile(t, id)
		res, err := pl.Standardize(context.Background(), img, prof)
		if err != nil {
			t.Fatal(err)
		}
		if res.JPEG == nil {
			t.Fatalf("%s: no output; checks %+v verify %+v", id, res.Report.Checks, res.Verify)
		}
		assertMeetsProfile(t, res, prof)
	}
}

// StandardizeReport reuses the check's analysis and gives the same file as Standardize.
func TestStandardizeReportReuse(t *testing.T) {
	pl := testPipeline(t)
	img := fromRGBA(withTorso(mustDecode(t, fixture(t, "pigo_sample.jpg")).RGBA))
	prof := chsiBlue()
	rep, err := pl.Check(context.Background(), img, prof)
	if err != nil {
		t.Fatal(err)
	}
	a, err := pl.StandardizeReport(context.Background(), rep, prof)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pl.Standardize(context.Background(), img, prof)
	if err != nil {
		t.Fatal(err)
	}
	if a.JPEG == nil || string(a.JPEG) != string(b.JPEG) {
		t.Errorf("reused analysis gives a different file (%d vs %d bytes)", len(a.JPEG), len(b.JPEG))
	}
	if _, err := pl.StandardizeReport(context.Background(), rep, mustProfile(t, "chsi-white")); err == nil {
		t.Error("report reused for another profile")
	}
}
