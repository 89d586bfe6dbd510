package tflite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds truncated and perturbed models to Parse and runs the small
// ones. Parse and Invoke must return errors, never panic (their recover
// turns a panic into an "internal error", which fails the fuzz target).
//
//	go test ./internal/tflite -run '^$' -fuzz FuzzParse -fuzztime 2m
func FuzzParse(f *testing.F) {
	det, err := os.ReadFile(filepath.Join(modelsDir(f), "face_detection_short_range.tflite"))
	if err != nil {
		f.Fatalf("detector model missing: %v", err)
	}
	f.Add(det)
	for _, n := range []int{8, 64, 1000, 20000, len(det) / 2, len(det) - 1} {
		f.Add(det[:n])
	}
	for _, pos := range []int{0, 4, 12, 100, 2000, len(det) - 200} {
		p := append([]byte(nil), det...)
		p[pos] ^= 0xff
		f.Add(p)
	}
	for _, data := range smallSeedModels() {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A watchdog: an input that takes seconds is a bug too (the panic in
		// this goroutine makes the fuzzer record the input).
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic("FuzzParse: input took more than 10 s")
			}
		}()
		m, err := Parse(data)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("parse panicked: %v", err)
			}
			return
		}
		if m.arena > 1<<18 || m.cost > 1<<22 {
			return // too big to run at fuzzing speed
		}
		it := m.NewInterpreterOpts(Options{Threads: 2})
		if err := it.Invoke(); err != nil {
			t.Fatalf("invoke of a model that parsed: %v", err)
		}
	})
}

// smallSeedModels are one- and two-operator models covering every kernel.
func smallSeedModels() [][]byte {
	var out [][]byte
	conv, _, _ := convModel(5, 5, 2, 3, 3, 3, padSame, 2, 1, actRelu6, fill(54, 0.1), fill(3, 0))
	conv16, _, _ := convModel(4, 4, 3, 16, 1, 1, padSame, 1, 1, actNone, fill(48, 0.1), fill(16, 0))
	out = append(out, conv, conv16, dwModel(6, 6, 3, 1, 3, padSame, 1, 1, fill(27, 0.1), fill(3, 0)),
		dwModel(6, 6, 2, 2, 5, padValid, 1, 1, fill(100, 0.1), fill(4, 0)),
		dwModel(5, 5, 16, 1, 3, padSame, 2, 1, fill(144, 0.1), fill(16, 0)))
	b := newTB()
	x := b.act("x", 1, 2, 2, 1)
	w := b.constF("w", []float32{1, 2, 3, 4}, 1, 2, 2, 1)
	y := b.act("y", 1, 4, 4, 1)
	b.custom("Convolution2DTransposeBias", transposeOpts(1, 2, 2), []int32{x, w, -1}, y)
	out = append(out, b.bytes([]int32{x}, y))
	b = newTB()
	x = b.act("x", 1, 2, 2, 3)
	c := b.constF("c", []float32{1, 2, 3}, 3)
	a := b.act("a", 1, 2, 2, 3)
	b.op(opMul, obj().u8(0, actRelu), []int32{x, c}, a)
	p := b.constI("pads", []int32{0, 0, 1, 1, 1, 1, 0, 0}, 4, 2)
	pd := b.act("pd", 1, 4, 4, 3)
	b.op(opPad, nil, []int32{a, p}, pd)
	mp := b.act("mp", 1, 2, 2, 3)
	b.op(opMaxPool2D, obj().u8(0, padValid).i32(1, 2).i32(2, 2).i32(3, 2).i32(4, 2), []int32{pd}, mp)
	sz := b.constI("size", []int32{3, 3}, 2)
	rs := b.act("rs", 1, 3, 3, 3)
	b.op(opResizeBilinear, obj().u8(3, 1), []int32{mp, sz}, rs)
	hs := b.act("hs", 1, 3, 3, 3)
	b.op(opHardSwish, nil, []int32{rs}, hs)
	axes := b.constI("axes", []int32{1, 2}, 2)
	mn := b.act("mn", 1, 1, 1, 3)
	b.op(opMean, obj().u8(0, 1), []int32{hs, axes}, mn)
	cc := b.act("cc", 1, 1, 1, 6)
	b.op(opConcatenation, obj().i32(0, 3), []int32{mn, mn}, cc)
	sh := b.constI("shape", []int32{1, 6}, 2)
	rh := b.act("rh", 1, 6)
	b.op(opReshape, nil, []int32{cc, sh}, rh)
	out = append(out, b.bytes([]int32{x}, rh))
	return out
}

func TestSmallSeedModelsRun(t *testing.T) {
	for i, data := range smallSeedModels() {
		m, err := Parse(data)
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		it := m.NewInterpreter()
		for k := range it.Input(0) {
			it.Input(0)[k] = float32(k%5) - 2
		}
		if err := it.Invoke(); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
}
