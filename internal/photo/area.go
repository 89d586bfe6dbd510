package photo

import (
	"image"
	"math"
)

// areaTaps are the source pixels and weights (16.16 fixed point, summing to 1<<16) of
// each output pixel when n source pixels per output pixel are averaged over their exact
// coverage: output i covers source [i·r, (i+1)·r).
type areaTaps struct {
	start []int32
	w     [][]uint32
}

func makeAreaTaps(out int, r float64, srcLen int) areaTaps {
	t := areaTaps{start: make([]int32, out), w: make([][]uint32, out)}
	for i := range out {
		a, b := float64(i)*r, float64(i+1)*r
		s0 := int(math.Floor(a))
		s1 := min(int(math.Ceil(b)), srcLen)
		ws := make([]uint32, 0, s1-s0)
		var sum uint32
		for s := s0; s < s1; s++ {
			cov := math.Min(b, float64(s+1)) - math.Max(a, float64(s))
			w := uint32(math.Round(cov / r * 65536))
			ws = append(ws, w)
			sum += w
		}
		// Give the rounding remainder to the largest tap so the weights sum to exactly 1.
		big := 0
		for k := range ws {
			if ws[k] > ws[big] {
				big = k
			}
		}
		ws[big] += 65536 - sum
		t.start[i], t.w[i] = int32(s0), ws
	}
	return t
}

// areaShrinkRGBA averages src (opaque RGBA) down by the factor r ≥ 1 (not necessarily an
// integer) into a dw×dh image: each output pixel is the mean of the source area it covers,
// partial pixels weighted by their coverage — the fractional generalisation of a box
// pre-shrink, used after a decoder has already scaled by a power of two.
func areaShrinkRGBA(src *image.RGBA, r float64, dw, dh int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	tx := makeAreaTaps(dw, r, sw)
	ty := makeAreaTaps(dh, r, sh)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	parallelRows(dh, func(y0, y1 int) {
		acc := make([]uint32, 3*sw) // vertical weighted sums of one output row, per source column
		for oy := y0; oy < y1; oy++ {
			clear(acc)
			sy := int(ty.start[oy])
			for k, wy := range ty.w[oy] {
				row := src.Pix[(sy+k)*src.Stride:]
				for x := range sw {
					acc[3*x] += wy * uint32(row[4*x]) >> 8
					acc[3*x+1] += wy * uint32(row[4*x+1]) >> 8
					acc[3*x+2] += wy * uint32(row[4*x+2]) >> 8
				}
			}
			// acc holds value·2^8; horizontal pass.
			drow := dst.Pix[oy*dst.Stride:]
			for ox := range dw {
				sx := int(tx.start[ox])
				var r0, g0, b0 uint64
				for k, wx := range tx.w[ox] {
					i := 3 * (sx + k)
					r0 += uint64(wx) * uint64(acc[i])
					g0 += uint64(wx) * uint64(acc[i+1])
					b0 += uint64(wx) * uint64(acc[i+2])
				}
				const half = 1 << 23
				d := drow[4*ox : 4*ox+4 : 4*ox+4]
				d[0], d[1], d[2], d[3] = uint8(min(255, (r0+half)>>24)), uint8(min(255, (g0+half)>>24)), uint8(min(255, (b0+half)>>24)), 255
			}
		}
	})
	return dst
}
