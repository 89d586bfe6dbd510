// Package vision finds faces, the 468-point face mesh, head pose, eye and mouth
// openness, the person mask, the head top and the shoulders in a photo, in pure Go,
// with MediaPipe's models (Apache-2.0) run by internal/tflite. See analysis.go for
// the result type (the contract with internal/photo and the consoles).
//
// # Use
//
//	an, err := vision.New(vision.Options{ModelsDir: "models"}) // once per process
//	img, err := vision.DecodeFile("photo.jpg")                  // EXIF orientation applied
//	res, err := an.Analyze(ctx, img, vision.AnalyzeOptions{Mask: true})
//
// New verifies each model file against its pinned sha256 (ModelSHA256); a missing
// or different file gives an error wrapping ErrModels that says to run
// scripts/fetch-models.sh (or make models). Analyze is safe for concurrent use:
// each network has a pool of interpreters (Options.Concurrency analyses at a time,
// Options.Threads goroutines per network invocation). DecodeFile/Decode are a
// minimal JPEG/PNG ingest with an EXIF Orientation reader (ExifOrientation) and
// ApplyOrientation; internal/photo has the full ingest.
//
// # Coordinates and units
//
// All positions are pixels of the analysed (upright) image, origin at the top-left
// corner of its Bounds() (so a SubImage is analysed in its own coordinates), x to
// the right, y down; (0.5, 0.5) is the centre of the top-left pixel. "Right" and
// "left" are the subject's own: the subject's right eye is on the image's left.
// Angles are degrees. Ratios are dimensionless.
//
// # Faces
//
// The BlazeFace short-range detector (128² input, letterboxed, [-1,1]) runs once on
// the whole image; it sees faces down to about a fifth of the long side. Unless
// AnalyzeOptions.FastFaces is set, it runs again on overlapping square tiles (half a
// tile of overlap) whose side lets the smallest sought face fill 24 of the 128 input
// pixels; the smallest sought face is the larger of 7% of the image's long side and
// half the largest face of the first pass (so a typical ID portrait needs no or few
// tiles, while group photos are scanned finely). Detections cut by a tile border are
// dropped, the rest are merged with MediaPipe's weighted non-maximum suppression
// (IoU 0.3) in image coordinates, and boxes lying mostly inside a better one are
// dropped. Every candidate is then confirmed by a face-mesh pass on its ROI: it
// counts as a face only when the mesh's face-presence probability is ≥ 0.25 (this
// rejects logos, patterns and the backs of heads, which the detector alone accepts
// with scores up to 0.85). Face.Box is the detector's square face box, Face.Score
// its confidence (0..1), Face.Keypoints its 6 coarse points (Key* order). Faces are
// sorted by box area; Faces[0] is the main face.
//
// # Mesh and derived quantities (FaceDetail)
//
// The mesh network (192² input, [0,1]) runs on a square ROI 1.5× the face box,
// rotated so that the eyes are level (MediaPipe's convention), then a second time on
// the ROI derived from the first mesh (bounding box of the 468 points, rotation from
// eye corners 33→263); AnalyzeOptions.SinglePassMesh skips the second pass.
//   - Mesh: 468 points (X, Y image pixels; Z relative depth in the same pixel scale,
//     smaller = closer to the camera). MeshScore: face-presence probability 0..1.
//   - Pose: yaw, pitch, roll in degrees from a weighted 3-D similarity fit (Horn's
//     closed form; weights from MediaPipe's Procrustes landmark basis) of the
//     canonical face model (geometry_pipeline_metadata_landmarks.binarypb, parsed
//     with a minimal protobuf reader) to the mesh; the rotation is decomposed as
//     Ry(yaw)·Rx(pitch)·Rz(roll) in a viewer frame (x right, y up, z to the camera).
//     Yaw > 0: face turned towards the image's right; pitch > 0: chin up; roll > 0:
//     head tilted clockwise in the image. The canonical model is tilted chin-down by
//     8° (frontalPitch) before fitting: fitted as is, real frontal portraits read
//     −8° median pitch. On the 17 frontal dev portraits the result is |yaw| ≤ 9°,
//     |roll| ≤ 6.3°, pitch −8.5…+10° (mean ≈ 0): about ±8° is the natural spread of
//     head carriage and facial proportions, so thresholds should allow it.
//   - RightEyeOpen, LeftEyeOpen: eye aspect ratio, 2-D lid gap over corner distance
//     (159–145 / 33–133 and 386–374 / 362–263): ≈0.25–0.45 open, < 0.12 closed.
//   - MouthOpen: mouth aspect ratio, inner-lip gap over corner distance
//     (13–14 / 78–308): ≈0–0.06 closed, > 0.15 clearly open (teeth smile ≈ 0.23).
//   - EyeCenterRight/Left: mean of the 16 eye-contour points of each eye; EyeLine:
//     the mean of their y.
//   - FaceWidth: distance of cheek points 234 and 454 (image plane).
//   - Chin: point 152 (bottom of the chin); Hairline: point 10 (top of the forehead,
//     not the top of the head).
//
// # Person mask, head top, shoulders
//
// With AnalyzeOptions.Mask, the selfie segmentation network runs on the whole image
// stretched to 256² (as MediaPipe feeds it) concurrently with detection and mesh.
// Its probability map is upsampled bilinearly to a working resolution (the image,
// or its largest 2×2-box pyramid level ≤ 1 MP) and refined with a guided filter (He
// et al. 2010; guide = luminance, window radius ≈ 2 network pixels, ε = 1e-3, box
// means by running sums); for larger images the filter's linear coefficients are
// upsampled and applied to the full-resolution luminance (fast guided filter), so
// hair and shoulder edges follow the image; finally the matte is stretched
// linearly about 0.5 (0.2 → 0, 0.8 → 1) to remove the filter's faint glow around
// the silhouette. Mask is 0..255 at full resolution (≥ 128 counts as person).
// AnalyzeOptions.NoRefine keeps the plain upsampling.
//
// Head pass: once the main face is known, the network runs a second time on a
// square around the head and shoulders (3.2 face widths, centred on the cheeks, its
// top 1.4 face widths above the eyes, shifted inside the photo; skipped when it
// would not be ≥ 1.3× finer than the whole-image pass, and when FaceHint is given,
// as when verifying an output), where one network pixel is 2–3× finer. Its
// probabilities replace the whole-image ones inside the square, feathered over a
// tenth of its side on the sides inside the photo. The guided filter being linear in
// its input, only the change is filtered (on the square plus a margin) and added to
// the coefficients before they are applied. On facenet_shea_whigham the mean mask
// over the red wall beside the jaw falls from 0.20 to 0.05 (the whole-image pass
// takes that strip of wall for skin). Cost ≈ 12–20 ms on a 2 MP photo (the second
// run and the application of the coefficients wait for the face).
// AnalyzeOptions.NoHeadPass skips it.
//   - HeadTop: for each column within ±¼ face width of the face's midline, walk up
//     from the eye line while the mask stays ≥ 0.5; the head top is the row reached
//     by the highest fifth of those columns (sub-pixel at the 0.5 crossing), at the
//     midline's x. Columns whose mask goes on for more than 2.5 eye-to-chin
//     distances above the eyes (into another person or an object merged with the
//     mask) are discarded; if fewer than a third remain the head top is not found.
//     HeadTopCut: that row is the image's top row (HeadTopFound false).
//   - Shoulders: on the silhouette run containing the neck, scanning down from the
//     chin for two eye-to-chin distances, the first row where the run's outer edge
//     reaches 0.8 face widths (less if the image is narrower, ≥ 0.55) from the chin's
//     column, on each side; Left is the subject's left (image right). Confidence 1
//     when both sides are found, lower when their heights differ by more than a fifth
//     of the eye-to-chin distance or they are found near the end of the search.
//     A side only counts after a row (from the jaw, 0.2 eye-to-chin distances above
//     the chin, down) where it extended less than 0.6 face widths from the chin's
//     column (the neck), so long hair falling beside the face is not taken for the
//     shoulders; the mask then finds none (on the dev portraits it finds them on 7
//     of 38, the clear-neck ones). Source is "mask".
//   - With AnalyzeOptions.PoseShoulders, pose_landmark_lite (optional model, loaded
//     when present) runs on a square ROI estimated from the face as MediaPipe's
//     person ROI (centred on the hips ≈ 2.7 head heights below the eyes, side 7 head
//     heights, head height = 1.6 face widths; zero padding outside the photo), and
//     its keypoints 11/12 (the shoulder joints, slightly inside and below the
//     silhouette's shoulder line) are used when the mask found no shoulders, both
//     visibilities are ≥ 0.5 and they lie inside the photo, below the chin, on the
//     right sides;
//     Confidence is then the lower visibility and Source "pose". It finds shoulders
//     hidden under long hair; on clear silhouettes the mask's points are kept, as
//     the pose ROI is only estimated from the face (on one dev photo the pose
//     points sat ≈ 90 px above the visible shoulders). BlazePose is a single-person
//     model: in group photos the ROI holds several people and it may mix them up.
//     Cost ≈ one more network run. AnalyzeOptions.PoseFallback runs it only when
//     the neck-anchored scan found nothing (after the mask instead of alongside it).
//   - When neither found them, the silhouette fallback: at 1.15 face widths left and
//     right of the face centre (outside hair falling beside the face), the first mask
//     row ≥ 0.5 within 1.6 face widths below the chin, on both sides; Confidence is
//     the mean mask value at the two hits and Source "silhouette". Looser than the
//     neck-anchored points (hair on a shoulder lifts that side), but it tells whether
//     there are shoulders in the photo at all, which the photo checks need.
//
// # Timings
//
// Analysis.Timings holds milliseconds per stage: prepare (pixel conversion),
// detect (all detector passes), mesh (candidate confirmation and the main face's
// mesh), pose (only with PoseShoulders), mask (segmentation network), refine
// (upsampling and guided filter), head (the head pass and the application of the
// coefficients, after the face is known), total (wall time). Mask and refine run
// concurrently with detect, mesh and pose unless AnalyzeOptions.Sequential.
package vision
