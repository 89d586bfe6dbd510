package tflite

import (
	"encoding/binary"
	"math"
)

// This file holds a tiny FlatBuffers writer for tests: it builds TFLite
// models of a few operators so kernels can be checked through the real
// parser. Objects are laid out parent first, so every reference points
// forward.

type fbVal struct {
	kind   int // 1 u8, 2 i32, 3 table, 4 i32 vector, 5 byte vector, 6 string, 7 table vector
	u8     uint8
	i32    int32
	sub    *fbObj
	ints   []int32
	bytes  []byte
	tables []*fbObj
}

type fbObj struct{ fields map[int]fbVal }

func obj() *fbObj { return &fbObj{fields: map[int]fbVal{}} }

func (o *fbObj) u8(i int, v uint8) *fbObj         { o.fields[i] = fbVal{kind: 1, u8: v}; return o }
func (o *fbObj) i32(i int, v int32) *fbObj        { o.fields[i] = fbVal{kind: 2, i32: v}; return o }
func (o *fbObj) sub(i int, v *fbObj) *fbObj       { o.fields[i] = fbVal{kind: 3, sub: v}; return o }
func (o *fbObj) ints(i int, v ...int32) *fbObj    { o.fields[i] = fbVal{kind: 4, ints: v}; return o }
func (o *fbObj) bytes(i int, v []byte) *fbObj     { o.fields[i] = fbVal{kind: 5, bytes: v}; return o }
func (o *fbObj) str(i int, v string) *fbObj       { o.fields[i] = fbVal{kind: 6, bytes: []byte(v)}; return o }
func (o *fbObj) tables(i int, v ...*fbObj) *fbObj { o.fields[i] = fbVal{kind: 7, tables: v}; return o }

type fbWriter struct{ b []byte }

func (w *fbWriter) align() {
	for len(w.b)%4 != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *fbWriter) u32At(pos int, v uint32) { binary.LittleEndian.PutUint32(w.b[pos:], v) }

func (w *fbWriter) grow(n int) int {
	p := len(w.b)
	w.b = append(w.b, make([]byte, n)...)
	return p
}

// table writes o and its children; it returns the table position.
func (w *fbWriter) table(o *fbObj) int {
	n := 0
	for i := range o.fields {
		n = max(n, i+1)
	}
	w.align()
	vt := w.grow(4 + 2*n)
	w.align()
	t := w.grow(4 + 4*n)
	binary.LittleEndian.PutUint16(w.b[vt:], uint16(4+2*n))
	binary.LittleEndian.PutUint16(w.b[vt+2:], uint16(4+4*n))
	w.u32At(t, uint32(int32(t-vt)))
	type patch struct {
		pos int
		v   fbVal
	}
	var later []patch
	for i := 0; i < n; i++ {
		v, ok := o.fields[i]
		if !ok {
			continue
		}
		fp := t + 4 + 4*i
		binary.LittleEndian.PutUint16(w.b[vt+4+2*i:], uint16(4+4*i))
		switch v.kind {
		case 1:
			w.b[fp] = v.u8
		case 2:
			w.u32At(fp, uint32(v.i32))
		default:
			later = append(later, patch{fp, v})
		}
	}
	for _, p := range later {
		w.align()
		target := w.value(p.v)
		w.u32At(p.pos, uint32(target-p.pos))
	}
	return t
}

func (w *fbWriter) value(v fbVal) int {
	switch v.kind {
	case 3:
		return w.table(v.sub)
	case 4:
		p := w.grow(4 + 4*len(v.ints))
		w.u32At(p, uint32(len(v.ints)))
		for i, x := range v.ints {
			w.u32At(p+4+4*i, uint32(x))
		}
		return p
	case 5, 6:
		p := w.grow(4 + len(v.bytes) + 1)
		w.u32At(p, uint32(len(v.bytes)))
		copy(w.b[p+4:], v.bytes)
		return p
	case 7:
		p := w.grow(4 + 4*len(v.tables))
		w.u32At(p, uint32(len(v.tables)))
		for i, c := range v.tables {
			w.align()
			t := w.table(c)
			w.u32At(p+4+4*i, uint32(t-(p+4+4*i)))
		}
		return p
	}
	panic("bad kind")
}

func finishModel(root *fbObj) []byte {
	w := &fbWriter{b: make([]byte, 8)}
	copy(w.b[4:], "TFL3")
	t := w.table(root)
	w.u32At(0, uint32(t))
	return w.b
}

// ---- model construction helpers ----

type tb struct {
	tensors []*fbObj
	buffers []*fbObj
	ops     []*fbObj
	codes   []*fbObj
	codeIdx map[string]int
}

func newTB() *tb {
	return &tb{buffers: []*fbObj{obj()}, codeIdx: map[string]int{}}
}

// act adds a FLOAT32 activation tensor.
func (b *tb) act(name string, shape ...int32) int32 {
	b.tensors = append(b.tensors, obj().ints(0, shape...).u8(1, typeFloat32).i32(2, 0).str(3, name))
	return int32(len(b.tensors) - 1)
}

func (b *tb) constRaw(name string, typ uint8, data []byte, shape ...int32) int32 {
	b.buffers = append(b.buffers, obj().bytes(0, data))
	b.tensors = append(b.tensors, obj().ints(0, shape...).u8(1, typ).i32(2, int32(len(b.buffers)-1)).str(3, name))
	return int32(len(b.tensors) - 1)
}

func (b *tb) constF(name string, v []float32, shape ...int32) int32 {
	d := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(d[4*i:], math.Float32bits(x))
	}
	return b.constRaw(name, typeFloat32, d, shape...)
}

func (b *tb) constI(name string, v []int32, shape ...int32) int32 {
	d := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(d[4*i:], uint32(x))
	}
	return b.constRaw(name, typeInt32, d, shape...)
}

func (b *tb) code(builtin int32, custom string) int32 {
	key := string(rune(builtin)) + custom
	if i, ok := b.codeIdx[key]; ok {
		return int32(i)
	}
	c := obj().u8(0, uint8(min(builtin, 127))).i32(3, builtin)
	if custom != "" {
		c.str(1, custom)
	}
	b.codes = append(b.codes, c)
	b.codeIdx[key] = len(b.codes) - 1
	return int32(len(b.codes) - 1)
}

// op adds an operator; options may be nil.
func (b *tb) op(builtin int32, options *fbObj, inputs []int32, outputs ...int32) *fbObj {
	o := obj().i32(0, b.code(builtin, "")).ints(1, inputs...).ints(2, outputs...)
	if options != nil {
		o.u8(3, 1).sub(4, options)
	}
	b.ops = append(b.ops, o)
	return o
}

func (b *tb) custom(name string, opts []byte, inputs []int32, outputs ...int32) {
	o := obj().i32(0, b.code(opCustom, name)).ints(1, inputs...).ints(2, outputs...).bytes(5, opts)
	b.ops = append(b.ops, o)
}

func (b *tb) bytes(inputs []int32, outputs ...int32) []byte {
	sg := obj().tables(0, b.tensors...).ints(1, inputs...).ints(2, outputs...).tables(3, b.ops...)
	root := obj().i32(0, 3).tables(1, b.codes...).tables(2, sg).tables(4, b.buffers...)
	return finishModel(root)
}
