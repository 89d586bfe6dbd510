package photo

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"xiaoxiang/internal/vision"
)

var (
	colPass  = color.RGBA{40, 200, 60, 255}
	colWarn  = color.RGBA{255, 180, 0, 255}
	colFail  = color.RGBA{230, 30, 30, 255}
	colCrop  = color.RGBA{0, 160, 255, 255}
	colMeas  = color.RGBA{255, 0, 200, 255}
	colRange = color.RGBA{0, 50, 70, 70} // premultiplied, translucent
)

func verdictColor(v Verdict) color.RGBA {
	switch v {
	case Fail:
		return colFail
	case Warn:
		return colWarn
	}
	return colPass
}

// Annotate draws what the check measured on a copy of the working image: the planned crop
// (blue), the eye line, head top and face width (magenta), the shoulders, and one line per
// check (id, value, verdict) in the verdict's colour.
func Annotate(img *Image, rep *Report) *image.RGBA {
	out := image.NewRGBA(img.RGBA.Rect)
	draw.Draw(out, out.Rect, img.RGBA, image.Point{}, draw.Src)
	th := max(1, max(out.Rect.Dx(), out.Rect.Dy())/400)
	if rep == nil {
		return out
	}
	a := rep.analysis
	if a != nil && a.Main != nil && len(a.Main.Mesh) >= 468 {
		d := a.Main
		hline(out, d.EyeCenterRight.X-d.FaceWidth*0.3, d.EyeCenterLeft.X+d.FaceWidth*0.3, d.EyeLine, colMeas, th)
		if a.HeadTopFound || a.HeadTopCut {
			hline(out, a.HeadTop.X-d.FaceWidth*0.3, a.HeadTop.X+d.FaceWidth*0.3, a.HeadTop.Y, colMeas, th)
		}
		l, r := d.Mesh[234], d.Mesh[454]
		hline(out, l.X, r.X, (l.Y+r.Y)/2, colMeas, th)
		vline(out, l.X, l.Y-d.FaceWidth*0.1, l.Y+d.FaceWidth*0.1, colMeas, th)
		vline(out, r.X, r.Y-d.FaceWidth*0.1, r.Y+d.FaceWidth*0.1, colMeas, th)
		if s := a.Shoulders; s.Found {
			seg(out, s.Right, s.Left, colMeas, th)
		}
		for _, f := range a.Faces[1:] {
			rectOutline(out, f.Box.X, f.Box.Y, f.Box.X+f.Box.W, f.Box.Y+f.Box.H, colWarn, th)
		}
	}
	if pl := rep.Measures.Plan; pl.Scale > 0 {
		c := colCrop
		if !pl.Feasible {
			c = colFail
		}
		rectOutline(out, pl.CropX, pl.CropY, pl.CropX+pl.CropW, pl.CropY+pl.CropH, c, th)
	}
	lines := []struct {
		s string
		c color.RGBA
	}{{fmt.Sprintf("%s %s", rep.Profile, rep.Verdict), verdictColor(rep.Verdict)}}
	for _, c := range rep.Checks {
		lines = append(lines, struct {
			s string
			c color.RGBA
		}{fmt.Sprintf("%-16s %7.2f %-3s %s", c.ID, c.Value, asciiUnit(c.Unit), c.Verdict), verdictColor(c.Verdict)})
	}
	for i, l := range lines {
		text(out, 6, 16+14*i, l.s, l.c)
	}
	return out
}

// AnnotateResult draws the spec ranges (translucent bands) and the numbers measured on the
// output (magenta) over the standardized image.
func AnnotateResult(res *Result, prof Profile) *image.RGBA {
	if res == nil || res.image == nil {
		return nil
	}
	out := image.NewRGBA(res.image.Rect)
	draw.Draw(out, out.Rect, res.image, image.Point{}, draw.Src)
	W := float64(prof.Width)
	band := func(y0, y1 float64) {
		draw.Draw(out, image.Rect(0, int(y0), out.Rect.Dx(), int(y1)), image.NewUniform(colRange), image.Point{}, draw.Over)
	}
	band(prof.HeadTop.Min, prof.HeadTop.Max)
	band(prof.EyeLine.Min, prof.EyeLine.Max)
	o := res.Output
	hline(out, 0, W, o.HeadTop, colMeas, 1)
	hline(out, 0, W, o.EyeLine, colMeas, 1)
	cx := W/2 + o.CentreOffset
	hline(out, cx-o.FaceWidth/2, cx+o.FaceWidth/2, o.EyeLine+o.FaceWidth*0.25, colMeas, 1)
	vline(out, W/2, 0, float64(prof.Height), colCrop, 1)
	for i, c := range res.Verify {
		text(out, 4, 14+13*i, fmt.Sprintf("%-14s %6.1f %s", c.ID, c.Value, c.Verdict), verdictColor(c.Verdict))
	}
	return out
}

func asciiUnit(u string) string {
	switch u {
	case "°":
		return "deg"
	case "张":
		return ""
	case "ΔE":
		return "dE"
	}
	return u
}

func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	// Dark outline for legibility on any background.
	for _, o := range [][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
		d := &font.Drawer{Dst: img, Src: image.NewUniform(color.RGBA{0, 0, 0, 255}), Face: basicfont.Face7x13, Dot: fixed.P(x+o[0], y+o[1])}
		d.DrawString(s)
	}
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func fill(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	r := image.Rect(x0, y0, x1, y1).Intersect(img.Rect)
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func hline(img *image.RGBA, x0, x1, y float64, c color.RGBA, th int) {
	fill(img, int(math.Min(x0, x1)), int(y)-th/2, int(math.Max(x0, x1))+1, int(y)-th/2+th, c)
}

func vline(img *image.RGBA, x, y0, y1 float64, c color.RGBA, th int) {
	fill(img, int(x)-th/2, int(math.Min(y0, y1)), int(x)-th/2+th, int(math.Max(y0, y1))+1, c)
}

func rectOutline(img *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA, th int) {
	hline(img, x0, x1, y0, c, th)
	hline(img, x0, x1, y1, c, th)
	vline(img, x0, y0, y1, c, th)
	vline(img, x1, y0, y1, c, th)
}

func seg(img *image.RGBA, a, b vision.Point, c color.RGBA, th int) {
	n := int(math.Hypot(b.X-a.X, b.Y-a.Y)) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		x, y := a.X+(b.X-a.X)*t, a.Y+(b.Y-a.Y)*t
		fill(img, int(x)-th/2, int(y)-th/2, int(x)-th/2+th, int(y)-th/2+th, c)
	}
}

// Thumbnail resamples img to exactly w×h (for contact sheets and previews).
func Thumbnail(img *image.RGBA, w, h int) *image.RGBA {
	b := img.Rect
	return cropResample(img, float64(b.Min.X), float64(b.Min.Y), float64(b.Dx()), float64(b.Dy()), w, h)
}
