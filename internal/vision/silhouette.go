package vision

import (
	"math"
	"sort"
)

// maskOn is the mask level (0..255) counted as "person".
const maskOn = 128

// headMaxAboveEyes bounds the head top: at most this many eye-to-chin distances
// above the eye line (real heads, tall hair included, stay well within).
const headMaxAboveEyes = 2.5

// headTop finds the top of the head from the mask: for each column in a band of
// half the face width centred on the face's midline (hairline/chin mid x), walk up
// from the eye line while the mask stays on; the head top is the highest row reached
// by at least a fifth of the band's columns (robust to a stray hair or a gap).
// Columns whose mask continues beyond headMaxAboveEyes are discarded; when fewer
// than a third of the band's columns remain, the head top is not found. It
// reports cut = true when that row is the image's top row.
func headTop(m *Mask, d *FaceDetail) (top Point, found, cut bool) {
	if m == nil || d == nil || d.FaceWidth <= 0 {
		return Point{}, false, false
	}
	cx := (d.Hairline.X + d.Chin.X) / 2
	half := d.FaceWidth / 4
	x0 := max(int(math.Round(cx-half)), 0)
	x1 := min(int(math.Round(cx+half)), m.W-1)
	y0 := int(math.Round(d.EyeLine))
	if y0 < 0 || y0 >= m.H || x1 < x0 {
		return Point{}, false, false
	}
	// A head is not taller than headMaxAboveEyes eye-to-chin distances above the
	// eyes: a column whose mask goes on further runs into something else (another
	// person, a railing merged into the mask) and does not count.
	limit := -1
	if ec := d.Chin.Y - d.EyeLine; ec > 0 {
		limit = int(math.Floor(d.EyeLine - headMaxAboveEyes*ec))
	}
	var tops []int
	for x := x0; x <= x1; x++ {
		if m.Pix[y0*m.W+x] < maskOn {
			continue
		}
		y := y0
		for y > 0 && y > limit && m.Pix[(y-1)*m.W+x] >= maskOn {
			y--
		}
		if y == limit && y > 0 {
			continue
		}
		tops = append(tops, y)
	}
	if len(tops) < (x1-x0+1)/3 || len(tops) == 0 {
		return Point{}, false, false
	}
	sort.Ints(tops)
	k := len(tops) / 5
	y := tops[k]
	if y == 0 {
		return Point{cx, 0}, false, true
	}
	// Sub-pixel: interpolate where the mask crosses 0.5 between rows y-1 and y.
	xi := min(max(int(math.Round(cx)), 0), m.W-1)
	above := float64(m.Pix[(y-1)*m.W+xi])
	at := float64(m.Pix[y*m.W+xi])
	fy := float64(y)
	if at >= maskOn && above < maskOn && at > above {
		fy = float64(y) - (at-127.5)/(at-above) + 0.5
	}
	return Point{cx, fy}, true, false
}

// shoulderReach is how far from the neck, in face widths (cheek to cheek), the
// shoulder points are taken on the silhouette; when the image is narrower the reach
// shrinks to what fits, down to shoulderMinReach.
const (
	shoulderReach    = 0.8
	shoulderMinReach = 0.55
	// shoulderNeck is the most a side of the neck may extend from the chin's
	// column, in face widths (a neck with the jaw line above it spans up to about one face width).
	shoulderNeck = 0.6
	// shoulderOuter and shoulderOuterDepth place outerShoulders' two scan columns
	// (face widths from the face centre) and bound their depth below the chin.
	shoulderOuter      = 1.15
	shoulderOuterDepth = 1.6
)

// shoulders finds the two shoulder points on the mask silhouette below the chin.
// Scanning rows from the chin down to 2 eye-to-chin distances below it, it follows
// the silhouette run that contains the neck (the chin's column) and, for each side,
// takes the first row below the chin — after one (from the jaw down) where that
// side extended less than shoulderNeck face widths from the chin's column, i.e.
// the neck —
// where that run's outer edge reaches shoulderReach face widths
// from the chin's column (less if the image is narrower, see shoulderMinReach): the shoulder points lie on the shoulder slope at the same
// lateral distance on both sides, so their height difference measures the shoulder
// tilt even when the shoulders leave the frame further out. Confidence is 1 when
// both sides are found well inside the window, reduced when their heights differ by
// more than a fifth of the eye-to-chin distance, and 0 (not found) when a side never
// reaches out that far or never narrows to a neck (shoulders hidden by long hair,
// cut by the frame, or no body in the mask).
func shoulders(m *Mask, d *FaceDetail) Shoulders {
	var s Shoulders
	if m == nil || d == nil || d.FaceWidth <= 0 {
		return s
	}
	faceH := d.Chin.Y - d.EyeLine
	if faceH <= 0 {
		return s
	}
	yStart := max(int(math.Round(d.Chin.Y)), 0)
	yEnd := min(int(math.Round(d.Chin.Y+2*faceH)), m.H-1)
	cx := int(math.Round(d.Chin.X))
	if cx < 0 || cx >= m.W || yEnd <= yStart {
		return s
	}
	reach := math.Min(shoulderReach*d.FaceWidth, math.Min(float64(cx-1), float64(m.W-2-cx)))
	if reach < shoulderMinReach*d.FaceWidth {
		return s
	}
	xr := float64(cx) - reach // target on the image left (subject's right)
	xl := float64(cx) + reach
	var foundR, foundL bool
	// A side's shoulder point only counts after a row where that side of the run is
	// narrower than the reach (the neck): long hair falling beside the face makes
	// the silhouette wide from the chin down, and its edge is not the shoulder.
	var neckR, neckL bool
	// The neck test starts a little above the chin, at the jaw: with a short neck
	// the silhouette already widens into the shoulders at the chin's row.
	yNeck := max(int(math.Round(d.Chin.Y-0.2*faceH)), 0)
	for y := yNeck; y <= yEnd && !(foundR && foundL); y++ {
		row := m.Pix[y*m.W : (y+1)*m.W]
		x := cx
		if row[x] < maskOn {
			// The neck may be off the chin's column (turned head): look nearby.
			ok := false
			for dx := 1; dx < int(d.FaceWidth/2); dx++ {
				if x+dx < m.W && row[x+dx] >= maskOn {
					x, ok = x+dx, true
					break
				}
				if x-dx >= 0 && row[x-dx] >= maskOn {
					x, ok = x-dx, true
					break
				}
			}
			if !ok {
				continue
			}
		}
		l := x
		for l > 0 && row[l-1] >= maskOn {
			l--
		}
		r := x
		for r < m.W-1 && row[r+1] >= maskOn {
			r++
		}
		below := y >= yStart
		if !foundR && below && float64(l) <= xr && neckR {
			s.Right = Point{xr, subRow(m, int(math.Round(xr)), y)}
			foundR = true
		}
		if !foundL && below && float64(r) >= xl && neckL {
			s.Left = Point{xl, subRow(m, int(math.Round(xl)), y)}
			foundL = true
		}
		neck := shoulderNeck * d.FaceWidth
		neckR = neckR || float64(x-l) < neck && float64(cx-l) < neck
		neckL = neckL || float64(r-x) < neck && float64(r-cx) < neck
	}
	if !foundR || !foundL {
		return Shoulders{}
	}
	s.Found = true
	s.Source = "mask"
	dy := math.Abs(s.Left.Y-s.Right.Y) / faceH
	s.Confidence = math.Max(0.2, math.Min(1, 1-(dy-0.2)))
	// Points found in the last tenth of the window are near the search limit.
	if lim := d.Chin.Y + 1.8*faceH; s.Left.Y > lim || s.Right.Y > lim {
		s.Confidence *= 0.6
	}
	return s
}

// outerShoulders is the last resort when neither the neck-anchored scan nor the pose
// model found shoulders: at shoulderOuter face widths left and right of the face centre
// (outside hair falling beside the face), the first mask row at or above 0.5 scanning
// down from the chin, within shoulderOuterDepth face widths below it, on both sides.
// Its tilt is looser than the neck-anchored points (hair on a shoulder can lift one
// side); Confidence is the mean mask value at the two hits (0.5–1) and Source
// "silhouette".
func outerShoulders(m *Mask, d *FaceDetail) Shoulders {
	if m == nil || d == nil || len(d.Mesh) < 468 || d.FaceWidth <= 0 {
		return Shoulders{}
	}
	cx := (d.Mesh[234].X + d.Mesh[454].X) / 2
	y0, y1 := int(d.Chin.Y), int(d.Chin.Y+shoulderOuterDepth*d.FaceWidth)
	hit := func(x int) (int, float64) {
		if x < 0 || x >= m.W {
			return -1, 0
		}
		for y := max(0, y0); y <= y1 && y < m.H; y++ {
			if v := m.Pix[y*m.W+x]; v >= maskOn {
				return y, float64(v) / 255
			}
		}
		return -1, 0
	}
	dx := shoulderOuter * d.FaceWidth
	yr, cr := hit(int(cx - dx))
	yl, cl := hit(int(cx + dx))
	if yr < 0 || yl < 0 {
		return Shoulders{}
	}
	return Shoulders{Found: true, Right: Point{cx - dx, float64(yr)}, Left: Point{cx + dx, float64(yl)},
		Confidence: (cr + cl) / 2, Source: "silhouette"}
}

// subRow refines the row where column x of the mask crosses 0.5 going down from
// row y-1 to row y.
func subRow(m *Mask, x, y int) float64 {
	x = min(max(x, 0), m.W-1)
	if y <= 0 {
		return float64(y)
	}
	above := float64(m.Pix[(y-1)*m.W+x])
	at := float64(m.Pix[y*m.W+x])
	if at >= 127.5 && above < 127.5 && at > above {
		return float64(y) - (at-127.5)/(at-above) + 0.5
	}
	return float64(y)
}
