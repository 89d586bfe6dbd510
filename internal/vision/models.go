package vision

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"xiaoxiang/internal/tflite"
)

// Model files and their pinned sha256 (docs: vision.md; fetched by scripts/fetch-models.sh).
const (
	FileDetector  = "face_detection_short_range.tflite"
	FileMesh      = "face_landmark.tflite"
	FileSegmenter = "selfie_segmentation.tflite"
	FileCanonical = "geometry_pipeline_metadata_landmarks.binarypb"
	FilePose      = "pose_landmark_lite.tflite"
)

// ModelSHA256 maps each model file to its pinned sha256.
var ModelSHA256 = map[string]string{
	FileDetector:  "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
	FileMesh:      "c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1",
	FileSegmenter: "8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27",
	FileCanonical: "bdbcda96dfcb7da883da124aaa2c55dee49770d934f0fcc71747f8c21bdc75b4",
	FilePose:      "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
}

// ErrModels is wrapped by every error about a missing or corrupt model file.
var ErrModels = errors.New("vision models missing or corrupt: run scripts/fetch-models.sh (or make models)")

// readModel reads dir/name and checks its pinned sha256.
func readModel(dir, name string) ([]byte, error) {
	p := filepath.Join(dir, name)
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("vision: model %s not found in %s: %w", name, dir, ErrModels)
		}
		return nil, fmt.Errorf("vision: read model %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != ModelSHA256[name] {
		return nil, fmt.Errorf("vision: model %s has sha256 %s, want %s: %w", p, got, ModelSHA256[name], ErrModels)
	}
	return data, nil
}

// loadNet reads, verifies and parses a TFLite model.
func loadNet(dir, name string) (*tflite.Model, error) {
	data, err := readModel(dir, name)
	if err != nil {
		return nil, err
	}
	m, err := tflite.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("vision: parse model %s: %w", name, err)
	}
	return m, nil
}

// netPool hands out interpreters of one model, creating at most cap of them.
type netPool struct {
	m       *tflite.Model
	threads int
	free    chan *tflite.Interpreter
	tokens  chan struct{}
}

func newNetPool(m *tflite.Model, size, threads int) *netPool {
	if size < 1 {
		size = 1
	}
	p := &netPool{m: m, threads: threads, free: make(chan *tflite.Interpreter, size), tokens: make(chan struct{}, size)}
	for i := 0; i < size; i++ {
		p.tokens <- struct{}{}
	}
	return p
}

// get returns an idle interpreter, creating one if the pool is not yet full, or
// waits for one to be put back.
func (p *netPool) get() *tflite.Interpreter {
	select {
	case it := <-p.free:
		return it
	default:
	}
	select {
	case it := <-p.free:
		return it
	case <-p.tokens:
		return p.m.NewInterpreterOpts(tflite.Options{Threads: p.threads})
	}
}

func (p *netPool) put(it *tflite.Interpreter) { p.free <- it }

// outputBySize returns the index of the model output with n elements.
func outputBySize(m *tflite.Model, n int) (int, error) {
	for i, o := range m.Outputs() {
		sz := 1
		for _, d := range o.Shape {
			sz *= d
		}
		if sz == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("vision: model has no output of %d values", n)
}

// checkInput verifies that input 0 is 1×size×size×3.
func checkInput(m *tflite.Model, name string, size int) error {
	in := m.Inputs()
	if len(in) < 1 {
		return fmt.Errorf("vision: model %s has no input: %w", name, ErrModels)
	}
	s := in[0].Shape
	if len(s) != 4 || s[1] != size || s[2] != size || s[3] != 3 {
		return fmt.Errorf("vision: model %s input shape %v, want [1 %d %d 3]: %w", name, s, size, size, ErrModels)
	}
	return nil
}
