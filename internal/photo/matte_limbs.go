package photo

// removeRaisedLimbs turns into background the parts of the person that enter the frame
// from above the shoulder line at a side or the top and are not the head: raised arms and
// hands, a neighbour's shoulder. alpha is w×h (0..1); the head is around (faceX, …) with
// face width fw, and lineY is the output row below which the torso begins (a little below
// the chin: the neck). Above lineY the person mask (alpha ≥ 0.5) splits into the head
// (with hair and neck, holding the seed seedX, seedY) and other pieces; a piece that
// touches the left, right or top edge and lies outside the head's column range (face
// centre ± 0.8 face widths: hair stays) is removed, and followed downwards below lineY as
// long as it stays a narrow run of its own (an arm going down to its shoulder), stopping
// where it widens into the torso (an arm along a side edge: cut down to the bottom).
// The soft rim of what was removed goes with it. It reports whether anything was removed.
func removeRaisedLimbs(alpha []float32, w, h, seedX, seedY int, faceX, fw float64, lineY int) bool {
	lineY = min(lineY, h)
	if lineY <= 0 || seedY < 0 || seedY >= lineY || seedX < 0 || seedX >= w {
		return false
	}
	n := w * lineY
	lab := make([]int32, n) // 0 unlabelled/background, else component id
	var comps []limbComp
	stack := make([]int, 0, 1024)
	// Only pieces touching the left, right or top edge can be limbs: fill from there.
	var starts []int
	for x := range w {
		starts = append(starts, x)
	}
	for y := 1; y < lineY; y++ {
		starts = append(starts, y*w, y*w+w-1)
	}
	for _, s := range starts {
		if lab[s] != 0 || alpha[s] < 0.5 {
			continue
		}
		id := int32(len(comps) + 1)
		c := limbComp{x0: w, x1: -1}
		lab[s] = id
		stack = append(stack[:0], s)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			c.x0, c.x1 = min(c.x0, x), max(c.x1, x)
			if x == 0 || x == w-1 || y == 0 {
				c.border = true
			}
			if x == seedX && y == seedY {
				c.head = true
			}
			for _, j := range [4]int{i - 1, i + 1, i - w, i + w} {
				if j < 0 || j >= n || (j == i-1 && x == 0) || (j == i+1 && x == w-1) {
					continue
				}
				if lab[j] == 0 && alpha[j] >= 0.5 {
					lab[j] = id
					stack = append(stack, j)
				}
			}
		}
		comps = append(comps, c)
	}
	headX0, headX1 := faceX-0.8*fw, faceX+0.8*fw
	removed := make([]uint8, w*h)
	any := false
	for i, l := range lab {
		if l == 0 {
			continue
		}
		c := comps[l-1]
		if c.head || !c.border || (float64(c.x1) >= headX0 && float64(c.x0) <= headX1) {
			continue
		}
		removed[i] = 1
		any = true
	}
	if !any {
		return false
	}
	// Follow the removed pieces down: a run of person pixels in row y that touches a removed
	// run of row y−1 and stays within its columns (plus a little slack) is the same limb.
	for y := lineY; y < h; y++ {
		prev, row := removed[(y-1)*w:y*w], alpha[y*w:(y+1)*w]
		var lo, hi int = w, -1 // removed columns of the previous row
		for x, v := range prev {
			if v != 0 {
				lo, hi = min(lo, x), max(hi, x)
			}
		}
		if hi < 0 {
			break
		}
		slack := 2 + (hi-lo)/8
		cont := false
		for x := 0; x < w; {
			if row[x] < 0.5 {
				x++
				continue
			}
			x0 := x
			for x < w && row[x] >= 0.5 {
				x++
			}
			x1 := x - 1
			touches := false
			for k := max(0, x0-1); k <= min(w-1, x1+1); k++ {
				if prev[k] != 0 {
					touches = true
					break
				}
			}
			if touches && x0 >= lo-slack && x1 <= hi+slack {
				for k := x0; k <= x1; k++ {
					removed[y*w+k] = 1
				}
				cont = true
			}
		}
		if !cont {
			// The limb widens into the body. One that runs along a side edge of the frame
			// (an arm raised beside the body) is cut off down to the bottom along its
			// columns; elsewhere it stops here.
			edge := w / 7
			if lo == 0 && hi < edge {
				for yy := y; yy < h; yy++ {
					for k := 0; k <= hi; k++ {
						removed[yy*w+k] = 1
					}
				}
			} else if hi == w-1 && lo > w-1-edge {
				for yy := y; yy < h; yy++ {
					for k := lo; k < w; k++ {
						removed[yy*w+k] = 1
					}
				}
			}
			break
		}
	}
	// Remove, with the soft rim around the removed pixels (alpha < 0.75 within 4 px,
	// < 0.5 within 8 px: the limb's own soft edge).
	rim := make([]uint8, len(removed))
	copy(rim, removed)
	dilateBinary(rim, w, h, 4)
	rim8 := make([]uint8, len(removed))
	copy(rim8, rim)
	dilateBinary(rim8, w, h, 4)
	for i := range alpha {
		if removed[i] != 0 || (rim[i] != 0 && alpha[i] < 0.75) || (rim8[i] != 0 && alpha[i] < 0.5) {
			alpha[i] = 0
		}
	}
	return true
}

type limbComp struct {
	x0, x1       int
	border, head bool
}

// dilateBinary sets every pixel of m (w×h, 0/1) within a (2r+1)² square of a 1 to 1.
func dilateBinary(m []uint8, w, h, r int) {
	// Horizontal: distance to the nearest 1 in the row, both directions.
	tmp := make([]uint8, len(m))
	for y := range h {
		row, out := m[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		last := -1 << 30
		for x := range w {
			if row[x] != 0 {
				last = x
			}
			if x-last <= r {
				out[x] = 1
			}
		}
		last = 1 << 30
		for x := w - 1; x >= 0; x-- {
			if row[x] != 0 {
				last = x
			}
			if last-x <= r {
				out[x] = 1
			}
		}
	}
	// Vertical, column runs via a per-column "last seen" row.
	last := make([]int, w)
	for x := range last {
		last[x] = -1 << 30
	}
	clear(m)
	for y := range h {
		row := tmp[y*w : (y+1)*w]
		out := m[y*w : (y+1)*w]
		for x := range w {
			if row[x] != 0 {
				last[x] = y
			}
			if y-last[x] <= r {
				out[x] = 1
			}
		}
	}
	for x := range last {
		last[x] = 1 << 30
	}
	for y := h - 1; y >= 0; y-- {
		row := tmp[y*w : (y+1)*w]
		out := m[y*w : (y+1)*w]
		for x := range w {
			if row[x] != 0 {
				last[x] = y
			}
			if last[x]-y <= r {
				out[x] = 1
			}
		}
	}
}
