package jpegdec

import (
	"image"
	"testing"
)

// FuzzDecode checks that no input makes Decode or Config panic, hang or allocate
// much more than the input size suggests, and that Workers 1 and 2 agree.
// Run: go test -run '^$' -fuzz FuzzDecode -fuzztime 5m ./internal/jpegdec
func FuzzDecode(f *testing.F) {
	f.Add(encodeStd(f, synth(16, 16, 1, 20), 75), byte(0))
	f.Add(encodeStd(f, toGray(synth(9, 11, 2, 20)), 75), byte(1))
	f.Add(encodeStd(f, synth(35, 17, 3, 5), 95), byte(2))
	for _, name := range []string{"s420_rst3.jpg", "grey_rst1.jpg", "mix_22_11_12.jpg", "q16.jpg"} {
		b, err := readFileTB(f, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, byte(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, opt byte) {
		w, h, _, supported, cerr := Config(data)
		if cerr == nil && supported && (w <= 0 || h <= 0) {
			t.Fatalf("Config: %d×%d", w, h)
		}
		scale := 1 << (opt & 3)
		m1, err1 := Decode(data, Options{Scale: scale, Workers: 1})
		m2, err2 := Decode(data, Options{Scale: scale, Workers: 2})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("Workers 1: %v, Workers 2: %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if !sameImage(m1, m2) {
			t.Fatal("Workers 1 and 2 differ")
		}
		want := image.Rect(0, 0, ceilDiv(w, scale), ceilDiv(h, scale))
		if m1.Bounds() != want {
			t.Fatalf("bounds %v, Config says %v", m1.Bounds(), want)
		}
	})
}
