package tflite

import (
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestModelsLoadAndDescribe(t *testing.T) {
	want := map[string]struct{ in, out [][]int }{
		"face_detection_short_range.tflite": {[][]int{{1, 128, 128, 3}}, [][]int{{1, 896, 16}, {1, 896, 1}}},
		"face_landmark.tflite":              {[][]int{{1, 192, 192, 3}}, [][]int{{1, 1, 1, 1404}, {1, 1, 1, 1}}},
		"selfie_segmentation.tflite":        {[][]int{{1, 256, 256, 3}}, [][]int{{1, 256, 256, 1}}},
		"pose_landmark_lite.tflite":         {[][]int{{1, 256, 256, 3}}, [][]int{{1, 195}, {1, 1}, {1, 256, 256, 1}, {1, 64, 64, 39}, {1, 117}}},
	}
	for _, f := range modelFiles {
		m := loadModel(t, f)
		w := want[f]
		check := func(kind string, got []TensorInfo, want [][]int) {
			if len(got) != len(want) {
				t.Fatalf("%s: %d %s, want %d", f, len(got), kind, len(want))
			}
			for i := range got {
				if !equalInts(got[i].Shape, want[i]) {
					t.Errorf("%s: %s %d (%s) shape %v, want %v", f, kind, i, got[i].Name, got[i].Shape, want[i])
				}
			}
		}
		check("inputs", m.Inputs(), w.in)
		check("outputs", m.Outputs(), w.out)
		// Inputs() returns copies: mutating them must not affect the model.
		m.Inputs()[0].Shape[0] = 99
		if m.Inputs()[0].Shape[0] != 1 {
			t.Errorf("%s: Inputs() exposes internal state", f)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestModelsOutputSanity runs every model on a real portrait and checks
// outputs that follow from what the photo shows.
func TestModelsOutputSanity(t *testing.T) {
	sig := func(v float32) float64 { return 1 / (1 + math.Exp(-float64(v))) }
	allFinite := func(name string, v []float32) {
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("%s: non-finite value at %d", name, i)
			}
		}
	}

	det := loadModel(t, "face_detection_short_range.tflite").NewInterpreter()
	copy(det.Input(0), imageTensor(t, "pigo_sample.jpg", cropSpec{}, 128, -1, 1))
	if err := det.Invoke(); err != nil {
		t.Fatal(err)
	}
	allFinite("detector", det.Output(0))
	best, bi := -1.0, 0
	for i, v := range det.Output(1) {
		if s := sig(v); s > best {
			best, bi = s, i
		}
	}
	if best < 0.8 {
		t.Errorf("detector: best face score %.3f on a frontal portrait, want > 0.8", best)
	}
	if bi < 512 { // the large face must be found on the 8x8 map (anchors 512..895)
		t.Errorf("detector: best anchor %d is on the 16x16 map; the face fills the frame", bi)
	}

	mesh := loadModel(t, "face_landmark.tflite").NewInterpreter()
	copy(mesh.Input(0), imageTensor(t, "pigo_sample.jpg", pigoFace, 192, 0, 1))
	if err := mesh.Invoke(); err != nil {
		t.Fatal(err)
	}
	pts := mesh.Output(0)
	allFinite("mesh", pts)
	if f := sig(mesh.Output(1)[0]); f < 0.9 {
		t.Errorf("mesh: face flag %.3f, want > 0.9", f)
	}
	// Right eye outer corner (33) left of the left eye outer corner (263) in the
	// image, both above the chin (152), nose tip (1) between the eyes.
	x := func(i int) float32 { return pts[3*i] }
	y := func(i int) float32 { return pts[3*i+1] }
	if !(x(33) < x(1) && x(1) < x(263) && y(33) < y(152) && y(263) < y(152)) {
		t.Errorf("mesh: implausible geometry: eye 33 (%.1f,%.1f) nose 1 (%.1f,%.1f) eye 263 (%.1f,%.1f) chin 152 (%.1f,%.1f)",
			x(33), y(33), x(1), y(1), x(263), y(263), x(152), y(152))
	}
	for i := 0; i < 468; i++ {
		if x(i) < -20 || x(i) > 212 || y(i) < -20 || y(i) > 212 {
			t.Errorf("mesh: point %d (%.1f,%.1f) far outside the 192-px crop", i, x(i), y(i))
			break
		}
	}

	selfie := loadModel(t, "selfie_segmentation.tflite").NewInterpreter()
	copy(selfie.Input(0), imageTensor(t, "pigo_sample.jpg", cropSpec{}, 256, 0, 1))
	if err := selfie.Invoke(); err != nil {
		t.Fatal(err)
	}
	mask := selfie.Output(0)
	allFinite("selfie", mask)
	fg := 0
	for _, v := range mask {
		if v < 0 || v > 1 {
			t.Fatalf("selfie: mask value %v outside [0,1]", v)
		}
		if v > 0.5 {
			fg++
		}
	}
	if frac := float64(fg) / float64(len(mask)); frac < 0.2 || frac > 0.9 {
		t.Errorf("selfie: person covers %.2f of a portrait, want 0.2..0.9", frac)
	}
	if c := mask[128*256+128]; c < 0.9 { // the face is in the centre
		t.Errorf("selfie: centre mask %.3f, want > 0.9", c)
	}

	pose := loadModel(t, "pose_landmark_lite.tflite").NewInterpreter()
	copy(pose.Input(0), imageTensor(t, "pigo_sample.jpg", cropSpec{}, 256, 0, 1))
	if err := pose.Invoke(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		allFinite("pose", pose.Output(i))
	}
	lm := pose.Output(0) // 39 × (x, y, z, visibility, presence)
	if lm[0*5+1] >= lm[11*5+1] || lm[0*5+1] >= lm[12*5+1] {
		t.Errorf("pose: nose y %.1f not above shoulders %.1f / %.1f", lm[1], lm[11*5+1], lm[12*5+1])
	}
}

func TestPoolConcurrent(t *testing.T) {
	m := loadModel(t, "face_landmark.tflite")
	input := imageTensor(t, "pigo_sample.jpg", pigoFace, 192, 0, 1)
	it := m.NewInterpreterOpts(Options{Threads: 1})
	copy(it.Input(0), input)
	if err := it.Invoke(); err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), it.Output(0)...)

	p := NewPoolOpts(m, 3, Options{Threads: 2})
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 3; r++ {
				it := p.Get()
				in := it.Input(0)
				copy(in, input)
				if g%2 == 1 { // a different input in between must not leak across interpreters
					for i := range in {
						in[i] = 1 - in[i]
					}
					if err := it.Invoke(); err != nil {
						errs <- err.Error()
					}
					copy(in, input)
				}
				if err := it.Invoke(); err != nil {
					errs <- err.Error()
				}
				for i, v := range it.Output(0) {
					if math.Abs(float64(v-want[i])) > 1e-3 {
						errs <- "pooled result differs from the single-threaded one"
						break
					}
				}
				p.Put(it)
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestInvokeDoesNotAllocate(t *testing.T) {
	m := loadModel(t, "face_detection_short_range.tflite")
	for _, threads := range []int{1, 2} {
		it := m.NewInterpreterOpts(Options{Threads: threads})
		it.Invoke() // start the shared workers
		allocs := testing.AllocsPerRun(5, func() {
			if err := it.Invoke(); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 0 {
			t.Errorf("threads %d: %.1f allocations per Invoke, want 0", threads, allocs)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.tflite")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
	p := filepath.Join(t.TempDir(), "geometry.tflite")
	data, err := os.ReadFile(filepath.Join(modelsDir(t), "geometry_pipeline_metadata_landmarks.binarypb"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, data, 0o644)
	if _, err := Load(p); err == nil {
		t.Error("Load of a protobuf file succeeded")
	}
}
