package tflite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
)

// Limits that keep a malformed file from making the loader allocate without bound.
const (
	maxRank         = 6
	maxTensorElems  = 1 << 26 // 256 MB of float32 per tensor
	maxArenaElems   = 1 << 28
	maxTensors      = 1 << 16
	maxOperators    = 1 << 16
	arenaAlignElems = 16      // 64-byte alignment of activation buffers
	maxCost         = 1 << 36 // operations per run (MediaPipe's pose lite needs ~2e8)
)

// TensorInfo describes a model input or output.
type TensorInfo struct {
	Name  string
	Shape []int
}

// tensorDef is one tensor of the (single) subgraph.
type tensorDef struct {
	name  string
	shape []int
	typ   int8
	n     int    // number of elements
	raw   []byte // constant data from the file (aliases the file bytes)
	konst bool
	f32   []float32 // constant float data (folded from FLOAT16 when needed)
	i32   []int32   // constant integer data
	off   int       // arena offset of an activation tensor
	first int       // index of the kernel that produces it (-1: graph input)
	last  int       // index of the last kernel that reads it
}

// Model is a parsed, validated and planned TFLite model. It is immutable and
// safe for concurrent use; interpreters share its weights.
type Model struct {
	tensors   []tensorDef
	inputs    []int
	outputs   []int
	kernels   []kernel
	arena     int // activation floats per interpreter
	scratch   int // scratch floats per worker
	iscratch  int // scratch ints per worker
	inInfo    []TensorInfo
	outInfo   []TensorInfo
	constSize int
	cost      int64 // estimated operations per Invoke
}

// Load reads and parses a .tflite file.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tflite: load: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

// Inputs describes the model inputs.
func (m *Model) Inputs() []TensorInfo { return cloneInfo(m.inInfo) }

// Outputs describes the model outputs.
func (m *Model) Outputs() []TensorInfo { return cloneInfo(m.outInfo) }

func cloneInfo(in []TensorInfo) []TensorInfo {
	out := make([]TensorInfo, len(in))
	for i, t := range in {
		out[i] = TensorInfo{Name: t.Name, Shape: append([]int(nil), t.Shape...)}
	}
	return out
}

type opcode struct {
	builtin int32
	custom  string
}

type rawOp struct {
	index   int
	code    opcode
	inputs  []int32
	outputs []int32
	optType uint8
	options table
	custom  []byte
	name    string // for error messages
}

// Parse parses a TFLite flatbuffer held in data. data is not retained
// (constants are copied).
func Parse(data []byte) (m *Model, err error) {
	defer func() {
		// The parser is bounds-checked throughout; this is a last line of
		// defence so a malformed file can never crash the process.
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("tflite: parse: internal error on malformed model: %v", r)
		}
	}()
	if len(data) < 8 {
		return nil, fmt.Errorf("tflite: parse: file too short (%d bytes)", len(data))
	}
	if id := string(data[4:8]); id != "TFL3" {
		return nil, fmt.Errorf("tflite: parse: not a TFLite model (file identifier %q, want \"TFL3\")", id)
	}
	f := &fbuf{b: data}
	root := f.root("Model")
	if v := root.i32(0, 0); f.err == nil && v != 3 {
		return nil, fmt.Errorf("tflite: parse: unsupported schema version %d", v)
	}

	var codes []opcode
	for _, oc := range root.tables(1, "Model.operator_codes") {
		dep := int32(int8(oc.u8(0, 0)))
		b := oc.i32(3, 0)
		if dep > b {
			b = dep
		}
		codes = append(codes, opcode{builtin: b, custom: oc.str(1, "OperatorCode.custom_code")})
	}
	subgraphs := root.tables(2, "Model.subgraphs")
	bufTables := root.tables(4, "Model.buffers")
	if f.err != nil {
		return nil, f.err
	}
	if len(subgraphs) != 1 {
		return nil, fmt.Errorf("tflite: parse: model has %d subgraphs, only 1 is supported", len(subgraphs))
	}
	buffers := make([][]byte, len(bufTables))
	for i, bt := range bufTables {
		buffers[i] = bt.bytes(0, "Buffer.data")
		if off := bt.u64(1, 0); off > 1 {
			size := bt.u64(2, 0)
			if off > uint64(len(data)) || size > uint64(len(data))-off {
				return nil, fmt.Errorf("tflite: parse: buffer %d: external data [%d,+%d) outside the file", i, off, size)
			}
			buffers[i] = data[off : off+size : off+size]
		}
	}
	sg := subgraphs[0]
	tts := sg.tables(0, "SubGraph.tensors")
	ins := sg.i32s(1, "SubGraph.inputs")
	outs := sg.i32s(2, "SubGraph.outputs")
	ots := sg.tables(3, "SubGraph.operators")
	if f.err != nil {
		return nil, f.err
	}
	if len(tts) > maxTensors || len(ots) > maxOperators {
		return nil, fmt.Errorf("tflite: parse: too many tensors (%d) or operators (%d)", len(tts), len(ots))
	}

	m = &Model{tensors: make([]tensorDef, len(tts))}
	for i, tt := range tts {
		t := &m.tensors[i]
		dims := tt.i32s(0, "Tensor.shape")
		t.typ = int8(tt.u8(1, 0))
		bufIdx := tt.u32or(2)
		t.name = tt.str(3, "Tensor.name")
		if f.err != nil {
			return nil, f.err
		}
		if len(dims) > maxRank {
			return nil, fmt.Errorf("tflite: parse: tensor %d (%q): rank %d exceeds %d", i, t.name, len(dims), maxRank)
		}
		t.n = 1
		t.shape = make([]int, len(dims))
		for k, d := range dims {
			if d < 0 {
				return nil, fmt.Errorf("tflite: parse: tensor %d (%q): dynamic or negative dimension %d is not supported", i, t.name, d)
			}
			t.shape[k] = int(d)
			if d > 0 && t.n > maxTensorElems/int(d) {
				return nil, fmt.Errorf("tflite: parse: tensor %d (%q): too many elements %v", i, t.name, dims)
			}
			t.n *= int(d)
		}
		if t.n > maxTensorElems {
			return nil, fmt.Errorf("tflite: parse: tensor %d (%q): too many elements %v", i, t.name, dims)
		}
		if bufIdx >= uint32(len(buffers)) {
			return nil, fmt.Errorf("tflite: parse: tensor %d (%q): buffer index %d out of range (%d buffers)", i, t.name, bufIdx, len(buffers))
		}
		if raw := buffers[bufIdx]; len(raw) > 0 {
			sz := typeSize(t.typ)
			if sz == 0 {
				return nil, fmt.Errorf("tflite: parse: tensor %d (%q): unsupported constant type %s", i, t.name, typeName(t.typ))
			}
			if len(raw) != t.n*sz {
				return nil, fmt.Errorf("tflite: parse: tensor %d (%q): buffer has %d bytes, shape %v of %s needs %d", i, t.name, len(raw), t.shape, typeName(t.typ), t.n*sz)
			}
			t.raw, t.konst = raw, true
		}
	}
	checkIdx := func(what string, idx []int32, allowOptional bool) error {
		for _, x := range idx {
			if x == -1 && allowOptional {
				continue
			}
			if x < 0 || int(x) >= len(m.tensors) {
				return fmt.Errorf("tflite: parse: %s: tensor index %d out of range (%d tensors)", what, x, len(m.tensors))
			}
		}
		return nil
	}
	if err := checkIdx("SubGraph.inputs", ins, false); err != nil {
		return nil, err
	}
	if err := checkIdx("SubGraph.outputs", outs, false); err != nil {
		return nil, err
	}
	if len(ins) == 0 || len(outs) == 0 {
		return nil, errors.New("tflite: parse: subgraph has no inputs or no outputs")
	}
	ops := make([]rawOp, len(ots))
	for i, ot := range ots {
		o := &ops[i]
		o.index = i
		ci := ot.u32or(0)
		o.inputs = ot.i32s(1, "Operator.inputs")
		o.outputs = ot.i32s(2, "Operator.outputs")
		o.optType = ot.u8(3, 0)
		o.options = ot.sub(4, "Operator.builtin_options")
		o.custom = ot.bytes(5, "Operator.custom_options")
		if f.err != nil {
			return nil, f.err
		}
		if ci >= uint32(len(codes)) {
			return nil, fmt.Errorf("tflite: parse: operator %d: opcode index %d out of range (%d codes)", i, ci, len(codes))
		}
		o.code = codes[ci]
		o.name = opName(o.code.builtin)
		if o.code.builtin == opCustom {
			o.name = "CUSTOM " + o.code.custom
		}
		what := fmt.Sprintf("operator %d (%s)", i, o.name)
		if err := checkIdx(what+" inputs", o.inputs, true); err != nil {
			return nil, err
		}
		if err := checkIdx(what+" outputs", o.outputs, false); err != nil {
			return nil, err
		}
	}

	for _, x := range ins {
		t := &m.tensors[x]
		if t.konst || t.typ != typeFloat32 {
			return nil, fmt.Errorf("tflite: parse: input %q must be a FLOAT32 activation (type %s)", t.name, typeName(t.typ))
		}
		m.inputs = append(m.inputs, int(x))
	}
	for _, x := range outs {
		m.outputs = append(m.outputs, int(x))
	}
	if err := m.build(ops); err != nil {
		return nil, err
	}
	if err := m.plan(); err != nil {
		return nil, err
	}
	for _, x := range m.inputs {
		m.inInfo = append(m.inInfo, TensorInfo{Name: m.tensors[x].name, Shape: append([]int(nil), m.tensors[x].shape...)})
	}
	for _, x := range m.outputs {
		t := &m.tensors[x]
		if t.typ != typeFloat32 {
			return nil, fmt.Errorf("tflite: parse: output %q has type %s, only FLOAT32 is supported", t.name, typeName(t.typ))
		}
		m.outInfo = append(m.outInfo, TensorInfo{Name: t.name, Shape: append([]int(nil), t.shape...)})
	}
	return m, nil
}

// u32or reads an unsigned 32-bit field with default 0.
func (t table) u32or(i int) uint32 { return uint32(t.i32(i, 0)) }

// constF returns the float32 data of a constant tensor (FLOAT32 or folded FLOAT16).
func (m *Model) constF(ti int) ([]float32, error) {
	t := &m.tensors[ti]
	if !t.konst {
		return nil, fmt.Errorf("tensor %q is not constant", t.name)
	}
	if t.f32 != nil {
		return t.f32, nil
	}
	switch t.typ {
	case typeFloat32:
		t.f32 = make([]float32, t.n)
		for i := range t.f32 {
			t.f32[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.raw[4*i:]))
		}
	case typeFloat16:
		t.f32 = make([]float32, t.n)
		for i := range t.f32 {
			t.f32[i] = f16(binary.LittleEndian.Uint16(t.raw[2*i:]))
		}
	default:
		return nil, fmt.Errorf("tensor %q: constant of type %s is not float", t.name, typeName(t.typ))
	}
	m.constSize += t.n
	if m.constSize > maxArenaElems {
		return nil, errors.New("constants too large")
	}
	return t.f32, nil
}

// constI returns the integer data of a constant INT32/INT64 tensor.
func (m *Model) constI(ti int) ([]int32, error) {
	t := &m.tensors[ti]
	if !t.konst {
		return nil, fmt.Errorf("tensor %q must be constant", t.name)
	}
	if t.i32 != nil {
		return t.i32, nil
	}
	switch t.typ {
	case typeInt32:
		t.i32 = make([]int32, t.n)
		for i := range t.i32 {
			t.i32[i] = int32(binary.LittleEndian.Uint32(t.raw[4*i:]))
		}
	case typeInt64:
		t.i32 = make([]int32, t.n)
		for i := range t.i32 {
			v := int64(binary.LittleEndian.Uint64(t.raw[8*i:]))
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, fmt.Errorf("tensor %q: value %d out of int32 range", t.name, v)
			}
			t.i32[i] = int32(v)
		}
	default:
		return nil, fmt.Errorf("tensor %q: type %s is not an integer type", t.name, typeName(t.typ))
	}
	return t.i32, nil
}

// plan assigns arena offsets to activation tensors so that tensors whose
// lifetimes overlap never share memory.
func (m *Model) plan() error {
	var acts []int
	for i := range m.tensors {
		t := &m.tensors[i]
		if t.konst || t.first == unusedTensor {
			continue
		}
		acts = append(acts, i)
	}
	for _, x := range m.inputs {
		m.tensors[x].last = len(m.kernels)
	}
	for _, x := range m.outputs {
		if m.tensors[x].konst {
			continue
		}
		m.tensors[x].last = len(m.kernels)
	}
	sort.SliceStable(acts, func(a, b int) bool { return m.tensors[acts[a]].n > m.tensors[acts[b]].n })
	type span struct{ off, end, first, last int }
	var placed []span
	total := 0
	for _, x := range acts {
		t := &m.tensors[x]
		size := (t.n + arenaAlignElems - 1) / arenaAlignElems * arenaAlignElems
		var conflicts []span
		for _, p := range placed {
			if p.first <= t.last && t.first <= p.last {
				conflicts = append(conflicts, p)
			}
		}
		sort.Slice(conflicts, func(a, b int) bool { return conflicts[a].off < conflicts[b].off })
		off := 0
		for _, c := range conflicts {
			if off+size <= c.off {
				break
			}
			if c.end > off {
				off = c.end
			}
		}
		t.off = off
		placed = append(placed, span{off, off + size, t.first, t.last})
		if off+size > total {
			total = off + size
		}
		if total > maxArenaElems {
			return fmt.Errorf("tflite: parse: activations need %d floats, more than the limit %d", total, maxArenaElems)
		}
	}
	m.arena = total
	return nil
}
