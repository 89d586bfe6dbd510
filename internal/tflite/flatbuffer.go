package tflite

import (
	"encoding/binary"
	"fmt"
)

// fbuf is a bounds-checked reader for FlatBuffers data. The first error is
// sticky: after it, every accessor returns zero values, so parsing code can
// read a whole structure and check fbuf.err once.
type fbuf struct {
	b   []byte
	err error
}

func (f *fbuf) failf(format string, args ...any) {
	if f.err == nil {
		f.err = fmt.Errorf("tflite: parse: "+format, args...)
	}
}

// has reports whether n bytes starting at pos lie inside the buffer.
func (f *fbuf) has(pos, n int) bool {
	return pos >= 0 && n >= 0 && pos <= len(f.b) && n <= len(f.b)-pos
}

func (f *fbuf) u16(pos int) uint16 {
	if !f.has(pos, 2) {
		return 0
	}
	return binary.LittleEndian.Uint16(f.b[pos:])
}

func (f *fbuf) u32(pos int) uint32 {
	if !f.has(pos, 4) {
		return 0
	}
	return binary.LittleEndian.Uint32(f.b[pos:])
}

// deref follows the unsigned offset stored at pos (a reference field).
func (f *fbuf) deref(pos int, what string) int {
	if !f.has(pos, 4) {
		f.failf("%s: reference at %d outside the file", what, pos)
		return -1
	}
	target := int64(pos) + int64(f.u32(pos))
	if target >= int64(len(f.b)) {
		f.failf("%s: reference %d points outside the file (size %d)", what, target, len(f.b))
		return -1
	}
	return int(target)
}

// table is one FlatBuffers table; a zero table (ok == false) answers every
// field with its default.
type table struct {
	f     *fbuf
	what  string
	pos   int
	vt    int
	vtLen int
	tLen  int
	ok    bool
}

func (f *fbuf) tableAt(pos int, what string) table {
	t := table{f: f, what: what}
	if f.err != nil || pos < 0 {
		return t
	}
	if !f.has(pos, 4) {
		f.failf("%s: table at %d outside the file", what, pos)
		return t
	}
	vt := int64(pos) - int64(int32(f.u32(pos)))
	if vt < 0 || !f.has(int(vt), 4) {
		f.failf("%s: vtable at %d outside the file", what, vt)
		return t
	}
	vtLen := int(f.u16(int(vt)))
	tLen := int(f.u16(int(vt) + 2))
	if vtLen < 4 || vtLen%2 != 0 || !f.has(int(vt), vtLen) {
		f.failf("%s: bad vtable size %d", what, vtLen)
		return t
	}
	if tLen < 4 || !f.has(pos, tLen) {
		f.failf("%s: bad table size %d", what, tLen)
		return t
	}
	t.pos, t.vt, t.vtLen, t.tLen, t.ok = pos, int(vt), vtLen, tLen, true
	return t
}

// root returns the root table of the buffer.
func (f *fbuf) root(what string) table {
	if len(f.b) < 8 {
		f.failf("file too short (%d bytes)", len(f.b))
		return table{f: f, what: what}
	}
	return f.tableAt(f.deref(0, what), what)
}

// field returns the absolute position of field i (size bytes inline), or -1
// when the field is absent.
func (t table) field(i, size int) int {
	if !t.ok || t.f.err != nil {
		return -1
	}
	o := 4 + 2*i
	if o+2 > t.vtLen {
		return -1
	}
	off := int(t.f.u16(t.vt + o))
	if off == 0 {
		return -1
	}
	if off+size > t.tLen {
		t.f.failf("%s: field %d lies beyond its table", t.what, i)
		return -1
	}
	return t.pos + off
}

func (t table) u8(i int, def uint8) uint8 {
	p := t.field(i, 1)
	if p < 0 {
		return def
	}
	return t.f.b[p]
}

func (t table) bool(i int) bool { return t.u8(i, 0) != 0 }

func (t table) i32(i int, def int32) int32 {
	p := t.field(i, 4)
	if p < 0 {
		return def
	}
	return int32(t.f.u32(p))
}

func (t table) u64(i int, def uint64) uint64 {
	p := t.field(i, 8)
	if p < 0 {
		return def
	}
	return binary.LittleEndian.Uint64(t.f.b[p:])
}

// sub returns the table referenced by field i.
func (t table) sub(i int, what string) table {
	p := t.field(i, 4)
	if p < 0 {
		return table{f: t.f, what: what}
	}
	return t.f.tableAt(t.f.deref(p, what), what)
}

// vector returns the start of the elements of the vector in field i and its
// length, checking that n elements of elemSize bytes fit in the file.
func (t table) vector(i, elemSize int, what string) (start, n int, ok bool) {
	p := t.field(i, 4)
	if p < 0 {
		return 0, 0, false
	}
	v := t.f.deref(p, what)
	if v < 0 {
		return 0, 0, false
	}
	if !t.f.has(v, 4) {
		t.f.failf("%s: vector header outside the file", what)
		return 0, 0, false
	}
	n64 := int64(t.f.u32(v))
	if n64*int64(elemSize) > int64(len(t.f.b)-v-4) {
		t.f.failf("%s: vector of %d elements overruns the file", what, n64)
		return 0, 0, false
	}
	return v + 4, int(n64), true
}

func (t table) bytes(i int, what string) []byte {
	s, n, ok := t.vector(i, 1, what)
	if !ok {
		return nil
	}
	return t.f.b[s : s+n : s+n]
}

func (t table) str(i int, what string) string { return string(t.bytes(i, what)) }

func (t table) i32s(i int, what string) []int32 {
	s, n, ok := t.vector(i, 4, what)
	if !ok {
		return nil
	}
	out := make([]int32, n)
	for k := range out {
		out[k] = int32(binary.LittleEndian.Uint32(t.f.b[s+4*k:]))
	}
	return out
}

// tables returns the tables of the vector of tables in field i.
func (t table) tables(i int, what string) []table {
	s, n, ok := t.vector(i, 4, what)
	if !ok {
		return nil
	}
	out := make([]table, n)
	for k := range out {
		out[k] = t.f.tableAt(t.f.deref(s+4*k, what), fmt.Sprintf("%s[%d]", what, k))
		if t.f.err != nil {
			return nil
		}
	}
	return out
}
