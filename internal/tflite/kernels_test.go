package tflite

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// runModel parses data, feeds the inputs and returns all outputs.
func runModel(t *testing.T, data []byte, threads int, inputs ...[]float32) [][]float32 {
	t.Helper()
	m, err := Parse(data)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	it := m.NewInterpreterOpts(Options{Threads: threads})
	for i, in := range inputs {
		if len(it.Input(i)) != len(in) {
			t.Fatalf("input %d has %d elements, model wants %d", i, len(in), len(it.Input(i)))
		}
		copy(it.Input(i), in)
	}
	if err := it.Invoke(); err != nil {
		t.Fatalf("invoke: %v", err)
	}
	var outs [][]float32
	for i := range m.Outputs() {
		outs = append(outs, append([]float32(nil), it.Output(i)...))
	}
	return outs
}

func seq(n int, start float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = start + float32(i)
	}
	return s
}

func fill(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func randVec(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func assertClose(t *testing.T, name string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > tol*math.Max(1, math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: [%d] = %v, want %v (|diff| %.3g)\n got  %v\n want %v", name, i, got[i], want[i], d,
				got[:min(len(got), 16)], want[:min(len(want), 16)])
		}
	}
}

func convOpts(padding uint8, sw, sh int32, act uint8, dw, dh int32) *fbObj {
	return obj().u8(0, padding).i32(1, sw).i32(2, sh).u8(3, act).i32(4, dw).i32(5, dh)
}

func i32s(v ...int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// convModel builds x -> CONV_2D(w [oc,kh,kw,c], bias) -> y.
func convModel(h, w, c, oc, kh, kw int, padding uint8, s, d int, act uint8, wt, bias []float32) ([]byte, int, int) {
	oh, _, _ := convGeom(padding, h, kh, s, d)
	ow, _, _ := convGeom(padding, w, kw, s, d)
	b := newTB()
	x := b.act("x", i32s(1, h, w, c)...)
	wi := b.constF("w", wt, i32s(oc, kh, kw, c)...)
	bi := b.constF("b", bias, int32(oc))
	y := b.act("y", i32s(1, oh, ow, oc)...)
	b.op(opConv2D, convOpts(padding, int32(s), int32(s), act, int32(d), int32(d)), []int32{x, wi, bi}, y)
	return b.bytes([]int32{x}, y), oh, ow
}

// refConv is a direct float64 convolution used as the reference.
func refConv(in []float32, h, w, c int, wt, bias []float32, oc, kh, kw int, padding uint8, s, d int) []float32 {
	oh, pt, _ := convGeom(padding, h, kh, s, d)
	ow, pl, _ := convGeom(padding, w, kw, s, d)
	out := make([]float32, oh*ow*oc)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			for o := 0; o < oc; o++ {
				sum := float64(bias[o])
				for ky := 0; ky < kh; ky++ {
					for kx := 0; kx < kw; kx++ {
						iy, ix := oy*s-pt+ky*d, ox*s-pl+kx*d
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						for ci := 0; ci < c; ci++ {
							sum += float64(in[(iy*w+ix)*c+ci]) * float64(wt[((o*kh+ky)*kw+kx)*c+ci])
						}
					}
				}
				out[(oy*ow+ox)*oc+o] = float32(sum)
			}
		}
	}
	return out
}

func TestConvHandComputed(t *testing.T) {
	// 4x4 input 1..16, 3x3 ones, stride 2, SAME: pad top/left 0, bottom/right 1.
	data, _, _ := convModel(4, 4, 1, 1, 3, 3, padSame, 2, 1, actNone, fill(9, 1), []float32{0})
	got := runModel(t, data, 1, seq(16, 1))[0]
	assertClose(t, "SAME stride 2", got, []float32{54, 45, 72, 54}, 0)

	// 5x5 input 1..25, 2x2 ones, dilation 2, stride 2, VALID.
	data, _, _ = convModel(5, 5, 1, 1, 2, 2, padValid, 2, 2, actNone, fill(4, 1), []float32{0})
	got = runModel(t, data, 1, seq(25, 1))[0]
	assertClose(t, "VALID dilation 2 stride 2", got, []float32{28, 36, 68, 76}, 0)

	// Fused RELU6 and bias: 1x1 conv, weights {1,-1}: out = clamp(x*w+bias).
	data, _, _ = convModel(1, 2, 1, 2, 1, 1, padValid, 1, 1, actRelu6, []float32{1, -1}, []float32{0.5, 0})
	got = runModel(t, data, 1, []float32{3, 10})[0]
	assertClose(t, "RELU6 fused", got, []float32{3.5, 0, 6, 0}, 0)
}

func TestConvMatchesReference(t *testing.T) {
	// Both the assembly micro-kernels (when the CPU has AVX2+FMA) and the
	// portable Go ones.
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for _, asm := range []bool{saved, false} {
		useAVX2 = asm
		testConvMatchesReference(t)
	}
}

func testConvMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		h, w, c, oc, k, s, d int
		pad                  uint8
	}{
		{7, 9, 3, 5, 3, 2, 1, padSame},
		{8, 8, 16, 24, 1, 1, 1, padSame}, // direct 1x1 path
		{6, 5, 8, 7, 1, 2, 1, padSame},   // 1x1 stride 2 (im2col)
		{9, 7, 4, 6, 3, 1, 2, padSame},   // dilation
		{10, 10, 3, 9, 5, 2, 1, padValid},
		{5, 5, 33, 3, 3, 1, 1, padSame},
		{17, 13, 6, 17, 3, 1, 1, padSame},
		{6, 6, 5, 40, 3, 1, 1, padSame}, // panels 16+16+8
		{3, 3, 2, 1, 1, 1, 1, padSame},  // fewer rows than a 4-row block
	}
	for _, tc := range cases {
		wt := randVec(r, tc.oc*tc.k*tc.k*tc.c)
		bias := randVec(r, tc.oc)
		in := randVec(r, tc.h*tc.w*tc.c)
		data, _, _ := convModel(tc.h, tc.w, tc.c, tc.oc, tc.k, tc.k, tc.pad, tc.s, tc.d, actNone, wt, bias)
		want := refConv(in, tc.h, tc.w, tc.c, wt, bias, tc.oc, tc.k, tc.k, tc.pad, tc.s, tc.d)
		for _, threads := range []int{1, 3} {
			got := runModel(t, data, threads, in)[0]
			assertClose(t, "conv", got, want, 1e-4)
		}
	}
}

func dwModel(h, w, c, dm, k int, padding uint8, s, d int, wt, bias []float32) []byte {
	oh, _, _ := convGeom(padding, h, k, s, d)
	ow, _, _ := convGeom(padding, w, k, s, d)
	b := newTB()
	x := b.act("x", i32s(1, h, w, c)...)
	wi := b.constF("w", wt, i32s(1, k, k, c*dm)...)
	bi := b.constF("b", bias, int32(c*dm))
	y := b.act("y", i32s(1, oh, ow, c*dm)...)
	opts := obj().u8(0, padding).i32(1, int32(s)).i32(2, int32(s)).i32(3, int32(dm)).u8(4, 0).i32(5, int32(d)).i32(6, int32(d))
	b.op(opDepthwiseConv2D, opts, []int32{x, wi, bi}, y)
	return b.bytes([]int32{x}, y)
}

func refDepthwise(in []float32, h, w, c, dm int, wt, bias []float32, k int, padding uint8, s, d int) []float32 {
	oh, pt, _ := convGeom(padding, h, k, s, d)
	ow, pl, _ := convGeom(padding, w, k, s, d)
	oc := c * dm
	out := make([]float32, oh*ow*oc)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			for ci := 0; ci < c; ci++ {
				for j := 0; j < dm; j++ {
					o := ci*dm + j
					sum := float64(bias[o])
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							iy, ix := oy*s-pt+ky*d, ox*s-pl+kx*d
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							sum += float64(in[(iy*w+ix)*c+ci]) * float64(wt[(ky*k+kx)*oc+o])
						}
					}
					out[(oy*ow+ox)*oc+o] = float32(sum)
				}
			}
		}
	}
	return out
}

func TestDepthwiseHandComputed(t *testing.T) {
	// 3x3 input 1..9, one channel, 3x3 ones, SAME stride 1: sums of neighbourhoods.
	got := runModel(t, dwModel(3, 3, 1, 1, 3, padSame, 1, 1, fill(9, 1), []float32{0}), 1, seq(9, 1))[0]
	assertClose(t, "dw SAME", got, []float32{12, 21, 16, 27, 45, 33, 24, 39, 28}, 0)
}

func TestDepthwiseMatchesReference(t *testing.T) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for _, asm := range []bool{saved, false} {
		useAVX2 = asm
		testDepthwiseMatchesReference(t)
	}
}

func testDepthwiseMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		h, w, c, dm, k, s, d int
		pad                  uint8
	}{
		{9, 11, 8, 1, 3, 1, 1, padSame},
		{9, 11, 8, 1, 3, 2, 1, padSame},
		{12, 10, 5, 1, 5, 1, 1, padSame},
		{12, 10, 5, 1, 5, 2, 1, padSame},
		{8, 8, 4, 1, 3, 1, 2, padSame},
		{7, 7, 3, 2, 3, 1, 1, padSame},
		{8, 9, 6, 1, 3, 2, 1, padValid},
		{7, 9, 44, 1, 3, 1, 1, padSame}, // 32 + 8 channel blocks + 4 in Go
		{9, 8, 16, 1, 5, 2, 1, padSame},
		{9, 9, 24, 1, 3, 1, 2, padSame}, // dilation with the assembly path
		{6, 6, 40, 1, 3, 2, 1, padValid},
	}
	for _, tc := range cases {
		wt := randVec(r, tc.k*tc.k*tc.c*tc.dm)
		bias := randVec(r, tc.c*tc.dm)
		in := randVec(r, tc.h*tc.w*tc.c)
		want := refDepthwise(in, tc.h, tc.w, tc.c, tc.dm, wt, bias, tc.k, tc.pad, tc.s, tc.d)
		for _, threads := range []int{1, 2} {
			got := runModel(t, dwModel(tc.h, tc.w, tc.c, tc.dm, tc.k, tc.pad, tc.s, tc.d, wt, bias), threads, in)[0]
			assertClose(t, "depthwise", got, want, 1e-4)
		}
	}
}

func transposeOpts(padding, sw, sh int32) []byte {
	b := make([]byte, 12)
	binary.LittleEndian.PutUint32(b[0:], uint32(padding))
	binary.LittleEndian.PutUint32(b[4:], uint32(sw))
	binary.LittleEndian.PutUint32(b[8:], uint32(sh))
	return b
}

func TestTransposeConv(t *testing.T) {
	// VALID, stride 2, 2x2 kernel: each input pixel becomes a 2x2 block x*w + bias.
	b := newTB()
	x := b.act("x", 1, 2, 2, 1)
	w := b.constF("w", []float32{1, 2, 3, 4}, 1, 2, 2, 1)
	bi := b.constF("b", []float32{0.5}, 1)
	y := b.act("y", 1, 4, 4, 1)
	b.custom("Convolution2DTransposeBias", transposeOpts(2, 2, 2), []int32{x, w, bi}, y)
	got := runModel(t, b.bytes([]int32{x}, y), 1, []float32{1, 2, 3, 4})[0]
	want := []float32{
		1.5, 2.5, 2.5, 4.5,
		3.5, 4.5, 6.5, 8.5,
		3.5, 6.5, 4.5, 8.5,
		9.5, 12.5, 12.5, 16.5,
	}
	assertClose(t, "transpose VALID", got, want, 0)

	// SAME, stride 2, 3x3 kernel, 3 -> 2 channels, against a scatter reference.
	r := rand.New(rand.NewPCG(5, 6))
	const h, wd, c, oc, k, s = 4, 5, 3, 2, 3, 2
	wt, bias, in := randVec(r, oc*k*k*c), randVec(r, oc), randVec(r, h*wd*c)
	b = newTB()
	x = b.act("x", 1, h, wd, c)
	wi := b.constF("w", wt, oc, k, k, c)
	bi = b.constF("b", bias, oc)
	y = b.act("y", 1, h*s, wd*s, oc)
	b.custom("Convolution2DTransposeBias", transposeOpts(1, s, s), []int32{x, wi, bi}, y)
	got = runModel(t, b.bytes([]int32{x}, y), 2, in)[0]
	oh, ow := h*s, wd*s
	pt := max((h-1)*s+k-oh, 0) / 2
	pl := max((wd-1)*s+k-ow, 0) / 2
	ref := make([]float64, oh*ow*oc)
	for i := range ref {
		ref[i] = float64(bias[i%oc])
	}
	for iy := 0; iy < h; iy++ {
		for ix := 0; ix < wd; ix++ {
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					oy, ox := iy*s+ky-pt, ix*s+kx-pl
					if oy < 0 || oy >= oh || ox < 0 || ox >= ow {
						continue
					}
					for o := 0; o < oc; o++ {
						for ci := 0; ci < c; ci++ {
							ref[(oy*ow+ox)*oc+o] += float64(in[(iy*wd+ix)*c+ci]) * float64(wt[((o*k+ky)*k+kx)*c+ci])
						}
					}
				}
			}
		}
	}
	want = make([]float32, len(ref))
	for i, v := range ref {
		want[i] = float32(v)
	}
	assertClose(t, "transpose SAME", got, want, 1e-5)
}

func TestBinaryBroadcast(t *testing.T) {
	cases := []struct {
		name   string
		op     int32
		act    uint8
		bShape []int32
		a, b   []float32
		want   []float32
	}{
		{"add [3]", opAdd, actNone, []int32{3}, seq(6, 1), []float32{10, 20, 30}, []float32{11, 22, 33, 14, 25, 36}},
		{"mul [1,1,1,3]", opMul, actNone, []int32{1, 1, 1, 3}, seq(6, 1), []float32{1, 2, 3}, []float32{1, 4, 9, 4, 10, 18}},
		{"mul scalar relu", opMul, actRelu, []int32{1}, []float32{-1, 2, -3, 4, -5, 6}, []float32{2}, []float32{0, 4, 0, 8, 0, 12}},
		{"add [1,1,2,1]", opAdd, actNone, []int32{1, 1, 2, 1}, seq(6, 0), []float32{100, 200}, []float32{100, 101, 102, 203, 204, 205}},
		{"add same", opAdd, actReluN1To1, []int32{1, 1, 2, 3}, []float32{0.5, -3, 2, 0, 0, 0}, []float32{0, 0, 0, 0.25, -0.5, 0.75}, []float32{0.5, -1, 1, 0.25, -0.5, 0.75}},
		{"prelu [3]", opPrelu, actNone, []int32{3}, []float32{-1, 2, -3, -4, 5, -6}, []float32{0.1, 0.2, 0.3}, []float32{-0.1, 2, -0.9, -0.4, 5, -1.8}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newTB()
			x := b.act("x", 1, 1, 2, 3)
			c := b.constF("c", tc.b, tc.bShape...)
			y := b.act("y", 1, 1, 2, 3)
			var opts *fbObj
			if tc.op != opPrelu {
				opts = obj().u8(0, tc.act)
			}
			b.op(tc.op, opts, []int32{x, c}, y)
			got := runModel(t, b.bytes([]int32{x}, y), 1, tc.a)[0]
			assertClose(t, tc.name, got, tc.want, 1e-6)
		})
	}
	// Two activations broadcasting against each other: [1,2,1,3] + [1,1,2,1].
	b := newTB()
	x1 := b.act("x1", 1, 2, 1, 3)
	x2 := b.act("x2", 1, 1, 2, 1)
	y := b.act("y", 1, 2, 2, 3)
	b.op(opAdd, nil, []int32{x1, x2}, y)
	got := runModel(t, b.bytes([]int32{x1, x2}, y), 1, seq(6, 0), []float32{10, 20})[0]
	assertClose(t, "add both broadcast", got, []float32{10, 11, 12, 20, 21, 22, 13, 14, 15, 23, 24, 25}, 0)
}

func TestUnary(t *testing.T) {
	in := []float32{-4, -3, -1, -0.5, 0, 0.5, 1, 3, 7}
	cases := []struct {
		op   int32
		want func(float64) float64
	}{
		{opRelu, func(v float64) float64 { return math.Max(v, 0) }},
		{opRelu6, func(v float64) float64 { return math.Min(math.Max(v, 0), 6) }},
		{opReluN1To1, func(v float64) float64 { return math.Min(math.Max(v, -1), 1) }},
		{opLogistic, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{opHardSwish, func(v float64) float64 { return v * math.Min(math.Max(v+3, 0), 6) / 6 }},
	}
	for _, tc := range cases {
		b := newTB()
		x := b.act("x", 1, 1, 1, int32(len(in)))
		y := b.act("y", 1, 1, 1, int32(len(in)))
		b.op(tc.op, nil, []int32{x}, y)
		got := runModel(t, b.bytes([]int32{x}, y), 1, in)[0]
		want := make([]float32, len(in))
		for i, v := range in {
			want[i] = float32(tc.want(float64(v)))
		}
		assertClose(t, opName(tc.op), got, want, 1e-6)
	}
	// Spot values: hard-swish(1) = 1*4/6, logistic(0) = 0.5.
	if v := float32(1 * 4.0 / 6); math.Abs(float64(v-0.6666667)) > 1e-6 {
		t.Fatal(v)
	}
}

func TestPool(t *testing.T) {
	for _, tc := range []struct {
		op   int32
		want []float32
	}{
		{opAveragePool2D, []float32{3, 4.5, 7.5, 9}}, // padding cells are not counted
		{opMaxPool2D, []float32{5, 6, 8, 9}},
	} {
		b := newTB()
		x := b.act("x", 1, 3, 3, 1)
		y := b.act("y", 1, 2, 2, 1)
		b.op(tc.op, obj().u8(0, padSame).i32(1, 2).i32(2, 2).i32(3, 2).i32(4, 2).u8(5, 0), []int32{x}, y)
		got := runModel(t, b.bytes([]int32{x}, y), 2, seq(9, 1))[0]
		assertClose(t, opName(tc.op), got, tc.want, 1e-6)
	}
	// Global average over 2x2 with two channels.
	b := newTB()
	x := b.act("x", 1, 2, 2, 2)
	y := b.act("y", 1, 1, 1, 2)
	b.op(opAveragePool2D, obj().u8(0, padValid).i32(1, 2).i32(2, 2).i32(3, 2).i32(4, 2), []int32{x}, y)
	got := runModel(t, b.bytes([]int32{x}, y), 1, seq(8, 0))[0]
	assertClose(t, "global avg", got, []float32{3, 4}, 1e-6)
}

func TestMean(t *testing.T) {
	for _, keep := range []bool{true, false} {
		b := newTB()
		x := b.act("x", 1, 2, 2, 3)
		axes := b.constI("axes", []int32{1, 2}, 2)
		var y int32
		if keep {
			y = b.act("y", 1, 1, 1, 3)
		} else {
			y = b.act("y", 1, 3)
		}
		k := uint8(0)
		if keep {
			k = 1
		}
		b.op(opMean, obj().u8(0, k), []int32{x, axes}, y)
		got := runModel(t, b.bytes([]int32{x}, y), 1, seq(12, 0))[0]
		assertClose(t, "mean", got, []float32{4.5, 5.5, 6.5}, 1e-6)
	}
}

func TestPadConcatReshape(t *testing.T) {
	b := newTB()
	x := b.act("x", 1, 2, 2, 1)
	p := b.constI("pads", []int32{0, 0, 1, 0, 0, 1, 0, 1}, 4, 2)
	y := b.act("y", 1, 3, 3, 2)
	b.op(opPad, nil, []int32{x, p}, y)
	got := runModel(t, b.bytes([]int32{x}, y), 1, []float32{1, 2, 3, 4})[0]
	assertClose(t, "pad", got, []float32{0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 3, 0, 4, 0, 0, 0}, 0)

	// Spatial padding only (the contiguous-row path): 1x2x2x2 -> 1x3x4x2.
	b = newTB()
	x = b.act("x", 1, 2, 2, 2)
	p = b.constI("pads", []int32{0, 0, 0, 1, 1, 1, 0, 0}, 4, 2)
	y = b.act("y", 1, 3, 4, 2)
	b.op(opPad, nil, []int32{x, p}, y)
	got = runModel(t, b.bytes([]int32{x}, y), 1, seq(8, 1))[0]
	assertClose(t, "pad spatial", got, []float32{
		0, 0, 1, 2, 3, 4, 0, 0,
		0, 0, 5, 6, 7, 8, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0}, 0)

	// Concatenate on the channel axis and on axis 1, then reshape.
	b = newTB()
	x1 := b.act("x1", 1, 2, 1, 2)
	x2 := b.act("x2", 1, 2, 1, 1)
	c := b.act("c", 1, 2, 1, 3)
	b.op(opConcatenation, obj().i32(0, -1), []int32{x1, x2}, c)
	x3 := b.act("x3", 1, 1, 1, 3)
	d := b.act("d", 1, 3, 1, 3)
	b.op(opConcatenation, obj().i32(0, 1), []int32{c, x3}, d)
	shape := b.constI("shape", []int32{9}, 1)
	e := b.act("e", 9)
	b.op(opReshape, nil, []int32{d, shape}, e)
	got = runModel(t, b.bytes([]int32{x1, x2, x3}, e), 1, []float32{1, 2, 3, 4}, []float32{10, 20}, []float32{7, 8, 9})[0]
	assertClose(t, "concat+reshape", got, []float32{1, 2, 10, 3, 4, 20, 7, 8, 9}, 0)
}

func TestResizeBilinear(t *testing.T) {
	in := []float32{0, 1, 2, 3}
	cases := []struct {
		name         string
		align, halfP bool
		want         []float32
	}{
		{"align_corners", true, false, []float32{
			0, 1.0 / 3, 2.0 / 3, 1,
			2.0 / 3, 1, 4.0 / 3, 5.0 / 3,
			4.0 / 3, 5.0 / 3, 2, 7.0 / 3,
			2, 7.0 / 3, 8.0 / 3, 3}},
		{"half_pixel_centers", false, true, []float32{
			0, 0.25, 0.75, 1,
			0.5, 0.75, 1.25, 1.5,
			1.5, 1.75, 2.25, 2.5,
			2, 2.25, 2.75, 3}},
		{"legacy", false, false, []float32{
			0, 0.5, 1, 1,
			1, 1.5, 2, 2,
			2, 2.5, 3, 3,
			2, 2.5, 3, 3}},
	}
	for _, tc := range cases {
		b := newTB()
		x := b.act("x", 1, 2, 2, 1)
		size := b.constI("size", []int32{4, 4}, 2)
		y := b.act("y", 1, 4, 4, 1)
		opts := obj()
		if tc.align {
			opts.u8(2, 1)
		}
		if tc.halfP {
			opts.u8(3, 1)
		}
		b.op(opResizeBilinear, opts, []int32{x, size}, y)
		got := runModel(t, b.bytes([]int32{x}, y), 2, in)[0]
		assertClose(t, tc.name, got, tc.want, 1e-6)
	}
}

func TestDequantizeFolding(t *testing.T) {
	// FLOAT16 weights 1.0 (0x3c00), -2.0 (0xc000), 0.5 (0x3800) feeding a 1x1 conv.
	half := []uint16{0x3c00, 0xc000, 0x3800}
	raw := make([]byte, 6)
	for i, h := range half {
		binary.LittleEndian.PutUint16(raw[2*i:], h)
	}
	b := newTB()
	x := b.act("x", 1, 1, 1, 3)
	wh := b.constRaw("w16", typeFloat16, raw, 1, 1, 1, 3)
	w := b.act("w", 1, 1, 1, 3)
	b.op(opDequantize, nil, []int32{wh}, w)
	y := b.act("y", 1, 1, 1, 1)
	b.op(opConv2D, convOpts(padValid, 1, 1, 0, 1, 1), []int32{x, w, -1}, y)
	m, err := Parse(b.bytes([]int32{x}, y))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.kernels) != 1 {
		t.Fatalf("DEQUANTIZE not folded: %d kernels", len(m.kernels))
	}
	got := runModel(t, b.bytes([]int32{x}, y), 1, []float32{4, 1, 2})[0]
	assertClose(t, "fp16 conv", got, []float32{4 - 2 + 1}, 0)

	for _, tc := range []struct {
		h    uint16
		want float32
	}{{0x0001, 5.9604645e-08}, {0x7bff, 65504}, {0x8000, float32(math.Copysign(0, -1))}, {0x3555, 0.33325195}} {
		if got := f16(tc.h); got != tc.want {
			t.Errorf("f16(%#x) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	unsupported := func() []byte {
		b := newTB()
		x := b.act("x", 1, 4)
		y := b.act("y", 1, 4)
		b.op(25, nil, []int32{x}, y) // SOFTMAX
		return b.bytes([]int32{x}, y)
	}
	badCustom := func() []byte {
		b := newTB()
		x := b.act("x", 1, 2, 2, 1)
		y := b.act("y", 1, 2, 2, 1)
		b.custom("Landmarks2TransformMatrix", nil, []int32{x}, y)
		return b.bytes([]int32{x}, y)
	}
	badShape := func() []byte {
		// 3 input channels but weights for 2.
		b := newTB()
		x := b.act("x", 1, 4, 4, 3)
		w := b.constF("w", fill(3*9*2, 1), 3, 3, 3, 2)
		y := b.act("y", 1, 4, 4, 3)
		b.op(opConv2D, convOpts(padSame, 1, 1, 0, 1, 1), []int32{x, w}, y)
		return b.bytes([]int32{x}, y)
	}
	badIndex := func() []byte {
		b := newTB()
		x := b.act("x", 1, 4)
		y := b.act("y", 1, 4)
		b.op(opRelu, nil, []int32{x + 7}, y)
		return b.bytes([]int32{x}, y)
	}
	useBeforeDef := func() []byte {
		b := newTB()
		x := b.act("x", 1, 4)
		y := b.act("y", 1, 4)
		z := b.act("z", 1, 4)
		b.op(opRelu, nil, []int32{z}, y)
		b.op(opRelu, nil, []int32{x}, z)
		return b.bytes([]int32{x}, y)
	}
	emptyResize := func() []byte {
		b := newTB()
		x := b.act("x", 1, 0, 2, 1)
		y := b.act("y", 1, 4, 4, 1)
		b.op(opResizeBilinear, obj(), []int32{x}, y)
		return b.bytes([]int32{x}, y)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"empty resize input", emptyResize(), "empty input"},
		{"not tflite", []byte("PK\x03\x04hello world, not a model"), "not a TFLite model"},
		{"unsupported op", unsupported(), "SOFTMAX"},
		{"unsupported custom", badCustom(), "Landmarks2TransformMatrix"},
		{"channel mismatch", badShape(), "do not match input channels"},
		{"tensor index", badIndex(), "out of range"},
		{"use before def", useBeforeDef(), "used before it is computed"},
	}
	for _, tc := range cases {
		_, err := Parse(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestExpf(t *testing.T) {
	for x := float32(-87); x <= 88; x += 0.37 {
		got, want := float64(expf(x)), math.Exp(float64(x))
		if math.Abs(got-want) > 4e-7*want {
			t.Fatalf("expf(%v) = %v, want %v (rel err %.2g)", x, got, want, math.Abs(got-want)/want)
		}
	}
	if expf(-100) != 0 || !math.IsInf(float64(expf(100)), 1) || expf(0) != 1 {
		t.Errorf("expf limits: %v %v %v", expf(-100), expf(100), expf(0))
	}
}

func TestTrailingPeriod(t *testing.T) {
	out := [4]int{1, 4, 5, 6}
	for _, tc := range []struct {
		s    [4]int
		want int
	}{
		{[4]int{1, 1, 1, 6}, 6}, {[4]int{1, 1, 5, 6}, 30}, {[4]int{1, 1, 1, 1}, 1},
		{[4]int{1, 4, 1, 6}, 0}, {[4]int{1, 1, 5, 1}, 0}, {[4]int{1, 4, 5, 6}, 120},
	} {
		if got := trailingPeriod(tc.s, out); got != tc.want {
			t.Errorf("trailingPeriod(%v) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// TestElementwiseLong checks the vectorised element-wise paths (lengths not
// a multiple of 8, broadcast periods) against scalar formulas, with and
// without the assembly kernels.
func TestElementwiseLong(t *testing.T) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	r := rand.New(rand.NewPCG(7, 8))
	const h, w, c = 3, 5, 20 // 300 elements, period 20
	x := randVec(r, h*w*c)
	full := randVec(r, h*w*c)
	per := randVec(r, c)
	for _, asm := range []bool{saved, false} {
		useAVX2 = asm
		for _, tc := range []struct {
			op    int32
			act   uint8
			other []float32
			shape []int32
			f     func(a, b float64) float64
		}{
			{opAdd, actRelu6, full, []int32{1, h, w, c}, func(a, b float64) float64 { return math.Min(math.Max(a+b, 0), 6) }},
			{opMul, actNone, full, []int32{1, h, w, c}, func(a, b float64) float64 { return a * b }},
			{opMul, actRelu, per, []int32{1, 1, 1, c}, func(a, b float64) float64 { return math.Max(a*b, 0) }},
			{opPrelu, actNone, per, []int32{1, 1, c}, func(a, b float64) float64 {
				if a < 0 {
					return a * b
				}
				return a
			}},
		} {
			b := newTB()
			xi := b.act("x", 1, h, w, c)
			oi := b.constF("o", tc.other, tc.shape...)
			y := b.act("y", 1, h, w, c)
			var opts *fbObj
			if tc.op != opPrelu {
				opts = obj().u8(0, tc.act)
			}
			b.op(tc.op, opts, []int32{xi, oi}, y)
			got := runModel(t, b.bytes([]int32{xi}, y), 2, x)[0]
			want := make([]float32, len(x))
			for i := range x {
				want[i] = float32(tc.f(float64(x[i]), float64(tc.other[i%len(tc.other)])))
			}
			assertClose(t, fmt.Sprintf("%s asm=%v", opName(tc.op), asm), got, want, 1e-6)
		}
		for _, op := range []int32{opRelu, opRelu6, opHardSwish, opLogistic} {
			b := newTB()
			xi := b.act("x", 1, 300)
			y := b.act("y", 1, 300)
			b.op(op, nil, []int32{xi}, y)
			got := runModel(t, b.bytes([]int32{xi}, y), 1, x)[0]
			want := make([]float32, len(x))
			for i, v := range x {
				switch op {
				case opRelu:
					want[i] = max(v, 0)
				case opRelu6:
					want[i] = min(max(v, 0), 6)
				case opHardSwish:
					want[i] = float32(float64(v) * math.Min(math.Max(float64(v)+3, 0), 6) / 6)
				case opLogistic:
					want[i] = float32(1 / (1 + math.Exp(-float64(v))))
				}
			}
			assertClose(t, fmt.Sprintf("%s asm=%v", opName(op), asm), got, want, 1e-6)
		}
	}
}
