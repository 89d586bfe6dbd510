package photo

import "math"

// Subject is what geometry planning needs to know about the person in the source photo
// (working-image pixels).
type Subject struct {
	ImgW, ImgH int
	// HeadTop is the y of the top of the head, EyeLine the y of the eye line.
	HeadTop, EyeLine float64
	// FaceWidth is the cheek-to-cheek width; CenterX the face's horizontal centre.
	FaceWidth, CenterX float64
	// TouchBottom/Left/Right: the person mask reaches that edge of the source below the chin,
	// so the crop may not extend past it (the body would end in a visible cut).
	TouchBottom, TouchLeft, TouchRight bool
	// NoBottomExtend forbids extending the bottom rows (the source ends above the chest, so
	// the replicated rows would smear hair or neck instead of continuing clothing).
	NoBottomExtend bool
}

// Plan is a scale and crop that maps the source onto the profile's output.
type Plan struct {
	// Scale is output pixels per source pixel.
	Scale float64 `json:"scale"`
	// Crop is the source rectangle (may extend past the source where only background is).
	CropX float64 `json:"crop_x"`
	CropY float64 `json:"crop_y"`
	CropW float64 `json:"crop_w"`
	CropH float64 `json:"crop_h"`
	// Predicted output geometry in output pixels.
	HeadTop   float64 `json:"head_top"`
	EyeLine   float64 `json:"eye_line"`
	FaceWidth float64 `json:"face_width"`
	// Feasible is true when all three numbers are inside their ranges and no body edge is cut.
	Feasible bool `json:"feasible"`
	// Problem names the constraint that could not be met: "bottom" (body cut above the
	// bottom of the output), "side" (body cut at a side), "proportion" (head height and
	// face width cannot both fit), "" when feasible.
	Problem string `json:"problem,omitempty"`
	// Missing is how many output pixels of body would be missing at the violated edge.
	Missing float64 `json:"missing,omitempty"`
}

// edgeTolerance is the share of the output size by which a crop may run past a source side
// where the body touches it (the resampler replicates the edge columns: clothing continues
// sideways for a few pixels), and bottomExtend the same at the bottom edge — kept to rounding
// size, because replicated rows showed as vertical streaks on the contact sheet (6 % was
// tried). Beyond that the body would visibly end inside the photo: the plan fails.
const (
	edgeTolerance = 0.04
	bottomExtend  = 0.01
)

// planMargin is how far inside each range the plan keeps its numbers, so that measuring the
// output again (a few pixels of noise) still lands inside: 8 % of the range width. When no
// plan fits the narrowed ranges, a 3 % margin is tried (the output verification decides).
const (
	planMargin    = 0.08
	planMarginMin = 0.03
)

func inner(r Range, f float64) Range {
	m := (r.Max - r.Min) * f
	return Range{r.Min + m, r.Max - m}
}

// PlanGeometry chooses the scale and crop that put head top, eye line and face width as
// close to the middle of the profile's ranges as possible, centred horizontally on the face.
// It never rotates or mirrors. When no crop satisfies every constraint it returns the least
// bad plan with Feasible false and Problem set.
func PlanGeometry(s Subject, p *Profile) Plan {
	if pl := planWithin(s, p, planMargin); pl.Feasible {
		return pl
	}
	return planWithin(s, p, planMarginMin)
}

func planWithin(s Subject, p *Profile, margin float64) Plan {
	W, H := float64(p.Width), float64(p.Height)
	q := *p
	q.HeadTop, q.EyeLine, q.FaceWidth = inner(p.HeadTop, margin), inner(p.EyeLine, margin), inner(p.FaceWidth, margin)
	p = &q
	if s.FaceWidth <= 0 || s.EyeLine <= s.HeadTop {
		return Plan{Problem: "proportion"}
	}
	wT, wE, wF := 1/sq(p.HeadTop.Half()), 1/sq(p.EyeLine.Half()), 1/sq(p.FaceWidth.Half())
	sMin, sMax := p.FaceWidth.Min/s.FaceWidth, p.FaceWidth.Max/s.FaceWidth
	tolX, tolY := edgeTolerance*W, bottomExtend*H
	if s.NoBottomExtend {
		tolY = 0
	}

	type cand struct {
		plan Plan
		cost float64
		bad  float64
	}
	var best, headFit *cand
	const steps = 240
	for i := 0; i <= steps; i++ {
		sc := sMin + (sMax-sMin)*float64(i)/steps
		a, b := s.HeadTop*sc, s.EyeLine*sc // output y of head top / eye line when u = 0
		// u = CropY·sc. Range constraints on u:
		lo := math.Max(a-p.HeadTop.Max, b-p.EyeLine.Max)
		hi := math.Min(a-p.HeadTop.Min, b-p.EyeLine.Min)
		u := (wT*(a-p.HeadTop.Mid()) + wE*(b-p.EyeLine.Mid())) / (wT + wE)
		bad, problem, missing := 0.0, "", 0.0
		uBot := math.Inf(1)
		if s.TouchBottom {
			uBot = float64(s.ImgH)*sc - H + tolY // the crop bottom may not pass the source bottom
		}
		switch {
		case lo > hi: // head height and face width cannot both fit their ranges
			bad, problem = lo-hi, "proportion"
			u = (lo + hi) / 2
			if u > uBot {
				bad += u - uBot
			}
		case lo > uBot: // keeping the head in range would show the body's cut edge
			bad, problem, missing = lo-uBot, "bottom", lo-uBot+tolY
			u = lo
		default:
			u = math.Min(math.Max(u, lo), math.Min(hi, uBot))
		}
		cw := W / sc
		cx := s.CenterX - cw/2
		if s.TouchLeft && cx*sc < -tolX {
			bad += -cx*sc - tolX
			if problem == "" {
				problem, missing = "side", -cx*sc
			}
		}
		if s.TouchRight && (cx+cw-float64(s.ImgW))*sc > tolX {
			bad += (cx+cw-float64(s.ImgW))*sc - tolX
			if problem == "" {
				problem, missing = "side", (cx+cw-float64(s.ImgW))*sc
			}
		}
		top, eye, fw := a-u, b-u, s.FaceWidth*sc
		cost := wT*sq(top-p.HeadTop.Mid()) + wE*sq(eye-p.EyeLine.Mid()) + wF*sq(fw-p.FaceWidth.Mid())
		pl := Plan{Scale: sc, CropX: cx, CropY: u / sc, CropW: cw, CropH: H / sc,
			HeadTop: top, EyeLine: eye, FaceWidth: fw, Problem: problem, Missing: missing}
		const eps = 1e-6
		pl.Feasible = problem == "" && top >= p.HeadTop.Min-eps && top <= p.HeadTop.Max+eps &&
			eye >= p.EyeLine.Min-eps && eye <= p.EyeLine.Max+eps && fw >= p.FaceWidth.Min-eps && fw <= p.FaceWidth.Max+eps
		if !pl.Feasible && problem == "" {
			pl.Problem = "proportion"
			bad += 1
		}
		c := cand{pl, cost, bad}
		if best == nil || c.bad < best.bad-1e-9 || (math.Abs(c.bad-best.bad) <= 1e-9 && c.cost < best.cost) {
			best = &c
		}
		// Among scales where the head geometry itself fits, remember the least bad: when no plan
		// is feasible, its problem (body cut at the bottom or a side) is the one to report.
		if problem != "proportion" && (headFit == nil || c.bad < headFit.bad-1e-9 || (math.Abs(c.bad-headFit.bad) <= 1e-9 && c.cost < headFit.cost)) {
			headFit = &c
		}
	}
	if !best.plan.Feasible && headFit != nil {
		return headFit.plan
	}
	return best.plan
}

func sq(v float64) float64 { return v * v }
