package vision

import (
	"context"
	"math"
	"path/filepath"
	"testing"
)

// faceAt is a FaceDetail whose cheek points 234/454 and eye line put a face of width fw
// centred at cx with its eyes at eyeY.
func faceAt(cx, eyeY, fw float64) *FaceDetail {
	d := &FaceDetail{FaceWidth: fw, EyeLine: eyeY, Mesh: make([]Point3, meshPoints)}
	d.Mesh[234] = Point3{X: cx - fw/2, Y: eyeY + 0.3*fw}
	d.Mesh[454] = Point3{X: cx + fw/2, Y: eyeY + 0.3*fw}
	return d
}

func TestHeadRegionFor(t *testing.T) {
	// A face in the middle of a 1000×1500 photo: a 3.2-face-width square centred on it,
	// its top 1.4 face widths above the eyes, feathered on every side.
	reg, ok := headRegionFor(faceAt(500, 600, 200), 1000, 1500)
	if !ok || reg.Side != 640 || reg.X0 != 180 || reg.Y0 != 320 || !(reg.FL && reg.FT && reg.FR && reg.FB) {
		t.Fatalf("centred face: %+v %v", reg, ok)
	}
	// Near the top-left corner the square is shifted inside and not feathered where it
	// touches the photo's edges.
	reg, ok = headRegionFor(faceAt(150, 100, 200), 1000, 1500)
	if !ok || reg.X0 != 0 || reg.Y0 != 0 || reg.FL || reg.FT || !reg.FR || !reg.FB {
		t.Fatalf("corner face: %+v %v", reg, ok)
	}
	// A face filling the photo gains nothing: no head pass.
	if _, ok := headRegionFor(faceAt(300, 300, 400), 600, 700); ok {
		t.Fatal("head pass on a photo that is all head")
	}
	if _, ok := headRegionFor(nil, 100, 100); ok {
		t.Fatal("head pass without a face")
	}
}

func TestHeadDeltaFeather(t *testing.T) {
	// The head pass says "person" (1) everywhere in its region; the whole-image plane says 0.
	h := &headProb{reg: headRegion{X0: 100, Y0: 100, Side: 200, FL: true, FT: true, FR: true, FB: true}, prob: make([]float32, segInput*segInput)}
	for i := range h.prob {
		h.prob[i] = 1
	}
	const W, H = 400, 400
	p := make([]float32, W*H)
	d := h.delta(p, W, H, W, H, 0, 0, W, H)
	at := func(x, y int) float64 { return float64(d[y*W+x]) }
	if v := at(200, 200); math.Abs(v-1) > 1e-6 {
		t.Errorf("centre of the region: %.3f, want 1", v)
	}
	if v := at(100, 200); v > 0.05 {
		t.Errorf("left border: %.3f, want ≈ 0 (feathered)", v)
	}
	if v := at(110, 200); v <= 0.05 || v >= 0.95 {
		t.Errorf("inside the ramp: %.3f, want between", v)
	}
	if at(50, 50) != 0 || at(350, 200) != 0 {
		t.Error("change outside the region")
	}
}

// TestHeadPassOnBusyBackdrop: on facenet_shea_whigham (a red and white event wall) the
// whole-image pass keeps a strip of red wall beside the jaw; the head pass removes most of it.
func TestHeadPassOnBusyBackdrop(t *testing.T) {
	dir := portraitsDir(t)
	a := testAnalyzer(t)
	img, err := DecodeFile(filepath.Join(dir, "facenet_shea_whigham.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	wall := func(o AnalyzeOptions) float64 {
		res, err := a.Analyze(context.Background(), img, o)
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		n := 0
		for y := 500; y < 620; y++ {
			for x := 580; x < 635; x++ {
				s += res.Mask.At(x, y)
				n++
			}
		}
		return s / float64(n)
	}
	before := wall(AnalyzeOptions{Mask: true, NoHeadPass: true})
	after := wall(AnalyzeOptions{Mask: true})
	t.Logf("mean mask over the wall beside the jaw: %.3f without the head pass, %.3f with it", before, after)
	if !(before > 0.12 && after < before/2) {
		t.Errorf("wall beside the jaw: %.3f → %.3f, want the head pass to halve it", before, after)
	}
}
