package vision

import (
	"math"
	"sort"
)

// maskOn is the mask level (0..255) counted as "person".
const maskOn = 128

// headTop finds the top of the head from the mask: for each column in a band of
// half the face width centred on the face's midline (hairline/chin mid x), walk up
// from the eye line while the mask stays on; the head top is the highest row reached
// by at least a fifth of the band's columns (robust to a stray hair or a gap). It
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
	var tops []int
	for x := x0; x <= x1; x++ {
		if m.Pix[y0*m.W+x] < maskOn {
			continue
		}
		y := y0
		for y > 0 && m.Pix[(y-1)*m.W+x] >= maskOn {
			y--
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

// shoulders finds the two shoulder points on the mask silhouette below the chin.
// For each side it follows the outer edge of the silhouette run that contains the
// neck (the chin's column) from the chin down to 1.6 face heights below the eye
// line, and takes the point of that edge farthest from the straight chord joining
// its ends (the corner where the neck-to-shoulder slope turns into the arm). The
// confidence grows with how far the shoulders reach out from the neck (≥ 1.2 face
// widths apart is full), and drops when they are asymmetric in height or the
// search window is cut by the image's bottom edge.
func shoulders(m *Mask, d *FaceDetail) Shoulders {
	var s Shoulders
	if m == nil || d == nil || d.FaceWidth <= 0 {
		return s
	}
	faceH := d.Chin.Y - d.EyeLine
	if faceH <= 0 {
		return s
	}
	// Eye-to-chin is about 0.45 of the head height; the shoulder line is typically
	// 1.0–1.4 eye-to-chin distances below the chin.
	yStart := int(math.Round(d.Chin.Y))
	yEnd := int(math.Round(d.Chin.Y + 1.8*faceH))
	cut := false
	if yEnd >= m.H {
		yEnd = m.H - 1
		cut = true
	}
	if yStart < 0 {
		yStart = 0
	}
	if yEnd-yStart < 3 {
		return s
	}
	cx := int(math.Round(d.Chin.X))
	if cx < 0 || cx >= m.W {
		return s
	}
	var left, right []Point // subject's left = image right
	for y := yStart; y <= yEnd; y++ {
		row := m.Pix[y*m.W : (y+1)*m.W]
		// Start at the column nearest the chin that is on.
		x := cx
		if row[x] < maskOn {
			found := false
			for dx := 1; dx < int(d.FaceWidth/2); dx++ {
				if x+dx < m.W && row[x+dx] >= maskOn {
					x += dx
					found = true
					break
				}
				if x-dx >= 0 && row[x-dx] >= maskOn {
					x -= dx
					found = true
					break
				}
			}
			if !found {
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
		right = append(right, Point{float64(l), float64(y)})
		left = append(left, Point{float64(r), float64(y)})
	}
	if len(left) < 3 {
		return s
	}
	pr, okR := corner(right)
	pl, okL := corner(left)
	if !okR || !okL {
		return s
	}
	s.Found = true
	s.Left, s.Right = pl, pr
	s.Source = "mask"
	span := (pl.X - pr.X) / d.FaceWidth
	conf := math.Min(1, math.Max(0, (span-0.6)/(1.2-0.6)))
	dy := math.Abs(pl.Y-pr.Y) / faceH
	conf *= math.Max(0, 1-dy)
	// Points touching the image's side edges are unreliable.
	if pr.X <= 0 || pl.X >= float64(m.W-1) {
		conf *= 0.5
	}
	if cut {
		conf *= 0.6
	}
	s.Confidence = conf
	if conf < 0.2 {
		s.Found = false
	}
	return s
}

// corner returns the point of the polyline farthest from the chord between its
// first and last points.
func corner(pts []Point) (Point, bool) {
	a, b := pts[0], pts[len(pts)-1]
	dx, dy := b.X-a.X, b.Y-a.Y
	n := math.Hypot(dx, dy)
	if n == 0 {
		return Point{}, false
	}
	best, bi := -1.0, -1
	for i, p := range pts {
		d := math.Abs((p.X-a.X)*dy-(p.Y-a.Y)*dx) / n
		if d > best {
			best, bi = d, i
		}
	}
	if bi <= 0 || bi >= len(pts)-1 {
		return Point{}, false
	}
	return pts[bi], true
}
