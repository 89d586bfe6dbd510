package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"sort"
	"strings"

	"xiaoxiang/internal/vision"
)

const visionUsage = `usage: xiaoxiang vision analyze PHOTO [--json] [--mesh] [--debug-png OUT] [--models DIR]
                                 [--no-mask] [--no-refine] [--fast-faces] [--pose] [--threads N]

Analyses a JPEG or PNG photo (EXIF orientation applied): faces, 468-point mesh,
head pose, eye/mouth openness, person mask, head top and shoulders.`

// runVision implements `xiaoxiang vision analyze`.
func runVision(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, visionUsage)
		return nil
	}
	if args[0] != "analyze" {
		fmt.Fprintln(stderr, visionUsage)
		return &exitError{code: 2, err: fmt.Errorf("vision: unknown subcommand %q", args[0])}
	}
	fs := flag.NewFlagSet("vision analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the analysis as JSON")
	withMesh := fs.Bool("mesh", false, "include the 468 mesh points in the JSON")
	debugPNG := fs.String("debug-png", "", "write a debug drawing to this PNG file")
	models := fs.String("models", "", "models directory (default $XIAOXIANG_MODELS_DIR or ./models)")
	noMask := fs.Bool("no-mask", false, "skip the person mask, head top and shoulders")
	noRefine := fs.Bool("no-refine", false, "skip the guided-filter refinement of the mask")
	pose := fs.Bool("pose", false, "shoulders from pose_landmark_lite keypoints when visible")
	fast := fs.Bool("fast-faces", false, "run the face detector on the whole image only")
	threads := fs.Int("threads", 0, "threads per network (0 = all cores)")
	// Allow flags before and after the photo path.
	var pos []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return &exitError{code: 2, err: err}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, visionUsage)
		return &exitError{code: 2, err: errors.New("vision analyze: exactly one PHOTO is required")}
	}
	dir := *models
	if dir == "" {
		dir = env("XIAOXIANG_MODELS_DIR")
	}
	if dir == "" {
		dir = "models"
	}
	img, err := vision.DecodeFile(pos[0])
	if err != nil {
		return err
	}
	an, err := vision.New(vision.Options{ModelsDir: dir, Threads: *threads, Concurrency: 1})
	if err != nil {
		return err
	}
	res, err := an.Analyze(ctx, img, vision.AnalyzeOptions{Mask: !*noMask, NoRefine: *noRefine, FastFaces: *fast, PoseShoulders: *pose})
	if err != nil {
		return err
	}
	if *debugPNG != "" {
		f, err := os.Create(*debugPNG)
		if err != nil {
			return fmt.Errorf("vision: debug png: %w", err)
		}
		if err := png.Encode(f, vision.DrawDebug(img, res)); err != nil {
			f.Close()
			return fmt.Errorf("vision: debug png: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("vision: debug png: %w", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(jsonAnalysis(res, *withMesh))
	}
	printAnalysis(stdout, res)
	return nil
}

// visionJSON is the Analysis without mask pixels (mask summarised by its size and
// coverage) and, unless asked for, without the mesh.
type visionJSON struct {
	*vision.Analysis
	Main *vision.FaceDetail `json:"Main"`
	Mask *maskSummary       `json:"Mask"`
}

type maskSummary struct {
	W, H     int
	Coverage float64 // fraction of pixels with mask ≥ 0.5
}

func jsonAnalysis(a *vision.Analysis, withMesh bool) visionJSON {
	out := visionJSON{Analysis: a}
	if a.Main != nil {
		m := *a.Main
		if !withMesh {
			m.Mesh = nil
		}
		out.Main = &m
	}
	if a.Mask != nil {
		out.Mask = &maskSummary{W: a.Mask.W, H: a.Mask.H, Coverage: coverage(a.Mask)}
	}
	return out
}

func coverage(m *vision.Mask) float64 {
	n := 0
	for _, v := range m.Pix {
		if v >= 128 {
			n++
		}
	}
	return float64(n) / float64(len(m.Pix))
}

func printAnalysis(w io.Writer, a *vision.Analysis) {
	fmt.Fprintf(w, "image      %d×%d\n", a.Width, a.Height)
	fmt.Fprintf(w, "faces      %d\n", len(a.Faces))
	for i, f := range a.Faces {
		fmt.Fprintf(w, "  #%d       box (%.0f,%.0f) %.0f×%.0f  score %.2f\n", i, f.Box.X, f.Box.Y, f.Box.W, f.Box.H, f.Score)
	}
	if d := a.Main; d != nil {
		fmt.Fprintf(w, "mesh       %d points, face score %.2f\n", len(d.Mesh), d.MeshScore)
		fmt.Fprintf(w, "pose       yaw %+.1f°  pitch %+.1f°  roll %+.1f°\n", d.Pose.Yaw, d.Pose.Pitch, d.Pose.Roll)
		fmt.Fprintf(w, "eyes       right %.2f  left %.2f (aspect ratio)\n", d.RightEyeOpen, d.LeftEyeOpen)
		fmt.Fprintf(w, "mouth      %.2f (aspect ratio)\n", d.MouthOpen)
		fmt.Fprintf(w, "eye line   y %.1f  (centres %.1f,%.1f / %.1f,%.1f)\n", d.EyeLine, d.EyeCenterRight.X, d.EyeCenterRight.Y, d.EyeCenterLeft.X, d.EyeCenterLeft.Y)
		fmt.Fprintf(w, "face width %.1f px; chin (%.1f,%.1f); hairline (%.1f,%.1f)\n", d.FaceWidth, d.Chin.X, d.Chin.Y, d.Hairline.X, d.Hairline.Y)
	}
	if a.Mask != nil {
		fmt.Fprintf(w, "mask       %.1f%% person\n", 100*coverage(a.Mask))
		switch {
		case a.HeadTopFound:
			fmt.Fprintf(w, "head top   y %.1f\n", a.HeadTop.Y)
		case a.HeadTopCut:
			fmt.Fprintln(w, "head top   cut by the top edge")
		default:
			fmt.Fprintln(w, "head top   not found")
		}
	}
	if s := a.Shoulders; s.Found {
		fmt.Fprintf(w, "shoulders  right (%.0f,%.0f) left (%.0f,%.0f) confidence %.2f (%s)\n", s.Right.X, s.Right.Y, s.Left.X, s.Left.Y, s.Confidence, s.Source)
	} else if a.Mask != nil || a.Timings["pose"] > 0 {
		fmt.Fprintln(w, "shoulders  not found")
	}
	keys := make([]string, 0, len(a.Timings))
	for k := range a.Timings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.0f", k, a.Timings[k])
	}
	fmt.Fprintf(w, "timings ms %s\n", strings.Join(parts, ", "))
}
