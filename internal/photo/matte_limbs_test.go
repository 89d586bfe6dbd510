package photo

import (
	"math"
	"testing"
)

// A raised arm entering from the side above the shoulders is removed; head and shoulders
// (and hair falling beside the face) stay.
func TestRemoveRaisedLimbs(t *testing.T) {
	const w, h = 240, 320
	alpha := make([]float32, w*h)
	set := func(x0, y0, x1, y1 int) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				alpha[y*w+x] = 1
			}
		}
	}
	// Head 80..160 × 40..190, hair beside it down to 230, neck, shoulders from 230 down.
	for y := 40; y < 190; y++ {
		for x := 80; x < 160; x++ {
			if math.Hypot(float64(x-120)/40, float64(y-115)/75) < 1 {
				alpha[y*w+x] = 1
			}
		}
	}
	set(72, 110, 82, 230)   // hair lock on the left, attached to the head
	set(105, 180, 135, 240) // neck
	set(20, 230, 220, 320)  // shoulders and torso
	set(0, 120, 18, 320)    // raised arm along the left edge, down to the bottom
	removeRaisedLimbs(alpha, w, h, 120, 120, 120, 80, 200)
	at := func(x, y int) float32 { return alpha[y*w+x] }
	if at(8, 150) != 0 || at(8, 300) != 0 {
		t.Errorf("raised arm kept: %.2f above, %.2f below the shoulder line", at(8, 150), at(8, 300))
	}
	for _, p := range [][2]int{{120, 60}, {76, 200}, {120, 210}, {30, 260}, {210, 300}, {120, 300}} {
		if at(p[0], p[1]) != 1 {
			t.Errorf("person pixel %v removed", p)
		}
	}
}
