package vision

import (
	"fmt"
	"math"
)

// Head pass of the person mask: once the main face is known, the selfie network runs a
// second time on a square region around the head and shoulders (the part an ID photo
// shows), where one network pixel is 2–3× finer than on the whole photo, and that
// region's probabilities replace the whole-image ones there (feathered at the region's
// border) before the guided filter.
const (
	// headSideFW is the head region's side in face widths.
	headSideFW = 3.2
	// headAboveFW is how far the region's top lies above the eye line, in face widths
	// (the head top is ≈ 1 face width above the eyes; big hair gets the margin).
	headAboveFW = 1.4
	// headFeather is the width of the blend ramp at the region's border, as a fraction
	// of its side (only on sides inside the image).
	headFeather = 0.1
	// headMinGain is the least resolution gain (whole-image network pixel over head-region
	// network pixel, on the finer axis) for which the head pass runs.
	headMinGain = 1.3
)

// headRegion is the head pass's square in image pixels and which of its sides lie
// inside the image (those are feathered).
type headRegion struct {
	X0, Y0, Side float64
	// Feather on the left, top, right, bottom side.
	FL, FT, FR, FB bool
}

func (h headRegion) roi() roi {
	return roi{CX: h.X0 + h.Side/2, CY: h.Y0 + h.Side/2, W: h.Side, H: h.Side}
}

// headRegionFor places the head pass's square for face d in a W×H image: side
// headSideFW face widths (at most the image's short side), centred on the cheeks'
// midpoint, its top headAboveFW face widths above the eye line, shifted to lie inside
// the image. ok is false when the square would not be at least headMinGain finer
// than the whole-image pass.
func headRegionFor(d *FaceDetail, W, H int) (headRegion, bool) {
	if d == nil || len(d.Mesh) < meshPoints || !(d.FaceWidth > 0) {
		return headRegion{}, false
	}
	fw, iw, ih := d.FaceWidth, float64(W), float64(H)
	side := math.Min(headSideFW*fw, math.Min(iw, ih))
	if math.Max(iw, ih)/side < headMinGain {
		return headRegion{}, false
	}
	cx := (d.Mesh[234].X + d.Mesh[454].X) / 2
	x0 := math.Max(0, math.Min(cx-side/2, iw-side))
	y0 := math.Max(0, math.Min(d.EyeLine-headAboveFW*fw, ih-side))
	const edge = 0.5
	return headRegion{X0: x0, Y0: y0, Side: side,
		FL: x0 > edge, FT: y0 > edge, FR: x0+side < iw-edge, FB: y0+side < ih-edge}, true
}

// headProb is the head pass's segInput² probability map over its region.
type headProb struct {
	reg  headRegion
	prob []float32
}

// segmentHead runs the selfie segmentation on the head region.
func (a *Analyzer) segmentHead(r *raster, reg headRegion) (*headProb, error) {
	it := a.seg.get()
	defer a.seg.put(it)
	r.sampleROI(it.Input(0), segInput, reg.roi(), 0, 1)
	if err := it.Invoke(); err != nil {
		return nil, fmt.Errorf("vision: segmentation (head): %w", err)
	}
	out := it.Output(a.segOut)
	prob := make([]float32, len(out))
	copy(prob, out)
	return &headProb{reg: reg, prob: prob}, nil
}

// ramp is the feather weight at normalised distance t from a side (0 at the side,
// 1 from headFeather in), smoothstep-shaped.
func ramp(t float64) float64 {
	t /= headFeather
	if t >= 1 {
		return 1
	}
	if t <= 0 {
		return 0
	}
	return t * t * (3 - 2*t)
}

// span returns the working-pixel range [x0, x1)×[y0, y1) of a gw×gh plane covering
// an image of W×H that the head region touches.
func (h *headProb) span(gw, gh, W, H int) (x0, y0, x1, y1 int) {
	sx, sy := float64(gw)/float64(W), float64(gh)/float64(H)
	x0 = max(0, int(math.Floor(h.reg.X0*sx)))
	y0 = max(0, int(math.Floor(h.reg.Y0*sy)))
	x1 = min(gw, int(math.Ceil((h.reg.X0+h.reg.Side)*sx)))
	y1 = min(gh, int(math.Ceil((h.reg.Y0+h.reg.Side)*sy)))
	return
}

// delta returns, for the working pixels of a gw×gh plane p (covering a W×H image)
// inside the window [cx0, cx1)×[cy0, cy1), the change w·(head − p) that blends the
// head pass in, w being the feather weight (0 outside the region), as a
// (cx1−cx0)×(cy1−cy0) plane.
func (h *headProb) delta(p []float32, gw, gh, W, H, cx0, cy0, cx1, cy1 int) []float32 {
	cw, ch := cx1-cx0, cy1-cy0
	d := make([]float32, cw*ch)
	sx, sy := float64(W)/float64(gw), float64(H)/float64(gh)
	reg := h.reg
	n := float64(segInput)
	for y := cy0; y < cy1; y++ {
		v := ((float64(y)+0.5)*sy - reg.Y0) / reg.Side
		if v < 0 || v > 1 {
			continue
		}
		wy := 1.0
		if reg.FT {
			wy = ramp(v)
		}
		if reg.FB {
			wy = math.Min(wy, ramp(1-v))
		}
		if wy == 0 {
			continue
		}
		fy := math.Max(0, math.Min(v*n-0.5, n-1))
		y0 := min(int(fy), segInput-1)
		y1 := min(y0+1, segInput-1)
		ty := float32(fy - float64(y0))
		r0, r1 := h.prob[y0*segInput:(y0+1)*segInput], h.prob[y1*segInput:(y1+1)*segInput]
		prow := p[y*gw : (y+1)*gw]
		drow := d[(y-cy0)*cw : (y-cy0+1)*cw]
		for x := cx0; x < cx1; x++ {
			u := ((float64(x)+0.5)*sx - reg.X0) / reg.Side
			if u < 0 || u > 1 {
				continue
			}
			w := wy
			if reg.FL {
				w = math.Min(w, ramp(u))
			}
			if reg.FR {
				w = math.Min(w, ramp(1-u))
			}
			if w == 0 {
				continue
			}
			fx := math.Max(0, math.Min(u*n-0.5, n-1))
			x0 := min(int(fx), segInput-1)
			x1 := min(x0+1, segInput-1)
			tx := float32(fx - float64(x0))
			a := r0[x0] + tx*(r0[x1]-r0[x0])
			b := r1[x0] + tx*(r1[x1]-r1[x0])
			q := a + ty*(b-a)
			drow[x-cx0] = float32(w) * (q - prow[x])
		}
	}
	return d
}
