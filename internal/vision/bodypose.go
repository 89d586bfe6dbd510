package vision

import (
	"fmt"
	"math"
)

// Pose landmark (BlazePose lite) constants.
const (
	poseInput        = 256
	poseLandmarks    = 39
	poseLeftShoulder = 11 // subject's left
	poseRightShould  = 12
	// poseMinVisible is the visibility both shoulder keypoints need to be used.
	poseMinVisible = 0.5
)

// ROI geometry in head heights (see poseROI); variables for experiments.
var (
	poseHipsBelowEyes = 2.7
	poseROIHeads      = 7.0
)

// poseROI is the square region given to the pose network. BlazePose expects the
// ROI MediaPipe derives from its person detector: centred on the hips and sized to
// the whole body. The body is estimated from the face: head height ≈ 1.6 face
// widths, hips ≈ 2.7 head heights below the eyes, ROI side 7 head heights. Parts
// outside the photo are zero padding, as in MediaPipe.
func poseROI(d *FaceDetail) roi {
	head := 1.6 * d.FaceWidth
	cx := (d.EyeCenterLeft.X + d.EyeCenterRight.X) / 2
	return roi{CX: cx, CY: d.EyeLine + poseHipsBelowEyes*head, W: poseROIHeads * head, H: poseROIHeads * head}
}

// poseShoulders runs pose_landmark_lite on the ROI around the main person and
// returns keypoints 11/12 as shoulders (Source "pose", Confidence = the lower of
// the two visibilities); Found is false when either visibility is below
// poseMinVisible, the person flag is low, or the points are implausible (above
// the chin, sides swapped, or outside the photo).
func (a *Analyzer) poseShoulders(r *raster, d *FaceDetail) (Shoulders, error) {
	if a.pose == nil {
		return Shoulders{}, fmt.Errorf("vision: pose model %s not loaded: %w", FilePose, ErrModels)
	}
	q := poseROI(d)
	it := a.pose.get()
	defer a.pose.put(it)
	r.sampleROI(it.Input(0), poseInput, q, 0, 1)
	if err := it.Invoke(); err != nil {
		return Shoulders{}, fmt.Errorf("vision: pose landmarks: %w", err)
	}
	lm := it.Output(a.poseOut)
	flag := sigmoid(float64(it.Output(a.poseFlag)[0]))
	point := func(i int) (Point, float64) {
		v := lm[5*i : 5*i+5]
		x, y := q.toImage(float64(v[0])/poseInput, float64(v[1])/poseInput)
		return Point{x, y}, sigmoid(float64(v[3]))
	}
	left, vl := point(poseLeftShoulder)
	right, vr := point(poseRightShould)
	conf := math.Min(vl, vr)
	// Shoulder joints lie below the chin, the subject's left on the image right,
	// and inside the photo (the network extrapolates beyond its edges).
	inside := func(p Point) bool { return p.X >= 0 && p.Y >= 0 && p.X < float64(r.w) && p.Y < float64(r.h) }
	if flag < 0.5 || conf < poseMinVisible || left.Y <= d.Chin.Y || right.Y <= d.Chin.Y || left.X <= right.X ||
		!inside(left) || !inside(right) {
		return Shoulders{}, nil
	}
	return Shoulders{Found: true, Left: left, Right: right, Confidence: conf, Source: "pose"}, nil
}
