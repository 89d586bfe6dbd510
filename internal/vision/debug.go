package vision

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Debug drawing colours.
var (
	colBox      = color.RGBA{255, 220, 0, 255}
	colBoxOther = color.RGBA{255, 140, 0, 255}
	colKey      = color.RGBA{255, 0, 255, 255}
	colMesh     = color.RGBA{0, 255, 120, 255}
	colEye      = color.RGBA{0, 200, 255, 255}
	colHeadTop  = color.RGBA{255, 40, 40, 255}
	colShoulder = color.RGBA{40, 120, 255, 255}
	colMask     = color.RGBA{255, 255, 255, 255}
)

// DrawDebug returns a copy of img with the analysis drawn on it: face boxes (main
// yellow, others orange) with their keypoints (magenta), the mesh points (green),
// the eye line and eye centres (cyan), the head top (red bar; dashed when cut), the
// shoulders (blue) and the mask outline at 0.5 (white).
func DrawDebug(img image.Image, a *Analysis) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	if a == nil {
		return out
	}
	th := max(1, int(math.Round(math.Max(float64(b.Dx()), float64(b.Dy()))/500)))
	if a.Mask != nil && a.Mask.W == b.Dx() && a.Mask.H == b.Dy() {
		m := a.Mask
		for y := 0; y < m.H; y++ {
			for x := 0; x < m.W; x++ {
				on := m.Pix[y*m.W+x] >= maskOn
				if x+1 < m.W && (m.Pix[y*m.W+x+1] >= maskOn) != on ||
					y+1 < m.H && (m.Pix[(y+1)*m.W+x] >= maskOn) != on {
					out.SetRGBA(x, y, colMask)
				}
			}
		}
	}
	for i := len(a.Faces) - 1; i >= 0; i-- {
		f := a.Faces[i]
		c := colBoxOther
		if i == 0 {
			c = colBox
		}
		rect(out, f.Box, c, th)
		for _, k := range f.Keypoints {
			dot(out, k, float64(2*th), colKey)
		}
	}
	if d := a.Main; d != nil {
		for _, p := range d.Mesh {
			dot(out, Point{p.X, p.Y}, math.Max(1, float64(th)/2), colMesh)
		}
		line(out, Point{d.EyeCenterRight.X - d.FaceWidth/3, d.EyeLine}, Point{d.EyeCenterLeft.X + d.FaceWidth/3, d.EyeLine}, colEye, th)
		dot(out, d.EyeCenterRight, float64(2*th), colEye)
		dot(out, d.EyeCenterLeft, float64(2*th), colEye)
		if a.HeadTopFound || a.HeadTopCut {
			w := d.FaceWidth / 2
			p0, p1 := Point{a.HeadTop.X - w/2, a.HeadTop.Y}, Point{a.HeadTop.X + w/2, a.HeadTop.Y}
			if a.HeadTopCut {
				for k := 0.0; k < 1; k += 0.2 {
					line(out, Point{p0.X + k*w, p0.Y}, Point{p0.X + (k+0.1)*w, p0.Y}, colHeadTop, 2*th)
				}
			} else {
				line(out, p0, p1, colHeadTop, 2*th)
			}
		}
	}
	if s := a.Shoulders; s.Found {
		line(out, s.Right, s.Left, colShoulder, th)
		dot(out, s.Right, float64(4*th), colShoulder)
		dot(out, s.Left, float64(4*th), colShoulder)
	}
	return out
}

func dot(img *image.RGBA, p Point, r float64, c color.RGBA) {
	for y := int(math.Floor(p.Y - r)); y <= int(math.Ceil(p.Y+r)); y++ {
		for x := int(math.Floor(p.X - r)); x <= int(math.Ceil(p.X+r)); x++ {
			if (float64(x)-p.X)*(float64(x)-p.X)+(float64(y)-p.Y)*(float64(y)-p.Y) <= r*r+0.25 {
				if image.Pt(x, y).In(img.Rect) {
					img.SetRGBA(x, y, c)
				}
			}
		}
	}
}

func line(img *image.RGBA, a, b Point, c color.RGBA, th int) {
	n := int(math.Ceil(math.Max(math.Abs(b.X-a.X), math.Abs(b.Y-a.Y)))) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		dot(img, Point{a.X + t*(b.X-a.X), a.Y + t*(b.Y-a.Y)}, float64(th)/2, c)
	}
}

func rect(img *image.RGBA, r Rect, c color.RGBA, th int) {
	p := []Point{{r.X, r.Y}, {r.X + r.W, r.Y}, {r.X + r.W, r.Y + r.H}, {r.X, r.Y + r.H}}
	for i := range p {
		line(img, p[i], p[(i+1)%4], c, th)
	}
}
