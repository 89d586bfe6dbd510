package vision

// This file is the contract between the vision engine and its users (internal/photo,
// the CLI, the review console). Fields may be added; existing ones keep their names,
// units and meaning. Coordinates are image pixels of the analysed (upright, EXIF-applied)
// image, origin top-left, x to the right, y down. "Left"/"right" are the SUBJECT's own
// left and right (the subject's right eye appears on the image's left side).

// Point is a position in image pixels.
type Point struct{ X, Y float64 }

// Point3 is a mesh point: X, Y in image pixels, Z in the same pixel scale
// (relative depth, smaller = closer to the camera), as MediaPipe's face mesh outputs it.
type Point3 struct{ X, Y, Z float64 }

// Rect is an axis-aligned box in image pixels.
type Rect struct{ X, Y, W, H float64 }

// Keypoint indices of Face.Keypoints, in the detector's order.
const (
	KeyRightEye = iota // subject's right eye (image left)
	KeyLeftEye
	KeyNose
	KeyMouth
	KeyRightEar
	KeyLeftEar
)

// Face is one detected face.
type Face struct {
	Box       Rect     // face box in image pixels
	Score     float64  // detector confidence 0..1
	Keypoints [6]Point // see Key* constants
}

// Pose is the head pose in degrees, from a fit of the mesh to MediaPipe's canonical face.
// Yaw > 0: the face turns towards the image's right (subject's left);
// Pitch > 0: the chin goes up (looking up); Roll > 0: the head tilts clockwise in the
// image (subject's right ear... i.e. the image-left eye is higher). Frontal = 0,0,0.
type Pose struct{ Yaw, Pitch, Roll float64 }

// FaceDetail is the dense analysis of the main face.
type FaceDetail struct {
	Face Face
	// Mesh holds MediaPipe's 468 landmarks in image coordinates.
	Mesh []Point3
	// MeshScore is the mesh model's face-presence probability 0..1.
	MeshScore float64
	Pose      Pose
	// RightEyeOpen and LeftEyeOpen are eye aspect ratios (lid gap / corner distance,
	// mesh 159/145 over 33/133 and 386/374 over 362/263): ≈0.25–0.4 open, < 0.12 closed.
	RightEyeOpen, LeftEyeOpen float64
	// MouthOpen is the mouth aspect ratio (inner-lip gap 13/14 over corner distance 78/308):
	// ≈0–0.05 closed, > 0.15 clearly open.
	MouthOpen float64
	// EyeLine is the y of the midpoint between the two eye centres, in image pixels.
	EyeLine float64
	// EyeCenterRight and EyeCenterLeft are the eye centres (mean of the eye-contour points).
	EyeCenterRight, EyeCenterLeft Point
	// FaceWidth is the cheek-to-cheek width in image pixels (mesh 234 ↔ 454 distance).
	FaceWidth float64
	// Chin is mesh point 152; Hairline is mesh point 10.
	Chin, Hairline Point
}

// Mask is a person mask at the analysed image's resolution: 0 = background, 255 = person.
type Mask struct {
	W, H int
	Pix  []uint8 // row-major, len W*H
}

// At returns the mask value at (x, y) in 0..1; outside the image it returns 0.
func (m *Mask) At(x, y int) float64 {
	if m == nil || x < 0 || y < 0 || x >= m.W || y >= m.H {
		return 0
	}
	return float64(m.Pix[y*m.W+x]) / 255
}

// Shoulders are the shoulder points found below the chin.
type Shoulders struct {
	Found       bool
	Left, Right Point   // subject's left (image right) and right (image left) shoulder
	Confidence  float64 // 0..1
	Source      string  // "mask" or "pose"
}

// Analysis is everything the vision engine knows about one photo.
type Analysis struct {
	Width, Height int
	// Faces are all detected faces, the main (largest) face first.
	Faces []Face
	// Main is the dense analysis of Faces[0]; nil when no face was found.
	Main *FaceDetail
	// Mask is the refined person mask; nil when Options.Mask was false.
	Mask *Mask
	// HeadTop is the top of the head (hair included) from the mask, straight above the
	// face centre; HeadTopFound is false when the mask reaches the image's top edge there
	// (head cut), runs on into something above the head (see doc.go), or there is no
	// mask/face.
	HeadTop      Point
	HeadTopFound bool
	// HeadTopCut is true when the person mask touches the top edge above the face.
	HeadTopCut bool
	Shoulders  Shoulders
	// Timings per stage in milliseconds (prepare, detect, mesh, pose, mask, refine,
	// total); mask and refine run concurrently with detect and mesh (see doc.go).
	Timings map[string]float64
}
