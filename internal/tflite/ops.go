package tflite

import (
	"fmt"
	"math"
)

const unusedTensor = -2

// build validates every operator, folds constant DEQUANTIZE ops and prepares
// one kernel per remaining operator, recording tensor lifetimes.
func (m *Model) build(ops []rawOp) error {
	for i := range m.tensors {
		m.tensors[i].first = unusedTensor
		m.tensors[i].last = -1
	}
	for _, x := range m.inputs {
		m.tensors[x].first = -1
	}
	for i := range ops {
		o := &ops[i]
		k, err := m.buildOp(o)
		if err != nil {
			return fmt.Errorf("tflite: parse: operator %d (%s): %w", o.index, o.name, err)
		}
		if k == nil {
			continue // folded into a constant
		}
		idx := len(m.kernels)
		m.kernels = append(m.kernels, k)
		m.cost += k.cost()
		if m.cost > maxCost {
			return fmt.Errorf("tflite: parse: operator %d (%s): the model needs more than %d operations per run", o.index, o.name, int64(maxCost))
		}
		for _, x := range o.inputs {
			if x >= 0 && !m.tensors[x].konst {
				m.tensors[x].last = max(m.tensors[x].last, idx)
			}
		}
		for _, x := range o.outputs {
			m.tensors[x].first = idx
			m.tensors[x].last = max(m.tensors[x].last, idx)
		}
	}
	for _, x := range m.outputs {
		t := &m.tensors[x]
		if !t.konst && t.first == unusedTensor {
			return fmt.Errorf("tflite: parse: output %q is never computed", t.name)
		}
		if t.konst {
			if _, err := m.constF(x); err != nil {
				return fmt.Errorf("tflite: parse: output %q: %w", t.name, err)
			}
		}
	}
	return nil
}

// floatIn validates a float input of an operator: a float constant or an
// already computed FLOAT32 activation.
func (m *Model) floatIn(x int) error {
	t := &m.tensors[x]
	if t.konst {
		_, err := m.constF(x)
		return err
	}
	if t.typ != typeFloat32 {
		return fmt.Errorf("input %q has type %s, only FLOAT32 activations are supported", t.name, typeName(t.typ))
	}
	if t.first == unusedTensor {
		return fmt.Errorf("input %q is used before it is computed", t.name)
	}
	return nil
}

// floatOut validates an output of an operator.
func (m *Model) floatOut(x int) error {
	t := &m.tensors[x]
	if t.konst {
		return fmt.Errorf("output %q is a constant", t.name)
	}
	if t.typ != typeFloat32 {
		return fmt.Errorf("output %q has type %s, only FLOAT32 is supported", t.name, typeName(t.typ))
	}
	if t.first != unusedTensor {
		return fmt.Errorf("output %q is written twice (or is a graph input)", t.name)
	}
	return nil
}

func (m *Model) needIScratch(n int) {
	if n > m.iscratch {
		m.iscratch = n
	}
}

func (m *Model) needScratch(n int) {
	if n > m.scratch {
		m.scratch = n
	}
}

func want4D(m *Model, xs ...int) error {
	for _, x := range xs {
		s := m.tensors[x].shape
		if len(s) != 4 || s[0] != 1 {
			return fmt.Errorf("tensor %q: shape %v, want [1,H,W,C]", m.tensors[x].name, s)
		}
	}
	return nil
}

func wantShape(m *Model, x int, dims ...int) error {
	s := m.tensors[x].shape
	if len(s) != len(dims) {
		return fmt.Errorf("tensor %q: shape %v, want %v", m.tensors[x].name, s, dims)
	}
	for i := range s {
		if s[i] != dims[i] {
			return fmt.Errorf("tensor %q: shape %v, want %v", m.tensors[x].name, s, dims)
		}
	}
	return nil
}

func (m *Model) buildOp(o *rawOp) (kernel, error) {
	nIn, nOut := len(o.inputs), len(o.outputs)
	in := func(i int) int {
		if i < nIn {
			return int(o.inputs[i])
		}
		return -1
	}
	needIO := func(minIn, maxIn, outs int) error {
		if nIn < minIn || nIn > maxIn || nOut != outs {
			return fmt.Errorf("has %d inputs and %d outputs, want %d..%d and %d", nIn, nOut, minIn, maxIn, outs)
		}
		for i := 0; i < minIn; i++ {
			if o.inputs[i] < 0 {
				return fmt.Errorf("required input %d is missing", i)
			}
		}
		for _, x := range o.outputs {
			if err := m.floatOut(int(x)); err != nil {
				return err
			}
		}
		return nil
	}
	floats := func(idx ...int) error {
		for _, x := range idx {
			if x < 0 {
				continue
			}
			if err := m.floatIn(x); err != nil {
				return err
			}
		}
		return nil
	}
	opt := o.options
	y := func() int { return int(o.outputs[0]) }

	switch o.code.builtin {
	case opDequantize:
		if nIn != 1 || nOut != 1 || o.inputs[0] < 0 {
			return nil, fmt.Errorf("has %d inputs and %d outputs, want 1 and 1", nIn, nOut)
		}
		x, out := in(0), y()
		src := &m.tensors[x]
		dst := &m.tensors[out]
		if !src.konst || (src.typ != typeFloat16 && src.typ != typeFloat32) {
			return nil, fmt.Errorf("only constant FLOAT16 inputs are supported (input %q is %s)", src.name, typeName(src.typ))
		}
		if dst.konst || dst.typ != typeFloat32 || dst.first != unusedTensor || dst.n != src.n {
			return nil, fmt.Errorf("output %q must be a new FLOAT32 tensor of %d elements", dst.name, src.n)
		}
		v, err := m.constF(x)
		if err != nil {
			return nil, err
		}
		dst.konst, dst.f32 = true, v
		return nil, nil

	case opConv2D:
		if err := needIO(2, 3, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0), in(1), in(2)); err != nil {
			return nil, err
		}
		act, err := fusedAct(opt.u8(3, 0))
		if err != nil {
			return nil, err
		}
		return newConv(m, in(0), in(1), in(2), y(), opt.u8(0, 0), int(opt.i32(1, 0)), int(opt.i32(2, 0)),
			int(opt.i32(4, 1)), int(opt.i32(5, 1)), act)

	case opDepthwiseConv2D:
		if err := needIO(2, 3, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0), in(1), in(2)); err != nil {
			return nil, err
		}
		act, err := fusedAct(opt.u8(4, 0))
		if err != nil {
			return nil, err
		}
		return newDepthwise(m, in(0), in(1), in(2), y(), opt.u8(0, 0), int(opt.i32(1, 0)), int(opt.i32(2, 0)),
			int(opt.i32(3, 1)), int(opt.i32(5, 1)), int(opt.i32(6, 1)), act)

	case opCustom:
		if o.code.custom != "Convolution2DTransposeBias" {
			return nil, fmt.Errorf("unsupported custom op %q", o.code.custom)
		}
		if err := needIO(2, 3, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0), in(1), in(2)); err != nil {
			return nil, err
		}
		return newTransposeConv(m, in(0), in(1), in(2), y(), o.custom)

	case opAdd, opMul, opPrelu:
		if err := needIO(2, 2, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0), in(1)); err != nil {
			return nil, err
		}
		act := noClamp
		if o.code.builtin != opPrelu {
			var err error
			if act, err = fusedAct(opt.u8(0, 0)); err != nil {
				return nil, err
			}
		}
		return newBinary(m, o.code.builtin, in(0), in(1), y(), act)

	case opRelu, opRelu6, opReluN1To1, opLogistic, opHardSwish:
		if err := needIO(1, 1, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0)); err != nil {
			return nil, err
		}
		if m.tensors[in(0)].n != m.tensors[y()].n {
			return nil, fmt.Errorf("input has %d elements, output %d", m.tensors[in(0)].n, m.tensors[y()].n)
		}
		return &unaryOp{kind: o.code.builtin, in: in(0), out: y(), n: m.tensors[y()].n, sixth: hardSwishSixth}, nil

	case opAveragePool2D, opMaxPool2D:
		if err := needIO(1, 1, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0)); err != nil {
			return nil, err
		}
		act, err := fusedAct(opt.u8(5, 0))
		if err != nil {
			return nil, err
		}
		return newPool(m, o.code.builtin == opMaxPool2D, in(0), y(), opt.u8(0, 0), int(opt.i32(1, 0)), int(opt.i32(2, 0)),
			int(opt.i32(3, 0)), int(opt.i32(4, 0)), act)

	case opMean:
		if err := needIO(2, 2, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0)); err != nil {
			return nil, err
		}
		return newMean(m, in(0), in(1), y(), opt.bool(0))

	case opPad:
		if err := needIO(2, 2, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0)); err != nil {
			return nil, err
		}
		return newPad(m, in(0), in(1), y())

	case opConcatenation:
		if err := needIO(1, 1<<10, 1); err != nil {
			return nil, err
		}
		for _, x := range o.inputs {
			if x < 0 {
				return nil, fmt.Errorf("missing input")
			}
			if err := floats(int(x)); err != nil {
				return nil, err
			}
		}
		act, err := fusedAct(opt.u8(1, 0))
		if err != nil {
			return nil, err
		}
		xs := make([]int, nIn)
		for i, x := range o.inputs {
			xs[i] = int(x)
		}
		return newConcat(m, xs, y(), int(opt.i32(0, 0)), act)

	case opReshape:
		if err := needIO(1, 2, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0)); err != nil {
			return nil, err
		}
		if a, b := m.tensors[in(0)].n, m.tensors[y()].n; a != b {
			return nil, fmt.Errorf("input has %d elements, output shape %v has %d", a, m.tensors[y()].shape, b)
		}
		return &copyOp{in: in(0), out: y()}, nil

	case opResizeBilinear:
		if err := needIO(1, 2, 1); err != nil {
			return nil, err
		}
		if err := floats(in(0)); err != nil {
			return nil, err
		}
		return newResize(m, in(0), in(1), y(), opt.bool(2), opt.bool(3))
	}
	return nil, fmt.Errorf("unsupported operator %s", o.name)
}

// ---- element-wise ----

type unaryOp struct {
	kind    int32
	in, out int
	n       int
	sixth   float32 // HARD_SWISH: x·relu6(x+3)·sixth
}

// hardSwishSixth is the 1/6 of HARD_SWISH. Tests set it to the FLOAT16
// rounding of 1/6 to mimic the TF.js conversion of the selfie model, whose
// graph spells hard-swish with a float16 constant.
var hardSwishSixth float32 = 1.0 / 6

func (u *unaryOp) cost() int64 { return int64(u.n) }

func (u *unaryOp) run(it *Interpreter) { it.parallel(u, u.n, 4096, u.cost()) }

func (u *unaryOp) runRange(it *Interpreter, _, lo, hi int) {
	x := it.data[u.in][lo:hi]
	y := it.data[u.out][lo:hi]
	y = y[:len(x)]
	if done := vecUnary(u.kind, y, x, u.sixth); done > 0 {
		x, y = x[done:], y[done:]
	}
	switch u.kind {
	case opRelu:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	case opRelu6:
		for i, v := range x {
			y[i] = min(max(v, 0), 6)
		}
	case opReluN1To1:
		for i, v := range x {
			y[i] = min(max(v, -1), 1)
		}
	case opLogistic:
		for i, v := range x {
			y[i] = sigmoid(v)
		}
	case opHardSwish:
		for i, v := range x {
			y[i] = v * min(max(v+3, 0), 6) * u.sixth
		}
	}
}

func sigmoid(v float32) float32 { return 1 / (1 + expf(-v)) }

// expf is a float32 exp with a relative error of about 2e-7 (Cody-Waite
// range reduction and a degree-6 polynomial), saturating outside ±88.
func expf(x float32) float32 {
	if x > 88.7 {
		return float32(math.Inf(1))
	}
	if x < -87.3 {
		return 0
	}
	if x != x {
		return x
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*ln2hi - n*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// binaryOp is ADD, MUL or PRELU with NumPy-style broadcasting over up to 4
// dimensions.
type binaryOp struct {
	kind      int32
	a, b, out int
	act       clamp
	same      bool
	n         int
	od        [4]int // output dims
	as, bs    [4]int // element strides of a and b (0 where broadcast)
	// Periodic broadcasting: a has the output shape and b repeats every
	// bPeriod elements (or the other way round with aPeriod); 0 if not.
	bPeriod, aPeriod int
}

// trailingPeriod returns the element count of s if s is ones followed by the
// trailing dimensions of out (so it repeats along the leading ones), else 0.
func trailingPeriod(s, out [4]int) int {
	i := 0
	for i < 4 && s[i] == 1 {
		i++
	}
	for j := i; j < 4; j++ {
		if s[j] != out[j] {
			return 0
		}
	}
	return s[0] * s[1] * s[2] * s[3]
}

func newBinary(m *Model, kind int32, a, b, out int, act clamp) (*binaryOp, error) {
	sa, sb, so := m.tensors[a].shape, m.tensors[b].shape, m.tensors[out].shape
	if len(sa) > 4 || len(sb) > 4 || len(so) > 4 {
		return nil, fmt.Errorf("rank above 4 is not supported (%v, %v)", sa, sb)
	}
	op := &binaryOp{kind: kind, a: a, b: b, out: out, act: act, n: m.tensors[out].n}
	pa, pb, po := pad4(sa), pad4(sb), pad4(so)
	for i := 0; i < 4; i++ {
		d := pa[i]
		if pb[i] != d {
			switch {
			case d == 1:
				d = pb[i]
			case pb[i] != 1:
				return nil, fmt.Errorf("shapes %v and %v do not broadcast", sa, sb)
			}
		}
		if d != po[i] {
			return nil, fmt.Errorf("output shape %v, want broadcast of %v and %v", so, sa, sb)
		}
		op.od[i] = d
	}
	op.same = pa == pb
	// b (or a) repeating with a period: its shape equals the trailing
	// dimensions of the output after leading ones (e.g. PRELU alpha [1,1,C]
	// or a per-channel scale [1,1,1,C]).
	op.bPeriod = trailingPeriod(pb, op.od)
	if op.bPeriod == 0 || op.bPeriod == op.n {
		op.bPeriod = 0
		if pb == op.od {
			op.aPeriod = trailingPeriod(pa, op.od)
			if op.aPeriod == op.n {
				op.aPeriod = 0
			}
		}
	}
	if pa != op.od {
		op.bPeriod = 0
	}
	op.as, op.bs = strides4(pa), strides4(pb)
	for i := 0; i < 4; i++ {
		if pa[i] == 1 {
			op.as[i] = 0
		}
		if pb[i] == 1 {
			op.bs[i] = 0
		}
	}
	return op, nil
}

func pad4(s []int) [4]int {
	p := [4]int{1, 1, 1, 1}
	copy(p[4-len(s):], s)
	return p
}

func strides4(d [4]int) [4]int {
	return [4]int{d[1] * d[2] * d[3], d[2] * d[3], d[3], 1}
}

func (op *binaryOp) cost() int64 { return int64(op.n) }

func (op *binaryOp) run(it *Interpreter) {
	if p := op.bPeriod + op.aPeriod; p > 0 {
		it.parallel(op, op.n/p, max(1, 4096/p), op.cost())
		return
	}
	if op.same {
		it.parallel(op, op.n, 4096, op.cost())
		return
	}
	it.parallel(op, op.od[0]*op.od[1]*op.od[2], max(1, 4096/max(op.od[3], 1)), op.cost())
}

func (op *binaryOp) runRange(it *Interpreter, _, lo, hi int) {
	a, b, y := it.data[op.a], it.data[op.b], it.data[op.out]
	if p := op.bPeriod; p > 0 {
		for r := lo; r < hi; r++ {
			op.apply(y[r*p:(r+1)*p], a[r*p:(r+1)*p], b[:p], 1, 1)
		}
		return
	}
	if p := op.aPeriod; p > 0 {
		for r := lo; r < hi; r++ {
			op.apply(y[r*p:(r+1)*p], a[:p], b[r*p:(r+1)*p], 1, 1)
		}
		return
	}
	if op.same {
		op.apply(y[lo:hi], a[lo:hi], b[lo:hi], 1, 1)
		return
	}
	d1, d2, d3 := op.od[1], op.od[2], op.od[3]
	for r := lo; r < hi; r++ {
		i0, i1, i2 := r/(d1*d2), (r/d2)%d1, r%d2
		ao := i0*op.as[0] + i1*op.as[1] + i2*op.as[2]
		bo := i0*op.bs[0] + i1*op.bs[1] + i2*op.bs[2]
		na, nb := d3, d3
		if op.as[3] == 0 {
			na = 1
		}
		if op.bs[3] == 0 {
			nb = 1
		}
		op.apply(y[r*d3:(r+1)*d3], a[ao:ao+na], b[bo:bo+nb], op.as[3], op.bs[3])
	}
}

// apply computes y = a (op) b where a and b are either len(y) long (stride 1)
// or a single broadcast value (stride 0).
func (op *binaryOp) apply(y, a, b []float32, sa, sb int) {
	n := len(y)
	lo, hi := op.act.lo, op.act.hi
	if sa == 1 && sb == 1 {
		a, b = a[:n], b[:n]
		if done := vecBinary(op.kind, y, a, b, op.act); done > 0 {
			y, a, b = y[done:], a[done:], b[done:]
		}
		switch {
		case op.kind == opAdd && op.act == noClamp:
			for i, v := range a {
				y[i] = v + b[i]
			}
		case op.kind == opAdd:
			for i, v := range a {
				y[i] = min(max(v+b[i], lo), hi)
			}
		case op.kind == opMul && op.act == noClamp:
			for i, v := range a {
				y[i] = v * b[i]
			}
		case op.kind == opMul:
			for i, v := range a {
				y[i] = min(max(v*b[i], lo), hi)
			}
		case op.kind == opPrelu:
			for i, v := range a {
				y[i] = max(v, 0) + b[i]*min(v, 0)
			}
		}
		return
	}
	for i := range y {
		va, vb := a[i*sa], b[i*sb]
		var v float32
		switch op.kind {
		case opAdd:
			v = va + vb
		case opMul:
			v = va * vb
		case opPrelu:
			v = max(va, 0) + vb*min(va, 0)
		}
		y[i] = min(max(v, lo), hi)
	}
}

// copyOp is RESHAPE (static shapes: the data is unchanged).
type copyOp struct{ in, out int }

func (c *copyOp) cost() int64 { return 1 }

func (c *copyOp) run(it *Interpreter) { copy(it.data[c.out], it.data[c.in]) }

// ---- pooling and reductions ----

type poolOp struct {
	in, out        int
	h, w, c        int
	oh, ow         int
	kh, kw, sh, sw int
	padT, padL     int
	isMax          bool
	act            clamp
}

func newPool(m *Model, isMax bool, x, y int, padding uint8, sw, sh, fw, fh int, act clamp) (*poolOp, error) {
	if err := want4D(m, x, y); err != nil {
		return nil, err
	}
	xs := m.tensors[x].shape
	p := &poolOp{in: x, out: y, h: xs[1], w: xs[2], c: xs[3], kh: fh, kw: fw, sh: sh, sw: sw, isMax: isMax, act: act}
	var err error
	if p.oh, p.padT, err = convGeom(padding, p.h, fh, sh, 1); err != nil {
		return nil, err
	}
	if p.ow, p.padL, err = convGeom(padding, p.w, fw, sw, 1); err != nil {
		return nil, err
	}
	if err := wantShape(m, y, 1, p.oh, p.ow, p.c); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *poolOp) cost() int64 {
	return int64(p.oh) * int64(p.ow) * (1 + int64(p.c)*int64(min(p.kh, p.h))*int64(min(p.kw, p.w)))
}

func (p *poolOp) run(it *Interpreter) { it.parallel(p, p.oh, 1, p.cost()) }

func (p *poolOp) runRange(it *Interpreter, _, lo, hi int) {
	in, out := it.data[p.in], it.data[p.out]
	c := p.c
	for oy := lo; oy < hi; oy++ {
		y0, y1 := max(oy*p.sh-p.padT, 0), min(oy*p.sh-p.padT+p.kh, p.h)
		for ox := 0; ox < p.ow; ox++ {
			x0, x1 := max(ox*p.sw-p.padL, 0), min(ox*p.sw-p.padL+p.kw, p.w)
			o := out[(oy*p.ow+ox)*c : (oy*p.ow+ox+1)*c]
			if p.isMax {
				for i := range o {
					o[i] = float32(math.Inf(-1))
				}
			} else {
				clear(o)
			}
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					px := in[(iy*p.w+ix)*c : (iy*p.w+ix+1)*c]
					px = px[:len(o)]
					if p.isMax {
						for i, v := range px {
							o[i] = max(o[i], v)
						}
					} else {
						for i, v := range px {
							o[i] += v
						}
					}
				}
			}
			if !p.isMax {
				cnt := (y1 - y0) * (x1 - x0)
				if cnt > 0 {
					inv := 1 / float32(cnt)
					for i := range o {
						o[i] *= inv
					}
				}
			}
			p.act.applyAll(o)
		}
	}
}

// meanOp is MEAN over a set of axes of a tensor of rank <= 4.
type meanOp struct {
	in, out int
	id      [4]int // input dims
	os      [4]int // output strides (0 on reduced axes)
	inv     float32
}

func newMean(m *Model, x, axesT, y int, keep bool) (*meanOp, error) {
	axes, err := m.constI(axesT)
	if err != nil {
		return nil, fmt.Errorf("axes: %w", err)
	}
	xs := m.tensors[x].shape
	if len(xs) > 4 || len(xs) == 0 {
		return nil, fmt.Errorf("input rank %d is not supported", len(xs))
	}
	red := make([]bool, len(xs))
	for _, a := range axes {
		ax := int(a)
		if ax < 0 {
			ax += len(xs)
		}
		if ax < 0 || ax >= len(xs) {
			return nil, fmt.Errorf("axis %d out of range for rank %d", a, len(xs))
		}
		red[ax] = true
	}
	var kd []int
	count := 1
	for i, d := range xs {
		if red[i] {
			kd = append(kd, 1)
			count *= d
		} else {
			kd = append(kd, d)
		}
	}
	outN := 1
	for _, d := range kd {
		outN *= d
	}
	if m.tensors[y].n != outN {
		return nil, fmt.Errorf("output shape %v does not match the reduction of %v over %v", m.tensors[y].shape, xs, axes)
	}
	_ = keep // the element order is the same with and without keep_dims
	op := &meanOp{in: x, out: y, id: pad4(xs)}
	pk := pad4(kd)
	op.os = strides4(pk)
	off := 4 - len(xs)
	for i := range red {
		if red[i] {
			op.os[off+i] = 0
		}
	}
	if count > 0 {
		op.inv = 1 / float32(count)
	}
	return op, nil
}

func (op *meanOp) cost() int64 {
	return int64(op.id[0]) * int64(op.id[1]) * int64(op.id[2]) * int64(op.id[3])
}

func (op *meanOp) run(it *Interpreter) {
	in, out := it.data[op.in], it.data[op.out]
	clear(out)
	d := op.id
	i := 0
	for a := 0; a < d[0]; a++ {
		for b := 0; b < d[1]; b++ {
			for c := 0; c < d[2]; c++ {
				base := a*op.os[0] + b*op.os[1] + c*op.os[2]
				row := in[i : i+d[3]]
				i += d[3]
				if op.os[3] == 0 {
					var s float32
					for _, v := range row {
						s += v
					}
					out[base] += s
				} else {
					o := out[base : base+d[3]]
					for k, v := range row {
						o[k] += v
					}
				}
			}
		}
	}
	for k := range out {
		out[k] *= op.inv
	}
}

// ---- data movement ----

// padOp is PAD with zeros on a tensor of rank <= 4.
type padOp struct {
	in, out int
	id, od  [4]int
	before  [4]int
}

func newPad(m *Model, x, pT, y int) (*padOp, error) {
	pads, err := m.constI(pT)
	if err != nil {
		return nil, fmt.Errorf("paddings: %w", err)
	}
	xs := m.tensors[x].shape
	if len(xs) > 4 || len(pads) != 2*len(xs) {
		return nil, fmt.Errorf("paddings has %d values for input rank %d", len(pads), len(xs))
	}
	op := &padOp{in: x, out: y, id: pad4(xs)}
	od := make([]int, len(xs))
	off := 4 - len(xs)
	for i := range xs {
		b, a := int(pads[2*i]), int(pads[2*i+1])
		if b < 0 || a < 0 || b > 1<<20 || a > 1<<20 {
			return nil, fmt.Errorf("bad padding %d,%d on axis %d", b, a, i)
		}
		od[i] = xs[i] + b + a
		op.before[off+i] = b
	}
	if err := wantShape(m, y, od...); err != nil {
		return nil, err
	}
	op.od = pad4(od)
	return op, nil
}

func (p *padOp) cost() int64 {
	return int64(p.od[0]) * int64(p.od[1]) * int64(p.od[2]) * int64(p.od[3])
}

func (p *padOp) run(it *Interpreter) {
	in, out := it.data[p.in], it.data[p.out]
	clear(out)
	d, o := p.id, p.od
	if d[3] == o[3] {
		// The last axis is not padded: each input row of d[2]*d[3] values is
		// one contiguous run of the output.
		run := d[2] * d[3]
		i := 0
		for a := 0; a < d[0]; a++ {
			for b := 0; b < d[1]; b++ {
				dst := (((a+p.before[0])*o[1]+b+p.before[1])*o[2] + p.before[2]) * o[3]
				copy(out[dst:dst+run], in[i:i+run])
				i += run
			}
		}
		return
	}
	i := 0
	for a := 0; a < d[0]; a++ {
		for b := 0; b < d[1]; b++ {
			for c := 0; c < d[2]; c++ {
				dst := (((a+p.before[0])*o[1]+b+p.before[1])*o[2]+c+p.before[2])*o[3] + p.before[3]
				copy(out[dst:dst+d[3]], in[i:i+d[3]])
				i += d[3]
			}
		}
	}
}

// concatOp is CONCATENATION along one axis.
type concatOp struct {
	ins   []int
	out   int
	outer int
	inner []int // per input: elements per outer step
	act   clamp
}

func newConcat(m *Model, xs []int, y, axis int, act clamp) (*concatOp, error) {
	ys := m.tensors[y].shape
	if axis < 0 {
		axis += len(ys)
	}
	if axis < 0 || axis >= len(ys) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, len(ys))
	}
	op := &concatOp{ins: xs, out: y, outer: 1, act: act}
	for i := 0; i < axis; i++ {
		op.outer *= ys[i]
	}
	sum := 0
	for _, x := range xs {
		s := m.tensors[x].shape
		if len(s) != len(ys) {
			return nil, fmt.Errorf("input %q rank %d, output rank %d", m.tensors[x].name, len(s), len(ys))
		}
		inner := 1
		for i := range s {
			if i != axis && s[i] != ys[i] {
				return nil, fmt.Errorf("input %q shape %v does not fit output %v", m.tensors[x].name, s, ys)
			}
			if i >= axis {
				inner *= s[i]
			}
		}
		sum += s[axis]
		op.inner = append(op.inner, inner)
	}
	if sum != ys[axis] {
		return nil, fmt.Errorf("inputs sum to %d along axis %d, output has %d", sum, axis, ys[axis])
	}
	return op, nil
}

func (c *concatOp) cost() int64 {
	n := int64(0)
	for _, in := range c.inner {
		n += int64(in)
	}
	return int64(c.outer) * (1 + n)
}

func (c *concatOp) run(it *Interpreter) {
	out := it.data[c.out]
	o := 0
	for k := 0; k < c.outer; k++ {
		for i, x := range c.ins {
			n := c.inner[i]
			copy(out[o:o+n], it.data[x][k*n:(k+1)*n])
			o += n
		}
	}
	c.act.applyAll(out)
}

// resizeOp is RESIZE_BILINEAR (NHWC) with the TFLite coordinate rules.
type resizeOp struct {
	in, out int
	h, w, c int
	oh, ow  int
	y0, y1  []int
	fy      []float32
	x0, x1  []int
	fx      []float32
}

func newResize(m *Model, x, sizeT, y int, alignCorners, halfPixel bool) (*resizeOp, error) {
	if err := want4D(m, x, y); err != nil {
		return nil, err
	}
	xs, ys := m.tensors[x].shape, m.tensors[y].shape
	if ys[3] != xs[3] {
		return nil, fmt.Errorf("output channels %d, input %d", ys[3], xs[3])
	}
	if xs[1] < 1 || xs[2] < 1 {
		return nil, fmt.Errorf("empty input %v", xs)
	}
	if sizeT >= 0 && m.tensors[sizeT].konst {
		size, err := m.constI(sizeT)
		if err != nil {
			return nil, fmt.Errorf("size: %w", err)
		}
		if len(size) != 2 || int(size[0]) != ys[1] || int(size[1]) != ys[2] {
			return nil, fmt.Errorf("size %v does not match output shape %v", size, ys)
		}
	}
	r := &resizeOp{in: x, out: y, h: xs[1], w: xs[2], c: xs[3], oh: ys[1], ow: ys[2]}
	m.needScratch(r.w * r.c)
	r.y0, r.y1, r.fy = resizeAxis(r.h, r.oh, alignCorners, halfPixel)
	r.x0, r.x1, r.fx = resizeAxis(r.w, r.ow, alignCorners, halfPixel)
	return r, nil
}

// resizeAxis returns, per output index, the two source indices and the
// weight of the second one.
func resizeAxis(in, out int, alignCorners, halfPixel bool) (i0, i1 []int, f []float32) {
	scale := float32(in) / float32(out)
	if alignCorners && out > 1 {
		scale = float32(in-1) / float32(out-1)
	}
	i0, i1, f = make([]int, out), make([]int, out), make([]float32, out)
	for o := 0; o < out; o++ {
		var v float32
		if halfPixel {
			v = (float32(o)+0.5)*scale - 0.5
		} else {
			v = float32(o) * scale
		}
		lo := int(math.Floor(float64(v)))
		a := max(lo, 0)
		b := min(int(math.Ceil(float64(v))), in-1)
		a = min(a, in-1)
		b = max(b, 0)
		i0[o], i1[o] = a, b
		f[o] = v - float32(a)
		if a == b {
			f[o] = 0
		}
	}
	return i0, i1, f
}

func (r *resizeOp) cost() int64 { return int64(r.oh) * int64(r.ow) * int64(r.c) }

func (r *resizeOp) run(it *Interpreter) { it.parallel(r, r.oh, 1, r.cost()*2) }

func (r *resizeOp) runRange(it *Interpreter, worker, lo, hi int) {
	in, out := it.data[r.in], it.data[r.out]
	c := r.c
	// Blend the two source rows once (scratch sized at Parse), then
	// interpolate along x.
	tmp := it.scratch[worker][:r.w*c]
	for oy := lo; oy < hi; oy++ {
		ra := in[r.y0[oy]*r.w*c : (r.y0[oy]+1)*r.w*c]
		rb := in[r.y1[oy]*r.w*c : (r.y1[oy]+1)*r.w*c]
		fy := r.fy[oy]
		rb = rb[:len(ra)]
		for k, v := range ra {
			tmp[k] = v + (rb[k]-v)*fy
		}
		orow := out[oy*r.ow*c : (oy+1)*r.ow*c]
		for ox := 0; ox < r.ow; ox++ {
			fx := r.fx[ox]
			p0 := tmp[r.x0[ox]*c : (r.x0[ox]+1)*c]
			p1 := tmp[r.x1[ox]*c : (r.x1[ox]+1)*c]
			o := orow[ox*c : (ox+1)*c]
			p0, p1 = p0[:len(o)], p1[:len(o)]
			for k := range o {
				o[k] = p0[k] + (p1[k]-p0[k])*fx
			}
		}
	}
}
