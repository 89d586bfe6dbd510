package photo

import (
	"image"
	"math"
	"sort"

	"xiaoxiang/internal/vision"
)

// Measures are the numbers the quality checks judge, computed from the working image and
// the vision analysis (source pixels unless stated).
type Measures struct {
	// Faces counts the significant faces (see Thresholds.OtherFace*); FaceFound is false
	// when there is no face (or no mesh for it).
	Faces     int  `json:"faces"`
	FaceFound bool `json:"face_found"`
	// Pose in degrees (see vision.Pose for signs).
	Yaw   float64 `json:"yaw"`
	Pitch float64 `json:"pitch"`
	Roll  float64 `json:"roll"`
	// FaceWidthPx is the cheek-to-cheek width in the original photo's pixels; FaceFrac is
	// that width over the photo width.
	FaceWidthPx float64 `json:"face_width_px"`
	FaceFrac    float64 `json:"face_frac"`
	// HeadTopFound / HeadTopCut from the person mask.
	HeadTopFound bool `json:"head_top_found"`
	HeadTopCut   bool `json:"head_top_cut"`
	// FaceInside is the share of mesh points inside the photo.
	FaceInside float64 `json:"face_inside"`
	// Sharpness of the eye region at a normalised face width of 240 px (mean Laplacian
	// magnitude over the local contrast, ×100).
	Sharpness float64 `json:"sharpness"`
	// Shoulders.
	ShouldersFound bool    `json:"shoulders_found"`
	ShoulderConf   float64 `json:"shoulder_conf"`
	ShoulderTilt   float64 `json:"shoulder_tilt"` // degrees, absolute
	// Brightness is the mean skin luma (cheeks and nose); LightRatio the darker over the
	// brighter cheek.
	Brightness float64 `json:"brightness"`
	LightRatio float64 `json:"light_ratio"`
	// EyeOpen is the smaller eye aspect ratio; EyeDark the darker eye region's luma over
	// the skin luma.
	EyeOpen float64 `json:"eye_open"`
	EyeDark float64 `json:"eye_dark"`
	// MouthOpen is the mouth aspect ratio.
	MouthOpen float64 `json:"mouth_open"`
	// BgClutter is the mean background gradient (luma levels per pixel at 320 px long side);
	// BgShadow the luma of the background next to the person over the far background
	// (BgShadowValid false when there is too little background to tell).
	BgClutter     float64 `json:"bg_clutter"`
	BgShadow      float64 `json:"bg_shadow"`
	BgShadowValid bool    `json:"bg_shadow_valid"`
	// ClothDeltaE is the median CIE76 ΔE between clothing pixels and the profile background;
	// ClothPixels how many pixels (at 320 px) were clothing.
	ClothDeltaE float64 `json:"cloth_delta_e"`
	ClothPixels int     `json:"cloth_pixels"`
	// Plan is the standardization geometry for the profile.
	Plan Plan `json:"plan"`
}

// Mesh indices used here (MediaPipe face mesh topology).
const (
	meshRightCheek = 205
	meshLeftCheek  = 425
	meshNoseBridge = 195
	meshRightEyeO  = 33 // outer corner, image left
	meshRightEyeI  = 133
	meshLeftEyeI   = 362
	meshLeftEyeO   = 263
	meshRightBrow  = 105
	meshLeftBrow   = 334
)

// measure computes Measures for profile p. img is the working image the analysis ran on;
// shrink is its pre-shrink factor (to report face width in original pixels).
func measure(img *image.RGBA, a *vision.Analysis, p *Profile, shrink int) Measures {
	var m Measures
	th := &p.Thresholds
	W, H := img.Rect.Dx(), img.Rect.Dy()
	if len(a.Faces) > 0 {
		main := a.Faces[0]
		m.Faces = 1
		for _, f := range a.Faces[1:] {
			if f.Score >= th.OtherFaceScore && f.Box.W >= th.OtherFaceRel*main.Box.W {
				m.Faces++
			}
		}
	}
	d := a.Main
	if d == nil || len(d.Mesh) < 468 || d.FaceWidth <= 0 {
		return m
	}
	m.FaceFound = true
	m.Yaw, m.Pitch, m.Roll = d.Pose.Yaw, d.Pose.Pitch, d.Pose.Roll
	m.FaceWidthPx = d.FaceWidth * float64(shrink)
	m.FaceFrac = d.FaceWidth / float64(W)
	m.HeadTopFound, m.HeadTopCut = a.HeadTopFound, a.HeadTopCut
	inside := 0
	for _, q := range d.Mesh {
		if q.X >= 0 && q.Y >= 0 && q.X < float64(W) && q.Y < float64(H) {
			inside++
		}
	}
	m.FaceInside = float64(inside) / float64(len(d.Mesh))
	m.EyeOpen = math.Min(d.RightEyeOpen, d.LeftEyeOpen)
	m.MouthOpen = d.MouthOpen

	if s := a.Shoulders; s.Found {
		m.ShouldersFound = true
		m.ShoulderConf = s.Confidence
		dx, dy := s.Left.X-s.Right.X, s.Left.Y-s.Right.Y
		m.ShoulderTilt = math.Abs(math.Atan2(dy, math.Abs(dx)) * 180 / math.Pi)
	}

	// Skin and eye luma from small patches around mesh points.
	r := d.FaceWidth * 0.06
	pt := func(i int) vision.Point { return vision.Point{X: d.Mesh[i].X, Y: d.Mesh[i].Y} }
	cr := patchLuma(img, pt(meshRightCheek), r)
	cl := patchLuma(img, pt(meshLeftCheek), r)
	nb := patchLuma(img, pt(meshNoseBridge), r)
	m.Brightness = (cr + cl + nb) / 3
	if hi := math.Max(cr, cl); hi > 0 {
		m.LightRatio = math.Min(cr, cl) / hi
	}
	eyeR := eyeLuma(img, pt(meshRightEyeO), pt(meshRightEyeI))
	eyeL := eyeLuma(img, pt(meshLeftEyeI), pt(meshLeftEyeO))
	if m.Brightness > 0 {
		m.EyeDark = math.Min(eyeR, eyeL) / m.Brightness
	}
	m.Sharpness = sharpness(img, d)

	if a.Mask != nil && a.Mask.W == W && a.Mask.H == H {
		bgStats(img, a, p, &m)
		m.Plan = PlanGeometry(subjectOf(img, a), p)
	}
	return m
}

// subjectOf extracts the planning inputs from an analysis with a mask and a face.
func subjectOf(img *image.RGBA, a *vision.Analysis) Subject {
	d := a.Main
	s := Subject{ImgW: a.Width, ImgH: a.Height, EyeLine: d.EyeLine, FaceWidth: d.FaceWidth}
	s.HeadTop = a.HeadTop.Y
	if !a.HeadTopFound {
		s.HeadTop = math.Min(a.HeadTop.Y, d.Hairline.Y)
	}
	m454, m234 := d.Mesh[454], d.Mesh[234]
	s.CenterX = (m454.X + m234.X) / 2
	// Does the body touch the bottom / sides below the chin?
	mk := a.Mask
	y0 := int(math.Max(0, d.Chin.Y))
	edge := func(x0, x1, y0, y1 int) bool {
		n, on := 0, 0
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				n++
				if mk.Pix[y*mk.W+x] >= 128 {
					on++
				}
			}
		}
		return n > 0 && on*20 >= n // ≥ 5 % of the edge segment is person
	}
	if y0 < mk.H {
		s.TouchLeft = edge(0, 0, y0, mk.H-1)
		s.TouchRight = edge(mk.W-1, mk.W-1, y0, mk.H-1)
	}
	s.TouchBottom = edge(0, mk.W-1, mk.H-1, mk.H-1)
	// Extending the bottom edge continues clothing only when the source reaches below the chin
	// and its bottom rows inside the person are smooth (fabric, skin), not hair strands.
	s.NoBottomExtend = float64(a.Height)-d.Chin.Y < 0.25*d.FaceWidth || bottomRoughness(img, mk) > 4
	return s
}

// bottomRoughness is the mean |horizontal luma difference| over person pixels of the last
// four rows of the source (levels per pixel).
func bottomRoughness(img *image.RGBA, mk *vision.Mask) float64 {
	var s float64
	n := 0
	for y := max(0, mk.H-4); y < mk.H; y++ {
		for x := 1; x < mk.W; x++ {
			if mk.Pix[y*mk.W+x] < 128 || mk.Pix[y*mk.W+x-1] < 128 {
				continue
			}
			s += math.Abs(luma(img.Pix[img.PixOffset(x, y):]) - luma(img.Pix[img.PixOffset(x-1, y):]))
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// luma is Rec. 601 luma of an RGBA pixel.
func luma(p []uint8) float64 { return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2]) }

func patchLuma(img *image.RGBA, c vision.Point, r float64) float64 {
	x0, x1 := int(c.X-r), int(c.X+r)
	y0, y1 := int(c.Y-r), int(c.Y+r)
	return boxLuma(img, x0, y0, x1, y1)
}

func boxLuma(img *image.RGBA, x0, y0, x1, y1 int) float64 {
	b := img.Rect
	x0, y0 = max(x0, b.Min.X), max(y0, b.Min.Y)
	x1, y1 = min(x1, b.Max.X-1), min(y1, b.Max.Y-1)
	var s float64
	n := 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			s += luma(img.Pix[img.PixOffset(x, y):])
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// eyeLuma is the mean luma of a box spanning the eye corners and ±0.35 eye widths vertically
// (covers lids and the socket, where tinted lenses or hair show up as a dark area).
func eyeLuma(img *image.RGBA, a, b vision.Point) float64 {
	w := math.Hypot(b.X-a.X, b.Y-a.Y)
	cy := (a.Y + b.Y) / 2
	return boxLuma(img, int(math.Min(a.X, b.X)), int(cy-0.35*w), int(math.Max(a.X, b.X)), int(cy+0.35*w))
}

// sharpness resamples the band from the brows to below the eyes to a face width of 240 px
// and returns 100 × mean |Laplacian| / (std of luma + 8): gradients relative to the local
// contrast, so dim and bright photos compare.
func sharpness(img *image.RGBA, d *vision.FaceDetail) float64 {
	const norm = 240.0
	k := norm / d.FaceWidth
	ro, lo := d.Mesh[meshRightEyeO], d.Mesh[meshLeftEyeO]
	brow := math.Min(d.Mesh[meshRightBrow].Y, d.Mesh[meshLeftBrow].Y)
	x0 := math.Min(ro.X, lo.X) - 0.05*d.FaceWidth
	x1 := math.Max(ro.X, lo.X) + 0.05*d.FaceWidth
	y0 := brow - 0.05*d.FaceWidth
	y1 := d.EyeLine + 0.15*d.FaceWidth
	ow, oh := int((x1-x0)*k), int((y1-y0)*k)
	if ow < 8 || oh < 8 {
		return 0
	}
	band := cropResample(img, x0, y0, x1-x0, y1-y0, ow, oh)
	L := make([]float64, ow*oh)
	var mean float64
	for y := range oh {
		for x := range ow {
			v := luma(band.Pix[y*band.Stride+4*x:])
			L[y*ow+x] = v
			mean += v
		}
	}
	mean /= float64(len(L))
	var vs, lap float64
	n := 0
	for y := 1; y < oh-1; y++ {
		for x := 1; x < ow-1; x++ {
			i := y*ow + x
			vs += sq(L[i] - mean)
			lap += math.Abs(4*L[i] - L[i-1] - L[i+1] - L[i-ow] - L[i+ow])
			n++
		}
	}
	std := math.Sqrt(vs / float64(n))
	return 100 * lap / float64(n) / (std + 8)
}

// bgStats fills the background and clothing measures on a copy reduced to ≤ 320 px.
func bgStats(img *image.RGBA, a *vision.Analysis, p *Profile, m *Measures) {
	W, H := img.Rect.Dx(), img.Rect.Dy()
	f := max(1, (max(W, H)+319)/320)
	small := boxShrink(img, f, false)
	sw, sh := small.Rect.Dx(), small.Rect.Dy()
	k := 1 / float64(f)
	mask := shrinkMask(a.Mask.Pix, W, f, sw, sh)
	n := sw * sh
	L := make([]float64, n)
	for i := range n {
		L[i] = luma(small.Pix[4*i:])
	}
	// Distance-ish: blur the mask at two radii.
	near := make([]float32, n)
	far := make([]float32, n)
	copy(near, mask)
	copy(far, mask)
	tmp := make([]float32, n)
	fw := a.Main.FaceWidth * k
	boxBlur(near, tmp, sw, sh, 1, max(2, int(0.08*fw)))
	boxBlur(far, tmp, sw, sh, 1, max(4, int(0.25*fw)))

	var grad float64
	gn := 0
	var nearS, farS float64
	nearN, farN := 0, 0
	for y := 1; y < sh-1; y++ {
		for x := 1; x < sw-1; x++ {
			i := y*sw + x
			if mask[i] > 0.02 || mask[i-1] > 0.02 || mask[i+1] > 0.02 || mask[i-sw] > 0.02 || mask[i+sw] > 0.02 {
				continue
			}
			gx := L[i+1] - L[i-1]
			gy := L[i+sw] - L[i-sw]
			grad += math.Hypot(gx, gy) / 2
			gn++
			if near[i] > 0.01 {
				nearS += L[i]
				nearN++
			} else if far[i] < 0.001 {
				farS += L[i]
				farN++
			}
		}
	}
	if gn > 0 {
		m.BgClutter = grad / float64(gn)
	}
	if nearN >= 30 && farN >= 30 && farS > 0 {
		m.BgShadow = (nearS / float64(nearN)) / (farS / float64(farN))
		m.BgShadowValid = true
	}

	// Clothing: person pixels from 0.45 to 1.6 face widths below the chin.
	d := a.Main
	y0 := int((d.Chin.Y + 0.45*d.FaceWidth) * k)
	y1 := min(sh-1, int((d.Chin.Y+1.6*d.FaceWidth)*k))
	bgLab := rgbToLab(p.Background[0], p.Background[1], p.Background[2])
	var des []float64
	for y := max(0, y0); y <= y1; y++ {
		for x := range sw {
			i := y*sw + x
			if mask[i] < 0.9 {
				continue
			}
			q := small.Pix[4*i:]
			lab := rgbToLab(q[0], q[1], q[2])
			des = append(des, math.Sqrt(sq(lab[0]-bgLab[0])+sq(lab[1]-bgLab[1])+sq(lab[2]-bgLab[2])))
		}
	}
	m.ClothPixels = len(des)
	if len(des) > 0 {
		sort.Float64s(des)
		m.ClothDeltaE = des[len(des)/2]
	}
}

// shrinkMask box-averages a 0..255 plane of width w by f into sw×sh values 0..1.
func shrinkMask(pix []uint8, w, f, sw, sh int) []float32 {
	out := make([]float32, sw*sh)
	inv := 1 / float32(255*f*f)
	for y := range sh {
		for x := range sw {
			var s int
			for dy := range f {
				for _, v := range pix[(y*f+dy)*w+x*f : (y*f+dy)*w+x*f+f] {
					s += int(v)
				}
			}
			out[y*sw+x] = float32(s) * inv
		}
	}
	return out
}

// srgbLinear maps 8-bit sRGB to linear light.
var srgbLinear = func() (t [256]float64) {
	for i := range t {
		v := float64(i) / 255
		if v <= 0.04045 {
			t[i] = v / 12.92
		} else {
			t[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return
}()

// rgbToLab converts sRGB (D65) to CIE L*a*b*.
func rgbToLab(r, g, b uint8) [3]float64 {
	R, G, B := srgbLinear[r], srgbLinear[g], srgbLinear[b]
	x := (0.4124*R + 0.3576*G + 0.1805*B) / 0.95047
	y := 0.2126*R + 0.7152*G + 0.0722*B
	z := (0.0193*R + 0.1192*G + 0.9505*B) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// deltaE76 is the Euclidean distance of two colours in L*a*b*.
func deltaE76(a, b [3]float64) float64 {
	return math.Sqrt(sq(a[0]-b[0]) + sq(a[1]-b[1]) + sq(a[2]-b[2]))
}
