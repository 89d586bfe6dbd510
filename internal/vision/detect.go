package vision

import (
	"math"
	"sort"
)

// Face detector (BlazeFace short range) constants, as configured in MediaPipe's
// face_detection_short_range graph.
const (
	detInput       = 128
	detNumAnchors  = 896
	detNumCoords   = 16
	detScoreClip   = 100.0
	detMinScore    = 0.5
	detNMSIoU      = 0.3
	detNumKeypoint = 6
)

// anchor is an SSD anchor centre in normalised input coordinates (w = h = 1 for
// this model: fixed anchor size).
type anchor struct{ X, Y float64 }

// detAnchors generates the 896 anchors: a 16×16 grid with 2 anchors per cell
// (stride 8), then an 8×8 grid with 6 anchors per cell (three stride-16 layers
// merged, 2 anchors each), in row-major cell order.
func detAnchors() []anchor {
	out := make([]anchor, 0, detNumAnchors)
	for _, l := range []struct{ fm, n int }{{16, 2}, {8, 6}} {
		for y := 0; y < l.fm; y++ {
			for x := 0; x < l.fm; x++ {
				for k := 0; k < l.n; k++ {
					out = append(out, anchor{(float64(x) + 0.5) / float64(l.fm), (float64(y) + 0.5) / float64(l.fm)})
				}
			}
		}
	}
	return out
}

// detection is a face in normalised coordinates of some frame (the detector input
// or, after mapping, image pixels).
type detection struct {
	XMin, YMin, W, H float64
	Score            float64
	Kp               [detNumKeypoint]Point
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// decodeDetections turns raw detector outputs (regressors 896×16, scores 896) into
// detections with score ≥ minScore, in normalised input coordinates.
func decodeDetections(reg, cls []float32, anchors []anchor, minScore float64) []detection {
	var out []detection
	for i, a := range anchors {
		if i >= len(cls) || (i+1)*detNumCoords > len(reg) {
			break
		}
		s := float64(cls[i])
		s = math.Max(-detScoreClip, math.Min(detScoreClip, s))
		score := sigmoid(s)
		if score < minScore {
			continue
		}
		r := reg[i*detNumCoords : (i+1)*detNumCoords]
		cx := float64(r[0])/detInput + a.X
		cy := float64(r[1])/detInput + a.Y
		w := float64(r[2]) / detInput
		h := float64(r[3]) / detInput
		if w <= 0 || h <= 0 {
			continue
		}
		d := detection{XMin: cx - w/2, YMin: cy - h/2, W: w, H: h, Score: score}
		for k := 0; k < detNumKeypoint; k++ {
			d.Kp[k] = Point{float64(r[4+2*k])/detInput + a.X, float64(r[5+2*k])/detInput + a.Y}
		}
		out = append(out, d)
	}
	return out
}

// iou is the intersection over union of two detections' boxes.
func iou(a, b detection) float64 {
	x0 := math.Max(a.XMin, b.XMin)
	y0 := math.Max(a.YMin, b.YMin)
	x1 := math.Min(a.XMin+a.W, b.XMin+b.W)
	y1 := math.Min(a.YMin+a.H, b.YMin+b.H)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	inter := (x1 - x0) * (y1 - y0)
	return inter / (a.W*a.H + b.W*b.H - inter)
}

// overlapSmall is the intersection over the smaller box's area.
func overlapSmall(a, b detection) float64 {
	x0 := math.Max(a.XMin, b.XMin)
	y0 := math.Max(a.YMin, b.YMin)
	x1 := math.Min(a.XMin+a.W, b.XMin+b.W)
	y1 := math.Min(a.YMin+a.H, b.YMin+b.H)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	return (x1 - x0) * (y1 - y0) / math.Min(a.W*a.H, b.W*b.H)
}

// weightedNMS is MediaPipe's weighted non-maximum suppression: detections are taken
// in descending score order; each one absorbs all remaining detections overlapping
// it with IoU > thresh, and its box and keypoints become the score-weighted mean of
// the group (the score stays the best one's).
func weightedNMS(dets []detection, thresh float64) []detection {
	rest := append([]detection(nil), dets...)
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].Score > rest[j].Score })
	var out []detection
	for len(rest) > 0 {
		top := rest[0]
		var keep []detection
		var sum float64
		var acc detection
		for i, d := range rest {
			if i == 0 || iou(top, d) > thresh {
				sum += d.Score
				acc.XMin += d.Score * d.XMin
				acc.YMin += d.Score * d.YMin
				acc.W += d.Score * (d.XMin + d.W)
				acc.H += d.Score * (d.YMin + d.H)
				for k := range acc.Kp {
					acc.Kp[k].X += d.Score * d.Kp[k].X
					acc.Kp[k].Y += d.Score * d.Kp[k].Y
				}
			} else {
				keep = append(keep, d)
			}
		}
		if sum > 0 {
			m := top
			m.XMin = acc.XMin / sum
			m.YMin = acc.YMin / sum
			m.W = acc.W/sum - m.XMin
			m.H = acc.H/sum - m.YMin
			for k := range m.Kp {
				m.Kp[k] = Point{acc.Kp[k].X / sum, acc.Kp[k].Y / sum}
			}
			top = m
		}
		out = append(out, top)
		rest = keep
	}
	return out
}

// letterbox describes how a w×h region of the image is fitted into a square
// network input keeping its aspect ratio (zero padding on the short side).
type letterbox struct {
	X0, Y0 float64 // region origin in image pixels
	Side   float64 // side of the square region in image pixels (the long side)
	PadX   float64 // padding in image pixels added on the left (and right)
	PadY   float64
}

func newLetterbox(x0, y0, w, h float64) letterbox {
	side := math.Max(w, h)
	return letterbox{X0: x0, Y0: y0, Side: side, PadX: (side - w) / 2, PadY: (side - h) / 2}
}

// roi returns the square ROI of the letterbox (no rotation).
func (l letterbox) roi() roi {
	return roi{CX: l.X0 - l.PadX + l.Side/2, CY: l.Y0 - l.PadY + l.Side/2, W: l.Side, H: l.Side}
}

// toImage maps a detection from normalised letterbox input coordinates to image pixels.
func (l letterbox) toImage(d detection) detection {
	ox := l.X0 - l.PadX
	oy := l.Y0 - l.PadY
	o := d
	o.XMin = ox + d.XMin*l.Side
	o.YMin = oy + d.YMin*l.Side
	o.W = d.W * l.Side
	o.H = d.H * l.Side
	for k := range d.Kp {
		o.Kp[k] = Point{ox + d.Kp[k].X*l.Side, oy + d.Kp[k].Y*l.Side}
	}
	return o
}

// face converts an image-pixel detection to the public Face type.
func (d detection) face() Face {
	f := Face{Box: Rect{d.XMin, d.YMin, d.W, d.H}, Score: d.Score}
	copy(f.Keypoints[:], d.Kp[:])
	return f
}

// tile is one square detector window in image pixels.
type tile struct{ X0, Y0, Side float64 }

// tiles covers a w×h image with square windows of the given side, overlapping by
// at least half a window so that any face up to side/2 lies wholly inside one.
func tiles(w, h int, side float64) []tile {
	pos := func(n int) []float64 {
		if side >= float64(n) {
			return []float64{0}
		}
		stride := side / 2
		k := int(math.Ceil((float64(n) - side) / stride))
		out := make([]float64, k+1)
		for i := range out {
			out[i] = float64(i) * (float64(n) - side) / float64(k)
		}
		return out
	}
	var out []tile
	for _, y := range pos(h) {
		for _, x := range pos(w) {
			out = append(out, tile{x, y, side})
		}
	}
	return out
}
