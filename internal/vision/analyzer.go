package vision

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"xiaoxiang/internal/tflite"
)

// Options configure an Analyzer.
type Options struct {
	// ModelsDir holds the model files (see the File* constants and ModelSHA256); required.
	ModelsDir string
	// Threads is the number of goroutines one network invocation may use;
	// <= 0 means runtime.GOMAXPROCS(0).
	Threads int
	// Concurrency is the number of analyses that may run at the same time (the
	// size of each interpreter pool); <= 0 means 2.
	Concurrency int
}

// AnalyzeOptions select what one analysis computes.
type AnalyzeOptions struct {
	// Mask computes the refined person mask, the head top and the shoulders.
	Mask bool
	// NoRefine skips the guided-filter refinement of the mask (plain bilinear
	// upsampling of the network's 256² output).
	NoRefine bool
	// FastFaces runs the face detector once on the whole image only. Faces smaller
	// than about a fifth of the image's long side are then missed; the default
	// also scans overlapping tiles when smaller faces may be present.
	FastFaces bool
	// SinglePassMesh skips the second mesh pass (on the ROI derived from the first mesh).
	SinglePassMesh bool
	// PoseShoulders also runs pose_landmark_lite (optional model, loaded by New when
	// present) and, when the mask silhouette gives no shoulders (e.g. hidden by long
	// hair, or Mask is false), takes them from its keypoints 11/12 if both are
	// visible. Costs one more network run.
	PoseShoulders bool
	// PoseFallback runs pose_landmark_lite only when the mask's neck-anchored scan
	// found no shoulders (after the mask, so it costs a network run only on those
	// photos: long hair over the shoulders, shoulders cut by the sides); the
	// silhouette fallback is used when the pose model finds none either.
	PoseFallback bool
	// NoHeadPass skips the mask's head pass (the selfie network's second run on the
	// head-and-shoulders region of the main face, blended into the whole-image
	// probabilities there): the mask is then the whole-image pass alone, computed
	// entirely alongside detection and mesh.
	NoHeadPass bool
	// Sequential runs the mask stages after detection and mesh instead of
	// concurrently with them (for timing each stage in isolation).
	Sequential bool
	// FaceHint, when it holds a 468-point mesh, is where the main face is expected in
	// this image (e.g. an earlier analysis of the source mapped through a crop and
	// scale, as when verifying a standardized photo). The detector and the candidate
	// mesh passes are skipped: the mesh runs once on the ROI derived from the hint
	// (as the second mesh pass does from the first) and counts as a face when its
	// face-presence probability is ≥ 0.25. Faces then holds only that face, with the
	// mesh's bounding box, the mesh score and keypoints taken from the mesh.
	FaceHint []Point3
}

// Analyzer holds the loaded models. It is safe for concurrent use.
type Analyzer struct {
	det, mesh, seg *netPool
	pose           *netPool // nil when pose_landmark_lite.tflite is absent
	canon          *canonicalFace
	anchors        []anchor
	detReg, detCls int // output indices
	meshOut        int
	meshFlag       int
	segOut         int
	poseOut        int
	poseFlag       int
}

// New loads and verifies the models in o.ModelsDir.
func New(o Options) (*Analyzer, error) {
	if o.ModelsDir == "" {
		return nil, fmt.Errorf("vision: no models directory given: %w", ErrModels)
	}
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	conc := o.Concurrency
	if conc <= 0 {
		conc = 2
	}
	a := &Analyzer{anchors: detAnchors()}
	det, err := loadNet(o.ModelsDir, FileDetector)
	if err != nil {
		return nil, err
	}
	mesh, err := loadNet(o.ModelsDir, FileMesh)
	if err != nil {
		return nil, err
	}
	seg, err := loadNet(o.ModelsDir, FileSegmenter)
	if err != nil {
		return nil, err
	}
	cdata, err := readModel(o.ModelsDir, FileCanonical)
	if err != nil {
		return nil, err
	}
	canon, err := parseCanonicalFace(cdata)
	if err != nil {
		return nil, fmt.Errorf("vision: %w", err)
	}
	a.canon = canon.tiltedDown(frontalPitch)
	for _, c := range []struct {
		m    *tflite.Model
		name string
		size int
	}{{det, FileDetector, detInput}, {mesh, FileMesh, meshInput}, {seg, FileSegmenter, segInput}} {
		if err := checkInput(c.m, c.name, c.size); err != nil {
			return nil, err
		}
	}
	if a.detReg, err = outputBySize(det, detNumAnchors*detNumCoords); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, FileDetector)
	}
	if a.detCls, err = outputBySize(det, detNumAnchors); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, FileDetector)
	}
	if a.meshOut, err = outputBySize(mesh, 3*meshPoints); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, FileMesh)
	}
	if a.meshFlag, err = outputBySize(mesh, 1); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, FileMesh)
	}
	if a.segOut, err = outputBySize(seg, segInput*segInput); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, FileSegmenter)
	}
	// The pose model is optional: loaded when present, verified like the others.
	if _, err := os.Stat(filepath.Join(o.ModelsDir, FilePose)); err == nil {
		pm, err := loadNet(o.ModelsDir, FilePose)
		if err != nil {
			return nil, err
		}
		if err := checkInput(pm, FilePose, poseInput); err != nil {
			return nil, err
		}
		if a.poseOut, err = outputBySize(pm, 5*poseLandmarks); err != nil {
			return nil, fmt.Errorf("%w (%s)", err, FilePose)
		}
		if a.poseFlag, err = outputBySize(pm, 1); err != nil {
			return nil, fmt.Errorf("%w (%s)", err, FilePose)
		}
		a.pose = newNetPool(pm, conc, threads)
	}
	// The detector and the mesh run on several tiles/candidates at once: bigger pools.
	a.det = newNetPool(det, 2*conc, threads)
	a.mesh = newNetPool(mesh, 2*conc, threads)
	a.seg = newNetPool(seg, conc, threads)
	return a, nil
}

// Analyze runs the face detector, the face mesh on the main face and, when
// opts.Mask is set, the person segmentation on img (already upright).
func (a *Analyzer) Analyze(ctx context.Context, img image.Image, opts AnalyzeOptions) (*Analysis, error) {
	if img == nil {
		return nil, errors.New("vision: analyze: nil image")
	}
	b := img.Bounds()
	if b.Dx() < 16 || b.Dy() < 16 {
		return nil, fmt.Errorf("vision: analyze: image %d×%d too small", b.Dx(), b.Dy())
	}
	if int64(b.Dx())*int64(b.Dy()) > maxDecodePixels {
		return nil, fmt.Errorf("vision: analyze: image %d×%d too large", b.Dx(), b.Dy())
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("vision: analyze: %w", err)
	}
	t0 := time.Now()
	res := &Analysis{Width: b.Dx(), Height: b.Dy(), Timings: map[string]float64{}}
	r := newRaster(img)
	res.Timings["prepare"] = ms(time.Since(t0))

	// The whole-image mask pass runs concurrently with detection and mesh; the head
	// pass (on the region around the main face) follows them.
	var wg sync.WaitGroup
	var maskErr error
	var segMs, refMs float64
	var mt *matte
	maskStage := func() {
		ts := time.Now()
		prob, err := a.segment(r)
		segMs = ms(time.Since(ts))
		if err != nil {
			maskErr = err
			return
		}
		tr := time.Now()
		mt = prepareMatte(prob, r, !opts.NoRefine)
		refMs = ms(time.Since(tr))
	}
	if opts.Mask && !opts.Sequential {
		wg.Add(1)
		go func() {
			defer wg.Done()
			maskStage()
		}()
	}

	var err error
	if len(opts.FaceHint) == meshPoints {
		tm := time.Now()
		var m []Point3
		var s float64
		m, s, err = a.runMesh(r, roiFromMesh(opts.FaceHint))
		if err == nil && s >= meshMinFace {
			f := faceFromMesh(m, s)
			res.Faces = []Face{f}
			res.Main, err = a.faceDetail(r, f, meshResult{m, s}, false)
		}
		res.Timings["mesh"] = ms(time.Since(tm))
	} else {
		td := time.Now()
		var cands []detection
		cands, err = a.detectFaces(ctx, r, opts.FastFaces)
		res.Timings["detect"] = ms(time.Since(td))
		if err == nil {
			tm := time.Now()
			var meshes []meshResult
			res.Faces, meshes, err = a.verifyFaces(r, cands)
			if err == nil && len(res.Faces) > 0 {
				res.Main, err = a.faceDetail(r, res.Faces[0], meshes[0], !opts.SinglePassMesh)
			}
			res.Timings["mesh"] = ms(time.Since(tm))
		}
	}
	// Pose shoulders (optional) run while the mask is still being computed.
	var poseSh Shoulders
	if err == nil && opts.PoseShoulders && res.Main != nil {
		tp := time.Now()
		poseSh, err = a.poseShoulders(r, res.Main)
		res.Timings["pose"] = ms(time.Since(tp))
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if opts.Mask && opts.Sequential {
		maskStage()
	}
	if maskErr != nil {
		return nil, maskErr
	}
	if opts.Mask {
		th := time.Now()
		if reg, ok := headRegionFor(res.Main, r.w, r.h); ok && !opts.NoHeadPass && len(opts.FaceHint) != meshPoints {
			hp, err := a.segmentHead(r, reg)
			if err != nil {
				return nil, err
			}
			mt.addHead(hp)
		}
		res.Mask = mt.finish()
		res.Timings["head"] = ms(time.Since(th))
		res.Timings["mask"] = segMs
		res.Timings["refine"] = refMs
		res.HeadTop, res.HeadTopFound, res.HeadTopCut = headTop(res.Mask, res.Main)
		res.Shoulders = shoulders(res.Mask, res.Main)
	}
	if poseSh.Found && !res.Shoulders.Found {
		res.Shoulders = poseSh
	}
	if opts.Mask && opts.PoseFallback && !opts.PoseShoulders && !res.Shoulders.Found && res.Main != nil && a.pose != nil {
		tp := time.Now()
		if res.Shoulders, err = a.poseShoulders(r, res.Main); err != nil {
			return nil, err
		}
		res.Timings["pose"] = ms(time.Since(tp))
	}
	if opts.Mask && !res.Shoulders.Found {
		res.Shoulders = outerShoulders(res.Mask, res.Main)
	}
	res.Timings["total"] = ms(time.Since(t0))
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// detectOn runs the detector on the square letterbox of one image region and
// returns detections in image pixels.
func (a *Analyzer) detectOn(r *raster, lb letterbox, minScore float64) ([]detection, error) {
	it := a.det.get()
	defer a.det.put(it)
	r.sampleROI(it.Input(0), detInput, lb.roi(), -1, 1)
	if err := it.Invoke(); err != nil {
		return nil, fmt.Errorf("vision: face detector: %w", err)
	}
	dets := decodeDetections(it.Output(a.detReg), it.Output(a.detCls), a.anchors, minScore)
	dets = weightedNMS(dets, detNMSIoU)
	for i := range dets {
		dets[i] = lb.toImage(dets[i])
	}
	return dets, nil
}

// detMinFaceInput is the smallest face side (in detector input pixels) that the
// short-range detector finds reliably; smaller faces need a zoomed-in pass.
const detMinFaceInput = 24.0

// Face search limits: faces smaller than minFaceLong × the image's long side, or
// than minFaceRel × the largest face found by the whole-image pass, are not sought.
const (
	minFaceLong = 0.07
	minFaceRel  = 0.5
	// meshMinFace is the mesh's face-presence probability a detection needs to count.
	meshMinFace = 0.25
)

// detectFaces finds face candidates: one detector pass on the whole letterboxed
// image (it sees faces down to about 19% of the long side), then — unless fast —
// one pass on overlapping square tiles whose side makes the smallest sought face
// (see minFaceLong, minFaceRel) reach detMinFaceInput; the tiles overlap by half,
// so every face up to half a tile lies wholly inside one, and half a tile is at
// least what the whole-image pass sees. Candidates are merged with weighted NMS in
// image coordinates and sorted by box area, largest first. They still need the
// mesh's confirmation (verifyFaces).
func (a *Analyzer) detectFaces(ctx context.Context, r *raster, fast bool) ([]detection, error) {
	W, H := float64(r.w), float64(r.h)
	long := math.Max(W, H)
	all, err := a.detectOn(r, newLetterbox(0, 0, W, H), detMinScore)
	if err != nil {
		return nil, err
	}
	if side := tileSide(long, all); !fast && side < long {
		ts := tiles(r.w, r.h, side)
		got := make([][]detection, len(ts))
		errs := make([]error, len(ts))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 2)
		for i, t := range ts {
			if ctx.Err() != nil {
				break
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				lb := newLetterbox(t.X0, t.Y0, math.Min(t.Side, W-t.X0), math.Min(t.Side, H-t.Y0))
				d, err := a.detectOn(r, lb, detMinScore)
				if err != nil {
					errs[i] = err
					return
				}
				got[i] = interiorOnly(d, t, W, H)
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("vision: detect: %w", ctx.Err())
		}
		for i := range ts {
			if errs[i] != nil {
				return nil, errs[i]
			}
			all = append(all, got[i]...)
		}
	}
	merged := weightedNMS(all, detNMSIoU)
	merged = dropNested(merged)
	sort.SliceStable(merged, func(i, j int) bool { return merged[i].W*merged[i].H > merged[j].W*merged[j].H })
	return merged, nil
}

// tileSide is the tile side for the zoomed pass given the whole-image detections:
// the smallest sought face must reach detMinFaceInput pixels in the detector input.
// A result ≥ long means no tiles are needed.
func tileSide(long float64, whole []detection) float64 {
	largest := 0.0
	for _, d := range whole {
		largest = math.Max(largest, math.Max(d.W, d.H))
	}
	floor := math.Max(minFaceLong*long, minFaceRel*largest)
	side := floor * detInput / detMinFaceInput
	// Half a tile must reach what the whole-image pass sees.
	return math.Max(side, 2*detMinFaceInput/detInput*long)
}

// interiorOnly drops tile detections cut by the tile's border (they are whole in
// a neighbouring tile or the coarser pass), except at the image's own border.
func interiorOnly(dets []detection, t tile, W, H float64) []detection {
	m := 0.02 * t.Side
	x1 := math.Min(t.X0+t.Side, W)
	y1 := math.Min(t.Y0+t.Side, H)
	var out []detection
	for _, d := range dets {
		if (d.XMin < t.X0+m && t.X0 > 0) || (d.YMin < t.Y0+m && t.Y0 > 0) ||
			(d.XMin+d.W > x1-m && x1 < W) || (d.YMin+d.H > y1-m && y1 < H) {
			continue
		}
		// A face bigger than half the tile is the coarser pass's business.
		if math.Max(d.W, d.H) > 0.5*t.Side {
			continue
		}
		out = append(out, d)
	}
	return out
}

// dropNested removes detections lying mostly inside a higher-scored one (e.g. a
// tile's detection of part of a big face).
func dropNested(dets []detection) []detection {
	sort.SliceStable(dets, func(i, j int) bool { return dets[i].Score > dets[j].Score })
	var out []detection
	for _, d := range dets {
		nested := false
		for _, k := range out {
			if overlapSmall(d, k) > 0.5 {
				nested = true
				break
			}
		}
		if !nested {
			out = append(out, d)
		}
	}
	return out
}

// runMesh runs the face mesh on one ROI and returns the mesh in image pixels and
// the face-presence probability.
func (a *Analyzer) runMesh(r *raster, q roi) ([]Point3, float64, error) {
	it := a.mesh.get()
	defer a.mesh.put(it)
	r.sampleROI(it.Input(0), meshInput, q, 0, 1)
	if err := it.Invoke(); err != nil {
		return nil, 0, fmt.Errorf("vision: face mesh: %w", err)
	}
	mesh := meshFromOutput(it.Output(a.meshOut), q)
	return mesh, sigmoid(float64(it.Output(a.meshFlag)[0])), nil
}

// meshResult is one mesh pass on a candidate face.
type meshResult struct {
	mesh  []Point3
	score float64
}

// verifyFaces runs a first mesh pass on every candidate (concurrently) and keeps
// those the mesh confirms as faces (face-presence probability ≥ meshMinFace): the
// detector alone mistakes logos, textures and the backs of heads for faces, the
// mesh's face flag does not. Order (largest first) is kept.
func (a *Analyzer) verifyFaces(r *raster, cands []detection) ([]Face, []meshResult, error) {
	res := make([]meshResult, len(cands))
	errs := make([]error, len(cands))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, c := range cands {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			m, s, err := a.runMesh(r, roiFromFace(c.face()))
			res[i], errs[i] = meshResult{m, s}, err
		}()
	}
	wg.Wait()
	var faces []Face
	var meshes []meshResult
	for i, c := range cands {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		if res[i].score >= meshMinFace {
			faces = append(faces, c.face())
			meshes = append(meshes, res[i])
		}
	}
	return faces, meshes, nil
}

// faceFromMesh is the Face of a mesh found without the detector (AnalyzeOptions.FaceHint):
// the mesh's bounding box, its face-presence score and keypoints from mesh points (eye
// corners' midpoints, nose tip, inner-lip midpoint, cheek points).
func faceFromMesh(m []Point3, score float64) Face {
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	for _, p := range m {
		x0, y0 = math.Min(x0, p.X), math.Min(y0, p.Y)
		x1, y1 = math.Max(x1, p.X), math.Max(y1, p.Y)
	}
	mid := func(i, j int) Point { return Point{(m[i].X + m[j].X) / 2, (m[i].Y + m[j].Y) / 2} }
	f := Face{Box: Rect{x0, y0, x1 - x0, y1 - y0}, Score: score}
	f.Keypoints[KeyRightEye] = mid(33, 133)
	f.Keypoints[KeyLeftEye] = mid(362, 263)
	f.Keypoints[KeyNose] = Point{m[1].X, m[1].Y}
	f.Keypoints[KeyMouth] = mid(13, 14)
	f.Keypoints[KeyRightEar] = Point{m[234].X, m[234].Y}
	f.Keypoints[KeyLeftEar] = Point{m[454].X, m[454].Y}
	return f
}

// faceDetail computes the mesh, pose and metrics of one face from its first mesh pass.
func (a *Analyzer) faceDetail(r *raster, f Face, first meshResult, twoPass bool) (*FaceDetail, error) {
	mesh, score := first.mesh, first.score
	if twoPass {
		m2, s2, err := a.runMesh(r, roiFromMesh(mesh))
		if err != nil {
			return nil, err
		}
		mesh, score = m2, s2
	}
	d := &FaceDetail{Face: f, Mesh: mesh, MeshScore: score}
	pose, _, err := headPose(a.canon, mesh)
	if err != nil {
		return nil, fmt.Errorf("vision: head pose: %w", err)
	}
	d.Pose = pose
	fillMetrics(d)
	return d, nil
}

// segment runs the selfie segmentation on the whole image stretched to 256².
func (a *Analyzer) segment(r *raster) ([]float32, error) {
	it := a.seg.get()
	defer a.seg.put(it)
	r.sampleStretch(it.Input(0), segInput, segInput, 0, 1)
	if err := it.Invoke(); err != nil {
		return nil, fmt.Errorf("vision: segmentation: %w", err)
	}
	out := it.Output(a.segOut)
	prob := make([]float32, len(out))
	copy(prob, out)
	return prob, nil
}
