// Package models benchmarks the pure-Go TFLite interpreter on the MediaPipe
// models, single- and multi-threaded, and (with -tfjs) side by side with
// TensorFlow.js (wasm backend) running the same networks in Node.
//
//	go test ./bench/models -run '^$' -bench . -benchtime 20x
//	go test ./bench/models -run TFJS -tfjs -v          # the table in bench/README.md
package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
	"xiaoxiang/internal/testenv"

	"xiaoxiang/internal/tflite"
)

var (
	tfjsFlag   = flag.Bool("tfjs", false, "also time TF.js-wasm (tools/tfjs, needs Node) and print the comparison table")
	runsFlag   = flag.Int("runs", 10, "timed runs per model, configuration and round in the -tfjs comparison")
	roundsFlag = flag.Int("rounds", 3, "rounds of Go 1 thread, Go 2 threads, TF.js (interleaved so machine load hits all alike)")
)

type benchModel struct {
	label, file, tfjs string
	size              int
}

var benchModels = []benchModel{
	{"face detector (short range)", "face_detection_short_range.tflite", "facemesh-detection-short", 128},
	{"face mesh (468 points)", "face_landmark.tflite", "facemesh", 192},
	{"selfie segmentation", "selfie_segmentation.tflite", "selfie", 256},
	{"pose landmark lite", "pose_landmark_lite.tflite", "blazepose-lite", 256},
}

func repoRoot(t testing.TB) string { return testenv.Root(t) }

func load(t testing.TB, file string) *tflite.Model {
	dir := os.Getenv("XIAOXIANG_MODELS_DIR")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "models")
	}
	m, err := tflite.Load(filepath.Join(dir, file))
	if err != nil {
		t.Fatalf("%v (run scripts/fetch-models.sh)", err)
	}
	return m
}

// input is a deterministic smooth image-like tensor in [0,1] (the timing of
// these float networks does not depend on the pixel values).
func input(size int) []float32 {
	v := make([]float32, size*size*3)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			for c := 0; c < 3; c++ {
				v[(y*size+x)*3+c] = float32(0.5 + 0.5*math.Sin(float64(x*(c+1))/17+float64(y)/23))
			}
		}
	}
	return v
}

func BenchmarkModels(b *testing.B) {
	for _, bm := range benchModels {
		m := load(b, bm.file)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", strings.TrimSuffix(bm.file, ".tflite"), threads), func(b *testing.B) {
				it := m.NewInterpreterOpts(tflite.Options{Threads: threads})
				copy(it.Input(0), input(bm.size))
				if err := it.Invoke(); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for b.Loop() {
					if err := it.Invoke(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

type stats struct{ median, min float64 }

func summarize(ms []float64) stats {
	s := append([]float64(nil), ms...)
	sort.Float64s(s)
	return stats{median: s[len(s)/2], min: s[0]}
}

func timeGo(t *testing.T, m *tflite.Model, size, threads, runs int) []float64 {
	it := m.NewInterpreterOpts(tflite.Options{Threads: threads})
	copy(it.Input(0), input(size))
	for i := 0; i < 3; i++ {
		if err := it.Invoke(); err != nil {
			t.Fatal(err)
		}
	}
	ms := make([]float64, runs)
	for i := range ms {
		st := time.Now()
		if err := it.Invoke(); err != nil {
			t.Fatal(err)
		}
		ms[i] = float64(time.Since(st).Microseconds()) / 1000
	}
	return ms
}

// TestTFJSComparison times every model with the Go interpreter (1 and 2
// threads) and with TF.js-wasm on the same input tensors, in the same session,
// and prints a Markdown table (also written to bench/out/models.md).
func TestTFJSComparison(t *testing.T) {
	if !*tfjsFlag {
		t.Skip("run with -tfjs to compare with TensorFlow.js (needs Node and tools/tfjs/node_modules)")
	}
	root := repoRoot(t)
	tool := filepath.Join(root, "tools", "tfjs")
	if _, err := os.Stat(filepath.Join(tool, "node_modules", "@tensorflow", "tfjs-backend-wasm")); err != nil {
		t.Fatalf("TF.js packages missing: (cd tools/tfjs && npm ci): %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found: %v", err)
	}
	dir := t.TempDir()
	args := []string{filepath.Join(tool, "bench.js"), fmt.Sprint(*runsFlag)}
	for i, bm := range benchModels {
		p := filepath.Join(dir, fmt.Sprintf("in%d.f32", i))
		v := input(bm.size)
		buf := make([]byte, 4*len(v))
		for k, x := range v {
			binary.LittleEndian.PutUint32(buf[4*k:], math.Float32bits(x))
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, fmt.Sprintf("%s:%s:%d:%d", bm.tfjs, p, bm.size, bm.size))
	}

	goMS := make([][2][]float64, len(benchModels))
	jsMS := make([][]float64, len(benchModels))
	models := make([]*tflite.Model, len(benchModels))
	for i, bm := range benchModels {
		models[i] = load(t, bm.file)
	}
	var res struct {
		Backend string               `json:"backend"`
		Threads int                  `json:"threads"`
		Models  map[string][]float64 `json:"models"`
	}
	for round := 0; round < *roundsFlag; round++ {
		for i, bm := range benchModels {
			goMS[i][0] = append(goMS[i][0], timeGo(t, models[i], bm.size, 1, *runsFlag)...)
			goMS[i][1] = append(goMS[i][1], timeGo(t, models[i], bm.size, 2, *runsFlag)...)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(node, args...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bench.js: %v\n%s", err, stderr.String())
		}
		if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
			t.Fatalf("bench.js output: %v", err)
		}
		for i, bm := range benchModels {
			jsMS[i] = append(jsMS[i], res.Models[bm.tfjs]...)
		}
	}
	goRes := make([][2]stats, len(benchModels))
	for i := range benchModels {
		goRes[i] = [2]stats{summarize(goMS[i][0]), summarize(goMS[i][1])}
	}

	var md strings.Builder
	fmt.Fprintf(&md, "%d rounds × %d runs per configuration (after warm-ups), rounds interleaved; median (min) ms; %s, GOMAXPROCS %d; TF.js backend %s, %d thread(s)\n\n",
		*roundsFlag, *runsFlag, runtime.Version(), runtime.GOMAXPROCS(0), res.Backend, res.Threads)
	md.WriteString("| model | Go 1 thread | Go 2 threads | TF.js-wasm | Go 2 threads / TF.js (median) | (min) |\n|---|---|---|---|---|---|\n")
	for i, bm := range benchModels {
		js := summarize(jsMS[i])
		fmt.Fprintf(&md, "| %s | %.1f (%.1f) | %.1f (%.1f) | %.1f (%.1f) | %.2f | %.2f |\n", bm.label,
			goRes[i][0].median, goRes[i][0].min, goRes[i][1].median, goRes[i][1].min, js.median, js.min,
			goRes[i][1].median/js.median, goRes[i][1].min/js.min)
	}
	t.Log("\n" + md.String())
	outDir := filepath.Join(root, "bench", "out")
	if err := os.MkdirAll(outDir, 0o755); err == nil {
		os.WriteFile(filepath.Join(outDir, "models.md"), []byte(md.String()), 0o644)
	}
}
