package jpegdec

import (
	"bytes"
	"image/jpeg"
	"testing"
)

func TestQuick(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {7, 13}, {17, 9}, {333, 251}} {
		data := encodeStd(t, synth(sz[0], sz[1], 1, 10), 90)
		ref, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(data, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		rp, gp := planesOf(t, ref), planesOf(t, got)
		for i := range rp {
			t.Logf("%v plane %d: %v", sz, i, compare(t, rp[i], gp[i]))
		}
	}
}
