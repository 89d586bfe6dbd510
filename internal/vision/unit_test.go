package vision

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"xiaoxiang/internal/testenv"
)

func repoRoot(t testing.TB) string { return testenv.Root(t) }

func modelsDir(t testing.TB) string { return testenv.ModelsDir(t) }

func TestAnchors(t *testing.T) {
	a := detAnchors()
	if len(a) != detNumAnchors {
		t.Fatalf("got %d anchors, want %d", len(a), detNumAnchors)
	}
	tests := []struct {
		i    int
		x, y float64
	}{
		{0, 0.5 / 16, 0.5 / 16},
		{1, 0.5 / 16, 0.5 / 16},
		{2, 1.5 / 16, 0.5 / 16},
		{511, 15.5 / 16, 15.5 / 16},
		{512, 0.5 / 8, 0.5 / 8},
		{517, 0.5 / 8, 0.5 / 8},
		{518, 1.5 / 8, 0.5 / 8},
		{895, 7.5 / 8, 7.5 / 8},
	}
	for _, tc := range tests {
		if math.Abs(a[tc.i].X-tc.x) > 1e-12 || math.Abs(a[tc.i].Y-tc.y) > 1e-12 {
			t.Errorf("anchor %d = %+v, want (%g, %g)", tc.i, a[tc.i], tc.x, tc.y)
		}
	}
}

func TestDecodeDetections(t *testing.T) {
	anchors := detAnchors()
	reg := make([]float32, detNumAnchors*detNumCoords)
	cls := make([]float32, detNumAnchors)
	for i := range cls {
		cls[i] = -10
	}
	// Anchor 600 is on the 8×8 grid: cell (600-512)/6 = 14 → x=6, y=1.
	i := 600
	cls[i] = 2 // sigmoid ≈ 0.88
	r := reg[i*16:]
	r[0], r[1], r[2], r[3] = 6.4, -12.8, 32, 64 // +0.05, -0.1, w 0.25, h 0.5
	r[4], r[5] = -12.8, 0                       // right eye at anchor - 0.1 in x
	out := decodeDetections(reg, cls, anchors, 0.5)
	if len(out) != 1 {
		t.Fatalf("got %d detections, want 1", len(out))
	}
	d := out[0]
	ax, ay := 6.5/8, 1.5/8
	if math.Abs(d.Score-sigmoid(2)) > 1e-9 {
		t.Errorf("score %g", d.Score)
	}
	cx, cy := d.XMin+d.W/2, d.YMin+d.H/2
	if math.Abs(cx-(ax+0.05)) > 1e-6 || math.Abs(cy-(ay-0.1)) > 1e-6 || math.Abs(d.W-0.25) > 1e-6 || math.Abs(d.H-0.5) > 1e-6 {
		t.Errorf("box %+v, want centre (%g, %g) size 0.25×0.5", d, ax+0.05, ay-0.1)
	}
	if math.Abs(d.Kp[0].X-(ax-0.1)) > 1e-6 || math.Abs(d.Kp[0].Y-ay) > 1e-6 {
		t.Errorf("keypoint %+v", d.Kp[0])
	}
	// Clipping: a huge logit must not produce NaN.
	cls[i] = 1e30
	if out := decodeDetections(reg, cls, anchors, 0.5); len(out) != 1 || math.IsNaN(out[0].Score) {
		t.Errorf("clipped score: %+v", out)
	}
}

func TestWeightedNMS(t *testing.T) {
	mk := func(x, y, s float64) detection {
		d := detection{XMin: x, YMin: y, W: 10, H: 10, Score: s}
		d.Kp[0] = Point{x + 3, y + 3}
		return d
	}
	dets := []detection{mk(0, 0, 0.6), mk(1, 0, 0.9), mk(100, 100, 0.7), mk(50, 0, 0.55)}
	out := weightedNMS(dets, 0.3)
	if len(out) != 3 {
		t.Fatalf("got %d, want 3: %+v", len(out), out)
	}
	if out[0].Score != 0.9 {
		t.Errorf("first score %g, want 0.9", out[0].Score)
	}
	wantX := (0.6*0 + 0.9*1) / 1.5
	if math.Abs(out[0].XMin-wantX) > 1e-9 || math.Abs(out[0].W-10) > 1e-9 {
		t.Errorf("weighted box %+v, want xmin %g", out[0], wantX)
	}
	if math.Abs(out[0].Kp[0].X-(wantX+3)) > 1e-9 {
		t.Errorf("weighted keypoint %+v", out[0].Kp[0])
	}
	if out[1].Score != 0.7 || out[2].Score != 0.55 {
		t.Errorf("order: %+v", out)
	}
}

func TestLetterboxAndROI(t *testing.T) {
	lb := newLetterbox(100, 50, 400, 200)
	q := lb.roi()
	if q.W != 400 || q.CX != 300 || q.CY != 150 {
		t.Fatalf("roi %+v", q)
	}
	// Normalised (0.5, 0.25) of the 400² square → image (300, 50+(-100)+100).
	d := lb.toImage(detection{XMin: 0.5, YMin: 0.25, W: 0.1, H: 0.1})
	if d.XMin != 300 || d.YMin != 50 || d.W != 40 {
		t.Errorf("toImage %+v", d)
	}
	for _, rot := range []float64{0, 0.3, -1.2, math.Pi} {
		q := roi{CX: 37, CY: -5, W: 90, H: 60, Rot: rot}
		for _, uv := range [][2]float64{{0, 0}, {0.3, 0.9}, {1, 0.5}} {
			x, y := q.toImage(uv[0], uv[1])
			u, v := q.fromImage(x, y)
			if math.Abs(u-uv[0]) > 1e-9 || math.Abs(v-uv[1]) > 1e-9 {
				t.Errorf("rot %g: %v → (%g,%g) → (%g,%g)", rot, uv, x, y, u, v)
			}
		}
	}
	// Rotation is clockwise in the image: u to the right maps downwards for +90°.
	q = roi{CX: 0, CY: 0, W: 2, H: 2, Rot: math.Pi / 2}
	x, y := q.toImage(1, 0.5)
	if math.Abs(x) > 1e-9 || math.Abs(y-1) > 1e-9 {
		t.Errorf("rotated right edge at (%g,%g), want (0,1)", x, y)
	}
}

func TestSquareROIRotation(t *testing.T) {
	// Image-right eye lower than the image-left eye: positive (clockwise) rotation.
	q := squareROI(50, 50, 40, 30, Point{30, 40}, Point{70, 50})
	if want := math.Atan2(10, 40); math.Abs(q.Rot-want) > 1e-12 {
		t.Errorf("rot %g, want %g", q.Rot, want)
	}
	if q.W != 60 || q.H != 60 {
		t.Errorf("size %g×%g, want 60×60", q.W, q.H)
	}
}

func TestTilesCoverHalfSizeFaces(t *testing.T) {
	for _, sz := range [][2]int{{1200, 630}, {1600, 1139}, {293, 473}, {100, 100}} {
		side := math.Max(float64(sz[0]), float64(sz[1])) / 2
		ts := tiles(sz[0], sz[1], side)
		rng := rand.New(rand.NewSource(1))
		for k := 0; k < 200; k++ {
			f := side / 2 * rng.Float64()
			x := rng.Float64() * (float64(sz[0]) - f)
			y := rng.Float64() * (float64(sz[1]) - f)
			ok := false
			for _, tl := range ts {
				if x >= tl.X0 && y >= tl.Y0 && x+f <= tl.X0+tl.Side && y+f <= tl.Y0+tl.Side {
					ok = true
					break
				}
			}
			if !ok {
				t.Fatalf("%v: face at (%g,%g) size %g not inside any of %d tiles", sz, x, y, f, len(ts))
			}
		}
	}
}

func TestRasterSampling(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(4 * x), uint8(8 * y), 200, 255})
		}
	}
	r := newRaster(img)
	if r.w != 64 || r.h != 32 {
		t.Fatalf("size %d×%d", r.w, r.h)
	}
	// Sampling at a pixel centre returns the pixel.
	rr, gg, bb := r.bilinear(10.5, 5.5)
	if rr != 40 || gg != 40 || bb != 200 {
		t.Errorf("bilinear = %g %g %g", rr, gg, bb)
	}
	// Letterboxed into 32²: the top quarter and bottom quarter are padding (−1).
	dst := make([]float32, 32*32*3)
	r.sampleROI(dst, 32, newLetterbox(0, 0, 64, 32).roi(), -1, 1)
	if dst[3*(2*32+16)] != -1 || dst[3*(30*32+16)] != -1 {
		t.Errorf("padding not black: %g %g", dst[3*(2*32+16)], dst[3*(30*32+16)])
	}
	if v := dst[3*(16*32+16)+2]; math.Abs(float64(v)-(-1+2*200.0/255)) > 0.01 {
		t.Errorf("centre blue %g", v)
	}
	// Pyramid levels average 2×2 blocks.
	h := r.level(1)
	if h.w != 32 || h.h != 16 || h.pix[0] != 2 {
		t.Errorf("half level %d×%d first red %d, want 32×16 and 2", h.w, h.h, h.pix[0])
	}
}

func TestCanonicalFace(t *testing.T) {
	data, err := readModel(modelsDir(t), FileCanonical)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseCanonicalFace(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Basis) < 20 {
		t.Errorf("only %d basis landmarks", len(c.Basis))
	}
	// Mirror symmetry of the eye corners; nose tip in front; chin below the hairline.
	r, l := c.Vertices[meshRightEyeOuter], c.Vertices[meshLeftEyeOuter]
	if r[0] >= 0 || math.Abs(r[0]+l[0]) > 1e-4 || math.Abs(r[1]-l[1]) > 1e-4 {
		t.Errorf("eye corners %v %v", r, l)
	}
	if c.Vertices[1][2] < c.Vertices[meshCheekRight][2] {
		t.Error("nose tip is not in front of the cheeks")
	}
	if c.Vertices[meshChin][1] >= c.Vertices[meshHairline][1] {
		t.Error("chin above hairline")
	}
	// The tilt turns the face's forward axis down by the given angle.
	tl := c.tiltedDown(10)
	mesh := make([]Point3, meshPoints)
	for i, v := range tl.Vertices {
		mesh[i] = Point3{v[0], -v[1], -v[2]}
	}
	if p, _, err := headPose(c, mesh); err != nil || math.Abs(p.Pitch+10) > 1e-6 || math.Abs(p.Yaw) > 1e-6 {
		t.Errorf("tilted canonical reads %+v, %v; want pitch -10", p, err)
	}
	for _, bad := range [][]byte{nil, {0x0a, 0x05, 0x1d}, {0xff}, data[:len(data)/2]} {
		if _, err := parseCanonicalFace(bad); err == nil {
			t.Errorf("parse of %d bad bytes succeeded", len(bad))
		}
	}
}

// rotYXZ builds a rotation from yaw (about y), pitch (about x, chin up > 0) and
// roll (about z, clockwise in the image > 0), in the viewer frame.
func rotYXZ(yaw, pitch, roll float64) mat3 {
	d := math.Pi / 180
	cy, sy := math.Cos(yaw*d), math.Sin(yaw*d)
	cp, sp := math.Cos(pitch*d), math.Sin(pitch*d)
	cr, sr := math.Cos(roll*d), math.Sin(roll*d)
	Ry := mat3{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}
	Rx := mat3{{1, 0, 0}, {0, cp, sp}, {0, -sp, cp}} // +pitch turns forward (z) up (+y)
	Rz := mat3{{cr, sr, 0}, {-sr, cr, 0}, {0, 0, 1}} // +roll moves up (+y) towards +x
	return matMul(Ry, matMul(Rx, Rz))
}

func matMul(a, b mat3) mat3 {
	var c mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

func TestHeadPoseRecoversSyntheticRotation(t *testing.T) {
	data, err := readModel(modelsDir(t), FileCanonical)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseCanonicalFace(data)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ yaw, pitch, roll float64 }{
		{0, 0, 0}, {25, 0, 0}, {-30, 0, 0}, {0, 20, 0}, {0, -15, 0}, {0, 0, 12}, {0, 0, -20}, {15, -10, 8},
	}
	for _, tc := range tests {
		R := rotYXZ(tc.yaw, tc.pitch, tc.roll)
		mesh := make([]Point3, meshPoints)
		for i, v := range c.Vertices {
			p := R.mul(v)
			// viewer frame → image: scale 12 px/cm, y down, z away.
			mesh[i] = Point3{300 + 12*p[0], 400 - 12*p[1], -12 * p[2]}
		}
		pose, rms, err := headPose(c, mesh)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(pose.Yaw-tc.yaw) > 1.5 || math.Abs(pose.Pitch-tc.pitch) > 1.5 || math.Abs(pose.Roll-tc.roll) > 1.5 || rms > 1e-3 {
			t.Errorf("want %+v, got %+v rms %g", tc, pose, rms)
		}
	}
}

func TestEyeMouthMetrics(t *testing.T) {
	mesh := make([]Point3, meshPoints)
	set := func(i int, x, y float64) { mesh[i] = Point3{X: x, Y: y} }
	set(meshRightEyeOuter, 100, 100)
	set(meshRightEyeInner, 140, 100)
	set(meshRightEyeUpper, 120, 94)
	set(meshRightEyeLower, 120, 106) // gap 12 / 40 = 0.3
	set(meshLeftEyeInner, 180, 100)
	set(meshLeftEyeOuter, 220, 100)
	set(meshLeftEyeUpper, 200, 99)
	set(meshLeftEyeLower, 200, 101) // 2 / 40 = 0.05 (closed)
	set(meshMouthRight, 130, 200)
	set(meshMouthLeft, 190, 200)
	set(meshUpperLipIn, 160, 195)
	set(meshLowerLipIn, 160, 207) // 12/60 = 0.2
	set(meshCheekRight, 60, 130)
	set(meshCheekLeft, 260, 130)
	set(meshChin, 160, 260)
	set(meshHairline, 160, 20)
	d := &FaceDetail{Mesh: mesh}
	fillMetrics(d)
	if math.Abs(d.RightEyeOpen-0.3) > 1e-9 || math.Abs(d.LeftEyeOpen-0.05) > 1e-9 || math.Abs(d.MouthOpen-0.2) > 1e-9 {
		t.Errorf("EAR %g/%g MAR %g", d.RightEyeOpen, d.LeftEyeOpen, d.MouthOpen)
	}
	if d.FaceWidth != 200 || d.Chin != (Point{160, 260}) || d.Hairline != (Point{160, 20}) {
		t.Errorf("face width %g chin %v hairline %v", d.FaceWidth, d.Chin, d.Hairline)
	}
}

func TestBoxMeanMatchesBruteForce(t *testing.T) {
	w, h, r := 23, 17, 3
	rng := rand.New(rand.NewSource(2))
	src := make([]float32, w*h)
	for i := range src {
		src[i] = rng.Float32()
	}
	dst := make([]float32, w*h)
	boxMean(dst, src, make([]float32, w*h), w, h, r)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			n := 0
			for yy := max(0, y-r); yy <= min(h-1, y+r); yy++ {
				for xx := max(0, x-r); xx <= min(w-1, x+r); xx++ {
					s += float64(src[yy*w+xx])
					n++
				}
			}
			if math.Abs(s/float64(n)-float64(dst[y*w+x])) > 1e-5 {
				t.Fatalf("(%d,%d): %g vs %g", x, y, dst[y*w+x], s/float64(n))
			}
		}
	}
}

func TestGuidedFilterFollowsGuideEdge(t *testing.T) {
	// Guide: a sharp vertical edge at x = 40. Input: a blurry step centred at x = 46.
	w, h := 80, 20
	I := make([]float32, w*h)
	p := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x >= 40 {
				I[y*w+x] = 0.8
			} else {
				I[y*w+x] = 0.2
			}
			v := (float64(x) - 46 + 10) / 20
			p[y*w+x] = float32(math.Max(0, math.Min(1, v)))
		}
	}
	mA, mB := guidedCoeffs(I, p, w, h, 6, 1e-4)
	q := func(x int) float32 { i := 10*w + x; return mA[i]*I[i] + mB[i] }
	// The output must jump at the guide's edge: a larger step across 39→40 than the input's.
	if jump, in := q(40)-q(39), p[10*w+40]-p[10*w+39]; jump < 4*in {
		t.Errorf("edge jump %g, input step %g", jump, in)
	}
	// Flat regions far from the edge keep the input's mean level.
	if v := q(5); math.Abs(float64(v-p[10*w+5])) > 0.05 {
		t.Errorf("flat region changed: %g vs %g", v, p[10*w+5])
	}
}

func TestRefineMaskShapes(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 300, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			if x > 100 && x < 200 {
				img.Pix[y*300+x] = 220
			} else {
				img.Pix[y*300+x] = 30
			}
		}
	}
	prob := make([]float32, segInput*segInput)
	for y := 0; y < segInput; y++ {
		for x := 0; x < segInput; x++ {
			if x > 84 && x < 172 {
				prob[y*segInput+x] = 1
			}
		}
	}
	for _, refine := range []bool{false, true} {
		m := refineMask(prob, newRaster(img), refine)
		if m.W != 300 || m.H != 200 || len(m.Pix) != 300*200 {
			t.Fatalf("mask %d×%d len %d", m.W, m.H, len(m.Pix))
		}
		if m.At(150, 100) < 0.9 || m.At(20, 100) > 0.1 || m.At(280, 100) > 0.1 {
			t.Errorf("refine=%v: centre %g left %g right %g", refine, m.At(150, 100), m.At(20, 100), m.At(280, 100))
		}
	}
}

// syntheticPerson draws a mask with a head (ellipse) over a neck and shoulders.
func syntheticPerson(w, h int, headTop, chin, cx float64, shoulderY float64) *Mask {
	m := &Mask{W: w, H: h, Pix: make([]uint8, w*h)}
	hr := (chin - headTop) / 2
	hc := headTop + hr
	for y := 0; y < h; y++ {
		fy := float64(y)
		for x := 0; x < w; x++ {
			fx := float64(x)
			on := false
			if dx, dy := (fx-cx)/(0.75*hr), (fy-hc)/hr; dx*dx+dy*dy <= 1 {
				on = true
			}
			if fy >= chin-5 && fy < shoulderY && math.Abs(fx-cx) < 0.4*hr {
				on = true
			}
			if fy >= shoulderY {
				// Trapezius slope over 0.3 hr, then arms straight down.
				half := 0.4*hr + (fy-shoulderY)*4
				if half > 1.6*hr {
					half = 1.6 * hr
				}
				if math.Abs(fx-cx) < half {
					on = true
				}
			}
			if on {
				m.Pix[y*w+x] = 255
			}
		}
	}
	return m
}

func TestHeadTopAndShoulders(t *testing.T) {
	d := &FaceDetail{EyeLine: 150, Chin: Point{200, 210}, Hairline: Point{200, 95}, FaceWidth: 110}
	m := syntheticPerson(400, 400, 60, 220, 200, 250)
	top, found, cut := headTop(m, d)
	if !found || cut || math.Abs(top.Y-60) > 2 || math.Abs(top.X-200) > 1 {
		t.Errorf("head top %+v found %v cut %v, want y≈60", top, found, cut)
	}
	s := shoulders(m, d)
	if !s.Found || s.Confidence < 0.5 || s.Source != "mask" {
		t.Fatalf("shoulders %+v", s)
	}
	// 0.8 face width (88) from the chin's column: x = 200 ± 88, on the slope where
	// half-width 0.4·80 + 4·(y-250) = 88 → y = 264.
	if math.Abs(s.Left.X-288) > 1 || math.Abs(s.Right.X-112) > 1 || math.Abs(s.Left.Y-264) > 1.5 || math.Abs(s.Right.Y-264) > 1.5 {
		t.Errorf("shoulders at %+v / %+v, want (288,264)/(112,264)", s.Left, s.Right)
	}
	// Head cut by the top edge.
	m2 := syntheticPerson(400, 400, -30, 220, 200, 250)
	if _, found, cut := headTop(m2, d); found || !cut {
		t.Errorf("cut head: found %v cut %v", found, cut)
	}
	// Something merged into the mask above the head (another person, a pole):
	// the head top is not found rather than taken at the object's top.
	d5 := &FaceDetail{EyeLine: 290, Chin: Point{200, 350}, Hairline: Point{200, 235}, FaceWidth: 110}
	m5 := syntheticPerson(400, 500, 200, 360, 200, 390)
	if top, found, _ := headTop(m5, d5); !found || math.Abs(top.Y-200) > 2 {
		t.Errorf("head top %+v found %v, want y≈200", top, found)
	}
	for y := 0; y < 210; y++ {
		for x := 150; x <= 250; x++ {
			m5.Pix[y*400+x] = 255
		}
	}
	if top, found, cut := headTop(m5, d5); found || cut {
		t.Errorf("head top through an object: %+v found %v cut %v", top, found, cut)
	}
	// No mask or no face: nothing found, no panic.
	if _, found, _ := headTop(nil, d); found {
		t.Error("found head top without a mask")
	}
	if s := shoulders(m, nil); s.Found {
		t.Error("found shoulders without a face")
	}
	// Long hair: the silhouette is wider than the reach from the chin down, no neck
	// is seen, so the hair's edge is not taken for the shoulders.
	m4 := syntheticPerson(400, 400, 60, 220, 200, 250)
	for y := 150; y < 300; y++ {
		for x := 200 - 100; x <= 200+100; x++ {
			m4.Pix[y*400+x] = 255
		}
	}
	if s := shoulders(m4, d); s.Found {
		t.Errorf("hair taken for shoulders: %+v", s)
	}
	// Image ends at the chin: no shoulders.
	m3 := syntheticPerson(400, 215, 60, 220, 200, 250)
	if s := shoulders(m3, d); s.Found {
		t.Errorf("shoulders found below the image: %+v", s)
	}
}

// jpegWithOrientation encodes img and inserts an APP1 EXIF block with the tag.
func jpegWithOrientation(t *testing.T, img image.Image, o int, bigEndian bool) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	var bo interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.LittleEndian
	hdr := []byte("II*\x00")
	if bigEndian {
		bo = binary.BigEndian
		hdr = []byte("MM\x00*")
	}
	tiff := append([]byte{}, hdr...)
	tiff = bo.AppendUint32(tiff, 8)
	tiff = bo.AppendUint16(tiff, 1)
	tiff = bo.AppendUint16(tiff, 0x0112)
	tiff = bo.AppendUint16(tiff, 3)
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, uint16(o))
	tiff = bo.AppendUint16(tiff, 0)
	tiff = bo.AppendUint32(tiff, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	app1 = append(app1, seg...)
	b := buf.Bytes()
	return append(append(append([]byte{}, b[:2]...), app1...), b[2:]...)
}

func TestExifOrientation(t *testing.T) {
	// A 40×20 image, red in the top-left quadrant.
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 40; x++ {
			c := color.RGBA{0, 0, 255, 255}
			if x < 20 && y < 10 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	// Where the red quadrant's centre ends up after applying each orientation.
	tests := []struct {
		o      int
		w, h   int
		rx, ry int
	}{
		{1, 40, 20, 10, 5}, {2, 40, 20, 30, 5}, {3, 40, 20, 30, 15}, {4, 40, 20, 10, 15},
		{5, 20, 40, 5, 10}, {6, 20, 40, 15, 10}, {7, 20, 40, 15, 30}, {8, 20, 40, 5, 30},
	}
	for _, tc := range tests {
		data := jpegWithOrientation(t, img, tc.o, tc.o%2 == 0)
		if got := ExifOrientation(data); got != tc.o {
			t.Errorf("orientation read %d, want %d", got, tc.o)
		}
		out, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		b := out.Bounds()
		if b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("o=%d: size %v, want %d×%d", tc.o, b, tc.w, tc.h)
			continue
		}
		r, _, bl, _ := out.At(tc.rx, tc.ry).RGBA()
		if r < 0xC000 || bl > 0x4000 {
			t.Errorf("o=%d: pixel (%d,%d) not red", tc.o, tc.rx, tc.ry)
		}
	}
	for _, bad := range [][]byte{nil, []byte("not an image"), {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}} {
		if ExifOrientation(bad) != 1 {
			t.Errorf("bad data gave an orientation")
		}
		if _, err := Decode(bad); err == nil {
			t.Errorf("decode of bad data succeeded")
		}
	}
}

func TestModelErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := New(Options{ModelsDir: dir}); err == nil || !errorsIs(err, ErrModels) {
		t.Errorf("missing models: err = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileDetector), []byte("corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{ModelsDir: dir})
	if err == nil || !errorsIs(err, ErrModels) || !bytes.Contains([]byte(err.Error()), []byte("sha256")) {
		t.Errorf("corrupt model: err = %v", err)
	}
	if _, err := New(Options{}); err == nil {
		t.Error("empty models dir accepted")
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func TestYCbCrHalfLevel(t *testing.T) {
	// A smooth 4:2:0 image: the half level built from the planes matches the 2×2
	// average of the full RGB within rounding.
	img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Y[img.YOffset(x, y)] = uint8(40 + 2*x + y)
			ci := img.COffset(x, y)
			img.Cb[ci] = uint8(110 + x/2)
			img.Cr[ci] = uint8(150 - y/2)
		}
	}
	direct := newRaster(img).level(1)
	r2 := newRaster(img)
	r2.level(0)
	viaRGB := r2.half()
	if direct.w != 32 || direct.h != 24 {
		t.Fatalf("half level %d×%d", direct.w, direct.h)
	}
	for i := range direct.pix {
		if d := int(direct.pix[i]) - int(viaRGB.pix[i]); d > 2 || d < -2 {
			t.Fatalf("half level differs at %d: %d vs %d", i, direct.pix[i], viaRGB.pix[i])
		}
	}
	for i := range direct.lum {
		if d := int(direct.lum[i]) - int(viaRGB.lum[i]); d > 1 || d < -1 {
			t.Fatalf("half luma differs at %d: %d vs %d", i, direct.lum[i], viaRGB.lum[i])
		}
	}
}

func TestYCbCrConversionMatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		full := image.NewYCbCr(image.Rect(3, 1, 40, 30), ratio)
		for i := range full.Y {
			full.Y[i] = uint8(rng.Intn(256))
		}
		for i := range full.Cb {
			full.Cb[i] = uint8(rng.Intn(256))
			full.Cr[i] = uint8(rng.Intn(256))
		}
		for _, img := range []*image.YCbCr{full, full.SubImage(image.Rect(8, 5, 33, 27)).(*image.YCbCr)} {
			r := newRaster(img)
			b := img.Bounds()
			// The luma plane is the Y plane.
			if r.lum[0] != img.Y[img.YOffset(b.Min.X, b.Min.Y)] {
				t.Errorf("luma plane does not start with Y")
			}
			r.level(0)
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					c := img.YCbCrAt(x, y)
					wr, wg, wb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
					p := r.pix[3*((y-b.Min.Y)*r.w+(x-b.Min.X)):]
					if p[0] != wr || p[1] != wg || p[2] != wb {
						t.Fatalf("%v %v at (%d,%d): got %v, want %d %d %d", ratio, b, x, y, p[:3], wr, wg, wb)
					}
				}
			}
		}
	}
}

func TestRefineMaskSnapsToImageEdge(t *testing.T) {
	// The person (bright) starts at x = 200 in a 400×300 image; the network's
	// probability is a soft ramp 8 px wide centred 4 px too far left (x ≈ 196), about
	// the error of the 256² network on a 400 px wide photo.
	img := image.NewGray(image.Rect(0, 0, 400, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 400; x++ {
			v := uint8(60)
			if x >= 200 {
				v = 200
			}
			img.Pix[y*400+x] = v
		}
	}
	prob := make([]float32, segInput*segInput)
	for y := 0; y < segInput; y++ {
		for x := 0; x < segInput; x++ {
			ix := (float64(x) + 0.5) * 400 / segInput
			prob[y*segInput+x] = float32(math.Max(0, math.Min(1, (ix-196)/8+0.5)))
		}
	}
	crossing := func(m *Mask) int {
		row := m.Pix[150*m.W : 151*m.W]
		for x := range row {
			if row[x] >= maskOn {
				return x
			}
		}
		return -1
	}
	rawMask := refineMask(prob, newRaster(img), false)
	raw := crossing(rawMask)
	ref := refineMask(prob, newRaster(img), true)
	got := crossing(ref)
	if abs(got-200) >= abs(raw-200) && abs(got-200) > 1 {
		t.Errorf("0.5 crossing: raw %d, refined %d, image edge 200", raw, got)
	}
	// The matte jumps where the image does.
	step := func(m *Mask) int { return int(m.Pix[150*400+200]) - int(m.Pix[150*400+199]) }
	if step(ref) < 3*step(rawMask) || step(ref) < 64 {
		t.Errorf("step at the image edge: refined %d, raw %d", step(ref), step(rawMask))
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
