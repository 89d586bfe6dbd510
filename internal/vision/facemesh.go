package vision

import (
	"math"
)

const (
	meshInput = 192
	roiScale  = 1.5
)

// Mesh indices used by the metrics (MediaPipe face mesh topology).
var (
	rightEyeContour = []int{33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173}
	leftEyeContour  = []int{263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398}
)

const (
	meshRightEyeOuter = 33
	meshRightEyeInner = 133
	meshRightEyeUpper = 159
	meshRightEyeLower = 145
	meshLeftEyeInner  = 362
	meshLeftEyeOuter  = 263
	meshLeftEyeUpper  = 386
	meshLeftEyeLower  = 374
	meshUpperLipIn    = 13
	meshLowerLipIn    = 14
	meshMouthRight    = 78
	meshMouthLeft     = 308
	meshHairline      = 10
	meshChin          = 152
	meshCheekRight    = 234
	meshCheekLeft     = 454
)

// normAngle wraps an angle to [-π, π).
func normAngle(a float64) float64 {
	return a - 2*math.Pi*math.Floor((a+math.Pi)/(2*math.Pi))
}

// squareROI builds MediaPipe's landmark ROI: centre (cx, cy), a box of w×h pixels,
// rotation taken from the vector p0→p1 (eyes level = 0), enlarged by roiScale and
// made square on the long side.
func squareROI(cx, cy, w, h float64, p0, p1 Point) roi {
	rot := normAngle(math.Atan2(p1.Y-p0.Y, p1.X-p0.X))
	side := math.Max(w, h) * roiScale
	return roi{CX: cx, CY: cy, W: side, H: side, Rot: rot}
}

// roiFromFace is the mesh ROI for a detected face (eyes from keypoints 0 → 1).
func roiFromFace(f Face) roi {
	return squareROI(f.Box.X+f.Box.W/2, f.Box.Y+f.Box.H/2, f.Box.W, f.Box.H,
		f.Keypoints[KeyRightEye], f.Keypoints[KeyLeftEye])
}

// roiFromMesh is the ROI for a second mesh pass, from the bounding box of a first
// mesh and its eye corners 33 → 263 (as MediaPipe's tracking does).
func roiFromMesh(mesh []Point3) roi {
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	for _, p := range mesh {
		x0 = math.Min(x0, p.X)
		y0 = math.Min(y0, p.Y)
		x1 = math.Max(x1, p.X)
		y1 = math.Max(y1, p.Y)
	}
	a := mesh[meshRightEyeOuter]
	b := mesh[meshLeftEyeOuter]
	return squareROI((x0+x1)/2, (y0+y1)/2, x1-x0, y1-y0, Point{a.X, a.Y}, Point{b.X, b.Y})
}

// meshFromOutput maps the model's 468×(x, y, z) crop-pixel output to image pixels.
// z is scaled like x (crop pixels → image pixels).
func meshFromOutput(out []float32, q roi) []Point3 {
	mesh := make([]Point3, meshPoints)
	zs := q.W / meshInput
	for i := range mesh {
		x, y := q.toImage(float64(out[3*i])/meshInput, float64(out[3*i+1])/meshInput)
		mesh[i] = Point3{x, y, float64(out[3*i+2]) * zs}
	}
	return mesh
}

func dist(a, b Point3) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

func p2(p Point3) Point { return Point{p.X, p.Y} }

// eyeAspect is lid gap over corner distance (2-D, image plane).
func eyeAspect(mesh []Point3, upper, lower, c0, c1 int) float64 {
	w := dist(mesh[c0], mesh[c1])
	if w <= 0 {
		return 0
	}
	return dist(mesh[upper], mesh[lower]) / w
}

func centroid(mesh []Point3, idx []int) Point {
	var x, y float64
	for _, i := range idx {
		x += mesh[i].X
		y += mesh[i].Y
	}
	return Point{x / float64(len(idx)), y / float64(len(idx))}
}

// fillMetrics computes the eye, mouth and geometry fields of d from d.Mesh.
func fillMetrics(d *FaceDetail) {
	m := d.Mesh
	d.RightEyeOpen = eyeAspect(m, meshRightEyeUpper, meshRightEyeLower, meshRightEyeOuter, meshRightEyeInner)
	d.LeftEyeOpen = eyeAspect(m, meshLeftEyeUpper, meshLeftEyeLower, meshLeftEyeInner, meshLeftEyeOuter)
	if w := dist(m[meshMouthRight], m[meshMouthLeft]); w > 0 {
		d.MouthOpen = dist(m[meshUpperLipIn], m[meshLowerLipIn]) / w
	}
	d.EyeCenterRight = centroid(m, rightEyeContour)
	d.EyeCenterLeft = centroid(m, leftEyeContour)
	d.EyeLine = (d.EyeCenterRight.Y + d.EyeCenterLeft.Y) / 2
	d.FaceWidth = dist(m[meshCheekRight], m[meshCheekLeft])
	d.Chin = p2(m[meshChin])
	d.Hairline = p2(m[meshHairline])
}
