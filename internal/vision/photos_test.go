package vision

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"xiaoxiang/internal/testenv"
)

// Behavioural tests on real photos: the registry fixtures (.cache/fixtures, always
// present under make test) and the shared dev portraits (skipped when absent).
// Each photo is analysed once per option set and shared across subtests.

var (
	analyzerOnce sync.Once
	analyzerVal  *Analyzer
	analyzerErr  error

	resultsMu sync.Mutex
	results   = map[string]*Analysis{}
)

func testAnalyzer(t *testing.T) *Analyzer {
	t.Helper()
	analyzerOnce.Do(func() {
		analyzerVal, analyzerErr = New(Options{ModelsDir: modelsDir(t)})
	})
	if analyzerErr != nil {
		t.Fatalf("load models: %v", analyzerErr)
	}
	return analyzerVal
}

func fixturesDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), ".cache", "fixtures")
}

// portraitsDir returns the shared dev photos folder or skips the test.
func portraitsDir(t *testing.T) string {
	t.Helper()
	d := testenv.PortraitsDir(t)
	if d == "" {
		t.Skip("shared dev portraits not available (../shared/testdata/portraits)")
	}
	return d
}

// Analysis modes of the tests.
type mode int

const (
	fast   mode = iota // single detector pass, no mask
	counts             // thorough face search, no mask
	full               // thorough face search and mask
)

// analyse returns the (cached) analysis of a photo in the given mode.
func analyse(t *testing.T, path string, m mode) *Analysis {
	t.Helper()
	key := fmt.Sprintf("%s#%d", path, m)
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if a, ok := results[key]; ok {
		return a
	}
	img, err := DecodeFile(path)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	a, err := testAnalyzer(t).Analyze(context.Background(), img, AnalyzeOptions{Mask: m == full, FastFaces: m == fast})
	if err != nil {
		t.Fatalf("analyze %s: %v", path, err)
	}
	results[key] = a
	return a
}

func TestFixtureFaceCounts(t *testing.T) {
	dir := fixturesDir(t)
	tests := []struct {
		file string
		want int
	}{
		{"pigo_sample.jpg", 1},
		{"faceapi_sample1.jpg", 3},
		{"faceapi_sample3.jpg", 3},
		{"faceapi_sample4.jpg", 4},
		{"faceapi_sample5.jpg", 5},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			a := analyse(t, filepath.Join(dir, tc.file), counts)
			if len(a.Faces) != tc.want {
				t.Errorf("%d faces, want %d: %+v", len(a.Faces), tc.want, a.Faces)
			}
			if a.Main == nil || len(a.Main.Mesh) != meshPoints || a.Main.MeshScore < meshMinFace {
				t.Fatalf("no main face mesh")
			}
			// The main face is the largest one.
			for _, f := range a.Faces[1:] {
				if f.Box.W*f.Box.H > a.Faces[0].Box.W*a.Faces[0].Box.H {
					t.Errorf("face %+v larger than the main face %+v", f.Box, a.Faces[0].Box)
				}
			}
		})
	}
}

func TestFixturePigoSample(t *testing.T) {
	a := analyse(t, filepath.Join(fixturesDir(t), "pigo_sample.jpg"), full)
	if a.Width != 320 || a.Height != 400 || a.Main == nil {
		t.Fatalf("analysis %d×%d main %v", a.Width, a.Height, a.Main != nil)
	}
	d := a.Main
	p := d.Pose
	if math.Abs(p.Yaw) > 6 || math.Abs(p.Pitch) > 6 || math.Abs(p.Roll) > 6 {
		t.Errorf("frontal face pose %+v", p)
	}
	if d.RightEyeOpen < 0.2 || d.LeftEyeOpen < 0.2 || d.MouthOpen > 0.08 {
		t.Errorf("eyes %.2f/%.2f mouth %.2f: want open eyes, closed mouth", d.RightEyeOpen, d.LeftEyeOpen, d.MouthOpen)
	}
	// Geometry: the subject's right eye is on the image left; hairline above the eyes
	// above the chin; the face box contains both eye centres.
	if !(d.EyeCenterRight.X < d.EyeCenterLeft.X && d.Hairline.Y < d.EyeLine && d.EyeLine < d.Chin.Y) {
		t.Errorf("layout: eyes %v %v line %.1f hairline %v chin %v", d.EyeCenterRight, d.EyeCenterLeft, d.EyeLine, d.Hairline, d.Chin)
	}
	b := d.Face.Box
	for _, e := range []Point{d.EyeCenterRight, d.EyeCenterLeft} {
		if e.X < b.X || e.X > b.X+b.W || e.Y < b.Y || e.Y > b.Y+b.H {
			t.Errorf("eye %v outside face box %+v", e, b)
		}
	}
	if d.FaceWidth < 0.6*b.W || d.FaceWidth > 1.3*b.W {
		t.Errorf("face width %.0f vs box %.0f", d.FaceWidth, b.W)
	}
	// Mask: person in the middle, white background in the top corners; head top
	// between the image top and the hairline; shoulders below the chin.
	m := a.Mask
	if m == nil || m.W != 320 || m.H != 400 {
		t.Fatalf("mask %+v", m)
	}
	if m.At(160, 250) < 0.9 || m.At(5, 5) > 0.1 || m.At(314, 5) > 0.1 {
		t.Errorf("mask centre %.2f corners %.2f %.2f", m.At(160, 250), m.At(5, 5), m.At(314, 5))
	}
	if !a.HeadTopFound || a.HeadTopCut || a.HeadTop.Y <= 0 || a.HeadTop.Y >= d.Hairline.Y-10 {
		t.Errorf("head top %+v found %v cut %v (hairline y %.0f)", a.HeadTop, a.HeadTopFound, a.HeadTopCut, d.Hairline.Y)
	}
	if s := a.Shoulders; !s.Found || s.Left.Y <= d.Chin.Y || s.Right.Y <= d.Chin.Y || s.Left.X <= s.Right.X {
		t.Errorf("shoulders %+v (chin y %.0f)", s, d.Chin.Y)
	}
	for _, k := range []string{"detect", "mesh", "mask", "refine", "total"} {
		if a.Timings[k] <= 0 {
			t.Errorf("timing %q missing", k)
		}
	}
}

func TestPortraitFaceCounts(t *testing.T) {
	dir := portraitsDir(t)
	tests := []struct {
		file string
		want int
	}{
		{"facenet_multiface.jpg", 6},
		{"faceapi_sample6.jpg", 4},
		{"openface_longoria-cooper.jpg", 2},
		{"faceapi_sample2.jpg", 3},
		{"rembg_girl-2.jpg", 0},
		{"hivision_test4.jpg", 1},
		{"facenet_kate_siegel.jpg", 1},
		{"facenet_shea_whigham.jpg", 1},
		{"mtcnn_ivan.jpg", 1},
		{"rembg_girl-1.jpg", 1},
		{"u2net_man5.jpg", 1},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			a := analyse(t, filepath.Join(dir, tc.file), counts)
			if len(a.Faces) != tc.want {
				t.Errorf("%d faces, want %d: %+v", len(a.Faces), tc.want, a.Faces)
			}
			if (a.Main != nil) != (tc.want > 0) {
				t.Errorf("main face present %v, want %v", a.Main != nil, tc.want > 0)
			}
		})
	}
}

// Frontal portraits of the dev set (manifest: frontal, eyes open, mouth closed).
var frontalPhotos = []string{
	"pigo_sample.jpg", "hivision_test3.jpg", "hivision_test4.jpg", "u2net_img_1594.png",
	"u2net_img_1695.png", "u2net_img_1771.png", "u2net_man.jpg", "u2net_man2.jpg",
	"facenet_paul_rudd.jpg", "facenet_kate_siegel.jpg", "openface_adams.jpg", "openface_carell.jpg",
	"openface_lennon-1.jpg", "openface_lennon-2.jpg", "gocv_face.jpg", "u2net_kid3_exif6.jpg",
	"u2net_man4_exif8.jpg",
}

func TestPortraitFrontalPose(t *testing.T) {
	dir := portraitsDir(t)
	var pitches []float64
	for _, f := range frontalPhotos {
		t.Run(f, func(t *testing.T) {
			a := analyse(t, filepath.Join(dir, f), fast)
			if a.Main == nil {
				t.Fatal("no face")
			}
			p := a.Main.Pose
			t.Logf("yaw %+.1f pitch %+.1f roll %+.1f", p.Yaw, p.Pitch, p.Roll)
			pitches = append(pitches, p.Pitch)
			if math.Abs(p.Yaw) > 10 || math.Abs(p.Pitch) > 12 || math.Abs(p.Roll) > 8 {
				t.Errorf("frontal face: pose %+v", p)
			}
			d := a.Main
			if d.RightEyeOpen < 0.18 || d.LeftEyeOpen < 0.18 {
				t.Errorf("open eyes read as %.2f/%.2f", d.RightEyeOpen, d.LeftEyeOpen)
			}
			if d.MouthOpen > 0.1 {
				t.Errorf("closed mouth read as %.2f", d.MouthOpen)
			}
		})
	}
	// No constant pitch bias: the frontal set's mean pitch is near zero.
	if len(pitches) == len(frontalPhotos) {
		var s float64
		for _, p := range pitches {
			s += p
		}
		if mean := s / float64(len(pitches)); math.Abs(mean) > 3 {
			t.Errorf("mean frontal pitch %.1f°, want |mean| ≤ 3°", mean)
		}
	}
}

func TestPortraitTurnedPose(t *testing.T) {
	dir := portraitsDir(t)
	tests := []struct {
		file  string
		check func(p Pose) bool
		want  string
	}{
		{"rembg_girl-3.jpg", func(p Pose) bool { return math.Abs(p.Yaw) >= 20 }, "|yaw| ≥ 20 (looking over the shoulder)"},
		{"u2net_guliNazha3.jpg", func(p Pose) bool { return p.Roll >= 15 && p.Pitch >= 12 }, "roll ≥ 15, pitch ≥ 12 (head tilted back and sideways)"},
		{"u2net_kid1.jpg", func(p Pose) bool { return math.Abs(p.Roll) >= 8 && math.Abs(p.Pitch) >= 10 }, "|roll| ≥ 8, |pitch| ≥ 10 (head tilted, chin on arms)"},
		{"u2net_kid2.jpg", func(p Pose) bool { return math.Abs(p.Roll) >= 8 }, "|roll| ≥ 8 (three-quarter, tilted)"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			a := analyse(t, filepath.Join(dir, tc.file), fast)
			if a.Main == nil {
				t.Fatal("no face")
			}
			p := a.Main.Pose
			t.Logf("yaw %+.1f pitch %+.1f roll %+.1f", p.Yaw, p.Pitch, p.Roll)
			if !tc.check(p) {
				t.Errorf("pose %+v, want %s", p, tc.want)
			}
		})
	}
}

func TestPortraitMouthOpen(t *testing.T) {
	dir := portraitsDir(t)
	mar := func(f string) float64 {
		a := analyse(t, filepath.Join(dir, f), fast)
		if a.Main == nil {
			t.Fatalf("%s: no face", f)
		}
		return a.Main.MouthOpen
	}
	closed := 0.0
	for _, f := range []string{"pigo_sample.jpg", "u2net_man.jpg", "u2net_img_1695.png", "u2net_img_1771.png", "openface_lennon-2.jpg"} {
		closed = math.Max(closed, mar(f))
	}
	for _, f := range []string{"u2net_img_1616.png", "u2net_img_1585.png"} {
		if m := mar(f); m <= closed+0.02 {
			t.Errorf("%s: open mouth MAR %.3f not above the closed ones (max %.3f)", f, m, closed)
		}
	}
	if m := mar("u2net_img_1616.png"); m < 0.15 {
		t.Errorf("teeth smile MAR %.3f, want ≥ 0.15", m)
	}
}

func TestPortraitExifUpright(t *testing.T) {
	dir := portraitsDir(t)
	tests := []struct {
		file string
		w, h int
	}{
		{"u2net_kid3_exif6.jpg", 1024, 1024},
		{"u2net_man4_exif8.jpg", 600, 900},
		{"openface_clapton-1_exif3.jpg", 624, 420},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			a := analyse(t, filepath.Join(dir, tc.file), fast)
			if a.Width != tc.w || a.Height != tc.h {
				t.Errorf("size %d×%d, want %d×%d", a.Width, a.Height, tc.w, tc.h)
			}
			if len(a.Faces) != 1 || a.Main == nil {
				t.Fatalf("%d faces", len(a.Faces))
			}
			d := a.Main
			// Upright: eyes level and above the chin, right eye on the image left.
			if math.Abs(d.Pose.Roll) > 10 || d.EyeLine >= d.Chin.Y || d.EyeCenterRight.X >= d.EyeCenterLeft.X {
				t.Errorf("not upright: roll %.1f eye line %.0f chin %.0f", d.Pose.Roll, d.EyeLine, d.Chin.Y)
			}
		})
	}
}

func TestPortraitHeadTop(t *testing.T) {
	dir := portraitsDir(t)
	tests := []struct {
		file string
		cut  bool
	}{
		{"u2net_man.jpg", false},
		{"hivision_test3.jpg", false},
		{"facenet_paul_rudd.jpg", true},
		{"openface_lennon-1.jpg", true},
		{"u2net_guliNazha3.jpg", true},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			a := analyse(t, filepath.Join(dir, tc.file), full)
			if a.Main == nil || a.Mask == nil {
				t.Fatal("no face or mask")
			}
			if a.HeadTopCut != tc.cut || a.HeadTopFound == tc.cut {
				t.Errorf("head top %+v found %v cut %v, want cut %v", a.HeadTop, a.HeadTopFound, a.HeadTopCut, tc.cut)
			}
			if a.HeadTopFound && (a.HeadTop.Y >= a.Main.Hairline.Y || a.HeadTop.Y < 1) {
				t.Errorf("head top y %.1f not above the hairline %.1f", a.HeadTop.Y, a.Main.Hairline.Y)
			}
		})
	}
}

func TestPoseShoulders(t *testing.T) {
	dir := portraitsDir(t)
	a := testAnalyzer(t)
	if a.pose == nil {
		t.Fatalf("%s not loaded (it is fetched by scripts/fetch-models.sh)", FilePose)
	}
	// Long hair over the shoulders: the mask finds no neck, the pose model does.
	img, err := DecodeFile(filepath.Join(dir, "hivision_test3.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Analyze(context.Background(), img, AnalyzeOptions{Mask: true, FastFaces: true, PoseShoulders: true})
	if err != nil {
		t.Fatal(err)
	}
	s, d := res.Shoulders, res.Main
	if !s.Found || s.Source != "pose" || s.Confidence < poseMinVisible {
		t.Fatalf("shoulders %+v", s)
	}
	// Below the chin, either side of it, about level, 1.2–3.5 face widths apart.
	span := (s.Left.X - s.Right.X) / d.FaceWidth
	if s.Left.Y <= d.Chin.Y || s.Right.Y <= d.Chin.Y || span < 1.2 || span > 3.5 ||
		s.Right.X >= d.Chin.X || s.Left.X <= d.Chin.X || math.Abs(s.Left.Y-s.Right.Y) > 0.3*d.FaceWidth {
		t.Errorf("shoulders %+v (chin %v, face width %.0f, span %.2f)", s, d.Chin, d.FaceWidth, span)
	}
	if res.Timings["pose"] <= 0 {
		t.Error("pose timing missing")
	}
	// Without the option the neck-anchored mask scan finds nothing here; only the
	// silhouette fallback does.
	if m := analyse(t, filepath.Join(dir, "hivision_test3.jpg"), full); m.Shoulders.Source == "mask" {
		t.Errorf("mask shoulders under long hair: %+v", m.Shoulders)
	} else if !m.Shoulders.Found || m.Shoulders.Source != "silhouette" || m.Shoulders.Left.Y <= m.Main.Chin.Y {
		t.Errorf("silhouette fallback: %+v", m.Shoulders)
	}
}

// TestPoseFallback: the pose model runs only when the neck-anchored mask scan finds no
// shoulders.
func TestPoseFallback(t *testing.T) {
	dir := portraitsDir(t)
	a := testAnalyzer(t)
	if a.pose == nil {
		t.Fatalf("%s not loaded (it is fetched by scripts/fetch-models.sh)", FilePose)
	}
	for _, c := range []struct {
		file, source string
		pose         bool
	}{
		{"hivision_test3.jpg", "pose", true},  // long hair over the shoulders
		{"openface_carell.jpg", "pose", true}, // shoulders leave the frame at both sides
		{"u2net_man.jpg", "mask", false},      // clear neck: the mask scan suffices
	} {
		img, err := DecodeFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Analyze(context.Background(), img, AnalyzeOptions{Mask: true, PoseFallback: true})
		if err != nil {
			t.Fatal(err)
		}
		_, ran := res.Timings["pose"]
		if s := res.Shoulders; !s.Found || s.Source != c.source || ran != c.pose || s.Left.Y <= res.Main.Chin.Y || s.Right.X >= s.Left.X {
			t.Errorf("%s: shoulders %+v, pose ran %v; want source %s, pose ran %v", c.file, s, ran, c.source, c.pose)
		}
	}
}

func TestAnalyzeConcurrent(t *testing.T) {
	a := testAnalyzer(t)
	dir := fixturesDir(t)
	var imgs []image.Image
	for _, f := range []string{"pigo_sample.jpg", "faceapi_sample3.jpg"} {
		img, err := DecodeFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	opts := AnalyzeOptions{Mask: true, FastFaces: true}
	want := make([]*Analysis, len(imgs))
	for i, img := range imgs {
		res, err := a.Analyze(context.Background(), img, opts)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for k := 0; k < 4; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := k % len(imgs)
			res, err := a.Analyze(context.Background(), imgs[i], opts)
			if err != nil {
				errs <- err.Error()
				return
			}
			if len(res.Faces) != len(want[i].Faces) || res.Main.Pose != want[i].Main.Pose ||
				!bytes.Equal(res.Mask.Pix, want[i].Mask.Pix) {
				errs <- fmt.Sprintf("image %d: concurrent result differs", i)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	a := testAnalyzer(t)
	if _, err := a.Analyze(context.Background(), nil, AnalyzeOptions{}); err == nil {
		t.Error("nil image accepted")
	}
	if _, err := a.Analyze(context.Background(), image.NewRGBA(image.Rect(0, 0, 8, 8)), AnalyzeOptions{}); err == nil {
		t.Error("8×8 image accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Analyze(ctx, image.NewRGBA(image.Rect(0, 0, 64, 64)), AnalyzeOptions{}); err == nil {
		t.Error("cancelled context accepted")
	}
	// Odd shapes and tiny images: no panic, consistent sizes.
	for _, sz := range [][2]int{{16, 16}, {17, 3000}, {3000, 17}, {257, 255}} {
		img := image.NewNRGBA(image.Rect(5, 7, 5+sz[0], 7+sz[1]))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 7)
		}
		res, err := a.Analyze(context.Background(), img, AnalyzeOptions{Mask: true, PoseShoulders: true})
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		if res.Width != sz[0] || res.Height != sz[1] || res.Mask.W != sz[0] || res.Mask.H != sz[1] {
			t.Errorf("%v: analysis %d×%d mask %d×%d", sz, res.Width, res.Height, res.Mask.W, res.Mask.H)
		}
	}
	// A blank image has no face and no person; nothing is found, nothing panics.
	res, err := a.Analyze(context.Background(), image.NewGray(image.Rect(0, 0, 200, 300)), AnalyzeOptions{Mask: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Faces) != 0 || res.Main != nil || res.HeadTopFound || res.Shoulders.Found {
		t.Errorf("blank image: %+v", res)
	}
}

// TestFaceHint: with the mesh of a full analysis as the hint, the single mesh pass lands
// on the same face (same eye line and face width within a pixel or two); a hint on the
// plain background finds no face.
func TestFaceHint(t *testing.T) {
	path := filepath.Join(fixturesDir(t), "pigo_sample.jpg")
	ref := analyse(t, path, full)
	img, err := DecodeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := testAnalyzer(t).Analyze(context.Background(), img, AnalyzeOptions{Mask: true, FaceHint: ref.Main.Mesh})
	if err != nil {
		t.Fatal(err)
	}
	if a.Main == nil || len(a.Faces) != 1 {
		t.Fatalf("hinted analysis found %d faces, main %v", len(a.Faces), a.Main != nil)
	}
	d, r := a.Main, ref.Main
	if math.Abs(d.EyeLine-r.EyeLine) > 2 || math.Abs(d.FaceWidth-r.FaceWidth) > 3 || math.Abs(d.Chin.Y-r.Chin.Y) > 3 {
		t.Errorf("hinted eye line %.1f face width %.1f chin %.1f; detector path %.1f %.1f %.1f", d.EyeLine, d.FaceWidth, d.Chin.Y, r.EyeLine, r.FaceWidth, r.Chin.Y)
	}
	if !a.HeadTopFound || math.Abs(a.HeadTop.Y-ref.HeadTop.Y) > 2 {
		t.Errorf("head top %+v vs %+v", a.HeadTop, ref.HeadTop)
	}
	if _, ok := a.Timings["detect"]; ok {
		t.Error("detector ran despite the hint")
	}
	// The same mesh shifted onto the top-left background corner (scaled down).
	off := make([]Point3, len(r.Mesh))
	for i, p := range r.Mesh {
		off[i] = Point3{p.X*0.25 + 2, p.Y*0.25 + 2, p.Z * 0.25}
	}
	b, err := testAnalyzer(t).Analyze(context.Background(), img, AnalyzeOptions{FaceHint: off})
	if err != nil {
		t.Fatal(err)
	}
	if b.Main != nil {
		t.Errorf("hint on the background gave a face (score %.2f)", b.Main.MeshScore)
	}
}
