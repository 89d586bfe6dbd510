package photo

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestPlanGeometry(t *testing.T) {
	p, _ := LookupProfile("chsi-blue")
	cases := []struct {
		name     string
		s        Subject
		feasible bool
		problem  string
	}{
		{"typical selfie", Subject{ImgW: 1000, ImgH: 1333, HeadTop: 180, EyeLine: 480, FaceWidth: 420, CenterX: 500}, true, ""},
		{"small face, lots of room", Subject{ImgW: 2000, ImgH: 3000, HeadTop: 600, EyeLine: 780, FaceWidth: 250, CenterX: 1000, TouchBottom: true}, true, ""},
		{"close-up cut at the chin", Subject{ImgW: 800, ImgH: 900, HeadTop: 40, EyeLine: 400, FaceWidth: 520, CenterX: 400, TouchBottom: true}, false, "bottom"},
		{"off-centre, shoulders cut by the side", Subject{ImgW: 1000, ImgH: 1400, HeadTop: 300, EyeLine: 560, FaceWidth: 360, CenterX: 150, TouchLeft: true, TouchBottom: true}, false, "side"},
		{"hair far too tall for the face", Subject{ImgW: 1000, ImgH: 1400, HeadTop: 10, EyeLine: 700, FaceWidth: 300, CenterX: 500}, false, "proportion"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pl := PlanGeometry(c.s, &p)
			if pl.Feasible != c.feasible || pl.Problem != c.problem {
				t.Fatalf("feasible %v problem %q, want %v %q (%+v)", pl.Feasible, pl.Problem, c.feasible, c.problem, pl)
			}
			// The predicted numbers are the affine image of the subject under the plan.
			if d := math.Abs((c.s.HeadTop-pl.CropY)*pl.Scale - pl.HeadTop); d > 1e-6 {
				t.Errorf("head top prediction off by %g", d)
			}
			if d := math.Abs(c.s.FaceWidth*pl.Scale - pl.FaceWidth); d > 1e-6 {
				t.Errorf("face width prediction off by %g", d)
			}
			if d := math.Abs(pl.CropX + pl.CropW/2 - c.s.CenterX); d > 1e-6 {
				t.Errorf("not centred on the face: %g", d)
			}
			if math.Abs(pl.CropW/pl.CropH-float64(p.Width)/float64(p.Height)) > 1e-9 {
				t.Errorf("crop aspect %g differs from the output aspect (would distort)", pl.CropW/pl.CropH)
			}
			if c.feasible {
				if !p.HeadTop.Contains(pl.HeadTop) || !p.EyeLine.Contains(pl.EyeLine) || !p.FaceWidth.Contains(pl.FaceWidth) {
					t.Errorf("feasible plan outside ranges: %+v", pl)
				}
				if c.s.TouchBottom && pl.CropY+pl.CropH > float64(c.s.ImgH)+bottomExtend*pl.CropH+1e-6 {
					t.Errorf("crop passes the source bottom where the body touches it")
				}
			}
		})
	}
}

// With room everywhere, the plan lands every number near the middle of its range.
func TestPlanGeometryCentresRanges(t *testing.T) {
	p, _ := LookupProfile("chsi-blue")
	// A subject whose proportions match the range mids exactly: (eye−top)/face = 170/240.
	s := Subject{ImgW: 3000, ImgH: 4000, HeadTop: 1000, EyeLine: 1000 + 170*2, FaceWidth: 240 * 2, CenterX: 1500}
	pl := PlanGeometry(s, &p)
	if math.Abs(pl.HeadTop-80) > 1 || math.Abs(pl.EyeLine-250) > 1 || math.Abs(pl.FaceWidth-240) > 2 {
		t.Fatalf("plan %+v, want 80/250/240", pl)
	}
}

func TestCropResampleGeometry(t *testing.T) {
	// A bright square on a dark field, resampled with a crop and a scale, lands where the maths says.
	src := image.NewRGBA(image.Rect(0, 0, 1000, 1200))
	for y := 0; y < 1200; y++ {
		for x := 0; x < 1000; x++ {
			v := uint8(20)
			if x >= 400 && x < 600 && y >= 500 && y < 700 {
				v = 230
			}
			src.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	// Crop (300, 400, 400×533.33) → 480×640: scale 1.2.
	out := cropResample(src, 300, 400, 400, 400*640.0/480, 480, 640)
	edge := func(x, y int) uint8 { return out.Pix[y*out.Stride+4*x] }
	// Square spans x 100..300 → 120..360, y 100..300 → 120..360 in output.
	for _, c := range []struct {
		x, y   int
		bright bool
	}{{240, 240, true}, {125, 240, true}, {355, 240, true}, {114, 240, false}, {366, 240, false}, {240, 114, false}, {240, 366, false}} {
		if b := edge(c.x, c.y) > 125; b != c.bright {
			t.Errorf("(%d,%d) = %d, bright=%v expected", c.x, c.y, edge(c.x, c.y), c.bright)
		}
	}
	// Crops past the source replicate edges (no black borders).
	out = cropResample(src, -100, -100, 300, 400, 300, 400)
	if v := out.Pix[0]; v != 20 {
		t.Errorf("outside pixel %d, want replicated 20", v)
	}
}

func TestCompositeDecontaminates(t *testing.T) {
	// Foreground: a dark-red disc; old background: saturated green; soft 6-px edge mixing both.
	const w, h = 200, 200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	alpha := make([]float32, w*h)
	fg := [3]float32{120, 30, 30}
	oldBg := [3]float32{20, 230, 40}
	for y := range h {
		for x := range w {
			d := math.Hypot(float64(x-100), float64(y-100))
			a := float32(math.Min(1, math.Max(0, (70-d)/6)))
			alpha[y*w+x] = a
			for c := range 3 {
				img.Pix[y*img.Stride+4*x+c] = clamp8f(a*fg[c] + (1-a)*oldBg[c])
			}
			img.Pix[y*img.Stride+4*x+3] = 255
		}
	}
	target := [3]uint8{100, 197, 255}
	out := composite(img, alpha, target)
	// In the soft edge, the output must be a mix of the true foreground and the target —
	// no green from the old background.
	worst := 0.0
	for y := range h {
		for x := range w {
			a := alpha[y*w+x]
			if a <= 0.05 || a >= 0.95 {
				continue
			}
			for c := range 3 {
				want := float64(a*fg[c] + (1-a)*float32(target[c]))
				got := float64(out.Pix[y*out.Stride+4*x+c])
				worst = math.Max(worst, math.Abs(got-want))
			}
		}
	}
	if worst > 25 {
		t.Errorf("edge colour off by up to %.0f levels (old background bleeding through)", worst)
	}
	// Pure background becomes exactly the target; pure foreground is untouched.
	if p := out.Pix[0:3]; p[0] != 100 || p[1] != 197 || p[2] != 255 {
		t.Errorf("background %v", p)
	}
	c := out.Pix[100*out.Stride+400 : 100*out.Stride+403]
	if c[0] != 120 || c[1] != 30 || c[2] != 30 {
		t.Errorf("foreground %v", c)
	}
}
